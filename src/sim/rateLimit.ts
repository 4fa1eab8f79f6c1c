/**
 * Alpaca's REST rate limit: a budget of requests per minute per API key (200 by default), with
 * `X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch seconds) on every response, and 429
 * `{"code":42910000}` once the budget is spent. A fixed one-minute window per key, started by the
 * key's first request in it.
 */
import { SimApiError } from './errors.js';

export interface RateLimitState {
  readonly allowed: boolean;
  readonly headers: Record<string, string>;
}

export class RateLimiter {
  readonly #windows = new Map<string, { start: number; used: number }>();
  /** Requests counted since start, per key (the REST budget a client used). */
  readonly #totals = new Map<string, number>();

  constructor(
    /** Requests per window; 0 turns limiting off (the headers still say 0 remaining of 0). */
    private readonly limit: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {}

  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Counts one request of `key` and says whether it is within the budget. */
  take(key: string): RateLimitState {
    const now = this.now();
    let w = this.#windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, used: 0 };
      this.#windows.set(key, w);
    }
    w.used += 1;
    this.#totals.set(key, (this.#totals.get(key) ?? 0) + 1);
    const allowed = !this.enabled || w.used <= this.limit;
    return { allowed, headers: this.#headers(w, allowed ? this.limit - w.used : 0) };
  }

  /** Requests of `key` since start (keys are `trading:<key id>` and `data:<key id>`). */
  total(key: string): number {
    return this.#totals.get(key) ?? 0;
  }

  #headers(w: { start: number }, remaining: number): Record<string, string> {
    return {
      'X-RateLimit-Limit': String(this.limit),
      'X-RateLimit-Remaining': String(Math.max(0, remaining)),
      'X-RateLimit-Reset': String(Math.ceil((w.start + this.windowMs) / 1000)),
    };
  }
}

/** The 429 Alpaca answers with; `retryAfterS` adds a Retry-After header (seconds). */
export function rateLimited(headers: Record<string, string>, retryAfterS?: number): SimApiError {
  return new SimApiError(
    429,
    42910000,
    'rate limit exceeded',
    {},
    {
      ...headers,
      'X-RateLimit-Remaining': '0',
      ...(retryAfterS === undefined ? {} : { 'Retry-After': String(retryAfterS) }),
    },
  );
}

/** A 429 without any wait hint: the rate-limit headers already set on `res` are taken off again. */
export function bareRateLimited(res: { removeHeader(name: string): void }): SimApiError {
  for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'])
    res.removeHeader(name);
  return new SimApiError(429, 42910000, 'rate limit exceeded');
}
