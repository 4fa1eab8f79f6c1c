/**
 * The bot as `npm start` runs it (a child process) against the simulator through the official SDK
 * and a throwaway MariaDB database: every order the exchange receives and every dca_cycles /
 * dca_assets value the seed specifies (phases 4-9), step by step.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import type { SimOrder } from '../../src/sim/types.js';
import {
  type BotProcess,
  type CycleRecord,
  currentCycle,
  cyclesOf,
  ledgerOf,
  quoteUntil,
  spawnBot,
  waitUntilTrading,
} from '../helpers/bot.js';
import { createTestDatabase, insertAsset, installationIdOf, type TestDatabase } from '../helpers/db.js';
import { waitFor, waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');

/**
 * The seed's BTC/USD row (insertAsset's default: $20 base, 1.5 % deviation, 1 % take profit, 2 %
 * early restart) with a $19.60 safety order and a 2 s cooldown: $20 at 50000 buys 0.0004, and so
 * does $19.60 at 49000 (round numbers).
 */
const ASSET = { safety_order_amount: '19.6', max_safety_orders: 3, cooldown_period: 2 };

let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;
let assetId: number;
/** The test database's installation id, in every client order id. */
let inst: string;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  inst = await installationIdOf(db.pool);
  assetId = await insertAsset(db.pool, ASSET);
});

