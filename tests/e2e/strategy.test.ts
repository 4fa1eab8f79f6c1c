/**
 * The strategy controls of sql/008 end to end: the running tree (startBot, as `npm start` builds it)
 * against the simulator through the official SDK and a throwaway MariaDB. An asset row is inserted
 * with the seed's columns, then given its controls the way an operator would (UPDATE dca_assets).
 * Every order's amount and trigger price is exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import type { SimOrder } from '../../src/sim/types.js';
import {
  currentCycle,
  cyclesOf,
  ledgerOf,
  quoteUntil,
  type CycleRecord as SeedCycleRecord,
} from '../helpers/bot.js';
import { createTestDatabase, insertAsset, installationIdOf, type TestDatabase } from '../helpers/db.js';
import { type InProcessBot, startInProcessBot } from '../helpers/inProcessBot.js';
import { waitUntil } from '../helpers/wait.js';

/** A dca_cycles row with the trailing peak sql/008 adds. */
type CycleRecord = SeedCycleRecord & { readonly ttp_peak_price: string | null };

const BTC = 'BTC/USD';
const FEE = dec('0.0025');

let sim: Simulator;
let db: TestDatabase;
let running: InProcessBot | null = null;
let assetId: number;
let inst: string;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  inst = await installationIdOf(db.pool);
});

afterEach(async () => {
  await running?.bot.stop('test over');
  running = null;
  await Promise.all([sim.close(), db.drop()]);
});

