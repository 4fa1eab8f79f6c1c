/** Builders for backtest tests: an asset row's settings, the pair's rules, and bars from a price list. */
import { type Bar, type Bars, barsFromList } from '../../src/backtest/bars.js';
import { type BacktestInput, MARKET_DEFAULTS } from '../../src/backtest/engine.js';
import type { AssetConfig, AssetRules } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { anAsset, someRules } from './cycle.js';

export function btAsset(overrides: Partial<AssetConfig> = {}): AssetConfig {
  return anAsset(overrides);
}

export function btRules(overrides: Partial<AssetRules> = {}): AssetRules {
  return someRules({ priceIncrement: dec('0.01'), ...overrides });
}

export function btInput(overrides: Partial<BacktestInput> = {}): BacktestInput {
  return { asset: btAsset(), rules: btRules(), market: MARKET_DEFAULTS, ...overrides };
}

export const BAR_T0 = Date.parse('2025-03-01T00:00:00Z');

/** One-minute bars from [open, high, low, close] tuples, starting at BAR_T0. */
export function barsOf(ohlc: readonly (readonly [number, number, number, number])[]): Bars {
  const list: Bar[] = ohlc.map(([o, h, l, c], i) => ({ t: BAR_T0 + i * 60_000, o, h, l, c, v: 1 }));
  return barsFromList('BTC/USD', 60_000, list);
}
