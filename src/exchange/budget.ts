/**
 * One REST budget for the whole account (Alpaca allows 200 requests/min per key). Every REST call the
 * bot makes — orders, look-ups, positions, account, assets, quotes — takes a token from one bucket
 * first, so no fault anywhere (a refusal loop, a reconnect storm, a caretaker sweep) can send more
 * than the bucket allows.
 *
 * - Rate: `perMinute` tokens a minute (default 180, below Alpaca's 200), at most `burst` (3) at once.
 * - Priority: a waiting cancel or sell goes first, then order look-ups, then other reads, then new
 *   buys. Within a priority, first come first served.
 * - 429: the whole bucket pauses — for `Retry-After` when the server sends it (the SDK also reads
 *   X-RateLimit-Reset), else for an exponential back-off (1 s doubling to 60 s) that resets after
 *   the next answered request. After a pause one request probes; the rest follow at the rate.
 * - A new order waits at most `submitWaitMs` for a token: an order decided on a quote must not
 *   leave minutes later. It is then not sent at all (`unavailable`, `details.notSent`).
 *
 * The SDK's own GET retries are turned off behind the budget (client.ts); GETs are retried here
 * instead, each attempt through the bucket. POSTs and DELETEs are never retried.
 *
 * While a caller waits (for a token, or for a GET's retry) the budget's timer holds the process, as
 * the request it stands for would: a CLI command ends when its calls are answered, not before. With
 * nobody waiting no timer is left, so it never keeps a stopped bot alive.
 */
import { type Logger, pino } from 'pino';
import { ExchangeError } from '../errors.js';
import { isExchangeError } from './errors.js';
import type { Exchange } from './types.js';

export type RestPriority = 'urgent' | 'lookup' | 'read' | 'buy';
const RANK: Record<RestPriority, number> = { urgent: 0, lookup: 1, read: 2, buy: 3 };

export interface RestBudgetOptions {
  /** Tokens per minute. Default 180. */
  readonly perMinute?: number;
  /** Bucket size: requests that may leave back to back. Default 3. */
  readonly burst?: number;
  /** Longest wait for a token before a new order is given up unsent. Default 5 s. */
  readonly submitWaitMs?: number;
  /** First 429 back-off without Retry-After; doubles per 429 up to `backoffMaxMs`. Default 1 s. */
  readonly backoffInitialMs?: number;
  /** Default 60 s. */
  readonly backoffMaxMs?: number;
  /** Retries of a GET that failed `unavailable` (5xx, 429, connection refused). Default 2. */
  readonly getRetries?: number;
  readonly logger?: Logger;
}

export const DEFAULT_REST_PER_MINUTE = 180;
export const DEFAULT_REST_BURST = 3;

interface Waiter {
  readonly rank: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  deadline: NodeJS.Timeout | null;
}

export interface RestBudgetStats {
  /** Tokens handed out (requests sent). */
  readonly sent: number;
  /** 429 answers seen. */
  readonly rateLimited: number;
  /** Requests given up unsent because no token came in time. */
  readonly notSent: number;
  /** Most requests sent within any one second. */
  readonly maxPerSecond: number;
}

export class RestBudget {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #backoffInitialMs: number;
  readonly #backoffMaxMs: number;
  readonly #log: Logger;
  #tokens: number;
  #refilledAt = Date.now();
  #pausedUntil = 0;
  #backoffMs: number;
  #queue: Waiter[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #sentTimes: number[] = [];
  #stats = { sent: 0, rateLimited: 0, notSent: 0, maxPerSecond: 0 };

  constructor(opts: RestBudgetOptions = {}) {
    this.#ratePerMs = (opts.perMinute ?? DEFAULT_REST_PER_MINUTE) / 60_000;
    this.#burst = Math.max(1, opts.burst ?? DEFAULT_REST_BURST);
    this.#backoffInitialMs = opts.backoffInitialMs ?? 1_000;
    this.#backoffMaxMs = opts.backoffMaxMs ?? 60_000;
    this.#backoffMs = this.#backoffInitialMs;
    this.#tokens = this.#burst;
    this.#log = (opts.logger ?? pino({ enabled: false })).child({ component: 'rest-budget' });
  }

