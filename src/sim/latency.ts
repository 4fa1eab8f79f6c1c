/**
 * How long an order's life takes. On Alpaca the POST answers `pending_new`; `new` and the first
 * fill follow some milliseconds later, and a DELETE leaves the order `pending_cancel` for a while
 * (a fill can still arrive) before it is `canceled`. The simulator draws each delay from a range
 * with a seeded PRNG, so a run is repeatable.
 */
import { mulberry32 } from './feeds.js';

/** Milliseconds: one value, or `[min, max]`. */
export type MsRange = number | readonly [number, number];

export interface LatencyOptions {
  /** POST answered → `new` (default 2–10 ms). */
  readonly accept?: MsRange;
  /** `new` → the order may match (default 2–20 ms). */
  readonly fill?: MsRange;
  /** DELETE answered → `canceled` (default 5–30 ms). */
  readonly cancel?: MsRange;
  /** PRNG seed for the draws (default 1). */
  readonly seed?: number;
}

export const DEFAULT_LATENCY = {
  accept: [2, 10],
  fill: [2, 20],
  cancel: [5, 30],
} as const satisfies LatencyOptions;

export interface Latency {
  accept(): number;
  fill(): number;
  cancel(): number;
}

/** `0` (instant, synchronous order life) gives null; anything else a seeded drawer. */
export function buildLatency(opts: LatencyOptions | 0 | undefined): Latency | null {
  if (opts === 0) return null;
  const o = opts ?? {};
  const random = mulberry32(o.seed ?? 1);
  const range = (r: MsRange | undefined, fallback: readonly [number, number]) => {
    const [min, max] = typeof r === 'number' ? [r, r] : (r ?? fallback);
    if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min))
      throw new TypeError(`latency range must be 0 ≤ min ≤ max, got ${JSON.stringify(r)}`);
    return () => Math.round(min + (max - min) * random());
  };
  return {
    accept: range(o.accept, DEFAULT_LATENCY.accept),
    fill: range(o.fill, DEFAULT_LATENCY.fill),
    cancel: range(o.cancel, DEFAULT_LATENCY.cancel),
  };
}
