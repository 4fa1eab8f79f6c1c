/**
 * The plausibility band of one symbol's quotes. Real feeds glitch (an ask of 2e-300, a bid of 1e9);
 * an order sized from such a quote risks the whole account. A quote is plausible when both sides lie
 * within `bandPercent` of a robust reference: the median of the mid prices sampled (at most once per
 * `sampleMs`) from recently accepted quotes, so a single wild quote can never move it.
 *
 * A jump beyond the band is either a glitch or a real move. The band cannot tell, so it asks for a
 * witness: once the jump has persisted (CONFIRM_QUOTES consecutive quotes over `confirmMs`) the
 * market-data actor asks REST for its latest quote, and only a REST quote agreeing with the stream
 * re-bases the reference. A real crash is followed a few seconds late; a glitch that REST does not
 * share is never followed. With no reference yet (start-up, a new symbol) or one older than
 * `maxAgeMs` (a long gap in the feed), quotes are held until REST agrees with them.
 *
 * This file is pure (no I/O, the clock comes in as `now`): the actor does the REST call and reports
 * the answer with `confirmed`. Hot path: the stream's quotes are numbers (QuoteTick), and an in-band
 * one costs two number comparisons against bounds drawn a safe margin inside the band (money.ts, `safelyAbove`)
 * and, at most once per `sampleMs`, one sample. A quote near or beyond a bound is decided by the
 * exact Decimal comparison, so the verdict is the one the Decimals would give. Quotes with Decimal
 * sides (REST's) take the Decimal comparison directly (four, allocating nothing: compare.ts).
 */
import type { Quote } from '../domain.js';
import type { QuoteTick } from '../exchange/types.js';
import { type Decimal, dec, HUNDRED, ONE, safelyAbove, safelyBelow, ZERO } from '../money.js';
import { compare } from './compare.js';

/** Quote sides as Decimals (REST, tests) or as the stream's numbers. */
export type Priced = Pick<Quote, 'bid' | 'ask'> | Pick<QuoteTick, 'bid' | 'ask'>;

function sides(q: Priced): { bid: Decimal; ask: Decimal } {
  return typeof q.bid === 'number'
    ? { bid: dec(q.bid, 'quote.bp'), ask: dec(q.ask as number, 'quote.ap') }
    : (q as Pick<Quote, 'bid' | 'ask'>);
}

/** Out-of-band quotes in a row before REST is asked whether the jump is real. */
export const CONFIRM_QUOTES = 3;

export interface QuoteBandOptions {
  /** Width of the band either side of the reference, in percent (10 = ±10 %). */
  readonly bandPercent: Decimal;
  /** How long a jump must persist before REST is asked; also the least time between two asks. */
  readonly confirmMs: number;
  /** A reference not refreshed by an accepted quote for this long is no reference. */
  readonly maxAgeMs: number;
  /** Least time between two samples of the reference (default 1 s). */
  readonly sampleMs?: number;
  /** Samples the median is taken over (default 31: about half a minute of a busy feed). */
  readonly window?: number;
}

/**
 * `accept`: in band. `recovered`: in band after an out-of-band episode (which is now over).
 * `reject`: outside the band of a live reference. `hold`: no live reference; REST must agree first.
 * `invalid`: non-positive or crossed; never a price.
 */
export type QuoteVerdict = 'accept' | 'recovered' | 'reject' | 'hold' | 'invalid';

/**
 * What REST's answer meant. `rebased`: REST agrees with the stream; the reference follows it and
 * `deliver` is the newest stream quote, now plausible. `confirmed-reference`: REST agrees with the
 * reference, not the stream: a glitch. `unconfirmed`: no usable answer, or it agrees with neither.
 * `settled`: quotes came back into the band while REST was asked; nothing to decide.
 */
export type Confirmation<Q = Quote> =
  | { readonly kind: 'settled' }
  | {
      readonly kind: 'rebased';
      readonly from: Decimal | null;
      readonly to: Decimal;
      readonly deliver: Q | null;
    }
  | { readonly kind: 'confirmed-reference'; readonly reference: Decimal }
  | { readonly kind: 'unconfirmed'; readonly reason: string };

/**
 * Positive on both sides and not crossed. Allocates nothing (see compare.ts). For numbers this is
 * exactly the Decimals' answer: a double and its shortest round-trip decimal have the same sign, and
 * that decimal is strictly monotonic in the double.
 */
export function isSaneQuote(q: Priced): boolean {
  if (typeof q.bid === 'number') {
    const ask = q.ask as number;
    return Number.isFinite(q.bid) && Number.isFinite(ask) && q.bid > 0 && q.bid <= ask;
  }
  const { bid, ask } = q as Pick<Quote, 'bid' | 'ask'>;
  return bid.isFinite() && ask.isFinite() && compare(bid, ZERO) > 0 && compare(bid, ask) <= 0;
}

/** True when both sides of `q` lie within `fraction` of `reference`. */
export function quoteWithin(q: Priced, reference: Decimal, fraction: Decimal): boolean {
  const { bid, ask } = sides(q);
  return ask.lte(reference.mul(ONE.plus(fraction))) && bid.gte(reference.mul(ONE.minus(fraction)));
}

