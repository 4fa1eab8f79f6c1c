import { streaming } from '@alpacahq/alpaca-trade-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/simulator.js';
import {
  listenTradeUpdates,
  type SimHarness,
  startSimHarness,
  waitFor,
  waitForOrder,
} from '../helpers/sim.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness({ maxDataConnections: 4 });
  h.sim.publishQuote('BTC/USD', '60000', '60010');
});
afterAll(() => h.close());
beforeEach(() => {
  h.disconnectStreams();
  h.sim.faults.reset();
});

const limitBuy = (clientOrderId?: string) =>
  h.sdk.orders.postOrder({
    postOrderRequest: {
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '0.01',
      limitPrice: '1000',
      timeInForce: 'gtc',
      ...(clientOrderId ? { clientOrderId } : {}),
    },
  });

async function statusOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { status?: number }).status ?? (err as Error).name;
  }
}

describe('fault injection, observed through the SDK', () => {
  it('fails the next REST calls with the chosen status, then recovers', async () => {
    h.sim.faults.failNextRest(2, 503);
    expect(await statusOf(h.sdk.account.getAccount())).toBe(503);
    expect(await statusOf(limitBuy())).toBe(503);
    expect(await statusOf(h.sdk.account.getAccount())).toBe('ok');
    h.sim.faults.failNextRest(1, 429);
    expect(await statusOf(h.sdk.account.getAccount())).toBe(429);
  });

  it('refuses the next order submissions with the chosen status while other calls are answered', async () => {
    h.sim.faults.failNextOrders(2, 429);
    expect(await statusOf(limitBuy('refused-1'))).toBe(429);
    expect(await statusOf(h.sdk.account.getAccount())).toBe('ok');
    expect(await statusOf(limitBuy('refused-2'))).toBe(429);
    expect(h.sim.getOrder('refused-1')).toBeUndefined();
    expect(await statusOf(limitBuy('refused-3'))).toBe('ok');
  });

  it('creates an order whose response is delayed past the client timeout', async () => {
    h.sim.faults.delayNextOrders(2_500);
    const outcome = await statusOf(limitBuy('delayed-1'));
    expect(outcome).not.toBe('ok');
    expect(h.sim.getOrder('delayed-1')?.status).toBe('new');
  });

  it('creates an order and then cuts the connection without a response', async () => {
    h.sim.faults.hangUpNextOrders();
    expect(await statusOf(limitBuy('hung-1'))).not.toBe('ok');
    await waitForOrder(h.sim, 'hung-1', 'new');
    const found = await h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'hung-1' });
    expect(found.status).toBe('new');
  });

  it('answers a submission at once as pending_new while the order is not yet created', async () => {
    h.sim.faults.delayNextCreations(300, 1, 'first');
    const placed = await limitBuy('late-first-1');
    expect(placed.status).toBe('pending_new');
    expect(await statusOf(h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'late-first-1' }))).toBe(404);
    await waitForOrder(h.sim, 'late-first-1', 'new');
    const found = await h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'late-first-1' });
    expect([found.id, found.status]).toEqual([placed.id, 'new']);
  });

  it('answers a submission only once its delayed creation happened', async () => {
    h.sim.faults.delayNextCreations(300, 1, 'after');
    let answered = false;
    const posting = limitBuy('late-after-1').then((o) => {
      answered = true;
      return o;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(await statusOf(h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'late-after-1' }))).toBe(404);
    expect(answered).toBe(false);
    const placed = await posting;
    expect((await h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'late-after-1' })).id).toBe(
      placed.id,
    );
  });

  it('times a submission out whose creation comes after the client gave up, and creates it then', async () => {
    h.sim.faults.delayNextCreations(2_300, 1, 'after');
    expect(await statusOf(limitBuy('late-timeout-1'))).not.toBe('ok');
    expect(h.sim.getOrder('late-timeout-1')).toBeUndefined();
    await waitFor(() => h.sim.getOrder('late-timeout-1') !== undefined, 3_000, 'late creation');
  });

  it('cuts the connection of a submission at once and creates the order later', async () => {
    h.sim.faults.delayNextCreations(200, 1, 'hang_up');
    expect(await statusOf(limitBuy('late-hangup-1'))).not.toBe('ok');
    expect(await statusOf(h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'late-hangup-1' }))).toBe(
      404,
    );
    await waitFor(() => h.sim.getOrder('late-hangup-1') !== undefined, 3_000, 'late creation');
  });

  it('refuses an invalid submission at once even when creation is delayed', async () => {
    h.sim.faults.delayNextCreations(200, 1, 'first');
    const bad = h.sdk.orders.postOrder({
      postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.001', timeInForce: 'gtc' },
    });
    expect(await statusOf(bad)).toBe(422);
  });

  it('slows one REST route with a stale answer, leaving the others fast', async () => {
    h.sim.setPosition('ETH/USD', '1', '2000');
    h.sim.faults.delayPath('GET /v2/positions/*', 300);
    const order: string[] = [];
    const slow = h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETH/USD' }).then((p) => {
      order.push('position');
      return p;
    });
    await new Promise((r) => setTimeout(r, 30));
    h.sim.setPosition('ETH/USD', '2', '2000');
    await h.sdk.account.getAccount().then(() => order.push('account'));
    expect((await slow).qty).toBe('1');
    expect(order).toEqual(['account', 'position']);
    h.sim.faults.reset();
    expect((await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETH/USD' })).qty).toBe('2');
  });

  it('slows a route before answering, for a count of requests, with the state at answer time', async () => {
    h.sim.setPosition('SOL/USD', '1', '100');
    h.sim.faults.delayPath('GET /v2/positions/*', 300, { when: 'before', count: 1 });
    const slow = h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'SOL/USD' });
    await new Promise((r) => setTimeout(r, 30));
    h.sim.setPosition('SOL/USD', '3', '100');
    // The rule was used up by the first read, so this one is not held behind it.
    expect((await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'SOL/USD' })).qty).toBe('3');
    expect((await slow).qty).toBe('3');
  });

  it('drops the trade_updates socket; the SDK reconnects and no update is replayed', async () => {
    const { updates, connections } = await listenTradeUpdates(h);
    h.sim.faults.dropStream('trading');
    const missed = h.sim.placeOrder({
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '0.01',
      limitPrice: '1000',
    });
    await waitFor(() => connections() >= 2, 3_000, 'reconnect');
    const seen = h.sim.placeOrder({
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '0.01',
      limitPrice: '1000',
    });
    await waitFor(() => updates.length >= 1, 3_000, 'update after reconnect');
    expect(updates.map((u) => u.order.id)).toEqual([seen.id]);
    expect(updates.map((u) => u.order.id)).not.toContain(missed.id);
  });

  it('refuses trade_updates connections for a number of attempts', async () => {
    const { connections, stream } = await listenTradeUpdates(h);
    const reconnects: number[] = [];
    stream.onReconnecting((n) => reconnects.push(n));
    h.sim.faults.refuseStream('trading', { attempts: 2 });
    h.sim.faults.dropStream('trading');
    await waitFor(() => connections() >= 2, 5_000, 'reconnect after refusals');
    expect(reconnects.length).toBeGreaterThanOrEqual(3);
  });

  it('drops and refuses the crypto stream for a time; quotes resume after the reconnect', async () => {
    const stream = h.sdk.cryptoStream();
    const quotes: streaming.StreamQuote[] = [];
    // One subscribe per connection (the SDK re-sends it after each authentication), so one ack each.
    let subscriptions = 0;
    stream.onQuote((q) => quotes.push(q));
    stream.on(streaming.EVENT.SUBSCRIPTION, () => {
      subscriptions++;
    });
    stream.subscribeForQuotes(['BTC/USD']);
    stream.connect();
    await waitFor(() => subscriptions >= 1, 3_000, 'subscription');
    h.sim.faults.refuseStream('data', { ms: 150 });
    expect(h.sim.faults.dropStream('data')).toBe(1);
    await waitFor(() => subscriptions >= 2, 5_000, 'resubscribed');
    h.sim.publishQuote('BTC/USD', '60100', '60110');
    await waitFor(() => quotes.length >= 1, 3_000, 'quote after reconnect');
    expect(quotes[0]!.bidPrice).toBe(60100);
  });

  it('refuses a data-stream authentication with the right keys, then takes the next one', async () => {
    h.sim.faults.refuseStreamAuth('data', 1);
    const errors: string[] = [];
    const refused = h.sdk.cryptoStream({ reconnect: false });
    refused.onError((e) => errors.push(String(e)));
    refused.connect();
    await waitFor(() => errors.length >= 1, 3_000, 'auth refused');
    expect(errors[0]).toContain('auth failed');
    refused.disconnect();
    const stream = h.sdk.cryptoStream();
    let subscribed = false;
    stream.on(streaming.EVENT.SUBSCRIPTION, () => {
      subscribed = true;
    });
    stream.subscribeForQuotes(['BTC/USD']);
    stream.connect();
    await waitFor(() => subscribed, 3_000, 'subscription after the refusal');
  });

  it('refuses a trade_updates authentication with the right keys', async () => {
    h.sim.faults.refuseStreamAuth('trading', 1);
    const stream = h.sdk.tradeStream({ reconnect: false });
    const errors: string[] = [];
    stream.onError((e) => errors.push(String(e)));
    stream.subscribeTradeUpdates();
    stream.connect();
    await waitFor(() => errors.length >= 1, 3_000, 'auth refused');
    expect(errors[0]).toContain('auth failed');
    stream.disconnect();
  });

  it("refuses a data-stream subscription with Alpaca's 409 and subscribes nothing", async () => {
    h.sim.faults.refuseSubscriptions(1);
    const stream = h.sdk.cryptoStream();
    const errors: string[] = [];
    const quotes: streaming.StreamQuote[] = [];
    let subscribed = false;
    stream.onError((e) => errors.push(String(e)));
    stream.onQuote((q) => quotes.push(q));
    stream.on(streaming.EVENT.SUBSCRIPTION, () => {
      subscribed = true;
    });
    stream.subscribeForQuotes(['BTC/USD']);
    stream.connect();
    await waitFor(() => errors.length >= 1, 3_000, 'subscription refused');
    expect(errors[0]).toContain('insufficient subscription');
    h.sim.publishQuote('BTC/USD', '60020', '60030');
    // The refusal is answered before any quote can follow it; a subscription would have come first.
    expect(subscribed).toBe(false);
    stream.disconnect();
  });

  it("sets every REST answer's Date header off this machine's clock by the skew", async () => {
    h.sim.faults.skewClock(90_000);
    const skewed = await fetch(`${h.sim.endpoints.baseUrl}/v2/clock`);
    const ahead = Date.parse(skewed.headers.get('date')!) - Date.now();
    expect(ahead).toBeGreaterThan(88_000);
    expect(ahead).toBeLessThan(91_000);
    h.sim.faults.reset();
    const plain = await fetch(`${h.sim.endpoints.baseUrl}/v2/clock`);
    expect(Math.abs(Date.parse(plain.headers.get('date')!) - Date.now())).toBeLessThan(2_000);
  });

  it('sends trade updates twice when duplicating', async () => {
    const { updates } = await listenTradeUpdates(h);
    h.sim.faults.duplicateTradeUpdates(1);
    const o = h.sim.placeOrder({
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '0.01',
      limitPrice: '1000',
    });
    h.sim.cancelOrder(o.id);
    await waitFor(() => updates.length >= 3, 3_000, 'three updates');
    expect(updates.map((u) => u.event)).toEqual(['new', 'new', 'canceled']);
  });

  it('holds trade updates and sends them in reverse order when reordering', async () => {
    const { updates } = await listenTradeUpdates(h);
    h.sim.faults.reorderTradeUpdates(2);
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    h.sim.placeOrder({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.001' });
    await waitFor(() => updates.length >= 2, 3_000, 'two updates');
    expect(updates.map((u) => u.event)).toEqual(['fill', 'new']);
  });

  it('holds orders unfilled until released', async () => {
    h.sim.faults.holdOrders();
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.001', timeInForce: 'gtc' },
    });
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    await waitForOrder(h.sim, placed.id!, 'new');
    // Past the longest default fill latency (20 ms), a held order is still unfilled.
    await new Promise((r) => setTimeout(r, 60));
    expect((await h.sdk.orders.getOrderByOrderID({ orderId: placed.id! })).status).toBe('new');
    h.sim.faults.releaseOrders();
    await waitForOrder(h.sim, placed.id!, 'filled');
    expect((await h.sdk.orders.getOrderByOrderID({ orderId: placed.id! })).status).toBe('filled');
  });

  it('fills in parts while partial fills are on', async () => {
    h.sim.faults.setPartialFills('0.5');
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.002', timeInForce: 'gtc' },
    });
    await waitForOrder(h.sim, placed.id!, 'partially_filled');
    const part = await h.sdk.orders.getOrderByOrderID({ orderId: placed.id! });
    expect([part.status, part.filledQty]).toEqual(['partially_filled', '0.001']);
    h.sim.faults.setPartialFills(null);
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    await waitForOrder(h.sim, placed.id!, 'filled');
  });

  it('keeps the partial fill ratio the simulator was started with across a reset', async () => {
    const sim = await startSimulator({ partialFillRatio: '0.5' });
    try {
      sim.faults.setPartialFills(null);
      sim.faults.reset();
      sim.publishQuote('BTC/USD', '60000', '60010');
      const o = sim.placeOrder({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.002' });
      expect([sim.getOrder(o.id)?.status, sim.getOrder(o.id)?.filledQty.toFixed()]).toEqual([
        'partially_filled',
        '0.001',
      ]);
    } finally {
      await sim.close();
    }
  });
});
