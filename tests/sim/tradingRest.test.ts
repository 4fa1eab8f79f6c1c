import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSdkClients } from '../../src/exchange/sdk.js';
import { type SimHarness, startSimHarness, waitForOrder } from '../helpers/sim.js';

let h: SimHarness;
let n = 0;
const cid = () => `rest-${++n}`;

beforeAll(async () => {
  h = await startSimHarness({ cash: '10000' });
});
afterAll(() => h.close());
beforeEach(() => h.sim.faults.reset());

async function rejection(p: Promise<unknown>): Promise<{ status: number; code: unknown; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status: number; code: unknown; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error('expected the call to fail');
}

describe('trading REST through the SDK', () => {
  it('reports the account with cash and buying power as decimal strings', async () => {
    const account = await h.sdk.account.getAccount();
    expect(account.currency).toBe('USD');
    expect(account.status).toBe('ACTIVE');
    expect(typeof account.cash).toBe('string');
  });

  it('submits, gets by id and by client order id, and lists a limit order', async () => {
    const clientOrderId = cid();
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: {
        symbol: 'BTC/USD',
        side: 'buy',
        type: 'limit',
        qty: '0.01',
        limitPrice: '1000',
        timeInForce: 'gtc',
        clientOrderId,
      },
    });
    expect(placed.status).toBe('pending_new');
    expect(placed.assetClass).toBe('crypto');
    await waitForOrder(h.sim, placed.id!, 'new');
    expect(placed.createdAt).toBeInstanceOf(Date);
    expect((await h.sdk.orders.getOrderByOrderID({ orderId: placed.id! })).clientOrderId).toBe(clientOrderId);
    expect((await h.sdk.orders.getOrderByClientOrderId({ clientOrderId })).id).toBe(placed.id);
    const open = await h.sdk.orders.getAllOrders({ status: 'open', symbols: 'BTC/USD' });
    expect(open.map((o) => o.id)).toContain(placed.id);
  });

  it('cancels an open order with 204 and refuses to cancel it twice with 422', async () => {
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: {
        symbol: 'ETH/USD',
        side: 'buy',
        type: 'limit',
        qty: '0.1',
        limitPrice: '100',
        timeInForce: 'gtc',
      },
    });
    await h.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! });
    await waitForOrder(h.sim, placed.id!, 'canceled');
    expect((await h.sdk.orders.getOrderByOrderID({ orderId: placed.id! })).status).toBe('canceled');
    const again = await rejection(h.sdk.orders.deleteOrderByOrderID({ orderId: placed.id! }));
    expect([again.status, again.code]).toEqual([422, 42210000]);
  });

  it('answers 404 with code 40410000 for an unknown order', async () => {
    const missing = await rejection(h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'nope' }));
    expect([missing.status, missing.code]).toEqual([404, 40410000]);
  });

  it('filters listed orders by status, direction, limit and time', async () => {
    const before = new Date(Date.now() - 1);
    h.sim.publishQuote('SOL/USD', '150', '150.01');
    for (let i = 0; i < 3; i++) {
      const o = await h.sdk.orders.postOrder({
        postOrderRequest: { symbol: 'SOL/USD', side: 'buy', type: 'market', qty: '0.1', timeInForce: 'gtc' },
      });
      await waitForOrder(h.sim, o.id!, 'filled');
    }
    const closed = await h.sdk.orders.getAllOrders({
      status: 'closed',
      symbols: 'SOL/USD',
      direction: 'asc',
    });
    expect(closed).toHaveLength(3);
    expect(closed[0]!.createdAt!.getTime()).toBeLessThanOrEqual(closed[2]!.createdAt!.getTime());
    expect(await h.sdk.orders.getAllOrders({ status: 'all', symbols: 'SOL/USD', limit: 2 })).toHaveLength(2);
    const after = await h.sdk.orders.getAllOrders({
      status: 'all',
      after: before.toISOString(),
      symbols: 'SOL/USD',
    });
    expect(after).toHaveLength(3);
    expect(
      await h.sdk.orders.getAllOrders({ status: 'all', until: before.toISOString(), symbols: 'SOL/USD' }),
    ).toEqual([]);
  });

  it('reports a position net of the buy fee, under both symbol forms, and debits the cash', async () => {
    const cashBefore = Number((await h.sdk.account.getAccount()).cash);
    h.sim.publishQuote('DOGE/USD', '0.1', '0.1');
    const order = await h.sdk.orders.postOrder({
      postOrderRequest: { symbol: 'DOGE/USD', side: 'buy', type: 'market', qty: '1000', timeInForce: 'gtc' },
    });
    await waitForOrder(h.sim, order.id!, 'filled');
    const filled = await h.sdk.orders.getOrderByOrderID({ orderId: order.id! });
    expect([filled.status, filled.filledQty, filled.filledAvgPrice]).toEqual(['filled', '1000', '0.1']);
    const position = await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'DOGEUSD' });
    expect([position.symbol, position.qty, position.avgEntryPrice]).toEqual(['DOGEUSD', '997.5', '0.1']);
    expect((await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'DOGE/USD' })).qty).toBe('997.5');
    expect((await h.sdk.positions.getAllOpenPositions()).map((p) => p.symbol)).toContain('DOGEUSD');
    expect(Number((await h.sdk.account.getAccount()).cash)).toBeCloseTo(cashBefore - 100, 6);
  });

  it('credits the cash net of the fee after a sell', async () => {
    h.sim.setPosition('ETH/USD', '1', '1000');
    h.sim.publishQuote('ETH/USD', '2000', '2000.1');
    const cashBefore = Number((await h.sdk.account.getAccount()).cash);
    const sell = await h.sdk.orders.postOrder({
      postOrderRequest: { symbol: 'ETH/USD', side: 'sell', type: 'market', qty: '1', timeInForce: 'gtc' },
    });
    await waitForOrder(h.sim, sell.id!, 'filled');
    expect(Number((await h.sdk.account.getAccount()).cash)).toBeCloseTo(cashBefore + 1995, 6);
    const gone = await rejection(h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETHUSD' }));
    expect(gone.status).toBe(404);
  });

  it('refuses orders beyond the balance with 403 code 40310000', async () => {
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    const buy = await rejection(
      h.sdk.orders.postOrder({
        postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '1', timeInForce: 'gtc' },
      }),
    );
    expect([buy.status, buy.code]).toEqual([403, 40310000]);
    const sell = await rejection(
      h.sdk.orders.postOrder({
        postOrderRequest: { symbol: 'BTC/USD', side: 'sell', type: 'market', qty: '1', timeInForce: 'gtc' },
      }),
    );
    expect(sell.message).toMatch(/insufficient balance for BTC/);
  });

  it('rejects with 422: day orders, a duplicate client order id, and qty with notional', async () => {
    const base = { symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limitPrice: '1000' } as const;
    const day = await rejection(
      h.sdk.orders.postOrder({ postOrderRequest: { ...base, timeInForce: 'day' } }),
    );
    expect([day.status, day.code]).toEqual([422, 42210000]);
    const clientOrderId = cid();
    await h.sdk.orders.postOrder({ postOrderRequest: { ...base, timeInForce: 'gtc', clientOrderId } });
    const dup = await rejection(
      h.sdk.orders.postOrder({ postOrderRequest: { ...base, timeInForce: 'gtc', clientOrderId } }),
    );
    expect([dup.status, dup.message]).toEqual([422, 'client_order_id must be unique']);
    const both = await rejection(
      h.sdk.orders.postOrder({
        postOrderRequest: {
          ...base,
          type: 'market',
          limitPrice: undefined,
          notional: '10',
          timeInForce: 'gtc',
        },
      }),
    );
    expect(both.status).toBe(422);
  });

  it('answers field errors with 422 code 40010001, and a crypto rule broken with 42210000', async () => {
    const base = { symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limitPrice: '1000' } as const;
    const clientOrderId = cid();
    await h.sdk.orders.postOrder({ postOrderRequest: { ...base, timeInForce: 'gtc', clientOrderId } });
    const refusals = await Promise.all([
      rejection(h.sdk.orders.postOrder({ postOrderRequest: { ...base, timeInForce: 'gtc', clientOrderId } })),
      rejection(
        h.sdk.orders.postOrder({ postOrderRequest: { ...base, qty: undefined, timeInForce: 'gtc' } }),
      ),
      rejection(
        h.sdk.orders.postOrder({ postOrderRequest: { ...base, limitPrice: undefined, timeInForce: 'gtc' } }),
      ),
      rejection(
        h.sdk.orders.postOrder({
          postOrderRequest: { ...base, timeInForce: 'gtc', clientOrderId: 'x'.repeat(129) },
        }),
      ),
    ]);
    expect(refusals.map((r) => [r.status, r.code])).toEqual(Array(4).fill([422, 40010001]));
    const tif = await rejection(
      h.sdk.orders.postOrder({ postOrderRequest: { ...base, timeInForce: 'fok' } }),
    );
    expect([tif.status, tif.code]).toEqual([422, 42210000]);
  });

  it('answers 404 for a position path with a bare slash, as Alpaca, and finds the encoded forms', async () => {
    h.sim.setPosition('SOL/USD', '2', '100');
    const e = h.sim.endpoints;
    const get = (path: string) =>
      fetch(`${e.baseUrl}${path}`, {
        headers: { 'APCA-API-KEY-ID': e.keyId, 'APCA-API-SECRET-KEY': e.secretKey },
      }).then((r) => r.status);
    expect(await get('/v2/positions/SOL/USD')).toBe(404);
    expect(await get('/v2/positions/SOL%2FUSD')).toBe(200);
    expect(await get('/v2/positions/SOLUSD')).toBe(200);
  });

  it('names every response with an X-Request-ID, which the SDK keeps on its errors', async () => {
    const e = h.sim.endpoints;
    const res = await fetch(`${e.baseUrl}/v2/account`, {
      headers: { 'APCA-API-KEY-ID': e.keyId, 'APCA-API-SECRET-KEY': e.secretKey },
    });
    const first = res.headers.get('x-request-id');
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    const again = await fetch(`${e.baseUrl}/v2/account`, {
      headers: { 'APCA-API-KEY-ID': e.keyId, 'APCA-API-SECRET-KEY': e.secretKey },
    });
    expect(again.headers.get('x-request-id')).not.toBe(first);
    await expect(h.sdk.orders.getOrderByClientOrderId({ clientOrderId: 'nope' })).rejects.toMatchObject({
      requestId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('lists crypto assets with their trading increments', async () => {
    const assets = await h.sdk.assets.getV2Assets({ assetClass: 'crypto' });
    expect(assets.map((a) => a.symbol)).toEqual(['BTC/USD', 'ETH/USD', 'SOL/USD', 'DOGE/USD']);
    const btc = await h.sdk.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: 'BTC/USD' });
    expect([btc._class, btc.tradable, btc.minOrderSize, btc.minTradeIncrement, btc.priceIncrement]).toEqual([
      'crypto',
      true,
      '0.0001',
      '0.000000001',
      '1',
    ]);
  });

  it('refuses a request with the wrong keys with 401', async () => {
    const wrong = createSdkClients({ ...h.sim.endpoints, secretKey: 'wrong' }, { getRetries: 0 });
    const denied = await rejection(wrong.account.getAccount());
    expect([denied.status, denied.code]).toEqual([401, 40110000]);
  });
});
