/**
 * Memory of the real bot process (`node --import tsx src/main.ts`, what `npm start` runs) trading
 * 50 assets on the simulator, against the same process with no asset in the same run: the
 * difference is what the assets cost. RSS is read from /proc after the bot has traded for a while.
 * `BENCH_NODE_OPTIONS` passes V8 flags to the bot (e.g. `--max-old-space-size=64`) to see how much
 * of the RSS is live data and how much is a heap V8 simply has not shrunk.
 */
import { readFile } from 'node:fs/promises';
import type { Simulator } from '../src/sim/index.js';
import { startSimulator } from '../src/sim/index.js';
import { spawnBot, waitUntilTrading } from '../testkit/botProcess.js';
import { createTestDatabase, insertAsset } from '../testkit/db.js';
import type { Bench, BenchRow } from './table.js';
import { benchPairs } from './treeFixture.js';

const GROUP = 'bot process';
const TRADE_MS = 8_000;
const symbolOf = (i: number): string => `BP${String(i).padStart(2, '0')}/USD`;

async function rssOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Starts the bot with `n` assets, lets it trade on a random walk, and reads its memory. */
async function measure(n: number): Promise<{ rss: number; peak: number; orders: number }> {
  const symbols = Array.from({ length: n }, (_, i) => symbolOf(i));
  const sim: Simulator = await startSimulator({
    cash: '100000000',
    maxDataSymbols: 1000,
    assets: benchPairs(symbols),
  });
  const db = await createTestDatabase().catch(async (err: unknown) => {
    await sim.close();
    throw err;
  });
  let bot: ReturnType<typeof spawnBot> | null = null;
  try {
    for (const symbol of symbols) {
      await insertAsset(db.pool, {
        asset_symbol: symbol,
        safety_order_deviation: '0.3',
        take_profit_percent: '0.3',
        cooldown_period: 1,
      });
    }
    bot = spawnBot({
      sim,
      db,
      env: {
        LOG_LEVEL: 'info',
        ASSET_POLL_SECONDS: '30',
        // 50 assets each confirm their first quotes and read their position before a base order:
        // at Alpaca's pace (180/min) that alone outlasts the trading window, and nothing would trade.
        DCA_REST_PER_MINUTE: '10000',
        DCA_REST_BURST: '100',
        NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
      },
    });
    if (n > 0) await waitUntilTrading(bot, symbols);
    else await new Promise((r) => setTimeout(r, 2_000));
    const start: Record<string, string> = {};
    for (const s of symbols) start[s] = '100';
    const stopWalk =
      n > 0 ? sim.startRandomWalk({ start, seed: 7, volatility: 0.002, intervalMs: 50 }) : () => {};
    await new Promise((r) => setTimeout(r, TRADE_MS));
    stopWalk();
    const pid = bot.child.pid;
    if (pid === undefined) throw new Error('the bot process has no pid');
    const mem = await rssOf(pid);
    return { ...mem, orders: sim.listOrders().length };
  } finally {
    // SIGTERM first so the bot shuts down as in production; kill() only if it did not.
    await bot?.stop('SIGTERM');
    await bot?.kill();
    await sim.close();
    await db.drop();
  }
}

export const benchProcess: Bench = async () => {
  const empty = await measure(0);
  const fifty = await measure(50);
  const rows: BenchRow[] = [
    {
      group: GROUP,
      name: `RSS trading 50 assets (${fifty.orders} orders in ${TRADE_MS / 1000} s)`,
      value: Math.round(fifty.rss),
      unit: 'MB',
      target: '< 150',
      baseline: Math.round(empty.rss),
      ratio: fifty.rss / empty.rss,
    },
    {
      group: GROUP,
      name: '  peak RSS trading 50 assets',
      value: Math.round(fifty.peak),
      unit: 'MB',
      baseline: Math.round(empty.peak),
      ratio: fifty.peak / empty.peak,
    },
  ];
  return rows;
};
