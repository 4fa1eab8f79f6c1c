/**
 * How the running bot (a child process) ends and recovers: it gives up with a non-zero exit when a
 * child keeps failing, stops cleanly on SIGTERM with nothing half-written, and reconciles a fill it
 * missed while the trade_updates stream was down.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import {
  type BotProcess,
  currentCycle,
  ledgerOf,
  quoteUntil,
  spawnBot,
  waitUntil,
  waitUntilTrading,
} from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { waitForOrder } from '../helpers/sim.js';

const BTC = 'BTC/USD';

let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;
let assetId: number;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  assetId = await insertAsset(db.pool);
});

afterEach(async () => {
  await bot?.kill();
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

describe('the process under supervision', () => {
  it('exits non-zero once a child goes past its restart intensity (refused credentials)', async () => {
    bot = spawnBot({ sim, db, env: { APCA_API_KEY_ID: 'REVOKED', APCA_API_SECRET_KEY: 'REVOKED' } });
    // Five restarts with backoff (0.5 + 1 + 2 + 4 + 8 s), then the sixth failure escalates.
    expect(await bot.exited).toEqual({ code: 1, signal: null });
    const gaveUp = bot.lines.find((l) => l.msg === 'restart intensity exceeded; stopping all children');
    expect(gaveUp?.['childId']).toMatch(/^(tradeUpdates|marketData)$/);
    expect(bot.lines.some((l) => l.msg === 'supervisor gave up; exiting non-zero')).toBe(true);
    // The secret never reaches the log, not even in the auth errors.
    expect(bot.lines.some((l) => JSON.stringify(l).includes('REVOKED'))).toBe(false);
  }, 45_000);

  it('exits 0 on SIGTERM right after a POST, with the cycle and the ledger matching the exchange', async () => {
    bot = spawnBot({ sim, db });
    await waitUntilTrading(bot, [BTC]);
    sim.faults.holdOrders();
    sim.faults.delayNextOrders(300);
    const running = bot;
    await quoteUntil(sim, BTC, '49990', '50000', () =>
      running.lines.some((l) => l.msg === 'submitting order'),
    );
    // The POST is on the wire (its answer is delayed); the stop must still record what it returns.
    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(bot.lines.some((l) => l.msg === 'stopped' && l['exitCode'] === 0)).toBe(true);

    const orders = sim.listOrders();
    expect(orders).toHaveLength(1);
    const order = orders[0]!;
    const cycle = (await currentCycle(db.pool, assetId))!;
    expect(cycle).toMatchObject({
      status: 'buying',
      client_order_id: order.clientOrderId,
      latest_order_id: order.id,
    });
    const ledger = await ledgerOf(db.pool, assetId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      cycle_id: cycle.id,
      client_order_id: order.clientOrderId,
      alpaca_order_id: order.id,
      // What the POST answered: Alpaca accepts an order as pending_new.
      status: 'pending_new',
      side: 'buy',
    });
    expect(dec(ledger[0]!.qty).eq(order.qty!)).toBe(true);
  });

  it('applies a fill that happened while the trade_updates stream was down, after reconnecting', async () => {
    bot = spawnBot({ sim, db });
    await waitUntilTrading(bot, [BTC]);
    sim.faults.holdOrders();
    await quoteUntil(sim, BTC, '49990', '50000', () => sim.listOrders().length === 1);
    const order = sim.listOrders()[0]!;
    await waitUntil(
      () => currentCycle(db.pool, assetId),
      (c) => c?.latest_order_id === order.id,
      { what: 'the order id recorded' },
    );

    sim.faults.refuseStream('trading', { ms: 1_500 });
    expect(sim.faults.dropStream('trading')).toBeGreaterThan(0);
    await bot.waitForLog((l) => l.msg === 'trade updates disconnected; reconnecting', 5_000, 'the drop');
    sim.faults.releaseOrders(); // fills within ms, while nobody listens: no update will ever arrive
    await waitForOrder(sim, order.id, 'filled', 1_400);

    await bot.waitForLog(
      (l) => l.msg === 'trade updates connected' && l['reconnect'] === true,
      10_000,
      'the reconnect',
    );
    const cycle = await waitUntil(
      () => currentCycle(db.pool, assetId),
      (c) => c?.status === 'watching' && dec(c.quantity).gt(0),
      { what: 'the missed fill applied' },
    );
    expect(dec(cycle!.quantity).eq(dec('0.0004').mul('0.9975'))).toBe(true);
    expect(dec(cycle!.last_order_fill_price!).eq(50000)).toBe(true);
    expect(cycle!.latest_order_id).toBeNull();
    const fillUpdates = bot.lines.filter((l) => l.msg === 'trade update' && l['event'] === 'fill');
    expect(fillUpdates).toEqual([]);
    const [ledger] = await ledgerOf(db.pool, assetId);
    expect(ledger).toMatchObject({ alpaca_order_id: order.id, status: 'filled' });
  });
});
