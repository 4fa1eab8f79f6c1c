import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimHarness, startSimHarness, waitForOrder } from '../helpers/sim.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness({ cash: '1000' });
  h.sim.publishQuote('BTC/USD', '60000', '60010');
  h.sim.publishQuote('ETH/USD', '2000', '2000.1');
});
afterAll(() => h.close());
beforeEach(() => h.sim.faults.reset());

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const e = err as { status: number; code: unknown; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error('expected the call to fail');
}

/** The raw body of a refused POST /v2/orders (the SDK keeps only code and message). */
async function refusedBody(order: Record<string, string>) {
  const e = h.sim.endpoints;
  const res = await fetch(`${e.baseUrl}/v2/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'APCA-API-KEY-ID': e.keyId,
      'APCA-API-SECRET-KEY': e.secretKey,
    },
    body: JSON.stringify(order),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const MINIMUM = 'cost basis must be >= minimal amount of order 10';

describe('funds and minimums, through the SDK', () => {
  it('refuses a 5 USD limit buy and a 5 USD notional buy with 403 40310000 and the minimum', async () => {
    const limit = await refusal(
      h.sdk.orders.postOrder({
        postOrderRequest: {
          symbol: 'BTC/USD',
          side: 'buy',
          type: 'limit',
          qty: '0.0001',
          limitPrice: '50000',
          timeInForce: 'gtc',
        },
      }),
    );
    expect(limit).toEqual({ status: 403, code: 40310000, message: MINIMUM });
    const notional = await refusal(
      h.sdk.orders.postOrder({
        postOrderRequest: {
          symbol: 'BTC/USD',
          side: 'buy',
          type: 'market',
          notional: '5',
          timeInForce: 'gtc',
        },
      }),
    );
    expect(notional).toEqual({ status: 403, code: 40310000, message: MINIMUM });
  });

  it('refuses a sell worth less than the minimum at the bid', async () => {
    h.sim.setPosition('ETH/USD', '1', '1500');
    const sell = await refusal(
      h.sdk.orders.postOrder({
        postOrderRequest: {
          symbol: 'ETH/USD',
          side: 'sell',
          type: 'market',
          qty: '0.004',
          timeInForce: 'gtc',
        },
      }),
    );
    expect(sell.message).toBe(MINIMUM);
  });

  it('takes the minimum from its option, and 0 turns it off', async () => {
    const [strict, lax] = await Promise.all([
      startSimHarness({ minOrderValue: '25' }),
      startSimHarness({ minOrderValue: 0 }),
    ]);
    try {
      const order = {
        symbol: 'BTC/USD',
        side: 'buy',
        type: 'limit',
        qty: '0.0003',
        limitPrice: '50000',
        timeInForce: 'gtc',
      } as const;
      expect((await refusal(strict.sdk.orders.postOrder({ postOrderRequest: order }))).message).toBe(
        'cost basis must be >= minimal amount of order 25',
      );
      const tiny = { ...order, qty: '0.0001', limitPrice: '1000' };
      expect((await lax.sdk.orders.postOrder({ postOrderRequest: tiny })).status).toBe('pending_new');
    } finally {
      await Promise.all([strict.close(), lax.close()]);
    }
  });

  it('names available, balance and symbol in a balance refusal', async () => {
    const buy = await refusedBody({
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'market',
      qty: '1',
      time_in_force: 'gtc',
    });
    expect(buy).toMatchObject({
      status: 403,
      body: { code: 40310000, symbol: 'USD', balance: '1000', available: '1000' },
    });
    expect(buy.body.message).toMatch(/^insufficient balance for USD/);
    h.sim.setPosition('ETH/USD', '0.5', '1500');
    const sell = await refusedBody({
      symbol: 'ETH/USD',
      side: 'sell',
      type: 'market',
      qty: '1',
      time_in_force: 'gtc',
    });
    expect(sell.body).toMatchObject({ code: 40310000, symbol: 'ETH', balance: '0.5', available: '0.5' });
  });

  it('keeps positions to 9 decimals, truncating the coin a buy delivers after its fee', async () => {
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: {
        symbol: 'BTC/USD',
        side: 'buy',
        type: 'market',
        qty: '0.000333333',
        timeInForce: 'gtc',
      },
    });
    await waitForOrder(h.sim, placed.id!, 'filled');
    // 0.000333333 × (1 - 0.0025) = 0.0003324999...: Alpaca keeps 0.000332499, never rounding up.
    const position = await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'BTCUSD' });
    expect(position.qty).toBe('0.000332499');
    h.sim.setPosition('BTC/USD', '0', '0');
  });

  it('leaves coin held by an open sell out of qty_available, and refuses to sell it twice', async () => {
    h.sim.setPosition('ETH/USD', '1', '1500');
    const sell = await h.sdk.orders.postOrder({
      postOrderRequest: {
        symbol: 'ETH/USD',
        side: 'sell',
        type: 'limit',
        qty: '0.4',
        limitPrice: '9000',
        timeInForce: 'gtc',
      },
    });
    const position = await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETHUSD' });
    expect([position.qty, position.qtyAvailable]).toEqual(['1', '0.6']);
    const again = await refusal(
      h.sdk.orders.postOrder({
        postOrderRequest: { symbol: 'ETH/USD', side: 'sell', type: 'market', qty: '1', timeInForce: 'gtc' },
      }),
    );
    expect([again.status, again.message]).toEqual([
      403,
      'insufficient balance for ETH (requested: 1, available: 0.6)',
    ]);
    await h.sdk.orders.deleteOrderByOrderID({ orderId: sell.id! });
    await waitForOrder(h.sim, sell.id!, 'canceled');
    expect((await h.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETHUSD' })).qtyAvailable).toBe('1');
  });

  it('charges limit fills the maker rate and market fills the taker rate', async () => {
    const x = await startSimHarness({ feeRate: '0.0025', makerFeeRate: '0.0015' });
    try {
      x.sim.publishQuote('ETH/USD', '1999', '2000');
      const limit = await x.sdk.orders.postOrder({
        postOrderRequest: {
          symbol: 'ETH/USD',
          side: 'buy',
          type: 'limit',
          qty: '1',
          limitPrice: '2000',
          timeInForce: 'gtc',
        },
      });
      await waitForOrder(x.sim, limit.id!, 'filled');
      expect((await x.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETHUSD' })).qty).toBe('0.9985');
      const market = await x.sdk.orders.postOrder({
        postOrderRequest: { symbol: 'ETH/USD', side: 'buy', type: 'market', qty: '1', timeInForce: 'gtc' },
      });
      await waitForOrder(x.sim, market.id!, 'filled');
      expect((await x.sdk.positions.getOpenPosition({ symbolOrAssetId: 'ETHUSD' })).qty).toBe('1.996');
    } finally {
      await x.close();
    }
  });
});
