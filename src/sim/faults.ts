/**
 * Fault injection: every control is a small counter or flag that the server consults at the one
 * point where the fault applies. All faults are off after `reset()`, which leaves the simulator as
 * its options configured it.
 */
import type { DecimalInput } from '../money.js';
import { normalizeSymbol } from './assets.js';

export type StreamName = 'trading' | 'data';

export type OrderResponseFault =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hang_up' };

/**
 * How a submission whose *creation* is delayed is answered:
 * - `first`: at once, 200 with the order as `pending_new`, though the exchange has no record of it
 *   yet (a GET by client_order_id is 404 until it is created);
 * - `after`: only once the order exists (a slow exchange; past the client timeout, a timeout);
 * - `hang_up`: the connection is cut at once, and the order appears later.
 */
export type CreationAnswer = 'first' | 'after' | 'hang_up';

export interface CreationDelay {
  readonly ms: number;
  readonly answer: CreationAnswer;
}

/** A REST route whose responses are slowed, e.g. `GET /v2/positions/*`. */
export interface PathDelay {
  /** Upper-case method, or null for any. */
  readonly method: string | null;
  /** The path as sent (still percent-encoded); `*` matches any run of characters. */
  readonly pattern: RegExp;
  readonly ms: number;
  /**
   * `after` (default): the answer is computed when the request arrives and delivered `ms` later (a
   * stale read); `before`: the request waits `ms`, then is answered from the state at that time.
   */
  readonly when: 'before' | 'after';
  /** Requests left to delay; Infinity until reset. */
  remaining: number;
}

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
  /** A 429 with no wait hint at all (no Retry-After, no X-RateLimit-*), as a proxy may answer. */
  readonly bare?: boolean;
}

export type RestFailureOptions = Omit<RestFailure, 'status'>;

function failure(status: number, opts: RestFailureOptions): RestFailure {
  return {
    status,
    ...(opts.retryAfterS === undefined ? {} : { retryAfterS: opts.retryAfterS }),
    ...(opts.bare ? { bare: true } : {}),
  };
}

interface Refusal {
  until: number;
  attempts: number;
}

