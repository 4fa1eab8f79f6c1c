/**
 * The shared fixture (tests/helpers/fixture.ts) for "the bot against the realistic simulator": a
 * simulator with the given options, the seed's BTC/USD row, and the bot in-process, trading.
 */
import type { Bot } from '../../src/app.js';
import { dec } from '../../src/money.js';
import type { Simulator, SimulatorOptions } from '../../src/sim/index.js';
import { cyclesOf } from './bot.js';
import { insertAsset, type SeedAssetColumns, type TestDatabase } from './db.js';
import { startFixture } from './fixture.js';
import type { InProcessBot } from './inProcessBot.js';
import { invariantViolations } from './invariants.js';

export const BTC = 'BTC/USD';
const FEE = dec('0.0025');

export interface RealisticBot {
  readonly sim: Simulator;
  readonly db: TestDatabase;
  readonly bot: Bot;
  readonly lines: InProcessBot['lines'];
  readonly assetId: number;
  cycles(): ReturnType<typeof cyclesOf>;
  /** The base order's net quantity is booked. */
  baseBooked(): Promise<boolean>;
  invariantViolations(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startRealisticBot(
  simOpts: SimulatorOptions = {},
  asset: Partial<SeedAssetColumns> = {},
): Promise<RealisticBot> {
  let assetId = 0;
  const f = await startFixture({
    symbols: [BTC],
    simulator: simOpts,
    setup: async (pool) => {
      assetId = await insertAsset(pool, { cooldown_period: 60, ...asset });
    },
  });
  const { sim, db } = f;
  const cycles = () => cyclesOf(db.pool, assetId);
  return {
    sim,
    db,
    bot: f.bot,
    lines: f.lines,
    assetId,
    cycles,
    baseBooked: async () => dec((await cycles())[0]?.quantity ?? 0).gt(0),
    invariantViolations: () => invariantViolations(db.pool, assetId, sim.listOrders(), FEE),
    close: f.close,
  };
}

/** Orders of a side that filled at least in part, as `clientOrderId status`. */
export function filledOrders(sim: Simulator, side: 'buy' | 'sell'): string[] {
  return sim
    .listOrders()
    .filter((o) => o.side === side && o.filledQty.gt(0))
    .map((o) => `${o.clientOrderId} ${o.status}`);
}
