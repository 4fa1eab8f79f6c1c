/**
 * Checks an asset against the exchange before it is stored: the pair must exist and trade, and each
 * order amount must pass the bot's own sizing rule at the latest ask (decisions.ts `buyProblem`:
 * min_order_size, the minimum order value, and a base order's net quantity after the fee must be
 * sellable), or the asset could never trade. Read-only: two GETs, no orders.
 */
import { loadConfig } from '../config.js';
import type { AssetConfig, AssetRules } from '../domain.js';
import { ConfigError, ExchangeError } from '../errors.js';
import { createAlpacaExchange } from '../exchange/alpaca.js';
import type { ExchangeEndpoints } from '../exchange/types.js';
import { buyProblem, smallestSafetyOrderAmount } from '../machines/decisions.js';
import { Decimal, dec, ONE, roundUpTo } from '../money.js';
import { DATA_STREAM_PATH, TRADING_STREAM_PATH } from '../sim/server.js';
import { type CliIo, RefusedError } from './io.js';

export interface ExchangeCheckOptions {
  /** `--check-exchange`: check even in sim mode, and fail when no keys are configured. */
  readonly force: boolean;
  /** `--skip-exchange-check`: store without asking the exchange (e.g. offline). */
  readonly skip: boolean;
}

const SKIP_HINT = 'pass --skip-exchange-check to store it without the check';
/** The keys `npm start -- --sim` gives its built-in simulator (src/sim's defaults). */
const SIM_KEY_ID = 'SIMKEY';
const SIM_SECRET_KEY = 'SIMSECRET';
const CENT = dec('0.01');

interface CheckTarget {
  readonly endpoints: ExchangeEndpoints;
  readonly feeRate: Decimal;
  readonly minOrderValue: Decimal;
}

/** Returns a line saying what was checked (or why not); throws RefusedError when the asset can't trade. */
export async function checkAgainstExchange(
  io: CliIo,
  asset: AssetConfig,
  opts: ExchangeCheckOptions,
): Promise<string> {
  if (opts.skip) return 'exchange check skipped (--skip-exchange-check)';
  const endpoints = exchangeEndpoints(io.env, opts.force);
  if (typeof endpoints === 'string') return endpoints;

  const simulator =
    endpoints.endpoints.keyId === SIM_KEY_ID && io.env['DCA_MODE']?.trim() === 'sim' && !opts.force;
  const exchange = createAlpacaExchange(endpoints.endpoints, {
    requestTimeoutMs: 10_000,
    getRetries: 1,
    minOrderValue: endpoints.minOrderValue,
  });
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
    if (simulator && err instanceof ExchangeError && err.kind !== 'rejected') {
      return `exchange check skipped: DCA_MODE=sim and no simulator answers at ${endpoints.endpoints.baseUrl} (SIM_PORT); is \`npm start -- --sim\` running?`;
    }
    if (err instanceof ExchangeError) {
      throw new RefusedError(`refused: exchange check failed: ${err.message} (${SKIP_HINT})`);
    }
    throw err;
  }
  const said = simulator ? `exchange (the bot's simulator at ${endpoints.endpoints.baseUrl})` : 'exchange';
  if (quote === null) {
    return `${said}: ${asset.symbol} is tradable; no latest quote, so min_order_size ${rules.minOrderSize.toFixed()} was not checked`;
  }

  // The bot's own sizing rule (decisions.ts), so what is stored here is what the bot can trade.
  const checks: ['base' | 'safety', typeof asset.baseOrderAmount][] = [['base', asset.baseOrderAmount]];
  // Scaled safety orders: the smallest one must still be an order the exchange takes.
  if (asset.maxSafetyOrders > 0) checks.push(['safety', smallestSafetyOrderAmount(asset)]);
  const problems: string[] = [];
  for (const [role, amount] of checks) {
    const problem = buyProblem(amount, quote.ask, rules, endpoints.feeRate, role);
    if (problem !== null) {
      problems.push(
        `${role} order amount ${amount.toFixed()} USD ${problem} (${neededHint(role, quote.ask, rules, endpoints.feeRate)})`,
      );
    }
  }
  if (problems.length > 0) throw new RefusedError(`refused: ${problems.join('; ')}`);
  return (
    `${said}: ${asset.symbol} is tradable and every order meets min_order_size ${rules.minOrderSize.toFixed()} ` +
    `and the minimum order value ${rules.minOrderValue.toFixed()} USD at the ask ${quote.ask.toFixed()}`
  );
}

