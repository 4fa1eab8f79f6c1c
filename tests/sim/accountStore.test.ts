/**
 * A simulator given a store keeps its account across a restart: cash, positions, orders (open ones
 * go on matching), the latest quotes and the trade counter, in `sim_*` tables it creates itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import type { SimAccountWrite } from '../../src/sim/accountStore.js';
import {
  clearSimAccount,
  openSimAccountStore,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/sim/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { listenTradeUpdates, startSimHarness } from '../helpers/sim.js';
import { waitFor } from '../helpers/wait.js';

const BTC = 'BTC/USD';

let db: TestDatabase;
const running = new Set<Simulator>();

beforeEach(async () => {
  db = await createTestDatabase({ migrate: false, sim: true });
});
afterEach(async () => {
  for (const sim of running) await sim.close();
  running.clear();
  await db.drop();
});

async function start(opts: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ latency: 0, store: await openSimAccountStore(db.pool), ...opts });
  running.add(sim);
  return sim;
}

async function restart(sim: Simulator, opts: SimulatorOptions = {}): Promise<Simulator> {
  await sim.close();
  running.delete(sim);
  return start(opts);
}

describe('the simulator account in sim_* tables', () => {
  it('comes back after a restart as it was: cash, positions, orders, quotes, account id', async () => {
    let sim = await start();
    sim.publishQuote(BTC, '59990', '60000');
    const bought = sim.placeOrder({
      symbol: BTC,
      side: 'buy',
      type: 'limit',
      qty: '0.001',
      limitPrice: '60000',
      clientOrderId: 'filled-buy',
    });
    const open = sim.placeOrder({
      symbol: BTC,
      side: 'buy',
      type: 'limit',
      qty: '0.001',
      limitPrice: '59000',
      clientOrderId: 'open-buy',
    });
    const before = {
      account: sim.account(),
      positions: sim.positions(),
      orders: sim.listOrders(),
      quote: sim.latestQuote(BTC),
    };
    expect(sim.getOrder(bought.id)?.status).toBe('filled');

    sim = await restart(sim);
    const account = sim.account();
    expect(account.id).toBe(before.account.id);
    expect(account.cash.toFixed()).toBe(before.account.cash.toFixed());
    expect(account.buyingPower.toFixed()).toBe(before.account.buyingPower.toFixed());
    expect(account.createdAt.getTime()).toBe(before.account.createdAt.getTime());
    expect(sim.positions().map((p) => [p.symbol, p.qty.toFixed(), p.avgEntryPrice.toFixed()])).toEqual(
      before.positions.map((p) => [p.symbol, p.qty.toFixed(), p.avgEntryPrice.toFixed()]),
    );
    const shape = (o: ReturnType<Simulator['listOrders']>[number]) => ({
      ...o,
      qty: o.qty?.toFixed(),
      limitPrice: o.limitPrice?.toFixed(),
      filledQty: o.filledQty.toFixed(),
      filledValue: o.filledValue.toFixed(),
    });
    expect(sim.listOrders().map(shape)).toEqual(before.orders.map(shape));
    expect(sim.latestQuote(BTC)?.ask.toFixed()).toBe(before.quote?.ask.toFixed());

    // The open order still reserves its cash and fills when the price comes down to it.
    sim.publishQuote(BTC, '58990', '59000');
    expect(sim.getOrder(open.id)?.status).toBe('filled');
    expect(sim.positions()[0]?.qty.toFixed()).toBe('0.001995');

    // And a third start sees that fill too, with the orders still in their order.
    sim.placeOrder({ symbol: BTC, side: 'sell', type: 'market', qty: '0.001', clientOrderId: 'sell' });
    const cash = sim.account().cash.toFixed();
    sim = await restart(sim);
    expect(sim.listOrders().map((o) => [o.clientOrderId, o.status])).toEqual([
      ['filled-buy', 'filled'],
      ['open-buy', 'filled'],
      ['sell', 'filled'],
    ]);
    expect(sim.account().cash.toFixed()).toBe(cash);
    expect(sim.positions()[0]?.qty.toFixed()).toBe('0.000995');
  });

  it('refuses a client order id used before the restart, as Alpaca does', async () => {
    let sim = await start();
    sim.publishQuote(BTC, '59990', '60000');
    sim.placeOrder({
      symbol: BTC,
      side: 'buy',
      type: 'limit',
      qty: '0.001',
      limitPrice: '50000',
      clientOrderId: 'x',
    });
    sim = await restart(sim);
    expect(() =>
      sim.placeOrder({
        symbol: BTC,
        side: 'buy',
        type: 'limit',
        qty: '0.001',
        limitPrice: '50000',
        clientOrderId: 'x',
      }),
    ).toThrow(/client_order_id must be unique/);
  });

  it('keeps a position set by hand and the cash set by hand', async () => {
    let sim = await start();
    sim.setPosition(BTC, '0.5', '61000');
    sim.setCash('1234.56');
    sim = await restart(sim);
    expect(sim.account().cash.toFixed()).toBe('1234.56');
    expect(sim.positions().map((p) => [p.qty.toFixed(), p.avgEntryPrice.toFixed()])).toEqual([
      ['0.5', '61000'],
    ]);
    sim.setPosition(BTC, '0', '0');
    sim = await restart(sim);
    expect(sim.positions()).toEqual([]);
  });

  it('starts with the configured cash when nothing is stored, and over again once cleared', async () => {
    let sim = await start({ cash: '500' });
    sim.setCash('400');
    const id = sim.account().id;
    await sim.close();
    running.delete(sim);
    expect(await clearSimAccount(db.pool)).toEqual([
      'sim_account',
      'sim_positions',
      'sim_orders',
      'sim_quotes',
    ]);
    sim = await start({ cash: '500' });
    expect(sim.account().cash.toFixed()).toBe('500');
    expect(sim.account().id).not.toBe(id);
    expect(dec(sim.account().equity).toFixed()).toBe('500');
  });

  it('clears nothing in a database where the simulator never ran', async () => {
    expect(await clearSimAccount(db.pool)).toEqual([]);
  });

  it('sends a fill on trade_updates only once the fill is stored', async () => {
    const real = await openSimAccountStore(db.pool);
    // A store whose writes wait until the test lets them through.
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    const stored: SimAccountWrite[] = [];
    const store = {
      load: () => real.load(),
      async write(change: SimAccountWrite) {
        await gate;
        await real.write(change);
        stored.push(change);
      },
    };
    const h = await startSimHarness({ latency: 0, store });
    try {
      const { updates } = await listenTradeUpdates(h);
      h.sim.publishQuote(BTC, '59990', '60000');
      await waitFor(() => stored.length > 0 && stored.at(-1)!.quotes.length > 0, 3_000, 'the quote stored');
      gate = new Promise((r) => {
        release = r;
      });
      h.sim.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: '0.001', clientOrderId: 'held' });
      await new Promise((r) => setTimeout(r, 200));
      expect(updates).toEqual([]);
      release();
      await waitFor(() => updates.some((u) => u.event === 'fill'), 3_000, 'the fill sent');
      const fill = stored.find((w) => w.orders.some((o) => o.order.status === 'filled'));
      expect(fill?.positions.map((p) => p.symbol)).toEqual([BTC]);
      expect(updates.map((u) => u.event)).toEqual(['new', 'fill']);
    } finally {
      await h.close();
    }
  });

  it('retries a failed write with everything changed since, and reports an outage once', async () => {
    const real = await openSimAccountStore(db.pool);
    let failures = 3;
    const errors: unknown[] = [];
    const store = {
      load: () => real.load(),
      async write(change: SimAccountWrite) {
        if (failures > 0) {
          failures--;
          throw new Error('database down');
        }
        await real.write(change);
      },
    };
    let sim = await start({ store, onStoreError: (err) => errors.push(err) });
    sim.publishQuote(BTC, '59990', '60000');
    sim.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: '0.001', clientOrderId: 'through' });
    await waitFor(() => failures === 0, 10_000, 'the outage over');
    sim = await restart(sim);
    expect(errors).toHaveLength(1);
    expect(sim.getOrder('through')?.status).toBe('filled');
    expect(sim.positions()[0]?.qty.toFixed()).toBe('0.0009975');
  });
});
