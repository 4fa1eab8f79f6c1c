/**
 * Seeded synthetic bars shaped like a crypto pair's 1-minute history: a geometric random walk whose
 * volatility itself wanders (calm weeks, violent days) with slow trend regimes, wicks beyond open and
 * close, prices on a cent grid. For benchmarks, sweeps and tests when no recorded bars are at hand.
 */
import { gaussian, mulberry32 } from '../sim/feeds.js';
import { type Bars, emptyBars } from './bars.js';

export interface SyntheticOptions {
  readonly symbol?: string;
  readonly start?: Date;
  readonly count: number;
  readonly timeframeMs?: number;
  readonly startPrice?: number;
  /** Annualised volatility around which the regime wanders (default 0.6, about BTC's). */
  readonly annualVol?: number;
  readonly seed?: number;
  /** Price grid (default 0.01). */
  readonly tick?: number;
}

const MINUTES_PER_YEAR = 525_600;

export function syntheticBars(opts: SyntheticOptions): Bars {
  const n = opts.count;
  const tf = opts.timeframeMs ?? 60_000;
  const random = mulberry32(opts.seed ?? 7);
  const tick = opts.tick ?? 0.01;
  const perBar = (opts.annualVol ?? 0.6) / Math.sqrt((MINUTES_PER_YEAR * 60_000) / tf);
  const bars = emptyBars(opts.symbol ?? 'BTC/USD', tf, n);
  const t0 = (opts.start ?? new Date('2025-01-01T00:00:00Z')).getTime();
  const places = Math.max(0, Math.round(-Math.log10(tick)));
  // Through toFixed, so a price prints as the exchange would send it (60011.67, not 60011.670000000006).
  const round = (x: number) => Math.max(tick, Number((Math.round(x / tick) * tick).toFixed(places)));
  let price = opts.startPrice ?? 60_000;
  let logVol = 0;
  let drift = 0;
  for (let i = 0; i < n; i++) {
    // Volatility regime: a mean-reverting walk in log space; trend: a slowly changing drift.
    logVol += -0.001 * logVol + 0.02 * gaussian(random);
    if (i % 1440 === 0) drift = 0.01 * perBar * gaussian(random);
    const vol = perBar * Math.exp(logVol);
    const open = round(price);
    price = price * Math.exp(drift + vol * gaussian(random));
    const close = round(price);
    const wickUp = Math.abs(gaussian(random)) * vol * 0.6;
    const wickDown = Math.abs(gaussian(random)) * vol * 0.6;
    bars.t[i] = t0 + i * tf;
    bars.o[i] = open;
    bars.c[i] = close;
    bars.h[i] = round(Math.max(open, close) * (1 + wickUp));
    bars.l[i] = round(Math.min(open, close) * (1 - wickDown));
    bars.v[i] = Math.round(Math.abs(gaussian(random)) * 2_000_000) / 1_000_000;
  }
  return bars;
}
