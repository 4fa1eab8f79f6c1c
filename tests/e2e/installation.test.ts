/**
 * Defect 5: an operator drops and re-creates the database on the same Alpaca account. Cycle ids
 * restart at 1, and the account still holds the old database's filled base order of cycle 1. The new
 * cycle 1 is interrupted after its write-ahead (the bot is killed before the POST), so the restarted
 * bot looks its order up by client order id. With ids scoped to the installation that look-up cannot
 * find the old order: the new cycle buys its own base order instead of adopting a fill that is not
 * its own, and its POST never collides with the old client order id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { createPool, type Pool } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import {
  type BotProcess,
  currentCycle,
  ledgerOf,
  quoteUntil,
  spawnBot,
  waitUntilTrading,
} from '../helpers/bot.js';
import {
  dropDatabase,
  insertAsset,
  installationIdOf,
  randomDatabaseName,
  testServerConfig,
} from '../helpers/db.js';
import { invariantViolations } from '../helpers/invariants.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
const BUY_QUOTE = ['49990', '50000'] as const;

let sim: Simulator;
const name = randomDatabaseName();
const cfg = { ...testServerConfig(), database: name };
let pool: Pool | null = null;
const bots: BotProcess[] = [];

/** Creates the database (migrated, with the seed's BTC/USD row) and opens a pool on it. */
async function createDatabase(): Promise<{ pool: Pool; assetId: number }> {
  await migrate(cfg, { createDatabase: true });
  pool = createPool(cfg);
  return { pool, assetId: await insertAsset(pool, { cooldown_period: 60 }) };
}

async function dropIt(): Promise<void> {
  await pool?.end();
  pool = null;
  await dropDatabase(name);
}

function startBot(env: Record<string, string> = {}): BotProcess {
  const bot = spawnBot({ sim, db: { cfg }, env });
  bots.push(bot);
  return bot;
}

beforeEach(async () => {
  sim = await startSimulator();
});

afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.kill()));
  await dropIt();
  await sim.close();
});

describe('a database dropped and re-created on the same account (defect 5)', () => {
  it("buys the new cycle 1's own base order: no collision with the old dca-…-1-base-1, no phantom fill", async () => {
    // The first database: cycle 1 buys its base order, which fills, and the bot stops.
    const first = await createDatabase();
    const oldBot = startBot();
    await waitUntilTrading(oldBot, [BTC]);
    const booked = (p: Pool, assetId: number) => async () =>
      dec((await currentCycle(p, assetId))?.quantity ?? 0).gt(0);
    await quoteUntil(sim, BTC, ...BUY_QUOTE, booked(first.pool, first.assetId));
    expect((await oldBot.stop()).code).toBe(0);
    const [old] = sim.listOrders();
    expect(old).toMatchObject({ side: 'buy', status: 'filled' });
    expect((await currentCycle(first.pool, first.assetId))?.id).toBe(1);

    // Dropped and re-created: cycle ids restart at 1 on the same account. The operator sold the old
    // cycle's coin by hand, so no existing position holds the new cycle back.
    sim.setPosition(BTC, '0', '0');
    await dropIt();
    const second = await createDatabase();
    const doomed = startBot({ DCA_FAILPOINTS: 'after-write-ahead-buy' });
    await waitUntilTrading(doomed, [BTC]);
    await quoteUntil(sim, BTC, ...BUY_QUOTE, () => doomed.child.signalCode === 'SIGKILL');
    const interrupted = await currentCycle(second.pool, second.assetId);
    expect(interrupted).toMatchObject({ id: 1, status: 'buying' });

    // The restarted bot looks the written-ahead order up, finds nothing of its own, and buys.
    const restarted = startBot();
    await waitUntilTrading(restarted, [BTC]);
    await quoteUntil(sim, BTC, ...BUY_QUOTE, booked(second.pool, second.assetId), { timeoutMs: 30_000 });

    const buys = sim.listOrders().filter((o) => o.side === 'buy');
    const fresh = buys.filter((o) => o.id !== old!.id);
    expect(fresh.map((o) => o.status)).toEqual(['filled']);
    expect(buys.filter((o) => o.status === 'rejected')).toEqual([]);
    const ledger = await ledgerOf(second.pool, second.assetId);
    expect(ledger.map((r) => r.alpaca_order_id)).not.toContain(old!.id);
    expect(ledger.filter((r) => r.status === 'filled').map((r) => r.alpaca_order_id)).toEqual([fresh[0]!.id]);
    const cycle = await currentCycle(second.pool, second.assetId);
    expect(cycle).toMatchObject({ id: 1, status: 'watching' });
    expect(dec(cycle!.quantity).toFixed()).toBe(dec('0.0004').mul(dec(1).minus(FEE)).toFixed());

    const installation = await installationIdOf(second.pool);
    expect(fresh[0]!.clientOrderId).toMatch(new RegExp(`^dca-${installation}-1-base-\\d+$`));
    expect(old!.clientOrderId).not.toContain(installation);
    expect(await invariantViolations(second.pool, second.assetId, sim.listOrders(), FEE)).toEqual([]);
  }, 90_000);
});
