/**
 * Fault injection: every control is a small counter or flag that the server consults at the one
 * point where the fault applies. All faults are off after `reset()`, which leaves the simulator as
 * its options configured it.
 */
import type { DecimalInput } from '../money.js';

export type StreamName = 'trading' | 'data';

export type OrderResponseFault =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hang_up' };

/** What the faults act on; the server supplies it. */
export interface FaultTargets {
  dropStream(stream: StreamName): number;
  setMatchingPaused(paused: boolean): void;
  setPartialFillRatio(ratio: DecimalInput | null): void;
  /** Back to the simulator's configured `partialFillRatio` (an option, not a fault). */
  restorePartialFillRatio(): void;
}

export interface RestFailure {
  readonly status: number;
  readonly retryAfterS?: number;
}

interface Refusal {
  until: number;
  attempts: number;
}

export class SimFaults {
  #restFailures: RestFailure & { count: number } = { count: 0, status: 503 };
  #orderRefusals: RestFailure & { count: number } = { count: 0, status: 429 };
  readonly #orderFaults: OrderResponseFault[] = [];
  readonly #refusals: Record<StreamName, Refusal> = {
    trading: { until: 0, attempts: 0 },
    data: { until: 0, attempts: 0 },
  };
  #duplicates = 0;
  #reorderSize = 0;
  readonly #held: unknown[] = [];
  #heldEmit: ((frame: unknown) => void) | null = null;

  constructor(private readonly targets: FaultTargets) {}

  /**
   * The next `count` trading/data REST calls answer `status` (500, 503, 429, ...) without effect.
   * A 429 is Alpaca's (code 42910000), with a Retry-After header if `retryAfterS` is given.
   */
  failNextRest(count: number, status = 503, opts: { retryAfterS?: number } = {}): void {
    this.#restFailures = {
      count,
      status,
      ...(opts.retryAfterS === undefined ? {} : { retryAfterS: opts.retryAfterS }),
    };
  }

  /**
   * The next `count` order submissions (POST /v2/orders only) answer `status` without creating the
   * order, e.g. 429 with `retryAfterS` while every other call still succeeds.
   */
  refuseNextOrders(count: number, status = 429, opts: { retryAfterS?: number } = {}): void {
    this.#orderRefusals = {
      count,
      status,
      ...(opts.retryAfterS === undefined ? {} : { retryAfterS: opts.retryAfterS }),
    };
  }

  /** The next `count` order submissions are created, but their responses wait `ms` (a client timeout). */
  delayNextOrders(ms: number, count = 1): void {
    for (let i = 0; i < count; i++) this.#orderFaults.push({ kind: 'delay', ms });
  }

  /** The next `count` order submissions are created, then the connection is cut without a response. */
  hangUpNextOrders(count = 1): void {
    for (let i = 0; i < count; i++) this.#orderFaults.push({ kind: 'hang_up' });
  }

  /** Closes every socket of the stream now (clients see an abnormal close); returns how many. */
  dropStream(stream: StreamName): number {
    return this.targets.dropStream(stream);
  }

  /** Refuses new connections to the stream (HTTP 503 on upgrade) for `ms` and/or `attempts`. */
  refuseStream(stream: StreamName, opts: { ms?: number; attempts?: number }): void {
    this.#refusals[stream] = {
      until: opts.ms ? Date.now() + opts.ms : 0,
      attempts: opts.attempts ?? 0,
    };
  }

  /** The next `count` trade updates are each sent twice. */
  duplicateTradeUpdates(count: number): void {
    this.#duplicates = count;
  }

  /** The next `count` trade updates are held, then sent together in reverse order. */
  reorderTradeUpdates(count: number): void {
    this.#flushHeld();
    this.#reorderSize = count;
  }

  /** Orders stay unfilled (quotes still flow) until `releaseOrders()`. */
  holdOrders(): void {
    this.targets.setMatchingPaused(true);
  }

  /** Resumes matching; held orders match against the latest quotes at once. */
  releaseOrders(): void {
    this.targets.setMatchingPaused(false);
  }

  /** Each match fills `ratio` of an order (0 < ratio ≤ 1); null turns partial fills off. */
  setPartialFills(ratio: DecimalInput | null): void {
    this.targets.setPartialFillRatio(ratio);
  }

  reset(): void {
    this.#restFailures = { count: 0, status: 503 };
    this.#orderRefusals = { count: 0, status: 429 };
    this.#orderFaults.length = 0;
    this.#refusals.trading = { until: 0, attempts: 0 };
    this.#refusals.data = { until: 0, attempts: 0 };
    this.#duplicates = 0;
    this.#flushHeld();
    this.#reorderSize = 0;
    this.targets.setMatchingPaused(false);
    this.targets.restorePartialFillRatio();
  }

  // --- consulted by the server ---

  /** @internal How to fail this REST call, or null. */
  takeRestFailure(): RestFailure | null {
    const f = this.#restFailures;
    if (f.count <= 0) return null;
    f.count -= 1;
    return { status: f.status, ...(f.retryAfterS === undefined ? {} : { retryAfterS: f.retryAfterS }) };
  }

  /** @internal How to refuse this order submission before it is created, or null. */
  takeOrderRefusal(): RestFailure | null {
    const f = this.#orderRefusals;
    if (f.count <= 0) return null;
    f.count -= 1;
    return { status: f.status, ...(f.retryAfterS === undefined ? {} : { retryAfterS: f.retryAfterS }) };
  }

  /** @internal How to answer this order submission, or null for normally. */
  takeOrderResponseFault(): OrderResponseFault | null {
    return this.#orderFaults.shift() ?? null;
  }

  /** @internal Whether to refuse this connection attempt. */
  takeStreamRefusal(stream: StreamName): boolean {
    const r = this.#refusals[stream];
    if (r.attempts > 0) {
      r.attempts -= 1;
      return true;
    }
    return r.until > Date.now();
  }

  /** @internal Passes one trade_updates frame through the duplicate/reorder faults. */
  routeTradeUpdate(frame: unknown, emit: (frame: unknown) => void): void {
    const copies = this.#duplicates > 0 ? 2 : 1;
    if (this.#duplicates > 0) this.#duplicates -= 1;
    if (this.#reorderSize > 0) {
      for (let i = 0; i < copies; i++) this.#held.push(frame);
      this.#heldEmit = emit;
      this.#reorderSize -= 1;
      if (this.#reorderSize === 0) this.#flushHeld();
      return;
    }
    for (let i = 0; i < copies; i++) emit(frame);
  }

  #flushHeld(): void {
    const emit = this.#heldEmit;
    const frames = this.#held.splice(0).reverse();
    if (emit) for (const f of frames) emit(f);
  }
}
