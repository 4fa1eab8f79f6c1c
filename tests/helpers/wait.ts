/**
 * The one way tests wait: poll a condition on a short interval until it holds, with a deadline and a
 * message naming what never happened. No fixed sleep decides whether a test passes.
 */

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly what?: string;
}

/** Polls `probe` until `accept` holds for its value; returns that value. */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  opts: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'a condition'}; last value: ${show(last)}`);
    }
    await pause(opts.intervalMs ?? 50);
  }
}

/** Resolves when `predicate` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 3_000,
  what = 'condition',
): Promise<void> {
  await waitUntil(predicate, Boolean, { timeoutMs, intervalMs: 5, what });
}

/** Lets time pass (load, a stream's traffic) where nothing can be polled; never a pass/fail decision. */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function show(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
