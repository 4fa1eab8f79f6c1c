/**
 * The doctor's checks of the exchange, through the bot's own client (client.ts: the SDK behind the
 * REST budget): keys and account, the clock against the exchange's, both websockets as the bot
 * opens them, and every dca_assets row against the pair's rules at the current price, sized by
 * the bot's own rule (decisions.ts `buyProblem`). Read-only: no order is placed here.
 */
import type { Config } from '../config.js';
import type { Account, AssetConfig, AssetRules, Quote } from '../domain.js';
import { ExchangeError } from '../errors.js';
import type { Exchange, StreamHandle } from '../exchange/types.js';
import { buyOrderSize, buyProblem } from '../machines/decisions.js';
import { type Decimal, ZERO } from '../money.js';
import { listAssetRows, parseOrReason } from '../store/assets.js';
import type { Pool } from '../store/db.js';
import { type HttpWatch, skewAtLeastMs } from './doctorHttp.js';
import { type CheckResult, type DoctorReport, fail, ok, skip, warn } from './doctorReport.js';
import { neededHint } from './exchangeCheck.js';

export interface StreamTimings {
  /** How long each websocket may take to connect, authenticate and subscribe. */
  readonly connectMs: number;
  /** How long after the subscription the first quote of every asset may take. */
  readonly firstQuoteMs: number;
}

export const DEFAULT_STREAM_TIMINGS: StreamTimings = { connectMs: 10_000, firstQuoteMs: 5_000 };

/** Past this the bot's view of quote ages and cooldowns is visibly off. */
const SKEW_WARN_MS = 2_000;

const KEY_FIX =
  'set APCA_API_KEY_ID and APCA_API_SECRET_KEY to a key pair of this account (paper keys for ' +
  'paper-api.alpaca.markets, live keys for api.alpaca.markets; the Alpaca dashboard regenerates them)';

/** Keys, account status, crypto trading and buying power; null when the keys are not accepted. */
export async function checkAccount(
  exchange: Exchange,
  baseUrl: string,
  watch: HttpWatch,
  report: DoctorReport,
): Promise<Account | null> {
  let account: Account;
  try {
    account = await exchange.getAccount();
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    const refused = err.kind === 'auth' || err.status === 401 || err.status === 403;
    report.add(
      refused
        ? fail('keys', `GET ${baseUrl}/v2/account refused the keys (${err.status ?? err.kind})`, KEY_FIX)
        : fail(
            'keys',
            `GET ${baseUrl}/v2/account failed: ${err.message}`,
            'check APCA_API_BASE_URL and that this machine reaches it (DNS, firewall, proxy)',
          ),
    );
    for (const name of ['account status', 'crypto trading', 'buying power'])
      report.add(skip(name, 'the account could not be read'));
    return null;
  }
  report.add(
    ok('keys', `accepted by ${baseUrl} (GET /v2/account, ${watch.lastMs} ms)`, { ms: watch.lastMs }),
  );
  const status = account.status ?? null;
  report.add(
    status === 'ACTIVE' && !account.blocked
      ? ok('account status', 'ACTIVE')
      : status === null
        ? warn(
            'account status',
            'the exchange does not report it',
            'look at the account in the Alpaca dashboard',
          )
        : fail(
            'account status',
            account.blocked ? `${status}, trading blocked` : status,
            'the account cannot trade: see the Alpaca dashboard (onboarding, blocks, closure)',
          ),
  );
  const crypto = account.cryptoStatus ?? null;
  report.add(
    crypto === 'ACTIVE'
      ? ok('crypto trading', 'enabled (crypto_status ACTIVE)')
      : crypto === null
        ? warn('crypto trading', 'the exchange does not report crypto_status', 'make sure crypto is enabled')
        : fail(
            'crypto trading',
            `crypto_status ${crypto}`,
            'enable crypto trading for the account in the Alpaca dashboard (accept the crypto agreement)',
          ),
  );
  report.add(
    account.buyingPower.gt(0)
      ? ok(
          'buying power',
          `${account.buyingPower.toFixed(2)} ${account.currency} (non-marginable, what crypto spends)`,
        )
      : fail('buying power', `${account.buyingPower.toFixed()} ${account.currency}`, 'fund the account'),
  );
  return account;
}

