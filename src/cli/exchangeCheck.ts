/**
 * Checks an asset against the exchange before it is stored: the pair must exist and trade, and each
 * order amount must buy at least `min_order_size` at the latest ask (sized exactly as the bot sizes
 * its orders), or the asset could never place an order. Read-only: two GETs, no orders.
 */
import { loadConfig } from '../config.js';
import type { AssetConfig } from '../domain.js';
import { ConfigError, ExchangeError } from '../errors.js';
import { createAlpacaExchange } from '../exchange/alpaca.js';
import type { ExchangeEndpoints } from '../exchange/types.js';
import { buyOrderSize, meetsMinOrderSize } from '../machines/decisions.js';
import { dec, roundUpTo } from '../money.js';
import { type CliIo, RefusedError } from './io.js';

export interface ExchangeCheckOptions {
  /** `--check-exchange`: check even in sim mode, and fail when no keys are configured. */
  readonly force: boolean;
  /** `--skip-exchange-check`: store without asking the exchange (e.g. offline). */
  readonly skip: boolean;
}

const SKIP_HINT = 'pass --skip-exchange-check to store it without the check';

/** Returns a line saying what was checked (or why not); throws RefusedError when the asset can't trade. */
export async function checkAgainstExchange(
  io: CliIo,
  asset: AssetConfig,
  opts: ExchangeCheckOptions,
): Promise<string> {
  if (opts.skip) return 'exchange check skipped (--skip-exchange-check)';
  const endpoints = exchangeEndpoints(io.env, opts.force);
  if (typeof endpoints === 'string') return endpoints;

  const exchange = createAlpacaExchange(endpoints, { requestTimeoutMs: 10_000, getRetries: 1 });
  let rules: Awaited<ReturnType<typeof exchange.getAssetRules>>;
  let quote: Awaited<ReturnType<typeof exchange.getLatestQuote>>;
  try {
    rules = await exchange.getAssetRules(asset.symbol);
    if (!rules.tradable)
      throw new RefusedError(`refused: the exchange lists ${asset.symbol} as not tradable`);
    quote = await exchange.getLatestQuote(asset.symbol);
  } catch (err) {
    if (err instanceof ExchangeError && err.kind === 'not_found') {
      throw new RefusedError(`refused: the exchange does not know ${asset.symbol}`);
    }
    if (err instanceof ExchangeError) {
      throw new RefusedError(`refused: exchange check failed: ${err.message} (${SKIP_HINT})`);
    }
    throw err;
  }
  if (quote === null) {
    return `exchange: ${asset.symbol} is tradable; no latest quote, so min_order_size ${rules.minOrderSize.toFixed()} was not checked`;
  }

  const coin = asset.symbol.split('/')[0];
  const amounts: [string, typeof asset.baseOrderAmount][] = [['base order', asset.baseOrderAmount]];
  if (asset.maxSafetyOrders > 0) amounts.push(['safety order', asset.safetyOrderAmount]);
  const problems: string[] = [];
  for (const [label, amount] of amounts) {
    const { qty, limitPrice } = buyOrderSize(amount, quote.ask, rules);
    if (!meetsMinOrderSize(qty, rules)) {
      const needed = roundUpTo(rules.minOrderSize.mul(limitPrice), dec('0.01'));
      problems.push(
        `${label} amount ${amount.toFixed()} USD buys ${qty.toFixed()} ${coin} at the ask ${limitPrice.toFixed()}, ` +
          `less than the exchange's min_order_size ${rules.minOrderSize.toFixed()} (needs at least ${needed.toFixed()} USD)`,
      );
    }
  }
  if (problems.length > 0) throw new RefusedError(`refused: ${problems.join('; ')}`);
  return `exchange: ${asset.symbol} is tradable and every order meets min_order_size ${rules.minOrderSize.toFixed()} at the ask ${quote.ask.toFixed()}`;
}

/** The exchange to ask, or a line saying why the check is skipped. */
function exchangeEndpoints(env: NodeJS.ProcessEnv, force: boolean): ExchangeEndpoints | string {
  const keyed = Boolean(env['APCA_API_KEY_ID']?.trim() && env['APCA_API_SECRET_KEY']?.trim());
  if (!keyed) {
    if (force)
      throw new RefusedError('refused: --check-exchange needs APCA_API_KEY_ID and APCA_API_SECRET_KEY');
    return 'exchange check skipped: no APCA_API_KEY_ID / APCA_API_SECRET_KEY configured';
  }
  const mode = env['DCA_MODE']?.trim() || 'paper';
  if (mode === 'sim' && !force) {
    return 'exchange check skipped: DCA_MODE=sim (the bot runs its own simulator; use --check-exchange to ask APCA_API_BASE_URL)';
  }
  try {
    // Only two GETs follow: the live-trading guard exists to stop orders, and sim mode here means
    // "ask the server APCA_API_* names", which the paper settings describe.
    const config = loadConfig({
      ...env,
      DCA_MODE: mode === 'sim' ? 'paper' : mode,
      DCA_LIVE_TRADING: 'yes',
    });
    return { ...config.alpaca };
  } catch (err) {
    if (err instanceof ConfigError) throw new RefusedError(`refused: ${err.message}\n(${SKIP_HINT})`);
    throw err;
  }
}
