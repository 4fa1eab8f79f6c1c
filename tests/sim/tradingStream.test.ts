import { decode, encode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSdkClients } from '../../src/exchange/sdk.js';
import { listenTradeUpdates, type SimHarness, startSimHarness } from '../helpers/sim.js';
import { waitFor } from '../helpers/wait.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness();
});
afterAll(() => h.close());

describe('trade_updates stream through the SDK', () => {
  it('delivers new and fill for an order, with the execution fields and the full order', async () => {
    const { updates } = await listenTradeUpdates(h);
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    const placed = await h.sdk.orders.postOrder({
      postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.01', timeInForce: 'gtc' },
    });
    await waitFor(() => updates.some((u) => u.event === 'fill'), 3_000, 'fill');
    const fill = updates.find((u) => u.event === 'fill')!;
    expect(updates[0]!.event).toBe('new');
    expect(fill.order.id).toBe(placed.id);
    expect(fill.order.status).toBe('filled');
    expect(fill.order.filledQty).toBe('0.01');
    expect([fill.price, fill.qty, fill.positionQty]).toEqual(['60010', '0.01', '0.009975']);
    expect(fill.executionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fill.timestamp).toBeInstanceOf(Date);
  });

  it('reports a cancel and an expiry as events', async () => {
    const { updates } = await listenTradeUpdates(h);
    const a = h.sim.placeOrder({
      symbol: 'ETH/USD',
      side: 'buy',
      type: 'limit',
      qty: '1',
      limitPrice: '100',
    });
    const b = h.sim.placeOrder({
      symbol: 'ETH/USD',
      side: 'buy',
      type: 'limit',
      qty: '1',
      limitPrice: '100',
    });
    await h.sdk.orders.deleteOrderByOrderID({ orderId: a.id });
    await waitFor(() => updates.some((u) => u.event === 'canceled'), 3_000, 'canceled');
    h.sim.expireOrder(b.id);
    await waitFor(() => updates.length >= 4, 3_000, 'four updates');
    expect(updates.map((u) => [u.event, u.order.id])).toEqual([
      ['new', a.id],
      ['new', b.id],
      ['canceled', a.id],
      ['expired', b.id],
    ]);
  });

  it('accepts msgpack client frames and answers that client in msgpack', async () => {
    const ws = new WebSocket(h.sim.endpoints.streamUrl);
    const received: Array<{ stream?: string; data?: Record<string, unknown> }> = [];
    ws.on('message', (raw: Buffer) => received.push(decode(raw) as (typeof received)[number]));
    await new Promise((r) => ws.once('open', r));
    const { keyId, secretKey } = h.sim.endpoints;
    ws.send(encode({ action: 'authenticate', data: { key_id: keyId, secret_key: secretKey } }));
    await waitFor(() => received.length >= 1, 3_000, 'authorization');
    ws.send(encode({ action: 'listen', data: { streams: ['trade_updates'] } }));
    await waitFor(() => received.length >= 2, 3_000, 'listening');
    const placed = h.sim.placeOrder({
      symbol: 'ETH/USD',
      side: 'buy',
      type: 'limit',
      qty: '1',
      limitPrice: '100',
    });
    await waitFor(() => received.length >= 3, 3_000, 'trade update');
    ws.close();
    expect(received[0]).toMatchObject({ stream: 'authorization', data: { status: 'authorized' } });
    expect(received[1]).toMatchObject({ stream: 'listening', data: { streams: ['trade_updates'] } });
    expect(received[2]).toMatchObject({
      stream: 'trade_updates',
      data: { event: 'new', order: { id: placed.id } },
    });
  });

  it('fails authentication with wrong keys and does not reconnect', async () => {
    const wrong = createSdkClients({ ...h.sim.endpoints, keyId: 'WRONG' }).tradeStream({ pingIntervalMs: 0 });
    wrong.connect();
    const result = await wrong.waitForAuthenticationResult(3_000);
    expect([result.authenticated, result.status]).toEqual([false, 'server_rejected']);
    wrong.disconnect();
  });
});