afterEach(async () => {
  await bot?.kill();
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

async function startTrading(): Promise<BotProcess> {
  bot = spawnBot({ sim, db });
  await waitUntilTrading(bot, [BTC]);
  return bot;
}

const cycle = () => currentCycle(db.pool, assetId);
const orderCount = (n: number) => () => sim.listOrders().length >= n;
const nth = (i: number): SimOrder => sim.listOrders()[i]!;

async function untilCycle(accept: (c: CycleRecord) => boolean, what: string): Promise<CycleRecord> {
  const found = await waitUntil(cycle, (c) => c !== undefined && accept(c), { what, timeoutMs: 10_000 });
  return found!;
}

/** DECIMAL columns come back as padded strings; compare them as numbers. */
function expectAmount(actual: string | null, expected: string | null): void {
  expect(actual === null ? null : dec(actual).toFixed()).toBe(
    expected === null ? null : dec(expected).toFixed(),
  );
}

function expectOrder(order: SimOrder, want: Partial<Record<string, string | null>>): void {
  expect({
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    clientOrderId: order.clientOrderId,
    qty: order.qty?.toFixed() ?? null,
    limitPrice: order.limitPrice?.toFixed() ?? null,
  }).toEqual({ timeInForce: 'gtc', ...want });
}

describe('a full cycle through the running bot', () => {
  it('buys a base and a safety order, takes the profit, cools down and watches again', async () => {
    await startTrading();
    const first = (await cycle())!;
    expect(first.status).toBe('watching');

    // Phase 4 + 7: a base limit buy at the ask; its fill is booked net of the fee taken in the coin.
    await quoteUntil(sim, BTC, '49990', '50000', orderCount(1));
    expectOrder(nth(0), {
      side: 'buy',
      type: 'limit',
      clientOrderId: `dca-${inst}-${first.id}-base-1`,
      qty: '0.0004',
      limitPrice: '50000',
    });
    let c = await untilCycle((r) => r.status === 'watching' && dec(r.quantity).gt(0), 'base fill booked');
    expect(c.id).toBe(first.id);
    expectAmount(c.quantity, dec('0.0004').mul(dec(1).minus(FEE)).toFixed());
    expectAmount(c.average_purchase_price, '50000');
    expectAmount(c.last_order_fill_price, '50000');
    expect(c.safety_orders).toBe(0);
    expect(c.latest_order_id).toBeNull();
    expect(c.completed_at).toBeNull();

    // Phase 5 + 7: 1.5 % below the last fill (≤ 49250) buys the first safety order. The last number
    // of a client order id counts the cycle's orders (src/clientOrderId.ts), so this is the second.
    await quoteUntil(sim, BTC, '48990', '49000', orderCount(2));
    expectOrder(nth(1), {
      side: 'buy',
      type: 'limit',
      clientOrderId: `dca-${inst}-${first.id}-so1-2`,
      qty: '0.0004',
      limitPrice: '49000',
    });
    c = await untilCycle((r) => r.safety_orders === 1 && r.status === 'watching', 'safety fill booked');
    expectAmount(c.quantity, dec('0.0008').mul(dec(1).minus(FEE)).toFixed());
    expectAmount(c.average_purchase_price, '49500');
    expectAmount(c.last_order_fill_price, '49000');
    expect(c.latest_order_id).toBeNull();

    // Phase 6 + 8: 1 % above the average (bid ≥ 49995) sells what the cycle holds, at market.
    await quoteUntil(sim, BTC, '50000', '50010', orderCount(3));
    expectOrder(nth(2), {
      side: 'sell',
      type: 'market',
      clientOrderId: `dca-${inst}-${first.id}-tp-3`,
      qty: dec('0.0008').mul(dec(1).minus(FEE)).toFixed(),
      limitPrice: null,
    });
    const [done, next] = await waitUntil(
      () => cyclesOf(db.pool, assetId),
      (rows) => rows.length === 2,
      { what: 'the next cycle', timeoutMs: 10_000 },
    );
    expect(done!.status).toBe('complete');
    expect(done!.completed_at).toBeInstanceOf(Date);
    expectAmount(done!.quantity, '0');
    expect(done!.latest_order_id).toBeNull();
    // 0.000798 sold at 50000 less the 0.25 % fee, minus the 39.60 USD the buys cost.
    expectAmount(done!.realized_pnl, '0.20025');
    const [asset] = (
      await db.pool.query('SELECT last_sell_price FROM dca_assets WHERE id = ?', [assetId])
    )[0] as [{ last_sell_price: string }];
    expectAmount(asset.last_sell_price, '50000');
    expect(next).toMatchObject({
      status: 'cooldown',
      safety_orders: 0,
      latest_order_id: null,
      last_order_fill_price: null,
      completed_at: null,
    });
    expectAmount(next!.quantity, '0');
    expectAmount(next!.average_purchase_price, '0');
    expect(
      sim
        .positions()
        .find((p) => p.symbol === BTC)
        ?.qty.isZero() ?? true,
    ).toBe(true);

    // The 2 s cooldown ends on the clock (no quote flows meanwhile), and the next cycle trades.
    const watching = await untilCycle((r) => r.id === next!.id && r.status === 'watching', 'cooldown expiry');
    expect(Date.now()).toBeGreaterThanOrEqual(done!.completed_at!.getTime() + 2_000);
    await quoteUntil(sim, BTC, '49990', '50000', orderCount(4));
    expect(nth(3).clientOrderId).toBe(`dca-${inst}-${watching.id}-base-1`);
  });
});

describe('buys that do not go through', () => {
  it('places no base order while a position already exists', async () => {
    sim.setPosition(BTC, '0.01', '45000');
    const running = await startTrading();
    await quoteUntil(sim, BTC, '49990', '50000', () =>
      running.lines.some((l) => l['code'] === 'POSITION_EXISTS'),
    );
    expect(sim.listOrders()).toEqual([]);
    const c = (await cycle())!;
    expect(c.status).toBe('watching');
    expectAmount(c.quantity, '0');
    expect(c.client_order_id).toBeNull();
  });

  it('returns to watching when the exchange cancels a buy, and the next buy is a new attempt', async () => {
    await startTrading();
    sim.faults.holdOrders();
    await quoteUntil(sim, BTC, '49990', '50000', orderCount(1));
    const order = nth(0);
    let c = await untilCycle((r) => r.latest_order_id === order.id, 'the order id recorded');
    expect(c.status).toBe('buying');
    expect(c.client_order_id).toBe(order.clientOrderId);

    sim.cancelOrder(order.id);
    c = await untilCycle((r) => r.status === 'watching', 'back to watching');
    expect(c.latest_order_id).toBeNull();
    expectAmount(c.quantity, '0');
    expect(c.safety_orders).toBe(0);

    sim.faults.releaseOrders();
    await quoteUntil(sim, BTC, '49990', '50000', orderCount(2));
    expect(nth(1).clientOrderId).toBe(`dca-${inst}-${c.id}-base-2`);
  });

  it('returns to watching when the exchange rejects a buy for insufficient balance', async () => {
    sim.setCash('0');
    const running = await startTrading();
    await quoteUntil(sim, BTC, '49990', '50000', () =>
      running.lines.some((l) => l['event'] === 'order_submit_failed'),
    );
    const c = await untilCycle(
      (r) => r.client_order_id !== null && r.status === 'watching',
      'watching again',
    );
    expect(c.client_order_id).toMatch(new RegExp(`^dca-${inst}-${c.id}-base-\\d+$`));
    expect(c.latest_order_id).toBeNull();
    expectAmount(c.quantity, '0');
    expect(sim.listOrders()).toEqual([]);
    expect(running.lines.some((l) => l['event'] === 'order_submit_failed' && l['kind'] === 'refused')).toBe(
      true,
    );
    const ledger = await ledgerOf(db.pool, assetId);
    expect(ledger.map((o) => [o.client_order_id, o.status])).toContainEqual([c.client_order_id, 'rejected']);
  });

  it('keeps the filled part of a buy canceled after a partial fill', async () => {
    sim.faults.setPartialFills('0.25');
    await startTrading();
    await quoteUntil(sim, BTC, '49990', '50000', orderCount(1));
    const placed = nth(0);
    await untilCycle((r) => r.latest_order_id === placed.id, 'the order id recorded');
    // The exchange fills a quarter some milliseconds after accepting the order.
    await waitFor(() => sim.getOrder(placed.id)?.filledQty.gt(0) ?? false, 3_000, 'a partial fill');
    const canceled = sim.cancelOrder(placed.id);
    expect(canceled.filledQty.gt(0) && canceled.filledQty.lt(canceled.qty!)).toBe(true);

    const c = await untilCycle((r) => r.status === 'watching' && dec(r.quantity).gt(0), 'partial booked');
    expectAmount(c.quantity, canceled.filledQty.mul(dec(1).minus(FEE)).toFixed());
    expectAmount(c.average_purchase_price, '50000');
    expectAmount(c.last_order_fill_price, '50000');
    expect(c.safety_orders).toBe(0);
    expect(c.latest_order_id).toBeNull();
  });
});
