/**
 * The doctor's account checks, through the bot's own client (client.ts: the SDK behind the REST
 * budget): the keys, the account's status, crypto trading and buying power, and this machine's
 * clock against the exchange's `Date` headers. Read-only.
 */
import type { Config } from '../config.js';
import type { Account } from '../domain.js';
import { ExchangeError } from '../errors.js';
import type { Exchange } from '../exchange/types.js';
import { type HttpWatch, skewAtLeastMs } from './doctorHttp.js';
import { type DoctorReport, fail, ok, skip, warn } from './doctorReport.js';

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
