/**
 * The whole process tree in-process (`startBot`) against the simulator through the real exchange
 * adapter and a throwaway MariaDB database. Caretaker timers are set an hour apart so only the
 * test's own `runOnce(now)` calls act; log lines are collected so a test can look for an alert.
 */
import { type Bot, startBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { CycleStatus } from '../../src/domain.js';
import { createAlpacaExchange } from '../../src/exchange/alpaca.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { getLatestCycle } from '../../src/store/cycles.js';
import type { Pool, Queryable } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { botEnv } from '../helpers/env.js';
import { type LogLine, logSink } from '../helpers/logSink.js';
import { waitFor } from '../helpers/wait.js';

export interface Harness {
  readonly db: TestDatabase;
  readonly sim: Simulator;
  readonly bot: Bot;
  readonly lines: LogLine[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Rows (assets, cycles) and simulator state that must exist before the bot starts. */
  readonly setup?: (pool: Pool, sim: Simulator) => Promise<void>;
  /** Symbols whose asset actors must be running before the harness is handed back. */
  readonly symbols: readonly string[];
  /** Asset actor TICK period; an hour by default so time moves only when a test says so. */
  readonly tickMs?: number;
  /** More environment, e.g. ALERT_EMAIL_* to mail alerts. */
  readonly env?: Readonly<Record<string, string>>;
}

const HOUR_SECONDS = '3600';

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const db = await createTestDatabase();
  const sim = await startSimulator();
  await opts.setup?.(db.pool, sim);
  const e = sim.endpoints;
  const config = loadConfig({
    ...botEnv(e, db.cfg),
    ASSET_POLL_SECONDS: HOUR_SECONDS,
    ORDER_MANAGER_INTERVAL_SECONDS: HOUR_SECONDS,
    COOLDOWN_CHECK_INTERVAL_SECONDS: HOUR_SECONDS,
    CONSISTENCY_INTERVAL_SECONDS: HOUR_SECONDS,
    ORDER_STALE_SECONDS: '300',
    ...opts.env,
  });
  const { lines, logger } = logSink();
  const exchange = createAlpacaExchange(e, { requestTimeoutMs: 3_000 });
  const bot = await startBot({ config, logger, pool: db.pool, exchange, tickMs: opts.tickMs ?? 3_600_000 });
  await waitFor(() => opts.symbols.every((s) => bot.registry.get(s)), 10_000, 'asset actors');
  await waitFor(() => tradeStreamUp(lines), 10_000, 'trade updates');
  return {
    db,
    sim,
    bot,
    lines,
    async close() {
      await bot.stop('test over');
      await sim.close();
      await db.drop();
    },
  };
}

function tradeStreamUp(lines: readonly Record<string, unknown>[]): boolean {
  return lines.some((l) => l['msg'] === 'trade updates connected');
}

export async function latestStatus(db: Queryable, assetId: number): Promise<CycleStatus | undefined> {
  return (await getLatestCycle(db, assetId))?.status;
}

export const minutesFromNow = (minutes: number): Date => new Date(Date.now() + minutes * 60_000);
