import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHarness, startSimHarness } from '../helpers/sim.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness();
});
afterAll(() => h.close());

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.sim.controlUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & Array<Record<string, unknown>>,
  };
}

describe('HTTP control surface', () => {
  it('publishes a quote that fills a resting order placed by hand', async () => {
    const placed = await control('POST', '/orders', {
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '0.01',
      limit_price: '50000',
    });
    expect(placed.body.status).toBe('new');
    expect((await control('POST', '/quotes', { symbol: 'BTC/USD', bid: '49990', ask: '49995' })).status).toBe(
      200,
    );
    const orders = await control('GET', '/orders');
    expect(orders.body.find((o) => o.id === placed.body.id)).toMatchObject({
      status: 'filled',
      filled_avg_price: '49995',
    });
    const sdkView = await h.sdk.orders.getOrderByOrderID({ orderId: String(placed.body.id) });
    expect(sdkView.status).toBe('filled');
  });

  it('sets a position directly, as if bought by hand', async () => {
    await control('POST', '/positions', { symbol: 'ETHUSD', qty: '2', avg_entry_price: '2500' });
    const positions = await control('GET', '/positions');
    expect(positions.body.find((p) => p.symbol === 'ETHUSD')).toMatchObject({
      qty: '2',
      avg_entry_price: '2500',
    });
    expect((await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETH/USD' })).qty).toBe('2');
  });

  it('applies a fault by name and resets it', async () => {
    await control('POST', '/faults/fail-rest', { count: 1, status: 500 });
    await expect(h.sdk.account.getAccount()).rejects.toMatchObject({ status: 500 });
    await control('POST', '/faults/fail-rest', { count: 5 });
    await control('POST', '/faults/reset', {});
    expect((await h.sdk.account.getAccount()).status).toBe('ACTIVE');
  });

  it('delays an order creation and one REST route by name', async () => {
    await control('POST', '/faults/delay-creation', { ms: 200, count: 1, answer: 'first' });
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: {
        symbol: 'BTC/USD',
        side: 'buy',
        type: 'limit',
        qty: '0.01',
        limitPrice: '1000',
        timeInForce: 'gtc',
        clientOrderId: 'control-late-1',
      },
    });
    expect(placed.status).toBe('pending_new');
    expect(h.sim.getOrder('control-late-1')).toBeUndefined();
    await control('POST', '/faults/delay-path', { route: 'GET /v2/account', ms: 250, count: 1 });
    const started = Date.now();
    await h.sdk.account.getAccount();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(h.sim.getOrder('control-late-1')?.id).toBe(placed.id);
    expect((await control('POST', '/faults/delay-path', { route: 'no slash', ms: 1 })).status).toBe(422);
    expect((await control('POST', '/faults/delay-creation', { ms: 1, answer: 'never' })).status).toBe(422);
  });

  it('answers an unknown route or fault with 404 and a bad body with 422', async () => {
    expect((await control('POST', '/faults/meteor', {})).status).toBe(404);
    expect((await control('POST', '/quotes', { symbol: 'BTC/USD' })).status).toBe(422);
    expect(
      (
        await control('POST', '/orders', {
          symbol: 'BTC/USD',
          side: 'buy',
          qty: '0.01',
          time_in_force: 'day',
        })
      ).status,
    ).toBe(422);
  });
});