/** This machine's clock against the exchange's `Date` headers seen so far. */
export function checkClock(watch: HttpWatch, config: Config, report: DoctorReport): void {
  const offset = watch.offset();
  if (offset === null) {
    report.add(
      warn('clock', 'no answer carried a Date header', 'keep the clock in step with NTP (timedatectl)'),
    );
    return;
  }
  const skew = skewAtLeastMs(offset);
  const data = { skewAtLeastMs: skew, offsetLowMs: offset.lowMs, offsetHighMs: offset.highMs };
  // Quotes are judged stale by their exchange timestamps against this clock (QUOTE_STALE_SECONDS).
  const failMs = (config.quoteStaleSeconds * 1_000) / 2;
  if (skew === 0) report.add(ok('clock', 'in step with the exchange (within 1 s, its Date header)', data));
  else if (skew < SKEW_WARN_MS) report.add(ok('clock', `about ${skew} ms off the exchange`, data));
  else {
    const detail = `${(skew / 1000).toFixed(1)} s off the exchange's clock (its Date header)`;
    const fix = 'turn on time sync (timedatectl set-ntp true, or chrony)';
    report.add(
      skew >= failMs
        ? fail('clock', `${detail}: quotes would look stale`, fix, data)
        : warn('clock', detail, fix, data),
    );
  }
}

/** Both websockets, opened as the bot opens them (streams.ts), then closed. */
export async function checkStreams(
  exchange: Exchange,
  symbols: readonly string[],
  timings: StreamTimings,
  lockHeldBy: string | null,
  report: DoctorReport,
): Promise<void> {
  const busy =
    lockHeldBy === null
      ? ''
      : ` (a bot is running on this database, ${lockHeldBy}: it may hold the account's data connections; stop it and run doctor again)`;
  const [trade, quotes] = await Promise.all([
    tradeUpdatesCheck(exchange, timings),
    quotesCheck(exchange, symbols, timings),
  ]);
  for (const result of [trade, quotes])
    report.add(result.status === 'fail' && busy !== '' ? { ...result, fix: `${result.fix}${busy}` } : result);
}

function openUntil<T>(
  open: (h: { resolve: (v: T) => void }) => StreamHandle,
  timeoutMs: number,
  onTimeout: () => T,
): Promise<T> {
  return new Promise<T>((resolve) => {
    let handle: StreamHandle | null = null;
    let done = false;
    const finish = (value: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void handle?.close();
      resolve(value);
    };
    const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
    handle = open({ resolve: finish });
    if (done) void handle.close();
  });
}

const STREAM_FIX =
  'check APCA_API_STREAM_URL / APCA_API_DATA_STREAM_URL and that the keys may stream (Alpaca allows one data connection per key on the basic plan)';

async function tradeUpdatesCheck(exchange: Exchange, timings: StreamTimings): Promise<CheckResult> {
  const started = performance.now();
  const name = 'trade_updates';
  return openUntil<CheckResult>(
    ({ resolve }) =>
      exchange.tradeUpdates({
        onMessage: () => undefined,
        onConnected: () => {
          const ms = Math.round(performance.now() - started);
          resolve(ok(name, `connected, authenticated and listening (${ms} ms)`, { ms }));
        },
        onError: (err) => resolve(fail(name, `refused: ${err.message}`, STREAM_FIX)),
      }),
    timings.connectMs,
    () => fail(name, `not listening after ${timings.connectMs / 1000} s`, STREAM_FIX),
  );
}