  stats(): RestBudgetStats {
    return { ...this.#stats };
  }

  /** Requests that may leave at once now: whole tokens, 0 while a 429 pause lasts. */
  remaining(now = Date.now()): number {
    if (now < this.#pausedUntil) return 0;
    this.#refill(now);
    return Math.floor(this.#tokens);
  }

  /** Milliseconds until the 429 pause ends (0 when not paused). */
  pausedForMs(now = Date.now()): number {
    return Math.max(0, this.#pausedUntil - now);
  }

  /**
   * Resolves when the caller may send one request. With `maxWaitMs`, rejects with a not-sent
   * ExchangeError instead of waiting longer (at once if a 429 pause alone outlasts it).
   */
  acquire(priority: RestPriority, opts: { maxWaitMs?: number; operation?: string } = {}): Promise<void> {
    const operation = opts.operation ?? 'request';
    const maxWaitMs = opts.maxWaitMs;
    if (maxWaitMs !== undefined && this.pausedForMs() > maxWaitMs) {
      return Promise.reject(this.#notSent(operation, `the exchange asked to wait ${this.pausedForMs()} ms`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { rank: RANK[priority], seq: this.#seq++, resolve, reject, deadline: null };
      if (maxWaitMs !== undefined) {
        waiter.deadline = setTimeout(() => {
          this.#queue = this.#queue.filter((w) => w !== waiter);
          if (this.#queue.length === 0 && this.#timer) {
            clearTimeout(this.#timer);
            this.#timer = null;
          }
          reject(this.#notSent(operation, `no request slot within ${maxWaitMs} ms`));
        }, maxWaitMs);
        waiter.deadline.unref();
      }
      // Sorted by (rank, seq): the queue is short (one entry per waiting caller).
      const at = this.#queue.findIndex((w) => w.rank > waiter.rank);
      if (at === -1) this.#queue.push(waiter);
      else this.#queue.splice(at, 0, waiter);
      this.#drain();
    });
  }

  /** A 429: pause everyone for `retryAfterMs`, or for the next exponential back-off step. */
  rateLimited(retryAfterMs: number | undefined): void {
    const now = Date.now();
    this.#stats.rateLimited += 1;
    // 429s from requests already in flight belong to the same episode: they do not double the wait.
    const sameEpisode = now < this.#pausedUntil;
    let delay: number;
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
      delay = Math.min(retryAfterMs, this.#backoffMaxMs);
    } else {
      delay = sameEpisode ? this.#pausedUntil - now : this.#backoffMs;
      if (!sameEpisode) this.#backoffMs = Math.min(this.#backoffMs * 2, this.#backoffMaxMs);
    }
    const until = Math.max(this.#pausedUntil, now + delay);
    if (until > this.#pausedUntil) {
      this.#pausedUntil = until;
      // No tokens gather during the pause: afterwards one request probes, the rest follow at the rate.
      this.#tokens = 1;
      this.#refilledAt = until;
      this.#log.warn({ pauseMs: until - now, retryAfterMs }, 'rate limited (429): REST requests paused');
    }
    this.#drain();
  }

  /**
   * The server answered (anything but a 429). Once answers keep coming for a full back-off period
   * after the pause, the next 429 starts the back-off from the beginning; a 429 sooner than that is
   * the same trouble and waits longer.
   */
  answered(): void {
    if (Date.now() >= this.#pausedUntil + this.#backoffMs) this.#backoffMs = this.#backoffInitialMs;
  }

  #notSent(operation: string, why: string): ExchangeError {
    this.#stats.notSent += 1;
    return new ExchangeError(
      'unavailable',
      `${operation}: not sent, the account's REST budget is exhausted (${why})`,
      {
        details: { operation, notSent: true },
      },
    );
  }

  #refill(now: number): void {
    if (now <= this.#refilledAt) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#refilledAt) * this.#ratePerMs);
    this.#refilledAt = now;
  }

  #drain(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const now = Date.now();
    this.#refill(now);
    while (this.#queue.length > 0 && now >= this.#pausedUntil && this.#tokens >= 1) {
      const waiter = this.#queue.shift()!;
      if (waiter.deadline) clearTimeout(waiter.deadline);
      this.#tokens -= 1;
      this.#recordSend(now);
      waiter.resolve();
    }
    if (this.#queue.length === 0) return;
    const untilToken = Math.ceil((1 - this.#tokens) / this.#ratePerMs);
    const wait = Math.max(this.#pausedUntil - now, untilToken, 1);
    // Ref'd: someone is queued (see the module comment).
    this.#timer = setTimeout(() => this.#drain(), wait);
  }

  #recordSend(now: number): void {
    this.#stats.sent += 1;
    this.#sentTimes.push(now);
    while (this.#sentTimes.length > 0 && this.#sentTimes[0]! <= now - 1_000) this.#sentTimes.shift();
    this.#stats.maxPerSecond = Math.max(this.#stats.maxPerSecond, this.#sentTimes.length);
  }
}

/** The wait a 429 asked for: the SDK reads Retry-After (or X-RateLimit-Reset) into `retryAfterMs`. */
function retryAfterOf(err: ExchangeError): number | undefined {
  const ms = err.details['retryAfterMs'];
  return typeof ms === 'number' ? ms : undefined;
}

/** A GET's back-off before its retry: ref'd, its caller is waiting. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `exchange` with every REST call behind `budget`. Streams pass through: they are websockets, not
 * REST requests.
 */
export function withRestBudget(
  exchange: Exchange,
  budget: RestBudget,
  opts: RestBudgetOptions = {},
): Exchange {
  const getRetries = opts.getRetries ?? 2;
  const submitWaitMs = opts.submitWaitMs ?? 5_000;

  async function call<T>(
    priority: RestPriority,
    method: 'GET' | 'POST' | 'DELETE',
    operation: string,
    request: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await budget.acquire(priority, {
        operation,
        ...(method === 'POST' ? { maxWaitMs: submitWaitMs } : {}),
      });
      try {
        const result = await request();
        budget.answered();
        return result;
      } catch (err) {
        if (isExchangeError(err) && err.status === 429) budget.rateLimited(retryAfterOf(err));
        else if (isExchangeError(err) && err.status !== undefined) budget.answered();
        if (method !== 'GET' || attempt >= getRetries || !isExchangeError(err, 'unavailable')) throw err;
        // A 5xx or a refused connection: a short back-off (a 429's pause is kept by the bucket).
        if (err.status !== 429) await sleep(Math.min(250 * 2 ** attempt, 5_000));
      }
    }
  }

  return {
    getAccount: () => call('read', 'GET', 'get account', () => exchange.getAccount()),
    submitOrder: (intent) =>
      call(intent.side === 'sell' ? 'urgent' : 'buy', 'POST', `submit order ${intent.clientOrderId}`, () =>
        exchange.submitOrder(intent),
      ),
    getOrderByClientId: (id) =>
      call('lookup', 'GET', `get order by client id ${id}`, () => exchange.getOrderByClientId(id)),
    getOrder: (id) => call('lookup', 'GET', `get order ${id}`, () => exchange.getOrder(id)),
    cancelOrder: (id) => call('urgent', 'DELETE', `cancel order ${id}`, () => exchange.cancelOrder(id)),
    listOrders: (query) => call('read', 'GET', 'list orders', () => exchange.listOrders(query)),
    getPosition: (symbol) =>
      call('read', 'GET', `get position ${symbol}`, () => exchange.getPosition(symbol)),
    listPositions: () => call('read', 'GET', 'list positions', () => exchange.listPositions()),
    getAssetRules: (symbol) =>
      call('read', 'GET', `get asset ${symbol}`, () => exchange.getAssetRules(symbol)),
    getLatestQuote: (symbol) =>
      call('read', 'GET', `get latest quote ${symbol}`, () => exchange.getLatestQuote(symbol)),
    getBars: (symbol, query) =>
      call('read', 'GET', `get bars ${symbol}`, () => exchange.getBars(symbol, query)),
    tradeUpdates: (handlers) => exchange.tradeUpdates(handlers),
    quotes: (symbols, handlers) => exchange.quotes(symbols, handlers),
  };
}
