import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelReason } from '../../src/actors/caretakers/orderManager.js';
import type { Installation } from '../../src/clientOrderId.js';
import type { OrderSnapshot } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { quoteUntil } from '../helpers/bot.js';
import { anOrder } from '../helpers/cycle.js';
import { insertAsset, insertCycle } from '../helpers/db.js';
import { waitForOrder } from '../helpers/sim.js';
import { waitFor } from '../helpers/wait.js';
import { type Harness, latestStatus, minutesFromNow, startHarness } from './harness.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const STALE_MS = 300_000;
const NONE = { clientOrderIds: new Set<string>(), orderIds: new Set<string>() };
/** A database created with installation ids: no pre-installation order is its own. */
const FRESH: Installation = { id: 'thisinst', legacyCycleMax: null };
/** A database upgraded in place when its newest cycle was 7. */
const UPGRADED: Installation = { id: 'thisinst', legacyCycleMax: 7 };

/** An open bot buy limit under this installation, placed ten minutes before NOW. */
const openOrder = (overrides: Partial<OrderSnapshot>): OrderSnapshot =>
  anOrder({
    clientOrderId: 'dca-thisinst-7-base-1',
    status: 'new',
    qty: dec('0.001'),
    limitPrice: dec('50000'),
    createdAt: new Date(NOW.getTime() - 10 * 60_000),
    ...overrides,
  });

describe('which open orders the order manager cancels', () => {
  it('cancels a bot buy limit older than the stale age even while its cycle waits on it', () => {
    const inFlight = { clientOrderIds: new Set(['dca-thisinst-7-base-1']), orderIds: new Set<string>() };
    expect(cancelReason(openOrder({}), inFlight, NOW, STALE_MS, FRESH)).toBe('stale_buy');
  });

  it('leaves a bot order younger than the stale age alone', () => {
    const young = openOrder({
      createdAt: new Date(NOW.getTime() - 60_000),
      clientOrderId: 'dca-thisinst-999-tp-1',
    });
    expect(cancelReason(young, NONE, NOW, STALE_MS, FRESH)).toBeNull();
  });

  it('keeps an old sell that a selling cycle has in flight, by client order id or by order id', () => {
    const sell = openOrder({
      side: 'sell',
      type: 'market',
      clientOrderId: 'dca-thisinst-7-tp-2',
      id: 'alpaca-9',
    });
    const byClientId = { clientOrderIds: new Set(['dca-thisinst-7-tp-2']), orderIds: new Set<string>() };
    const byOrderId = { clientOrderIds: new Set<string>(), orderIds: new Set(['alpaca-9']) };
    expect(cancelReason(sell, byClientId, NOW, STALE_MS, FRESH)).toBeNull();
    expect(cancelReason(sell, byOrderId, NOW, STALE_MS, FRESH)).toBeNull();
    expect(cancelReason(sell, NONE, NOW, STALE_MS, FRESH)).toBe('orphan');
  });

  it('never cancels an order placed by hand, however old', () => {
    expect(cancelReason(openOrder({ clientOrderId: 'my-order' }), NONE, NOW, STALE_MS, FRESH)).toBeNull();
  });

  it("never cancels another installation's dca-bot order, however old (defect 5)", () => {
    const theirs = openOrder({ clientOrderId: 'dca-otherone-7-base-1' });
    const theirSell = openOrder({ side: 'sell', type: 'market', clientOrderId: 'dca-otherone-7-tp-2' });
    expect(cancelReason(theirs, NONE, NOW, STALE_MS, UPGRADED)).toBeNull();
    expect(cancelReason(theirSell, NONE, NOW, STALE_MS, UPGRADED)).toBeNull();
  });

  it('never cancels a pre-installation id in a database created with installation ids (defect 5)', () => {
    const legacy = openOrder({ clientOrderId: 'dca-7-base-1' });
    expect(cancelReason(legacy, NONE, NOW, STALE_MS, FRESH)).toBeNull();
  });

  it('still cares for the pre-installation orders of a database upgraded in place, up to its last cycle', () => {
    expect(cancelReason(openOrder({ clientOrderId: 'dca-7-base-1' }), NONE, NOW, STALE_MS, UPGRADED)).toBe(
      'stale_buy',
    );
    expect(
      cancelReason(openOrder({ clientOrderId: 'dca-8-base-1' }), NONE, NOW, STALE_MS, UPGRADED),
    ).toBeNull();
  });
});