/** The seed's BTC/USD row ($20 base, 1.5 % deviation, 1 % take profit) with `controls` set on top. */
async function anAsset(seed: Record<string, string | number>, controls: Record<string, string | number>) {
  assetId = await insertAsset(db.pool, { cooldown_period: 60, ...seed });
  const columns = Object.keys(controls);
  await db.pool.query(`UPDATE dca_assets SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [
    ...Object.values(controls),
    assetId,
  ]);
}

async function startTrading(): Promise<InProcessBot> {
  running = await startInProcessBot({ sim, db });
  await running.trading([BTC]);
  return running;
}

async function restart(): Promise<InProcessBot> {
  await running?.bot.stop('restart');
  running = null;
  return startTrading();
}

const cycle = async () => (await currentCycle(db.pool, assetId)) as CycleRecord;
const orders = () => sim.listOrders();
const sells = () => orders().filter((o) => o.side === 'sell');
const amount = (value: string | null) => (value === null ? null : dec(value).toFixed());

async function untilCycle(accept: (c: CycleRecord) => boolean, what: string): Promise<CycleRecord> {
  return waitUntil(cycle, accept, { what, timeoutMs: 15_000 });
}

/** Publishes a quote until the asset actor has it and its lane is idle: whatever it set off has run. */
async function quoteSeen(bid: string, ask: string): Promise<void> {
  await quoteUntil(sim, BTC, bid, ask, () => {
    const actor = running!.bot.registry.get(BTC);
    const seen = actor?.view().lastQuote;
    return seen?.ask.eq(ask) === true && seen.bid.eq(bid) && actor!.laneBusySince() === null;
  });
  // The lane may be between two pieces of work (the write of a peak, the position read it asked for).
  await waitUntil(
    () => running!.bot.registry.get(BTC)!.laneBusySince(),
    (t) => t === null,
  );
}

/** The buy at `ask` is placed and its fill booked (safetyOrders counts the safety ones). */
async function buyAt(bid: string, ask: string, count: number): Promise<SimOrder> {
  await quoteUntil(sim, BTC, bid, ask, () => orders().length >= count);
  const order = orders()[count - 1]!;
  await untilCycle((c) => c.status === 'watching' && c.client_order_id === order.clientOrderId, 'buy booked');
  return order;
}

function expectBuy(order: SimOrder, step: string, n: number, limit: string, qty: string): void {
  expect({
    clientOrderId: order.clientOrderId,
    side: order.side,
    limitPrice: order.limitPrice?.toFixed(),
    qty: order.qty?.toFixed(),
  }).toEqual({
    clientOrderId: `dca-${inst}-${assetCycleId}-${step}-${n}`,
    side: 'buy',
    limitPrice: limit,
    qty,
  });
}

let assetCycleId = 0;

async function finishedCycles(): Promise<[CycleRecord, CycleRecord]> {
  const rows = await waitUntil(
    async () => (await cyclesOf(db.pool, assetId)) as CycleRecord[],
    (r) => r.length === 2,
    { what: 'the cycle completed and the next one created', timeoutMs: 15_000 },
  );
  return [rows[0]!, rows[1]!];
}

describe('trailing take-profit', () => {
  const TRAILING = { ttp_enabled: 1, ttp_deviation_percent: '0.5' };

  it('rides the rise past the take-profit price and sells on the pullback, not at the first touch', async () => {
    await anAsset({}, TRAILING);
    await startTrading();
    assetCycleId = (await cycle()).id;
    expectBuy(await buyAt('49990', '50000', 1), 'base', 1, '50000', '0.0004');

    // 1 % above the 50000 average: the trailing starts at the take-profit price, nothing is sold.
    await quoteSeen('50500', '50510');
    expect(amount((await cycle()).ttp_peak_price)).toBe('50500');
    await quoteSeen('50800', '50810');
    expect(amount((await cycle()).ttp_peak_price)).toBe('50800');
    // 0.5 % below the 50800 peak is 50546: 50600 is a pullback too small to sell.
    await quoteSeen('50600', '50610');
    expect(sells()).toEqual([]);
    expect(amount((await cycle()).ttp_peak_price)).toBe('50800');

    await quoteUntil(sim, BTC, '50546', '50556', () => sells().length === 1);
    const sell = sells()[0]!;
    expect([sell.type, sell.clientOrderId, sell.qty?.toFixed()]).toEqual([
      'market',
      `dca-${inst}-${assetCycleId}-tp-2`,
      dec('0.0004').mul(dec(1).minus(FEE)).toFixed(),
    ]);
    const [done, next] = await finishedCycles();
    expect(done.status).toBe('complete');
    // 0.000399 sold at 50546 less the 0.25 % fee, minus the 20 USD the base cost.
    expect(amount(done.realized_pnl)).toBe('0.117434365');
    expect(next.status).toBe('cooldown');
    expect(running!.lines.filter((l) => l['code'] === 'TRAILING_STARTED')).toHaveLength(1);
  });

  it('keeps trailing from the stored peak after a restart', async () => {
    await anAsset({}, TRAILING);
    await startTrading();
    assetCycleId = (await cycle()).id;
    await buyAt('49990', '50000', 1);
    await quoteSeen('50500', '50510');
    await quoteSeen('50900', '50910');
    expect(amount((await cycle()).ttp_peak_price)).toBe('50900');

    await restart();
    // A fresh start would trail from 50700 and sell at 50446.5; the stored peak sells at 50645.5.
    await quoteSeen('50700', '50710');
    expect(amount((await cycle()).ttp_peak_price)).toBe('50900');
    expect(sells()).toEqual([]);
    await quoteUntil(sim, BTC, '50645', '50655', () => sells().length === 1);
    const [done] = await finishedCycles();
    expect(amount(done.realized_pnl)).toBe('0.1568366125');
    expect(amount(done.ttp_peak_price)).toBe('50900');
  });
});

describe('stop-loss', () => {
  it('sells everything at market after the last safety order, records the loss and cools down', async () => {
    await anAsset({ safety_order_amount: '19.6', max_safety_orders: 1 }, { stop_loss_percent: '5' });
    const bot = await startTrading();
    assetCycleId = (await cycle()).id;
    await buyAt('49990', '50000', 1);
    await buyAt('48990', '49000', 2);
    expect(amount((await cycle()).average_purchase_price)).toBe('49500');

    // 5 % below the 49500 average is 47025: 47100 does not sell.
    await quoteSeen('47100', '47110');
    // Nor does a glitch on the stream: the quote band drops it before any machine sees it.
    const before = bot.bot.marketData.counters.received;
    await waitUntil(
      () => {
        sim.injectStreamQuote(BTC, 1e-300, 2e-300);
        return bot.bot.marketData.counters.received;
      },
      (n) => n >= before + 3,
      { what: 'glitch quotes received', intervalMs: 200 },
    );
    await quoteSeen('47100', '47110');
    expect(sells()).toEqual([]);

    await quoteUntil(sim, BTC, '47025', '47035', () => sells().length === 1);
    const sell = sells()[0]!;
    const held = dec('0.0008').mul(dec(1).minus(FEE)).toFixed();
    expect([sell.type, sell.clientOrderId, sell.qty?.toFixed()]).toEqual([
      'market',
      `dca-${inst}-${assetCycleId}-sl-3`,
      held,
    ]);
    const [done, next] = await finishedCycles();
    expect(done.status).toBe('complete');
    expect(amount(done.quantity)).toBe('0');
    // 0.000798 sold at 47025 less the 0.25 % fee, minus the 39.60 USD the buys cost.
    expect(amount(done.realized_pnl)).toBe('-2.167864875');
    expect(next.status).toBe('cooldown');
    const ledger = await ledgerOf(db.pool, assetId);
    expect(ledger.map((o) => [o.step, o.side, o.status])).toEqual([
      ['base', 'buy', 'filled'],
      ['so1', 'buy', 'filled'],
      ['sl', 'sell', 'filled'],
    ]);
    expect(bot.lines.filter((l) => l['code'] === 'STOP_LOSS')).toHaveLength(1);
    const [asset] = (
      await db.pool.query('SELECT last_sell_price FROM dca_assets WHERE id = ?', [assetId])
    )[0] as [{ last_sell_price: string }];
    expect(amount(asset.last_sell_price)).toBe('47025');
  });
});

describe('safety order scaling', () => {
  it('buys a volume- and step-scaled ladder with exact amounts at exact trigger prices', async () => {
    await anAsset(
      { max_safety_orders: 3 },
      { safety_order_volume_scale: '2', safety_order_step_scale: '1.5' },
    );
    await startTrading();
    assetCycleId = (await cycle()).id;
    expectBuy(await buyAt('49990', '50000', 1), 'base', 1, '50000', '0.0004');

    // so1: 20 USD, 1.5 % below 50000 = 49250.
    await quoteSeen('49241', '49251');
    expect(orders()).toHaveLength(1);
    expectBuy(await buyAt('49240', '49250', 2), 'so1', 2, '49250', '0.000406091');
    // so2: 40 USD, 2.25 % below 49250 = 48141.875 (the sim prices BTC in whole dollars).
    await quoteSeen('48132', '48142');
    expect(orders()).toHaveLength(2);
    expectBuy(await buyAt('48131', '48141', 3), 'so2', 3, '48141', '0.000830892');
    // so3: 80 USD, 3.375 % below 48141 = 46516.24125.
    await quoteSeen('46507', '46517');
    expect(orders()).toHaveLength(3);
    expectBuy(await buyAt('46506', '46516', 4), 'so3', 4, '46516', '0.001719838');

    const c = await cycle();
    expect(c.safety_orders).toBe(3);
    // 20 + 19.99998… + 39.99998… + 79.99998…: each order's qty × its fill price.
    const cost = [
      ['0.0004', '50000'],
      ['0.000406091', '49250'],
      ['0.000830892', '48141'],
      ['0.001719838', '46516'],
    ].reduce((sum, [q, p]) => sum.plus(dec(q!).mul(p!)), dec(0));
    expect(amount(c.cost_basis)).toBe(cost.toFixed());
    // Past max_safety_orders: no fourth one, however far the price falls.
    await quoteSeen('44000', '44010');
    expect(orders()).toHaveLength(4);
  });
});
