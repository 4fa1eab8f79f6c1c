/**
 * Injected stream input: a raw quote on the market-data stream only and a raw trade_updates frame,
 * each through the HTTP control surface, observed with the official SDK. The engine (book, REST)
 * never sees either.
 */
import { streaming } from '@alpacahq/alpaca-trade-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenTradeUpdates, type SimHarness, startSimHarness } from '../helpers/sim.js';
import { waitFor } from '../helpers/wait.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness();
});
afterAll(() => h.close());

async function control(path: string, body: unknown): Promise<number> {
  const res = await fetch(`${h.sim.controlUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('injected stream input', () => {
  it('sends a glitch quote to stream subscribers while the book and REST keep the real quote', async () => {
    h.sim.publishQuote('BTC/USD', '49990', '50000');
    const resting = h.sim.placeOrder({
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '20',
      limitPrice: '1',
    });
    const stream = h.sdk.cryptoStream();
    const quotes: streaming.StreamQuote[] = [];
    let subscribed = false;
    stream.onQuote((q) => quotes.push(q));
    stream.on(streaming.EVENT.SUBSCRIPTION, () => {
      subscribed = true;
    });
    stream.subscribeForQuotes(['BTC/USD']);
    stream.connect();
    await waitFor(() => subscribed, 3_000, 'subscription');

    expect(await control('/inject/quote', { symbol: 'BTC/USD', bid: 1e-300, ask: 2e-300 })).toBe(200);
    await waitFor(() => quotes.length > 0, 3_000, 'the injected quote');
    expect([quotes[0]!.bidPrice, quotes[0]!.askPrice]).toEqual([1e-300, 2e-300]);

    const latest = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'BTC/USD' });
    expect(latest.quotes['BTC/USD']).toMatchObject({ bp: 49990, ap: 50000 });
    expect(h.sim.getOrder(resting.id)?.status).toBe('new');
  });

  it('sends a raw trade_updates frame exactly as given, changing no order', async () => {
    const { updates } = await listenTradeUpdates(h);
    const order = h.sim.placeOrder({
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '20',
      limitPrice: '2',
    });
    await waitFor(() => updates.length >= 1, 3_000, 'the new order update');
    const data = {
      event: 'fill',
      timestamp: new Date().toISOString(),
      order: { id: order.id, status: 'garbage', filled_qty: '1000000' },
    };
    expect(await control('/inject/trade-update', { data })).toBe(200);
    await waitFor(() => updates.length >= 2, 3_000, 'the injected update');
    expect(updates[1]).toMatchObject({
      event: 'fill',
      order: { id: order.id, status: 'garbage', filled_qty: '1000000' },
    });
    expect(h.sim.getOrder(order.id)).toMatchObject({ status: 'new' });
    expect(await control('/inject/trade-update', { data: 'nope' })).toBe(422);
  });
});
