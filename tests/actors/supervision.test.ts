/**
 * The process tree in-process (`startBot`, exactly what `npm start` builds) against the simulator
 * through the real SDK and a throwaway MariaDB: a real crash in one asset actor — its database
 * writes fail — is contained, restarted from the database, and the other asset keeps trading; an
 * asset that keeps crashing is parked by the assets supervisor instead of stopping the bot; a
 * crashed caretaker comes back as a new instance.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { listAssetSupervision } from '../../src/store/assetSupervision.js';
import { createCycle, getCycle, updateCycle } from '../../src/store/cycles.js';
import { currentCycle } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, installationIdOf, type TestDatabase } from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const ETH = 'ETH/USD';

let sim: Simulator;
let db: TestDatabase;
let bot: Bot | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
});

afterEach(async () => {
  await bot?.stop('test over');
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

async function start(): Promise<Bot> {
  ({ bot } = await startInProcessBot({ sim, db, logLevel: 'silent' }));
  return bot;
}

/** A real failure at the actor's next write: MariaDB refuses any UPDATE of this asset's cycles. */
async function breakCycleWrites(assetId: number): Promise<void> {
  await db.pool.query(
    `CREATE TRIGGER refuse_cycle_writes BEFORE UPDATE ON dca_cycles FOR EACH ROW
       BEGIN
         IF NEW.asset_id = ${Number(assetId)} THEN
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'disk full (test)';
         END IF;
       END`,
  );
}

const repairCycleWrites = () => db.pool.query('DROP TRIGGER refuse_cycle_writes');

function childOf(b: Bot, id: string) {
  return b.supervisor.status().find((c) => c.id === id);
}

