/**
 * A bot to watch: the whole process tree in-process (`startBot`) against the simulator and a
 * throwaway database, with its inspection events going through a hub as main.ts wires them. The
 * dashboard and inspector tests attach to `hub`.
 */
import { type Bot, startBot } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createAlpacaExchange } from '../../src/exchange/alpaca.js';
import { createInspectionHub, type InspectionHub } from '../../src/inspect.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { getLatestCycle } from '../../src/store/cycles.js';
import { quoteUntil } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type SeedAssetColumns, type TestDatabase } from '../helpers/db.js';
import { botEnv } from '../helpers/env.js';
import { type LogLine, logSink } from '../helpers/logSink.js';
import { waitFor } from '../helpers/wait.js';

export const BTC = 'BTC/USD';

/** $20 orders at round prices; a long cooldown that only a 2 % drop below the last sell ends. */
export const WATCHED_ASSET: Partial<SeedAssetColumns> = {
  asset_symbol: BTC,
  base_order_amount: '20',
  safety_order_amount: '19.6',
  max_safety_orders: 3,
  safety_order_deviation: '1.5',
  take_profit_percent: '1',
  cooldown_period: 3600,
  buy_order_price_deviation_percent: '2',
};

export interface WatchedBot {
  readonly db: TestDatabase;
  readonly sim: Simulator;
  readonly bot: Bot;
  readonly config: Config;
  readonly hub: InspectionHub;
  readonly assetId: number;
  readonly lines: LogLine[];
  /** Publishes the quote (tests/helpers/bot.ts quoteUntil) until `done` holds. */
  quoteUntil(bid: string, ask: string, done: () => Promise<boolean>, what: string): Promise<void>;
  latestCycle(): ReturnType<typeof getLatestCycle>;
  close(): Promise<void>;
}

export async function startWatchedBot(
  opts: { token?: string; beforeStart?: (hub: InspectionHub) => void } = {},
): Promise<WatchedBot> {
  const [db, sim] = await Promise.all([createTestDatabase(), startSimulator()]);
  const assetId = await insertAsset(db.pool, WATCHED_ASSET);
  const e = sim.endpoints;
  const config = loadConfig({
    ...botEnv(e, db.cfg),
    ASSET_POLL_SECONDS: '3600',
    DASHBOARD_TOKEN: opts.token,
  });
  const { lines, logger } = logSink();
  const hub = createInspectionHub(logger);
  opts.beforeStart?.(hub);
  const exchange = createAlpacaExchange(e, { requestTimeoutMs: 3_000 });
  const bot = await startBot({ config, logger, pool: db.pool, exchange, inspect: hub.inspect, tickMs: 200 });
  await waitFor(() => bot.registry.get(BTC) !== undefined, 10_000, 'the asset actor');
  await waitFor(() => lines.some((l) => l['msg'] === 'trade updates connected'), 10_000, 'trade updates');
  const latestCycle = () => getLatestCycle(db.pool, assetId);
  return {
    db,
    sim,
    bot,
    config,
    hub,
    assetId,
    lines,
    latestCycle,
    quoteUntil: (bid, ask, done, what) => quoteUntil(sim, BTC, bid, ask, done, { what }),
    async close() {
      await bot.stop('test over');
      await sim.close();
      await db.drop();
    },
  };
}
