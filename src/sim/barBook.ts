/**
 * The simulator's bar history: every published quote's mid price folded into 1-minute bars per
 * symbol (so any feed — random walk, CSV replay, the control API — leaves bars behind), plus bars
 * loaded as history. Served by data REST as Alpaca's `/v1beta3/crypto/us/bars`.
 */
import type { SimQuote } from './types.js';

export interface SimBar {
  /** Bar open, epoch ms. */
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
}

const MINUTE = 60_000;

export class BarBook {
  readonly #bars = new Map<string, Map<number, SimBar>>();
  readonly #sorted = new Map<string, SimBar[]>();

  record(quote: SimQuote): void {
    const mid = quote.bid.plus(quote.ask).div(2).toNumber();
    const t = Math.floor(quote.at.getTime() / MINUTE) * MINUTE;
    const book = this.#book(quote.symbol);
    const bar = book.get(t);
    if (bar === undefined) {
      book.set(t, { t, o: mid, h: mid, l: mid, c: mid, v: 0, n: 1 });
      this.#sorted.delete(quote.symbol);
      return;
    }
    bar.h = Math.max(bar.h, mid);
    bar.l = Math.min(bar.l, mid);
    bar.c = mid;
    bar.n += 1;
  }

  /** History as given (1-minute bars); a loaded bar replaces a recorded one at the same minute. */
  load(symbol: string, bars: readonly SimBar[]): void {
    const book = this.#book(symbol);
    for (const b of bars) book.set(Math.floor(b.t / MINUTE) * MINUTE, { ...b });
    this.#sorted.delete(symbol);
  }

  /** 1-minute bars of `symbol` with start ≤ t < end, in time order. */
  minutes(symbol: string, start: number, end: number): SimBar[] {
    let sorted = this.#sorted.get(symbol);
    if (sorted === undefined) {
      sorted = [...(this.#bars.get(symbol)?.values() ?? [])].sort((a, b) => a.t - b.t);
      this.#sorted.set(symbol, sorted);
    }
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.t < start) lo = mid + 1;
      else hi = mid;
    }
    const out: SimBar[] = [];
    for (let i = lo; i < sorted.length && sorted[i]!.t < end; i++) out.push(sorted[i]!);
    return out;
  }

  /** Bars of `frameMs` (a whole number of minutes) aggregated from the minutes, aligned to the epoch. */
  bars(symbol: string, frameMs: number, start: number, end: number): SimBar[] {
    const minutes = this.minutes(symbol, Math.floor(start / frameMs) * frameMs, end);
    if (frameMs === MINUTE) return minutes.filter((b) => b.t >= start);
    const out: SimBar[] = [];
    for (const m of minutes) {
      const t = Math.floor(m.t / frameMs) * frameMs;
      const last = out[out.length - 1];
      if (last?.t === t) {
        last.h = Math.max(last.h, m.h);
        last.l = Math.min(last.l, m.l);
        last.c = m.c;
        last.v += m.v;
        last.n += m.n;
      } else out.push({ ...m, t });
    }
    return out.filter((b) => b.t >= start);
  }

  #book(symbol: string): Map<number, SimBar> {
    let book = this.#bars.get(symbol);
    if (book === undefined) {
      book = new Map();
      this.#bars.set(symbol, book);
    }
    return book;
  }
}