async function quotesCheck(
  exchange: Exchange,
  symbols: readonly string[],
  timings: StreamTimings,
): Promise<CheckResult> {
  const name = 'quote stream';
  const started = performance.now();
  const first = new Map<string, number>();
  let subscribedAt: number | null = null;
  let quoteTimer: NodeJS.Timeout | null = null;
  const verdict = (): CheckResult => {
    const connectMs = Math.round((subscribedAt ?? performance.now()) - started);
    const missing = symbols.filter((s) => !first.has(s));
    const slowest = Math.max(0, ...first.values());
    const data = { connectMs, firstQuoteMs: Object.fromEntries(first) };
    const subscribed = `connected, authenticated, subscribed to ${symbols.length} asset(s) (${connectMs} ms)`;
    if (missing.length === 0) return ok(name, `${subscribed}; a quote for each within ${slowest} ms`, data);
    const none = `no quote for ${missing.join(', ')} within ${timings.firstQuoteMs / 1000} s`;
    const fix = 'check that the pair trades on this feed; the bot buys nothing without quotes';
    return first.size === 0
      ? fail(name, `${subscribed}; ${none}`, fix, data)
      : warn(name, `${subscribed}; ${none}`, fix, data);
  };
  const result = await openUntil<CheckResult>(
    ({ resolve }) =>
      exchange.quotes(symbols, {
        onMessage: (q: Quote) => {
          if (subscribedAt === null || first.has(q.symbol) || !symbols.includes(q.symbol)) return;
          first.set(q.symbol, Math.round(performance.now() - subscribedAt));
          if (first.size === symbols.length) resolve(verdict());
        },
        onConnected: () => {
          subscribedAt = performance.now();
          if (symbols.length === 0) {
            resolve(ok(name, 'connected and authenticated; no enabled asset to subscribe to'));
            return;
          }
          quoteTimer = setTimeout(() => resolve(verdict()), timings.firstQuoteMs);
        },
        onError: (err) => resolve(fail(name, `refused: ${err.message}`, STREAM_FIX)),
      }),
    timings.connectMs + timings.firstQuoteMs,
    () =>
      subscribedAt === null
        ? fail(name, `not subscribed after ${timings.connectMs / 1000} s`, STREAM_FIX)
        : verdict(),
  );
  if (quoteTimer !== null) clearTimeout(quoteTimer);
  return result;
}

export interface AssetFindings {
  /** Enabled rows that parse: what the bot would trade. */
  readonly enabled: AssetConfig[];
  /** Pairs listed and tradable (for the order test). */
  readonly tradable: string[];
}

/** Every dca_assets row, enabled or not: valid, listed and tradable, and its amounts above the minimums. */
export async function checkAssets(
  pool: Pool,
  exchange: Exchange,
  config: Config,
  report: DoctorReport,
): Promise<AssetFindings> {
  const rows = await listAssetRows(pool);
  const enabled: AssetConfig[] = [];
  const tradable: string[] = [];
  if (rows.length === 0) {
    report.add(
      warn(
        'assets',
        'dca_assets is empty: the bot has nothing to trade',
        'add one: dca-bot assets add BTC/USD --base 20 …',
      ),
    );
    return { enabled, tradable };
  }
  for (const row of rows) {
    const symbol = String(row['asset_symbol']);
    const isEnabled = Boolean(Number(row['is_enabled']));
    const name = `asset ${symbol}`;
    // A disabled row is not traded: its problems are worth a warning, not a failure.
    const problem = (detail: string, fix: string) =>
      isEnabled ? fail(name, detail, fix) : warn(name, `${detail} (disabled)`, fix);
    const asset = parseOrReason(row);
    if (typeof asset === 'string') {
      report.add(
        problem(
          `row ${String(row['id'])} is invalid, the bot skips it: ${asset}`,
          `correct it: dca-bot assets set ${symbol} …`,
        ),
      );
      continue;
    }
    if (isEnabled) enabled.push(asset);
    const result = await checkOneAsset(asset, exchange, config, problem);
    report.add(result.check);
    if (result.tradable) tradable.push(symbol);
  }
  return { enabled, tradable };
}

