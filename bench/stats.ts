/** Small measuring helpers shared by the benchmark groups. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One turn of the event loop (the check phase, where marketData flushes). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Polls `done` once per event-loop turn until it holds; throws after `timeoutMs`. */
export async function until(done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

/**
 * RSS and used heap in MB after a full GC. `npm run bench` runs without --expose-gc, so the flag is set at run
 * time and `gc` is taken from a fresh context, where V8 installs it.
 */
export function memoryAfterGc(): { rssMb: number; heapUsedMb: number } {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMb: rss / 1024 / 1024, heapUsedMb: heapUsed / 1024 / 1024 };
}
