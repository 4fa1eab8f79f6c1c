import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listenTradeUpdates, type SimHarness, startSimHarness, waitForOrder } from '../helpers/sim.js';
import { waitFor } from '../helpers/wait.js';

// Order life takes time, as on Alpaca: these tests use the default latencies except where a
// long cancel latency makes the pending state observable without a race.
let h: SimHarness;
let slowCancel: SimHarness;
let n = 0;
const cid = () => `life-${++n}`;

beforeAll(async () => {
  [h, slowCancel] = await Promise.all([
    startSimHarness({ pendingEvents: true }),
    startSimHarness({ latency: { cancel: 400 } }),
  ]);
});
afterAll(() => Promise.all([h.close(), slowCancel.close()]));
beforeEach(() => {
  h.disconnectStreams();
  slowCancel.disconnectStreams();
  h.sim.faults.reset();
  slowCancel.sim.faults.reset();
});

const restingBuy = (x: SimHarness, clientOrderId = cid()) =>
  x.sdk.orders.postOrder({
    postOrderRequest: {
      symbol: 'ETH/USD',
      side: 'buy',
      type: 'limit',
      qty: '1',
      limitPrice: '1000',
      timeInForce: 'gtc',
      clientOrderId,
    },
  });

describe('order life on the simulator, through the SDK', () => {
  it('answers a POST with pending_new and nothing filled; new and the fill follow on the stream', async () => {
    const { updates } = await listenTradeUpdates(h);
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.01', timeInForce: 'gtc' },
    });
    expect([placed.status, placed.filledQty, placed.filledAt ?? null]).toEqual(['pending_new', '0', null]);
    await waitFor(() => updates.some((u) => u.event === 'fill'), 3_000, 'fill');
    expect(updates.map((u) => u.event)).toEqual(['pending_new', 'new', 'fill']);
  });

  it('answers a DELETE with 204 while the order sits in pending_cancel, holding its buying power', async () => {
    const x = slowCancel;
    const before = Number((await x.sdk.account.getAccount()).buyingPower);
    const placed = await restingBuy(x);
    await waitForOrder(x.sim, placed.id!, 'new');
    await x.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! });
    expect((await x.sdk.orders.getOrderByOrderID({ orderId: placed.id! })).status).toBe('pending_cancel');
    expect((await x.sdk.orders.getAllOrders({ status: 'open' })).map((o) => o.id)).toContain(placed.id);
    expect(Number((await x.sdk.account.getAccount()).buyingPower)).toBe(before - 1000);
    await waitForOrder(x.sim, placed.id!, 'canceled');
    expect(Number((await x.sdk.account.getAccount()).buyingPower)).toBe(before);
  });

  it('fills an order whose cancel is still pending, and then does not cancel it', async () => {
    const x = slowCancel;
    const { updates } = await listenTradeUpdates(x);
    const placed = await restingBuy(x);
    await waitForOrder(x.sim, placed.id!, 'new');
    await x.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! });
    x.sim.publishQuote('ETH/USD', '999', '1000');
    await waitForOrder(x.sim, placed.id!, 'filled');
    await new Promise((r) => setTimeout(r, 450));
    expect(x.sim.getOrder(placed.id!)?.status).toBe('filled');
    expect(updates.filter((u) => u.order.id === placed.id).map((u) => u.event)).toEqual(['new', 'fill']);
  });

  it('cancels only the rest of an order partly filled while its cancel was pending', async () => {
    const x = slowCancel;
    x.sim.faults.setPartialFills('0.5');
    // One crossing quote, published once, gives exactly one match: at the quote if the order is
    // matchable by then, or when it becomes matchable. The quote before it does not cross.
    x.sim.publishQuote('ETH/USD', '1999', '2000');
    const placed = await restingBuy(x);
    await waitForOrder(x.sim, placed.id!, 'new');
    await x.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! });
    x.sim.publishQuote('ETH/USD', '999', '1000');
    // It becomes matchable a few ms after `new`, then takes its half of the size.
    await waitFor(() => x.sim.getOrder(placed.id!)?.filledQty.gt(0) ?? false, 3_000, 'partial fill');
    const mid = await x.sdk.orders.getOrderByOrderID({ orderId: placed.id! });
    expect([mid.status, mid.filledQty]).toEqual(['pending_cancel', '0.5']);
    await waitForOrder(x.sim, placed.id!, 'canceled');
    expect(x.sim.getOrder(placed.id!)?.filledQty.toFixed()).toBe('0.5');
  });

  it('refuses a second cancel while the first is pending', async () => {
    const x = slowCancel;
    const placed = await restingBuy(x);
    await x.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! });
    await expect(x.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! })).rejects.toMatchObject({
      status: 422,
    });
  });

  it('cancels an order still pending_new before it ever becomes new', async () => {
    const { updates } = await listenTradeUpdates(h);
    const placed = await restingBuy(h);
    await h.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! });
    await waitForOrder(h.sim, placed.id!, 'canceled');
    await new Promise((r) => setTimeout(r, 30));
    const events = updates.filter((u) => u.order.id === placed.id).map((u) => u.event);
    expect(events[events.length - 1]).toBe('canceled');
    expect(events).not.toContain('fill');
  });

  it('is instant with latency 0: new and the fill happen before the POST is answered', async () => {
    const instant = await startSimHarness({ latency: 0 });
    try {
      instant.sim.publishQuote('BTC/USD', '60000', '60010');
      const placed = await instant.sdk.orders.postOrder({
        postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.01', timeInForce: 'gtc' },
      });
      expect(placed.status).toBe('new');
      expect(instant.sim.getOrder(placed.id!)?.status).toBe('filled');
      const resting = await restingBuy(instant);
      await instant.sdk.orders.deleteOrderByOrderID({ orderId: resting.id! });
      expect(instant.sim.getOrder(resting.id!)?.status).toBe('canceled');
    } finally {
      await instant.close();
    }
  });
});
