import { describe, expect, it } from 'vitest';
import { isPassingFailure, Periodic } from '../../src/actors/caretakers/interval.js';
import { DcaError, ExchangeError } from '../../src/errors.js';
import { logSink } from '../helpers/logSink.js';
import { waitFor } from '../helpers/wait.js';

describe('the caretakers interval', () => {
  it('runs the job every interval with the clock time', async () => {
    const { logger } = logSink();
    const seen: Date[] = [];
    const at = new Date('2026-01-01T00:00:00Z');
    const periodic = new Periodic({
      everyMs: 10,
      now: () => at,
      logger,
      run: async (now) => void seen.push(now),
    });
    periodic.start(() => undefined);
    await waitFor(() => seen.length >= 3, 2_000, 'three runs');
    await periodic.stop();
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 40));
    expect(seen.length).toBe(count);
    expect(seen[0]).toBe(at);
  });

  it('logs a failed exchange call and tries again at the next interval', async () => {
    const { lines, logger } = logSink();
    let runs = 0;
    const crashes: unknown[] = [];
    const periodic = new Periodic({
      everyMs: 10,
      now: () => new Date(),
      logger,
      run: async () => {
        runs++;
        if (runs === 1) throw new ExchangeError('unavailable', 'exchange answered 503');
      },
    });
    periodic.start((err) => crashes.push(err));
    await waitFor(() => runs >= 2, 2_000, 'a second run');
    await periodic.stop();
    expect(crashes).toEqual([]);
    expect(lines.some((l) => l['msg'] === 'caretaker run failed; trying again next interval')).toBe(true);
  });

  it('reports an unexpected error as a crash and stops running', async () => {
    const { logger } = logSink();
    let runs = 0;
    const crashes: unknown[] = [];
    const bug = new TypeError('cannot read properties of undefined');
    const periodic = new Periodic({
      everyMs: 10,
      now: () => new Date(),
      logger,
      run: async () => {
        runs++;
        throw bug;
      },
    });
    periodic.start((err) => crashes.push(err));
    await waitFor(() => crashes.length === 1, 2_000, 'a crash');
    await new Promise((r) => setTimeout(r, 40));
    expect(crashes).toEqual([bug]);
    expect(runs).toBe(1);
    await periodic.stop();
  });

  it('lets a run in progress finish before stop resolves', async () => {
    const { logger } = logSink();
    let finished = false;
    let started = false;
    const periodic = new Periodic({
      everyMs: 5,
      now: () => new Date(),
      logger,
      run: async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
      },
    });
    periodic.start(() => undefined);
    await waitFor(() => started, 2_000, 'a run');
    await periodic.stop();
    expect(finished).toBe(true);
  });

  it('treats exchange failures, retryable errors and a lost database link as passing', () => {
    expect(isPassingFailure(new ExchangeError('auth', 'bad keys'))).toBe(true);
    expect(isPassingFailure(new DcaError('DB_UNAVAILABLE', 'down', { retryable: true }))).toBe(true);
    expect(isPassingFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isPassingFailure(new DcaError('INVARIANT', 'impossible'))).toBe(false);
    expect(isPassingFailure(new RangeError('bug'))).toBe(false);
  });
});