/**
 * The smallest amount that passes, to the cent: a base order's net (after the fee) must meet both
 * minimums, a safety order's gross. Found by search, so the hint is exactly the bot's rule.
 */
export function neededHint(
  role: 'base' | 'safety',
  ask: Decimal,
  rules: AssetRules,
  feeRate: Decimal,
): string {
  return `needs at least ${minimumAmount(role, ask, rules, feeRate).toFixed()} USD`;
}

/** The smallest order amount in USD, to the cent, that the bot's sizing rule accepts at `ask`. */
export function minimumAmount(
  role: 'base' | 'safety',
  ask: Decimal,
  rules: AssetRules,
  feeRate: Decimal,
): Decimal {
  const limit = roundUpTo(ask, rules.priceIncrement);
  const coin = role === 'base' ? rules.minOrderSize.div(ONE.minus(feeRate)) : rules.minOrderSize;
  const value = role === 'base' ? rules.minOrderValue.div(ONE.minus(feeRate)) : rules.minOrderValue;
  let amount = roundUpTo(Decimal.max(coin.mul(limit), value), CENT);
  // Rounding to the trade increment can take a few cents more; a short walk finds the exact minimum.
  for (let i = 0; i < 1000 && buyProblem(amount, ask, rules, feeRate, role) !== null; i++)
    amount = amount.plus(CENT);
  return amount;
}

/** The exchange to ask, or a line saying why the check is skipped. */
function exchangeEndpoints(env: NodeJS.ProcessEnv, force: boolean): CheckTarget | string {
  const mode = env['DCA_MODE']?.trim() || 'paper';
  // The demo's exchange is the simulator inside the running bot, which needs no keys: reachable
  // from here only on a fixed SIM_PORT.
  if (mode === 'sim' && !force) return simulatorTarget(env);
  const keyed = Boolean(env['APCA_API_KEY_ID']?.trim() && env['APCA_API_SECRET_KEY']?.trim());
  if (!keyed) {
    if (force)
      throw new RefusedError('refused: --check-exchange needs APCA_API_KEY_ID and APCA_API_SECRET_KEY');
    return 'exchange check skipped: no APCA_API_KEY_ID / APCA_API_SECRET_KEY configured';
  }
  try {
    // Only two GETs follow: the live-trading guard exists to stop orders, and sim mode here means
    // "ask the server APCA_API_* names", which the paper settings describe.
    const config = loadConfig({
      ...env,
      DCA_MODE: mode === 'sim' ? 'paper' : mode,
      DCA_LIVE_TRADING: 'yes',
    });
    return { endpoints: { ...config.alpaca }, feeRate: config.feeRate, minOrderValue: config.minOrderValue };
  } catch (err) {
    if (err instanceof ConfigError) throw new RefusedError(`refused: ${err.message}\n(${SKIP_HINT})`);
    throw err;
  }
}

/** The running bot's built-in simulator (its default keys), when SIM_PORT fixes where it listens. */
function simulatorTarget(env: NodeJS.ProcessEnv): CheckTarget | string {
  const port = Number(env['SIM_PORT']?.trim() || 0);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
    return (
      'exchange check skipped: DCA_MODE=sim and the simulator inside the bot listens on a new free ' +
      'port at each start (SIM_PORT unset); set SIM_PORT to check against it, or pass ' +
      '--check-exchange to ask the server APCA_API_BASE_URL names'
    );
  }
  // The bot's own fee estimate and minimum order value (sim mode needs no keys to read them).
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ ...env, DB_NAME: '' });
  } catch (err) {
    if (err instanceof ConfigError) throw new RefusedError(`refused: ${err.message}\n(${SKIP_HINT})`);
    throw err;
  }
  return {
    endpoints: simulatorEndpoints(port),
    feeRate: config.feeRate,
    minOrderValue: config.minOrderValue,
  };
}

/** Where the running bot's built-in simulator answers when SIM_PORT fixes its port (its default keys). */
export function simulatorEndpoints(port: number): ExchangeEndpoints {
  const http = `http://127.0.0.1:${port}`;
  return {
    keyId: SIM_KEY_ID,
    secretKey: SIM_SECRET_KEY,
    baseUrl: http,
    dataUrl: http,
    streamUrl: `ws://127.0.0.1:${port}${TRADING_STREAM_PATH}`,
    dataStreamUrl: `ws://127.0.0.1:${port}${DATA_STREAM_PATH}`,
  };
}