async function checkOneAsset(
  asset: AssetConfig,
  exchange: Exchange,
  config: Config,
  problem: (detail: string, fix: string) => CheckResult,
): Promise<{ check: CheckResult; tradable: boolean }> {
  const { symbol } = asset;
  const name = `asset ${symbol}`;
  const disable = `dca-bot assets disable ${symbol}`;
  let rules: AssetRules;
  let quote: Quote | null;
  try {
    rules = await exchange.getAssetRules(symbol);
    if (!rules.tradable)
      return {
        check: problem('the exchange lists the pair as not tradable', `${disable}, or wait until it trades`),
        tradable: false,
      };
    quote = await exchange.getLatestQuote(symbol);
  } catch (err) {
    if (err instanceof ExchangeError && err.kind === 'not_found')
      return {
        check: problem('the exchange does not list this pair', `${disable}, or correct the symbol`),
        tradable: false,
      };
    if (err instanceof ExchangeError)
      return { check: problem(`could not be checked: ${err.message}`, 'run doctor again'), tradable: false };
    throw err;
  }
  if (quote === null) {
    const check = warn(
      name,
      'listed and tradable; no latest quote, so the amounts were not checked',
      'run doctor again later',
    );
    return { check, tradable: true };
  }
  const roles: ['base' | 'safety', Decimal][] = [['base', asset.baseOrderAmount]];
  if (asset.maxSafetyOrders > 0) roles.push(['safety', asset.safetyOrderAmount]);
  const problems: string[] = [];
  const sizes: string[] = [];
  for (const [role, amount] of roles) {
    const why = buyProblem(amount, quote.ask, rules, config.feeRate, role);
    if (why === null)
      sizes.push(
        `${role} ${amount.toFixed()} USD buys ${buyOrderSize(amount, quote.ask, rules).qty.toFixed()}`,
      );
    else
      problems.push(
        `${role} ${amount.toFixed()} USD ${why} (${neededHint(role, quote.ask, rules, config.feeRate)})`,
      );
  }
  if (problems.length > 0) {
    const flag =
      problems.length > 1 ? '--base/--safety' : problems[0]?.startsWith('base') ? '--base' : '--safety';
    return {
      check: problem(problems.join('; '), `raise it: dca-bot assets set ${symbol} ${flag} <amount>`),
      tradable: true,
    };
  }
  const detail =
    `listed and tradable; at the ask ${quote.ask.toFixed()} ${sizes.join(', ')} ` +
    `(min ${rules.minOrderSize.toFixed()}, ${rules.minOrderValue.toFixed()} USD, fee ${config.feeRate.mul(10_000).toFixed()} bps)` +
    (asset.enabled ? '' : ' (disabled)');
  return { check: ok(name, detail), tradable: true };
}

/** Every enabled asset's worst case (base plus every safety order) against the buying power. */
export function checkCapital(
  enabled: readonly AssetConfig[],
  account: Account | null,
  report: DoctorReport,
): void {
  if (account === null) {
    report.add(skip('capital', 'the account could not be read'));
    return;
  }
  const worst = enabled.reduce(
    (sum, a) => sum.plus(a.baseOrderAmount).plus(a.safetyOrderAmount.mul(a.maxSafetyOrders)),
    ZERO,
  );
  const detail = `worst case ${worst.toFixed(2)} USD (every enabled asset's base and all its safety orders) against buying power ${account.buyingPower.toFixed(2)} USD`;
  report.add(
    worst.lte(account.buyingPower)
      ? ok('capital', detail)
      : warn(
          'capital',
          detail,
          'add funds, or lower amounts or --max-safety: a cycle short of cash waits (backs off) at its next safety order',
        ),
  );
}
