/**
 * Price feeds. Each is a `Feed` whose `step()` publishes the next quote(s) through the same publish
 * path as the control API (so quotes reach the streams and the matching engine alike); `runFeed`
 * steps one on a timer. Prices are Decimal, rounded to each asset's price increment.
 */
import { readFileSync } from 'node:fs';
import { type Decimal, type DecimalInput, dec, ONE, roundDownTo, roundUpTo } from '../money.js';

export type QuotePublisher = (symbol: string, bid: Decimal, ask: Decimal) => void;
/** The price increment of a symbol (for rounding generated prices). */
export type IncrementOf = (symbol: string) => Decimal;

export interface Feed {
  /** Publishes the next step; false when the feed is exhausted. */
  step(): boolean;
}

export type PriceStep =
  | { readonly bid: DecimalInput; readonly ask: DecimalInput }
  | { readonly mid: DecimalInput; readonly spread: DecimalInput };

/** Steps through a fixed path of `{bid, ask}` or `{mid, spread}` (absolute spread) quotes. */
export function scriptedFeed(symbol: string, steps: readonly PriceStep[], publish: QuotePublisher): Feed {
  let i = 0;
  return {
    step() {
      const s = steps[i++];
      if (!s) return false;
      if ('bid' in s) publish(symbol, dec(s.bid, 'bid'), dec(s.ask, 'ask'));
      else {
        const half = dec(s.spread, 'spread').div(2);
        const mid = dec(s.mid, 'mid');
        publish(symbol, mid.minus(half), mid.plus(half));
      }
      return i < steps.length;
    },
  };
}

export interface RandomWalkOptions {
  /** Start mid price per symbol, e.g. `{ 'BTC/USD': '60000' }`. */
  readonly start: Readonly<Record<string, DecimalInput>>;
  readonly seed?: number;
  /** Drift per step (GBM μ·dt), default 0. */
  readonly drift?: number;
  /** Volatility per step (GBM σ·√dt), default 0.001 (0.1% a step). */
  readonly volatility?: number;
  /** Full spread in basis points of the mid, default 10. */
  readonly spreadBps?: number;
  /** Timer interval when run by `startRandomWalk`, default 250 ms. */
  readonly intervalMs?: number;
}

/** Geometric Brownian motion from a seeded PRNG: the same seed gives the same path. */
export function randomWalkFeed(
  opts: RandomWalkOptions,
  publish: QuotePublisher,
  incrementOf: IncrementOf,
): Feed {
  const random = mulberry32(opts.seed ?? 1);
  const drift = opts.drift ?? 0;
  const vol = opts.volatility ?? 0.001;
  // Increments are looked up once, here: an unknown symbol fails the caller now, not a timer later.
  const walks = Object.entries(opts.start).map(([symbol, p]) => ({
    symbol,
    mid: dec(p, `start price of ${symbol}`),
    increment: incrementOf(symbol),
  }));
  const spread = dec(opts.spreadBps ?? 10).div(10000);
  return {
    step() {
      for (const w of walks) {
        const z = gaussian(random);
        w.mid = w.mid.mul(dec(drift - (vol * vol) / 2 + vol * z).exp());
        publishAround(w.symbol, w.mid, spread, publish, w.increment);
      }
      return true;
    },
  };
}

export interface CsvFeedOptions {
  /** Symbol for rows without a `symbol` column. */
  readonly symbol?: string;
  /** Spread around a bar's close, in basis points (bars only), default 10. */
  readonly spreadBps?: number;
}

/**
 * Replays quotes (`bid,ask` columns) or bars (`close` column, quoted around it) from CSV text or a
 * file path, one row per step. A header row is required; a `symbol` column makes it multi-symbol.
 */
export function csvFeed(
  source: string,
  opts: CsvFeedOptions,
  publish: QuotePublisher,
  incrementOf: IncrementOf,
): Feed {
  const text = source.includes('\n') ? source : readFileSync(source, 'utf8');
  const [header, ...rows] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const cols = (header ?? '').split(',').map((c) => c.trim().toLowerCase());
  const at = (name: string) => cols.indexOf(name);
  const [iBid, iAsk, iClose, iSymbol] = [at('bid'), at('ask'), at('close'), at('symbol')];
  if (!(iBid >= 0 && iAsk >= 0) && iClose < 0) throw new TypeError('CSV feed needs bid,ask or close columns');
  const spread = dec(opts.spreadBps ?? 10).div(10000);
  let i = 0;
  return {
    step() {
      const row = rows[i++];
      if (row === undefined) return false;
      const cells = row.split(',').map((c) => c.trim());
      const symbol = (iSymbol >= 0 ? cells[iSymbol] : opts.symbol) ?? '';
      if (!symbol) throw new TypeError(`CSV row ${i}: no symbol (add a symbol column or pass one)`);
      if (iBid >= 0 && iAsk >= 0) {
        publish(symbol, dec(cells[iBid] ?? '', `row ${i} bid`), dec(cells[iAsk] ?? '', `row ${i} ask`));
      } else {
        publishAround(
          symbol,
          dec(cells[iClose] ?? '', `row ${i} close`),
          spread,
          publish,
          incrementOf(symbol),
        );
      }
      return i < rows.length;
    },
  };
}

/** Steps `feed` every `intervalMs` until it is exhausted or the returned stop is called. */
export function runFeed(feed: Feed, intervalMs: number): () => void {
  const timer = setInterval(
    () => {
      if (!feed.step()) clearInterval(timer);
    },
    Math.max(1, intervalMs),
  );
  timer.unref();
  return () => clearInterval(timer);
}

function publishAround(symbol: string, mid: Decimal, spread: Decimal, publish: QuotePublisher, inc: Decimal) {
  const half = spread.div(2);
  const bid = roundDownTo(mid.mul(ONE.minus(half)), inc);
  let ask = roundUpTo(mid.mul(ONE.plus(half)), inc);
  if (ask.lte(bid)) ask = bid.plus(inc);
  publish(symbol, bid, ask);
}

/** A small, fast, seedable PRNG (public-domain mulberry32); returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal variate (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