describe('the order manager against the simulator', () => {
  let h: Harness;
  let assetId: number;

  beforeAll(async () => {
    h = await startHarness({
      symbols: ['BTC/USD'],
      setup: async (pool) => {
        assetId = await insertAsset(pool);
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('runs with the other caretakers as supervised children after the asset poller', () => {
    const ids = h.bot.supervisor.status().map((c) => c.id);
    expect(ids.indexOf('orderManager')).toBeGreaterThan(ids.indexOf('assets'));
    expect(ids).toEqual(expect.arrayContaining(['orderManager', 'consistency']));
    expect(
      h.bot.supervisor
        .status()
        .filter((c) => c.id !== 'asset:BTC/USD')
        .map((c) => c.state),
    ).toEqual(['running', 'running', 'running', 'running', 'running']);
  });

  it('cancels a stale base order and the cycle returns to watching through trade_updates', async () => {
    const actor = h.bot.registry.get('BTC/USD')!;
    h.sim.faults.holdOrders();
    await quoteUntil(h.sim, 'BTC/USD', '50000', '50010', () => actor.view().cycle?.latestOrderId != null, {
      what: 'base order submitted',
    });
    const clientOrderId = actor.view().cycle!.clientOrderId!;
    const manager = h.bot.caretakers.orderManager;

    expect((await manager.runOnce(new Date())).canceled).toEqual([]);
    const run = await manager.runOnce(minutesFromNow(10));

    expect(run.canceled).toEqual([{ clientOrderId, reason: 'stale_buy' }]);
    // A cancel is pending a few ms on the exchange before the order is canceled.
    await waitForOrder(h.sim, clientOrderId, 'canceled');
    await waitFor(() => actor.view().state === 'watching', 5_000, 'cycle back to watching');
    // The machine moves first; its row follows once the step's write has committed.
    await actor.idle();
    expect(await latestStatus(h.db.pool, assetId)).toBe('watching');
    h.sim.faults.releaseOrders();
  });

  it('cancels orphaned bot orders and leaves an order placed by hand untouched', async () => {
    h.sim.setPosition('BTC/USD', '0.01', '50000');
    // Each order is worth at least the exchange's 10 USD minimum.
    const order = { symbol: 'BTC/USD', type: 'limit', qty: '0.01' } as const;
    const ours = (rest: string) => `dca-${h.bot.installation.id}-${rest}`;
    h.sim.placeOrder({ ...order, side: 'buy', limitPrice: '1000', clientOrderId: ours('999-base-1') });
    h.sim.placeOrder({ ...order, side: 'sell', limitPrice: '90000', clientOrderId: ours('999-tp-1') });
    const byHand = h.sim.placeOrder({
      ...order,
      side: 'buy',
      limitPrice: '1000',
      clientOrderId: 'bought-by-me',
    });

    const run = await h.bot.caretakers.orderManager.runOnce(minutesFromNow(10));

    expect(run.canceled).toEqual(
      expect.arrayContaining([
        { clientOrderId: ours('999-base-1'), reason: 'stale_buy' },
        { clientOrderId: ours('999-tp-1'), reason: 'orphan' },
      ]),
    );
    expect(run.canceled).toHaveLength(2);
    await waitForOrder(h.sim, ours('999-tp-1'), 'canceled');
    expect(h.sim.getOrder(byHand.id)?.status).toBe(byHand.status);
    expect(h.sim.getOrder(byHand.id)?.status).not.toBe('canceled');
  });

  it("never cancels another installation's orders or old pre-installation ones on the same account (defect 5)", async () => {
    h.sim.setPosition('BTC/USD', '0.05', '50000');
    // Each order is worth at least the exchange's 10 USD minimum.
    const order = { symbol: 'BTC/USD', type: 'limit', qty: '0.01' } as const;
    const left = [
      h.sim.placeOrder({ ...order, side: 'buy', limitPrice: '1000', clientOrderId: 'dca-otherone-1-base-1' }),
      h.sim.placeOrder({ ...order, side: 'sell', limitPrice: '90000', clientOrderId: 'dca-otherone-1-tp-2' }),
      h.sim.placeOrder({ ...order, side: 'buy', limitPrice: '1000', clientOrderId: 'dca-1-base-1' }),
      h.sim.placeOrder({ ...order, side: 'sell', limitPrice: '90000', clientOrderId: 'dca-1-tp-2' }),
    ];

    const run = await h.bot.caretakers.orderManager.runOnce(minutesFromNow(10));

    expect(run.canceled.filter((c) => left.some((o) => o.clientOrderId === c.clientOrderId))).toEqual([]);
    expect(left.map((o) => h.sim.getOrder(o.id)?.status)).toEqual(['new', 'new', 'new', 'new']);
  });
});

describe('the order manager of a database upgraded in place (defect 5)', () => {
  let h: Harness;
  const order = { symbol: 'BTC/USD', type: 'limit', qty: '0.01' } as const;

  beforeAll(async () => {
    h = await startHarness({
      symbols: ['BTC/USD'],
      setup: async (pool, sim) => {
        const assetId = await insertAsset(pool);
        // Cycles 1 and 2 ran before the upgrade; cycle 1's take-profit was left open by a crash.
        const old = await insertCycle(pool, assetId, { status: 'complete', client_order_id: 'dca-1-tp-2' });
        await insertCycle(pool, assetId);
        await pool.query(
          `INSERT INTO dca_orders (cycle_id, asset_id, client_order_id, step, side, order_type, time_in_force, qty)
           VALUES (?, ?, 'dca-1-tp-2', 'tp', 'sell', 'limit', 'gtc', 0.01)`,
          [old, assetId],
        );
        await pool.query('UPDATE dca_installation SET legacy_cycle_max = 2');
        sim.setPosition('BTC/USD', '0.05', '50000');
        sim.placeOrder({ ...order, side: 'sell', limitPrice: '90000', clientOrderId: 'dca-1-tp-2' });
        // Same cycle range, but this database never placed it: a re-created database's predecessor did.
        sim.placeOrder({ ...order, side: 'sell', limitPrice: '90000', clientOrderId: 'dca-2-tp-9' });
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('cancels its own pre-installation orphan and leaves one its records do not name', async () => {
    const run = await h.bot.caretakers.orderManager.runOnce(minutesFromNow(10));

    expect(run.canceled).toEqual([{ clientOrderId: 'dca-1-tp-2', reason: 'orphan' }]);
    await waitForOrder(h.sim, 'dca-1-tp-2', 'canceled');
    expect(h.sim.getOrder('dca-2-tp-9')?.status).toBe('new');
  });
});