/** `Q`: the quote type this band is fed (the stream's QuoteTick; Decimal Quotes in tests). */
export class QuoteBand<Q extends Priced = Quote> {
  private readonly fraction: Decimal;
  private readonly sampleMs: number;
  private readonly samples: Decimal[];
  private readonly scratch: Decimal[];
  private count = 0;
  private head = 0;
  private ref: Decimal | null = null;
  private lo: Decimal | null = null;
  private hi: Decimal | null = null;
  /** Numbers safely inside [lo, hi]: a number quote between them is in band without a Decimal. */
  private loIn = Number.POSITIVE_INFINITY;
  private hiIn = Number.NEGATIVE_INFINITY;
  private lastAcceptedAt = 0;
  private sampledAt = 0;
  /** The current episode of quotes not accepted: how many, since when, the newest of them. */
  private outCount = 0;
  private outSince = 0;
  private newestOut: Q | null = null;
  private asking = false;
  private askedAt = Number.NEGATIVE_INFINITY;
  /** Set by the actor once it has alerted about the current episode (one alert per episode). */
  alerted = false;
  /** Quotes not accepted since the band was made. */
  rejected = 0;

  constructor(private readonly opts: QuoteBandOptions) {
    this.fraction = opts.bandPercent.div(HUNDRED);
    this.sampleMs = opts.sampleMs ?? 1_000;
    this.samples = new Array<Decimal>(opts.window ?? 31);
    this.scratch = new Array<Decimal>(opts.window ?? 31);
  }

  /** The live reference price, or null when there is none (or it is older than maxAgeMs). */
  reference(now: number): Decimal | null {
    return this.ref !== null && now - this.lastAcceptedAt <= this.opts.maxAgeMs ? this.ref : null;
  }

  /** Quotes not accepted in the current episode (0: none). */
  get episodeLength(): number {
    return this.outCount;
  }

  check(q: Q, now: number): QuoteVerdict {
    if (!isSaneQuote(q)) return 'invalid';
    const live = this.lo !== null && now - this.lastAcceptedAt <= this.opts.maxAgeMs;
    if (live && this.inBand(q)) {
      this.lastAcceptedAt = now;
      if (now - this.sampledAt >= this.sampleMs) this.sample(q, now);
      if (this.outCount === 0) return 'accept';
      this.endEpisode();
      return 'recovered';
    }
    this.rejected++;
    if (this.outCount === 0) this.outSince = now;
    this.outCount++;
    this.newestOut = q;
    return live ? 'reject' : 'hold';
  }

  /**
   * Whether the actor should ask REST now: at once when there is no live reference, else once the
   * jump has lasted CONFIRM_QUOTES quotes and confirmMs; never while an ask is out, and at most once
   * per confirmMs.
   */
  wantsConfirmation(now: number): boolean {
    if (this.asking || this.outCount === 0 || now - this.askedAt < this.opts.confirmMs) return false;
    if (this.reference(now) === null) return true;
    return this.outCount >= CONFIRM_QUOTES && now - this.outSince >= this.opts.confirmMs;
  }

  /** The actor is asking REST now. */
  asked(now: number): void {
    this.asking = true;
    this.askedAt = now;
  }

  /** In [lo, hi] on both sides; number quotes near a bound (or beyond it) take the exact comparison. */
  private inBand(q: Q): boolean {
    if (typeof q.bid === 'number' && q.bid >= this.loIn && (q.ask as number) <= this.hiIn) return true;
    const { bid, ask } = sides(q);
    return compare(ask, this.hi as Decimal) <= 0 && compare(bid, this.lo as Decimal) >= 0;
  }

  /** REST's latest quote (null: none, or the call failed). */
  confirmed(rest: Quote | null, now: number): Confirmation<Q> {
    this.asking = false;
    if (this.outCount === 0) return { kind: 'settled' };
    if (rest === null || !isSaneQuote(rest))
      return { kind: 'unconfirmed', reason: 'REST has no usable quote' };
    const restMid = rest.bid.plus(rest.ask).div(2);
    const candidate = this.newestOut;
    if (candidate !== null && quoteWithin(candidate, restMid, this.fraction)) {
      const from = this.ref;
      this.rebase(restMid, now);
      this.endEpisode();
      return { kind: 'rebased', from, to: restMid, deliver: candidate };
    }
    const ref = this.ref;
    if (ref !== null && quoteWithin(rest, ref, this.fraction)) {
      // REST vouches for the reference: it stays (and counts as fresh); the stream is the odd one out.
      this.lastAcceptedAt = now;
      return { kind: 'confirmed-reference', reference: ref };
    }
    return {
      kind: 'unconfirmed',
      reason: `REST's quote (mid ${restMid.toFixed()}) agrees with no stream quote`,
    };
  }

  private endEpisode(): void {
    this.outCount = 0;
    this.newestOut = null;
    this.alerted = false;
  }

  /** Starts the reference afresh at `price` (REST's word), dropping older samples. */
  private rebase(price: Decimal, now: number): void {
    this.count = 0;
    this.head = 0;
    this.push(price);
    this.lastAcceptedAt = now;
    this.sampledAt = now;
  }

  private sample(q: Q, now: number): void {
    this.sampledAt = now;
    const { bid, ask } = sides(q);
    this.push(bid.plus(ask).div(2));
  }

  private push(mid: Decimal): void {
    const size = this.samples.length;
    this.samples[this.head] = mid;
    this.head = (this.head + 1) % size;
    if (this.count < size) this.count++;
    this.ref = this.median();
    this.lo = this.ref.mul(ONE.minus(this.fraction));
    this.hi = this.ref.mul(ONE.plus(this.fraction));
    this.loIn = safelyAbove(this.lo);
    this.hiIn = safelyBelow(this.hi);
  }

  /** Insertion sort into a preallocated scratch array: the window is small and this runs rarely. */
  private median(): Decimal {
    const n = this.count;
    const s = this.scratch;
    for (let i = 0; i < n; i++) {
      const v = this.samples[i] as Decimal;
      let j = i - 1;
      while (j >= 0 && compare(s[j] as Decimal, v) > 0) {
        s[j + 1] = s[j] as Decimal;
        j--;
      }
      s[j + 1] = v;
    }
    return s[(n - 1) >> 1] as Decimal;
  }
}
