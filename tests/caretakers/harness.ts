/**
 * The caretakers' fixture (tests/helpers/fixture.ts) with caretaker timers an hour apart, so only the
 * test's own `runOnce(now)` calls act; log lines are collected so a test can look for an alert.
 */
import type { CycleStatus } from '../../src/domain.js';
import { getLatestCycle } from '../../src/store/cycles.js';
import type { Queryable } from '../../src/store/db.js';
import { type Fixture, type FixtureOptions, startFixture } from '../helpers/fixture.js';

export type Harness = Fixture;

export interface HarnessOptions extends Pick<FixtureOptions, 'setup' | 'symbols' | 'env'> {
  /** Asset actor TICK period; an hour by default so time moves only when a test says so. */
  readonly tickMs?: number;
}

const HOUR_SECONDS = '3600';

export function startHarness(opts: HarnessOptions): Promise<Harness> {
  return startFixture({
    ...opts,
    env: {
      ASSET_POLL_SECONDS: HOUR_SECONDS,
      ORDER_MANAGER_INTERVAL_SECONDS: HOUR_SECONDS,
      CONSISTENCY_INTERVAL_SECONDS: HOUR_SECONDS,
      ORDER_STALE_SECONDS: '300',
      ...opts.env,
    },
    logLevel: 'debug',
    requestTimeoutMs: 3_000,
    tickMs: opts.tickMs ?? 3_600_000,
  });
}

export async function latestStatus(db: Queryable, assetId: number): Promise<CycleStatus | undefined> {
  return (await getLatestCycle(db, assetId))?.status;
}

export const minutesFromNow = (minutes: number): Date => new Date(Date.now() + minutes * 60_000);
