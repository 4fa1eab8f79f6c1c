/**
 * Bars as columns: one Float64Array per field, so a year of 1-minute bars (525,600) is five flat
 * arrays the engine scans without allocating. Prices are the exchange's decimal prices as doubles; a
 * bar that matters is turned back into exact Decimals (quoteModel.ts), so no decision is made on a float.
 */

export interface Bars {
  readonly symbol: string;
  /** Bar length in milliseconds (60_000 for 1Min). */
  readonly timeframeMs: number;
  /** Bar open time, epoch ms, strictly increasing. */
  readonly t: Float64Array;
  readonly o: Float64Array;
  readonly h: Float64Array;
  readonly l: Float64Array;
  readonly c: Float64Array;
  readonly v: Float64Array;
}

export interface Bar {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
}

export const TIMEFRAMES: Readonly<Record<string, number>> = {
  '1Min': 60_000,
  '5Min': 300_000,
  '15Min': 900_000,
  '30Min': 1_800_000,
  '1Hour': 3_600_000,
  '4Hour': 14_400_000,
  '1Day': 86_400_000,
};

/** `1Min` → 60000; null for a timeframe Alpaca does not name. */
export function timeframeMs(timeframe: string): number | null {
  return TIMEFRAMES[timeframe] ?? null;
}

export function timeframeName(ms: number): string {
  return Object.entries(TIMEFRAMES).find(([, v]) => v === ms)?.[0] ?? `${ms / 1000}s`;
}

/** `n` bars of `symbol`, every column zero: to be filled in place. */
export function emptyBars(symbol: string, timeframeMs: number, n: number): Bars {
  return {
    symbol,
    timeframeMs,
    t: new Float64Array(n),
    o: new Float64Array(n),
    h: new Float64Array(n),
    l: new Float64Array(n),
    c: new Float64Array(n),
    v: new Float64Array(n),
  };
}

export function barsFromList(symbol: string, timeframe: number, list: readonly Bar[]): Bars {
  const bars = emptyBars(symbol, timeframe, list.length);
  list.forEach((b, i) => {
    bars.t[i] = b.t;
    bars.o[i] = b.o;
    bars.h[i] = b.h;
    bars.l[i] = b.l;
    bars.c[i] = b.c;
    bars.v[i] = b.v;
  });
  return bars;
}

export function barAt(bars: Bars, i: number): Bar {
  return { t: bars.t[i]!, o: bars.o[i]!, h: bars.h[i]!, l: bars.l[i]!, c: bars.c[i]!, v: bars.v[i]! };
}

/** Why a bar cannot be priced (non-finite, non-positive, high below low, open/close outside), or null. */
export function barProblem(b: Bar): string | null {
  for (const [name, x] of [
    ['open', b.o],
    ['high', b.h],
    ['low', b.l],
    ['close', b.c],
  ] as const) {
    if (!Number.isFinite(x) || x <= 0) return `${name} must be a positive number, got ${x}`;
  }
  if (!Number.isFinite(b.v) || b.v < 0) return `volume must be a number ≥ 0, got ${b.v}`;
  if (b.h < b.l) return `high ${b.h} is below low ${b.l}`;
  if (b.o > b.h || b.o < b.l || b.c > b.h || b.c < b.l) return 'open and close must lie between low and high';
  return null;
}
