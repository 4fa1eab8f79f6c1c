/**
 * What a backtest runs: an asset's settings as a `dca_assets` row (so every setting the CLI knows,
 * today's and those added later, flows through the bot's own row parser unchanged) and the pair's
 * trading rules. A setting is addressed by its column name (`take_profit_percent`), the CLI flag
 * table maps flags to columns, and a sweep overrides columns of the same row.
 */
import {
  ASSET_FLAGS,
  type Row,
  STRATEGY_FLAGS,
  strategyColumns,
  validateAssetRow,
} from '../cli/assetRows.js';
import { RefusedError } from '../cli/io.js';
import type { AssetConfig, AssetRules } from '../domain.js';
import { type Decimal, dec } from '../money.js';
import { DEFAULT_ASSETS } from '../sim/assets.js';

/**
 * `--base 20 --safety 20 ... --ttp-deviation 0.5 --stop-loss 8`: the row's settings as `dca-bot assets
 * add` flags. A strategy control is named only when it differs from what `assets add` gives a new
 * asset without its flag (off, yes, a scale of 1), so the line is exactly these settings.
 */
export function addFlags(row: Row): string {
  const flags = Object.entries(ASSET_FLAGS)
    .filter(([, column]) => row[column] !== undefined && row[column] !== null)
    .map(([flag, column]) => `--${flag} ${plainValue(row[column])}`);
  const given = (column: string) => row[column] !== undefined && row[column] !== null;
  const truthy = (column: string) => given(column) && Boolean(Number(row[column]));
  if (truthy('ttp_enabled') && given(STRATEGY_FLAGS['ttp-deviation'])) {
    flags.push(`--ttp-deviation ${plainValue(row[STRATEGY_FLAGS['ttp-deviation']])}`);
  }
  if (given(STRATEGY_FLAGS['stop-loss'])) {
    flags.push(`--stop-loss ${plainValue(row[STRATEGY_FLAGS['stop-loss']])}`);
  }
  const afterSafety = STRATEGY_FLAGS['stop-loss-after-safety'];
  if (given(afterSafety) && !truthy(afterSafety)) flags.push('--stop-loss-after-safety no');
  for (const flag of ['volume-scale', 'step-scale'] as const) {
    const column = STRATEGY_FLAGS[flag];
    if (given(column) && plainValue(row[column]) !== '1') flags.push(`--${flag} ${plainValue(row[column])}`);
  }
  return flags.join(' ');
}

/**
 * The row with a sweep point's columns replaced. A strategy control's value means what its flag
 * means: a trailing deviation also switches the trailing take-profit on, `off` switches a trailing
 * take-profit or stop-loss off, `yes`/`no` for stop_loss_after_safety_orders.
 */
export function withOverrides(row: Row, overrides: Readonly<Record<string, string>>): Row {
  const flagOf = Object.fromEntries(Object.entries(STRATEGY_FLAGS).map(([flag, column]) => [column, flag]));
  const out: Row = { ...row };
  for (const [column, value] of Object.entries(overrides)) {
    const flag = flagOf[column];
    if (flag === undefined) out[column] = value;
    else Object.assign(out, strategyColumns({ [flag]: value }));
  }
  return out;
}

function plainValue(value: unknown): string {
  const text = String(value);
  return /^-?\d+\.\d+$/.test(text) ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** The row as the bot would load it; the row's own last_sell_price is dropped (the run starts fresh). */
export function assetOfRow(row: Row): AssetConfig {
  return { ...validateAssetRow({ ...row, is_enabled: true, last_sell_price: null }), lastSellPrice: null };
}

export interface RuleOverrides {
  readonly minOrderSize?: string;
  readonly minTradeIncrement?: string;
  readonly priceIncrement?: string;
}

/**
 * The pair's rules: the ones Alpaca publishes for the pairs the simulator lists (src/sim/assets.ts),
 * each replaceable by a flag; an unknown pair needs all three flags.
 */
export function pairRules(symbol: string, overrides: RuleOverrides, minOrderValue: Decimal): AssetRules {
  const known = DEFAULT_ASSETS.find((a) => a.symbol === symbol);
  const pick = (flag: string, given: string | undefined, fallback: unknown): Decimal => {
    const value = given ?? (fallback === undefined ? undefined : String(fallback));
    if (value === undefined) {
      throw new RefusedError(
        `refused: no published trading rules for ${symbol}; give --min-order-size, --min-trade-increment and --price-increment`,
      );
    }
    let d: Decimal;
    try {
      d = dec(value, flag);
    } catch {
      throw new RefusedError(`refused: --${flag} expects a number, got ${JSON.stringify(value)}`);
    }
    if (d.lte(0)) throw new RefusedError(`refused: --${flag} must be greater than 0, got ${value}`);
    return d;
  };
  return {
    symbol,
    tradable: true,
    minOrderSize: pick('min-order-size', overrides.minOrderSize, known?.minOrderSize),
    minTradeIncrement: pick('min-trade-increment', overrides.minTradeIncrement, known?.minTradeIncrement),
    priceIncrement: pick('price-increment', overrides.priceIncrement, known?.priceIncrement),
    minOrderValue,
  };
}
