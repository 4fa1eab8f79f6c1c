/**
 * The doctor's asset checks: every dca_assets row, enabled or not, against the pair's rules at the
 * current price, sized by the bot's own rule (decisions.ts `buyProblem`, net of the fee), and the
 * enabled assets' worst case against the buying power. Read-only: no order is placed here.
 */
import type { Config } from '../config.js';
import type { Account, AssetConfig, AssetRules, Quote } from '../domain.js';
import { ExchangeError } from '../errors.js';
import type { Exchange } from '../exchange/types.js';
import {
  buyOrderSize,
  buyProblem,
  smallestSafetyOrderAmount,
  worstCaseCapital,
} from '../machines/decisions.js';
import { type Decimal, ZERO } from '../money.js';
import { listAssetRows, parseOrReason } from '../store/assets.js';
import type { Pool } from '../store/db.js';
import { type CheckResult, type DoctorReport, fail, ok, skip, warn } from './doctorReport.js';
import { neededHint } from './exchangeCheck.js';

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
  // Scaled safety orders: the smallest one must still be an order the exchange takes.
  if (asset.maxSafetyOrders > 0) roles.push(['safety', smallestSafetyOrderAmount(asset)]);
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
  const worst = enabled.reduce((sum, a) => sum.plus(worstCaseCapital(a)), ZERO);
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