export class SimFaults {
  #restFailures: RestFailure & { count: number } = { count: 0, status: 503 };
  #orderRefusals: RestFailure & { count: number } = { count: 0, status: 429 };
  #orderFailures: { count: number; status: number } = { count: 0, status: 429 };
  readonly #orderFaults: OrderResponseFault[] = [];
  readonly #creationDelays: CreationDelay[] = [];
  readonly #pathDelays: PathDelay[] = [];
  readonly #refusals: Record<StreamName, Refusal> = {
    trading: { until: 0, attempts: 0 },
    data: { until: 0, attempts: 0 },
  };
  readonly #authRefusals: Record<StreamName, number> = { trading: 0, data: 0 };
  #subscriptionRefusals = 0;
  #clockOffsetMs = 0;
  #duplicates = 0;
  readonly #hiddenPositions = new Map<string, number>();
  #reorderSize = 0;
  readonly #held: unknown[] = [];
  #heldEmit: ((frame: unknown) => void) | null = null;

  constructor(private readonly targets: FaultTargets) {}

  /**
   * The next `count` trading/data REST calls answer `status` (500, 503, 429, ...) without effect.
   * A 429 is Alpaca's (code 42910000, the rate-limit headers), with Retry-After if `retryAfterS`.
   */
  failNextRest(count: number, status = 503, opts: RestFailureOptions = {}): void {
    this.#restFailures = { count, ...failure(status, opts) };
  }

  /**
   * The next `count` order submissions (POST /v2/orders only) answer `status` without creating the
   * order, e.g. 429 with `retryAfterS` while every other call still succeeds.
   */
  refuseNextOrders(count: number, status = 429, opts: RestFailureOptions = {}): void {
    this.#orderRefusals = { count, ...failure(status, opts) };
  }

  /**
   * The next `count` order submissions (POST /v2/orders only; every other call is answered) are
   * refused with `status` and nothing is created: 429 (rate limited), 403 or 422.
   */
  failNextOrders(count: number, status = 429): void {
    this.#orderFailures = { count, status };
  }

  /** The next `count` order submissions are created, but their responses wait `ms` (a client timeout). */
  delayNextOrders(ms: number, count = 1): void {
    for (let i = 0; i < count; i++) this.#orderFaults.push({ kind: 'delay', ms });
  }

  /**
   * The next `count` order submissions are validated at once but only *created* `ms` later; see
   * CreationAnswer for how the POST is answered meanwhile. A submission that is no longer valid
   * when its time comes (the cash went elsewhere) is never created.
   */
  delayNextCreations(ms: number, count = 1, answer: CreationAnswer = 'first'): void {
    for (let i = 0; i < count; i++) this.#creationDelays.push({ ms, answer });
  }

  /**
   * Slows every response of one REST route by `ms` (e.g. `delayPath('GET /v2/positions/*', 500)`),
   * for the next `count` matching requests or until reset. The route is `[METHOD ]path`.
   */
  delayPath(route: string, ms: number, opts: { count?: number; when?: 'before' | 'after' } = {}): void {
    const m = /^(?:([A-Za-z]+)\s+)?(\/\S*)$/.exec(route.trim());
    if (!m) throw new TypeError(`route must look like "GET /v2/positions/*", got ${JSON.stringify(route)}`);
    const body = m[2]!
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    this.#pathDelays.push({
      method: m[1] ? m[1].toUpperCase() : null,
      pattern: new RegExp(`^${body}$`),
      ms,
      when: opts.when ?? 'after',
      remaining: opts.count ?? Number.POSITIVE_INFINITY,
    });
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

  /**
   * The next `count` authentications on the stream are refused as if the keys were wrong (data:
   * error 402 "auth failed"; trading: `unauthorized`), though REST still takes the keys: a key
   * without streaming rights, or a stream-side outage of the auth service.
   */
  refuseStreamAuth(stream: StreamName, count = 1): void {
    this.#authRefusals[stream] = count;
  }

  /**
   * The next `count` subscribe requests on the crypto data stream are refused with Alpaca's error
   * 409 "insufficient subscription" (the account's plan does not include the feed), after a
   * successful authentication; nothing is subscribed.
   */
  refuseSubscriptions(count = 1): void {
    this.#subscriptionRefusals = count;
  }

  /**
   * Every REST answer's `Date` header is `ms` ahead of this machine's clock (negative: behind), as
   * from a host whose clock is off; what the engine timestamps is unchanged.
   */
  skewClock(ms: number): void {
    this.#clockOffsetMs = ms;
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

  /**
   * The next `reads` GETs of the symbol's position answer 404 as if there were none, as a read
   * right after a fill can (the position is not visible yet); the position itself is unchanged.
   */
  hidePosition(symbol: string, reads = 1): void {
    this.#hiddenPositions.set(normalizeSymbol(symbol), reads);
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
    this.#orderFailures = { count: 0, status: 429 };
    this.#orderFaults.length = 0;
    this.#creationDelays.length = 0;
    this.#pathDelays.length = 0;
    this.#refusals.trading = { until: 0, attempts: 0 };
    this.#refusals.data = { until: 0, attempts: 0 };
    this.#authRefusals.trading = 0;
    this.#authRefusals.data = 0;
    this.#subscriptionRefusals = 0;
    this.#clockOffsetMs = 0;
    this.#duplicates = 0;
    this.#hiddenPositions.clear();
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
    return failure(f.status, f);
  }

  /** @internal How to refuse this order submission before it is created, or null. */
  takeOrderRefusal(): RestFailure | null {
    const f = this.#orderRefusals;
    if (f.count <= 0) return null;
    f.count -= 1;
    return failure(f.status, f);
  }

  /** @internal Whether this read of the symbol's position answers 404. */
  takeHiddenPosition(symbol: string): boolean {
    const reads = this.#hiddenPositions.get(symbol) ?? 0;
    if (reads <= 0) return false;
    this.#hiddenPositions.set(symbol, reads - 1);
    return true;
  }

  /** @internal A status to refuse this order submission with, or null. */
  takeOrderFailure(): number | null {
    if (this.#orderFailures.count <= 0) return null;
    this.#orderFailures.count -= 1;
    return this.#orderFailures.status;
  }

  /** @internal How to answer this order submission, or null for normally. */
  takeOrderResponseFault(): OrderResponseFault | null {
    return this.#orderFaults.shift() ?? null;
  }

  /** @internal Whether (and how) to delay this submission's creation, or null. */
  takeCreationDelay(): CreationDelay | null {
    return this.#creationDelays.shift() ?? null;
  }

  /** @internal The delay for this REST request (the first matching rule), or null. */
  takePathDelay(method: string, path: string): { ms: number; when: 'before' | 'after' } | null {
    const i = this.#pathDelays.findIndex(
      (d) => (d.method === null || d.method === method) && d.pattern.test(path),
    );
    if (i < 0) return null;
    const d = this.#pathDelays[i]!;
    d.remaining -= 1;
    if (d.remaining <= 0) this.#pathDelays.splice(i, 1);
    return { ms: d.ms, when: d.when };
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

  /** @internal Whether to refuse this authentication on the stream (keys right or not). */
  takeAuthRefusal(stream: StreamName): boolean {
    if (this.#authRefusals[stream] <= 0) return false;
    this.#authRefusals[stream] -= 1;
    return true;
  }

  /** @internal Whether to refuse this data-stream subscribe request. */
  takeSubscriptionRefusal(): boolean {
    if (this.#subscriptionRefusals <= 0) return false;
    this.#subscriptionRefusals -= 1;
    return true;
  }

  /** @internal The offset of the `Date` header from this machine's clock (ms). */
  get clockOffsetMs(): number {
    return this.#clockOffsetMs;
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
