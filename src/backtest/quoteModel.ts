/**
 * The bar → quote model (documented in the README's Backtesting section, deterministic):
 *
 * - each bar becomes four prices in time order: open → low → high → close when close ≥ open, else
 *   open → high → low → close (the path that visits the nearer extreme first is not knowable from a
 *   bar; this one is the common convention);
 * - the k-th price is quoted at bar open + k × timeframe / 4;
 * - around each price p the quote is bid = p × (1 − spread/2) rounded down and ask = p × (1 + spread/2)
 *   rounded up to the pair's price increment (`spreadBps` is the full spread in basis points).
 *
 * Exact quotes are Decimals (what the machine decides on); `askFactor`/`bidFactor` give the double
 * estimates the engine uses only to skip quotes that cannot trigger anything (engine.ts).
 */
import { Decimal, roundDownTo, roundUpTo } from '../money.js';
import type { Bars } from './bars.js';

export interface QuotePoint {
  readonly bid: Decimal;
  readonly ask: Decimal;
  readonly at: Date;
}

export class QuoteModel {
  /** mid × this ≈ the ask before rounding up (an under-estimate of the exact ask). */
  readonly askFactor: number;
  /** mid × this ≈ the bid before rounding down (an over-estimate of the exact bid). */
  readonly bidFactor: number;
  private readonly askMul: Decimal;
  private readonly bidMul: Decimal;

  constructor(
    readonly spreadBps: number,
    private readonly priceIncrement: Decimal,
  ) {
    const half = new Decimal(spreadBps).div(20_000);
    this.askMul = half.plus(1);
    this.bidMul = new Decimal(1).minus(half);
    this.askFactor = this.askMul.toNumber();
    this.bidFactor = this.bidMul.toNumber();
  }

  /** The k-th (0…3) price of bar i along the documented path. */
  static price(bars: Bars, i: number, k: number): number {
    if (k === 0) return bars.o[i]!;
    if (k === 3) return bars.c[i]!;
    const up = bars.c[i]! >= bars.o[i]!;
    return (k === 1) === up ? bars.l[i]! : bars.h[i]!;
  }

  static time(bars: Bars, i: number, k: number): number {
    return bars.t[i]! + (k * bars.timeframeMs) / 4;
  }

  /** The exact quote at price `mid` and time `atMs`. */
  quoteAt(mid: number, atMs: number): QuotePoint {
    const p = new Decimal(mid);
    return {
      bid: roundDownTo(p.mul(this.bidMul), this.priceIncrement),
      ask: roundUpTo(p.mul(this.askMul), this.priceIncrement),
      at: new Date(atMs),
    };
  }

  /** The four quotes of bar i, in order (the naive replay and the parity test use these). */
  barQuotes(bars: Bars, i: number): QuotePoint[] {
    return [0, 1, 2, 3].map((k) => this.quoteAt(QuoteModel.price(bars, i, k), QuoteModel.time(bars, i, k)));
  }
}
