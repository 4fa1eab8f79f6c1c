/**
 * What a backtest runs: an asset's settings as a `dca_assets` row (so every setting the CLI knows,
 * today's and those added later, flows through the bot's own row parser unchanged) and the pair's
 * trading rules. A setting is addressed by its column name (`take_profit_percent`), the CLI flag
 * table maps flags to columns, and a sweep overrides columns of the same row.
 */
import { ASSET_FLAGS, type Row, validateAssetRow } from '../cli/assetRows.js';
import { RefusedError } from '../cli/io.js';
import type { AssetConfig, AssetRules } from '../domain.js';
import { type Decimal, dec } from '../money.js';
import { DEFAULT_ASSETS } from '../sim/assets.js';

/** `--base 20 --safety 20 ...`: the row's settings as `dca-bot assets add` flags. */
export function addFlags(row: Row): string {
  return Object.entries(ASSET_FLAGS)
    .filter(([, column]) => row[column] !== undefined && row[column] !== null)
    .map(([flag, column]) => `--${flag} ${plainValue(row[column])}`)
    .join(' ');
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
