import { request } from 'node:http';
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

/** A request with headers fetch will not let a caller choose (Host). */
function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string) {
  const url = new URL(`${h.sim.controlUrl}${path}`);
  return new Promise<number>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP control surface', () => {
  it('refuses a Host that is not a loopback name, as a DNS-rebinding page would send', async () => {
    const port = new URL(h.sim.controlUrl).port;
    const quote = JSON.stringify({ symbol: 'DOGE/USD', bid: '0.1', ask: '0.2' });
    const json = { 'content-type': 'application/json' };
    expect(
      await rawRequest('POST', '/quotes', { ...json, host: `rebind.attacker.example:${port}` }, quote),
    ).toBe(403);
    expect(await rawRequest('GET', '/orders', { host: `rebind.attacker.example:${port}` })).toBe(403);
    expect(await rawRequest('GET', '/orders', { host: `localhost:${port}` })).toBe(200);
    expect(await rawRequest('GET', '/orders', { host: `[::1]:${port}` })).toBe(200);
    const published = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'DOGE/USD' });
    expect(published.quotes).toEqual({});
  });

  it('refuses a request with a body that is not declared application/json', async () => {
    const port = new URL(h.sim.controlUrl).port;
    const host = `127.0.0.1:${port}`;
    const quote = JSON.stringify({ symbol: 'SOL/USD', bid: '1', ask: '2' });
    expect(await rawRequest('POST', '/quotes', { host, 'content-type': 'text/plain' }, quote)).toBe(415);
    expect(await rawRequest('POST', '/quotes', { host }, quote)).toBe(415);
    expect(
      await rawRequest('POST', '/faults/reset', {
        host,
        'content-type': 'application/x-www-form-urlencoded',
      }),
    ).toBe(415);
    const refused = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'SOL/USD' });
    expect(refused.quotes).toEqual({});
    expect(
      await rawRequest('POST', '/quotes', { host, 'content-type': 'application/json; charset=utf-8' }, quote),
    ).toBe(200);
  });

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

  it('refuses order submissions with an Alpaca 429 by name, Retry-After included', async () => {
    await control('POST', '/faults/refuse-orders', { count: 1, retry_after: 3 });
    const { baseUrl, keyId, secretKey } = h.sim.endpoints;
    const res = await fetch(`${baseUrl}/v2/orders`, {
      method: 'POST',
      headers: {
        'APCA-API-KEY-ID': keyId,
        'APCA-API-SECRET-KEY': secretKey,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        symbol: 'BTC/USD',
        side: 'buy',
        type: 'limit',
        qty: '0.01',
        limit_price: '1000',
        time_in_force: 'gtc',
        client_order_id: 'control-refused-1',
      }),
    });
    expect([
      res.status,
      res.headers.get('retry-after'),
      ((await res.json()) as { code: number }).code,
    ]).toEqual([429, '3', 42910000]);
    expect(h.sim.getOrder('control-refused-1')).toBeUndefined();
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
