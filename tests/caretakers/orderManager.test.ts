import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelReason } from '../../src/actors/caretakers/orderManager.js';
import type { OrderSnapshot } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { insertAsset } from '../helpers/db.js';
import { waitFor, waitForOrder } from '../helpers/sim.js';
import { type Harness, latestStatus, minutesFromNow, quoteUntil, startHarness } from './harness.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const STALE_MS = 300_000;
const NONE = { clientOrderIds: new Set<string>(), orderIds: new Set<string>() };

function anOrder(overrides: Partial<OrderSnapshot>): OrderSnapshot {
  return {
    id: 'order-1',
    clientOrderId: 'dca-7-base-1',
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'limit',
    status: 'new',
    qty: dec('0.001'),
    notional: null,
    limitPrice: dec('50000'),
    filledQty: dec(0),
    filledAvgPrice: null,
    timeInForce: 'gtc',
    createdAt: new Date(NOW.getTime() - 10 * 60_000),
    updatedAt: null,
    filledAt: null,
    ...overrides,
  };
}

describe('which open orders the order manager cancels', () => {
  it('cancels a bot buy limit older than the stale age even while its cycle waits on it', () => {
    const inFlight = { clientOrderIds: new Set(['dca-7-base-1']), orderIds: new Set<string>() };
    expect(cancelReason(anOrder({}), inFlight, NOW, STALE_MS)).toBe('stale_buy');
  });

  it('leaves a bot order younger than the stale age alone', () => {
    const young = anOrder({ createdAt: new Date(NOW.getTime() - 60_000), clientOrderId: 'dca-999-tp-1' });
    expect(cancelReason(young, NONE, NOW, STALE_MS)).toBeNull();
  });

  it('keeps an old sell that a selling cycle has in flight, by client order id or by order id', () => {
    const sell = anOrder({ side: 'sell', type: 'market', clientOrderId: 'dca-7-tp-2', id: 'alpaca-9' });
    const byClientId = { clientOrderIds: new Set(['dca-7-tp-2']), orderIds: new Set<string>() };
    const byOrderId = { clientOrderIds: new Set<string>(), orderIds: new Set(['alpaca-9']) };
    expect(cancelReason(sell, byClientId, NOW, STALE_MS)).toBeNull();
    expect(cancelReason(sell, byOrderId, NOW, STALE_MS)).toBeNull();
    expect(cancelReason(sell, NONE, NOW, STALE_MS)).toBe('orphan');
  });

  it('never cancels an order placed by hand, however old', () => {
    expect(cancelReason(anOrder({ clientOrderId: 'my-order' }), NONE, NOW, STALE_MS)).toBeNull();
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
    expect(ids).toEqual(expect.arrayContaining(['orderManager', 'cooldownManager', 'consistency']));
    expect(
      h.bot.supervisor
        .status()
        .filter((c) => c.id !== 'asset:BTC/USD')
        .map((c) => c.state),
    ).toEqual(['running', 'running', 'running', 'running', 'running', 'running']);
  });

  it('cancels a stale base order and the cycle returns to watching through trade_updates', async () => {
    const actor = h.bot.registry.get('BTC/USD')!;
    h.sim.faults.holdOrders();
    await quoteUntil(
      h.sim,
      { symbol: 'BTC/USD', bid: '50000', ask: '50010' },
      () => actor.view().cycle?.latestOrderId != null,
      'base order submitted',
    );
    const clientOrderId = actor.view().cycle!.clientOrderId!;
    const manager = h.bot.caretakers.orderManager;

    expect((await manager.runOnce(new Date())).canceled).toEqual([]);
    const run = await manager.runOnce(minutesFromNow(10));

    expect(run.canceled).toEqual([{ clientOrderId, reason: 'stale_buy' }]);
    // A cancel is pending a few ms on the exchange before the order is canceled.
    await waitForOrder(h.sim, clientOrderId, 'canceled');
    await waitFor(() => actor.view().state === 'watching', 5_000, 'cycle back to watching');
    expect(await latestStatus(h.db.pool, assetId)).toBe('watching');
    h.sim.faults.releaseOrders();
  });

  it('cancels orphaned bot orders and leaves an order placed by hand untouched', async () => {
    h.sim.setPosition('BTC/USD', '0.01', '50000');
    // Each order is worth at least the exchange's 10 USD minimum.
    const order = { symbol: 'BTC/USD', type: 'limit', qty: '0.01' } as const;
    h.sim.placeOrder({ ...order, side: 'buy', limitPrice: '1000', clientOrderId: 'dca-999-base-1' });
    h.sim.placeOrder({ ...order, side: 'sell', limitPrice: '90000', clientOrderId: 'dca-999-tp-1' });
    const byHand = h.sim.placeOrder({
      ...order,
      side: 'buy',
      limitPrice: '1000',
      clientOrderId: 'bought-by-me',
    });

    const run = await h.bot.caretakers.orderManager.runOnce(minutesFromNow(10));

    expect(run.canceled).toEqual(
      expect.arrayContaining([
        { clientOrderId: 'dca-999-base-1', reason: 'stale_buy' },
        { clientOrderId: 'dca-999-tp-1', reason: 'orphan' },
      ]),
    );
    expect(run.canceled).toHaveLength(2);
    await waitForOrder(h.sim, 'dca-999-tp-1', 'canceled');
    expect(h.sim.getOrder(byHand.id)?.status).toBe(byHand.status);
    expect(h.sim.getOrder(byHand.id)?.status).not.toBe('canceled');
  });
});