describe('a crashing asset actor', () => {
  it('is restarted from the database while the other asset keeps trading', async () => {
    const btcId = await insertAsset(db.pool);
    const ethId = await insertAsset(db.pool, { asset_symbol: ETH });
    await breakCycleWrites(btcId);
    const running = await start();
    // BTC's write-ahead fails before its POST: the actor crashes and nothing reaches the exchange,
    // while ETH buys its base order.
    await waitUntil(
      async () => {
        sim.publishQuote(BTC, '49990', '50000');
        sim.publishQuote(ETH, '1999.9', '2000');
        const eth = await currentCycle(db.pool, ethId);
        return (childOf(running, `asset:${BTC}`)?.restarts ?? 0) >= 1 && !!eth && dec(eth.quantity).gt(0);
      },
      (both) => both,
      { what: 'the BTC actor to crash and ETH to buy', intervalMs: 100 },
    );
    expect(childOf(running, `asset:${BTC}`)?.lastError).toMatch(/disk full/);
    expect(sim.listOrders().filter((o) => o.symbol === BTC)).toEqual([]);

    // ETH keeps trading after BTC's crash: 1.5 % below its fill it buys a safety order.
    await waitUntil(
      () => {
        sim.publishQuote(ETH, '1959.9', '1960');
        return currentCycle(db.pool, ethId);
      },
      (c) => c?.safety_orders === 1 && c.status === 'watching',
      { what: 'ETH to buy its base and first safety order', intervalMs: 100 },
    );
    expect(sim.listOrders().filter((o) => o.symbol === ETH && o.status === 'filled')).toHaveLength(2);

    // Once writes work again the restarted BTC actor trades from what the database holds.
    await repairCycleWrites();
    const btc = await waitUntil(
      () => {
        sim.publishQuote(BTC, '49990', '50000');
        return currentCycle(db.pool, btcId);
      },
      (c) => c?.status === 'watching' && dec(c.quantity).gt(0),
      { what: 'BTC to buy after its restart', timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(btc!.client_order_id).toBe(`dca-${await installationIdOf(db.pool)}-${btc!.id}-base-1`);
    expect(childOf(running, `asset:${BTC}`)?.state).toBe('running');
    expect(childOf(running, `asset:${ETH}`)).toMatchObject({ state: 'running', restarts: 0 });
    expect(childOf(running, 'tradeUpdates')?.restarts).toBe(0);
  });
});

describe('an asset actor that keeps crashing', () => {
  it('is parked past the assets intensity with one alert, the bot runs on, and its row changing retries it', async () => {
    const btcId = await insertAsset(db.pool);
    const ethId = await insertAsset(db.pool, { asset_symbol: ETH });
    await breakCycleWrites(btcId);
    const tree = await startInProcessBot({
      sim,
      db,
      assetSupervision: {
        intensity: { maxRestarts: 2, periodMs: 60_000 },
        backoff: { initialMs: 50, maxMs: 100, factor: 2 },
        // No timed retry within the test: only the row change may bring it back.
        parkBackoff: { initialMs: 3_600_000, maxMs: 3_600_000, factor: 1 },
      },
    });
    bot = tree.bot;
    const running = tree.bot;
    let exited = false;
    void running.supervisor.done.then(() => {
      exited = true;
    });
    await tree.trading([BTC, ETH]);
    await waitUntil(
      () => {
        sim.publishQuote(BTC, '49990', '50000');
        return childOf(running, `asset:${BTC}`)?.state;
      },
      (state) => state === 'parked',
      { what: 'the BTC actor to be parked', intervalMs: 100 },
    );
    const parked = childOf(running, `asset:${BTC}`)!;
    expect(parked).toMatchObject({ restarts: 2, reason: 'crashed after 2 restarts within 60000 ms' });
    expect(parked.lastError).toMatch(/disk full/);
    expect(parked.nextRetryAt!.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    expect(running.registry.get(BTC)).toBeUndefined();

    // ETH trades on beside it: its base order fills.
    await waitUntil(
      () => {
        sim.publishQuote(ETH, '1999.9', '2000');
        return currentCycle(db.pool, ethId);
      },
      (c) => !!c && dec(c.quantity).gt(0),
      { what: 'ETH to buy', intervalMs: 100 },
    );
    const alerts = tree.lines.filter((l) => l['alert'] === true);
    expect(alerts.filter((l) => l['code'] === 'ASSET_PARKED').map((l) => l['asset'])).toEqual([BTC]);
    expect(alerts.filter((l) => l['code'] === 'SUPERVISOR_ESCALATED')).toEqual([]);
    expect(exited).toBe(false);
    expect(childOf(running, 'assets')).toMatchObject({ state: 'running', restarts: 0 });
    // What `dca-bot status` reads from the database.
    const report = await waitUntil(
      () => listAssetSupervision(db.pool),
      (rows) => rows.has(btcId),
      { what: 'the parked asset recorded for the status command' },
    );
    expect(report.get(btcId)).toMatchObject({ state: 'parked', nextRetryAt: parked.nextRetryAt });
    expect(report.has(ethId)).toBe(false);

    // An operator fixes the cause and edits the row: the next poll retries the parked asset.
    await repairCycleWrites();
    await db.pool.query('UPDATE dca_assets SET base_order_amount = 21 WHERE id = ?', [btcId]);
    const btc = await waitUntil(
      () => {
        sim.publishQuote(BTC, '49990', '50000');
        return currentCycle(db.pool, btcId);
      },
      (c) => c?.status === 'watching' && dec(c.quantity).gt(0),
      { what: 'BTC to buy after the retry', timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(dec(btc!.cost_basis).gt(20)).toBe(true);
    expect(childOf(running, `asset:${BTC}`)?.state).toBe('running');
    await waitUntil(
      () => listAssetSupervision(db.pool),
      (rows) => rows.size === 0,
      { what: 'the parked report cleared once it trades again' },
    );
  });
});

describe('a crashed caretaker', () => {
  it('comes back as a new instance from its factory, and the new one does the work', async () => {
    const ethId = await insertAsset(db.pool, { asset_symbol: ETH });
    const cycle = await createCycle(db.pool, ethId, 'watching');
    await updateCycle(db.pool, cycle.id, cycle.version, {
      quantity: dec('0.5'),
      boughtQuantity: dec('0.5'),
      averagePurchasePrice: dec('2000'),
      lastOrderFillPrice: dec('2000'),
      costBasis: dec('1000'),
    });
    sim.setPosition(ETH, '0.5', '2000');
    const tree = await startInProcessBot({ sim, db, env: { CONSISTENCY_INTERVAL_SECONDS: '1' } });
    bot = tree.bot;
    const running = tree.bot;
    await tree.trading([ETH]);
    const first = running.caretakers.consistency;

    // A bug-shaped failure (not a passing outage): the table it reads is gone.
    await db.pool.query('RENAME TABLE dca_cycles TO dca_cycles_away');
    await waitUntil(
      () => childOf(running, 'consistency'),
      (child) => (child?.restarts ?? 0) >= 1 && child?.state === 'running',
      { what: 'the consistency caretaker to crash and restart' },
    );
    await db.pool.query('RENAME TABLE dca_cycles_away TO dca_cycles');
    expect(childOf(running, 'consistency')?.lastError).toMatch(/dca_cycles/);
    const second = running.caretakers.consistency;
    expect(second).not.toBe(first);

    // The fresh instance checks on its own timer: the position vanishes, and two checks later the
    // cycle ends in error.
    sim.setPosition(ETH, '0', '2000');
    await waitUntil(
      () => currentCycle(db.pool, ethId),
      (c) => c !== undefined && c.id !== cycle.id,
      { what: 'the new consistency instance to end the cycle', timeoutMs: 15_000 },
    );
    expect((await getCycle(db.pool, cycle.id))?.status).toBe('error');
    expect(childOf(running, 'consistency')?.state).toBe('running');
  });
});
