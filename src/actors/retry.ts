/** Retries a call with capped exponential backoff until it succeeds or the caller stops. */
export interface RetryOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Checked before every attempt: once true, `retrying` resolves undefined. */
  readonly shouldStop: () => boolean;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function retrying<T>(call: () => Promise<T>, opts: RetryOptions): Promise<T | undefined> {
  let delay = opts.initialMs;
  for (let attempt = 1; ; attempt++) {
    if (opts.shouldStop()) return undefined;
    try {
      return await call();
    } catch (err) {
      if (opts.shouldStop()) return undefined;
      opts.onRetry?.(err, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay = Math.min(delay * 2, opts.maxMs);
    }
  }
}
