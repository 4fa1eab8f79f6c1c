import { streaming } from '@alpacahq/alpaca-trade-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createSdkClients } from '../../src/exchange/sdk.js';
import { type SimHarness, startSimHarness } from '../helpers/sim.js';
import { waitFor } from '../helpers/wait.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness({ maxDataConnections: 2, maxDataSymbols: 3 });
});
afterAll(() => h.close());

async function connectedCryptoStream(symbols: string[]) {
  const stream = h.sdk.cryptoStream();
  const quotes: streaming.StreamQuote[] = [];
  const trades: streaming.StreamTrade[] = [];
  let subscribed = false;
  stream.onQuote((q) => quotes.push(q));
  stream.onTrade((t) => trades.push(t));
  stream.on(streaming.EVENT.SUBSCRIPTION, () => {
    subscribed = true;
  });
  // Registered before connecting: the SDK sends them in one subscribe frame once authenticated.
  stream.subscribeForQuotes(symbols);
  stream.subscribeForTrades(symbols);
  stream.connect();
  await waitFor(() => subscribed, 3_000, 'subscription');
  return { stream, quotes, trades };
}

/** Opens a raw JSON (no msgpack header) connection and collects its decoded frames. */
async function rawJsonClient() {
  const ws = new WebSocket(h.sim.endpoints.dataStreamUrl);
  const frames: Array<Array<Record<string, unknown>>> = [];
  ws.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false);
    frames.push(JSON.parse(data.toString()));
  });
  await new Promise((r) => ws.once('open', r));
  return { ws, frames, all: () => frames.flat() };
}

describe('crypto market-data stream', () => {
  it('delivers quotes and fill trades to the SDK client over msgpack', async () => {
    const { stream, quotes, trades } = await connectedCryptoStream(['BTC/USD']);
    h.sim.publishQuote('BTC/USD', '61000.5', '61001.25');
    h.sim.publishQuote('ETH/USD', '3000', '3001');
    h.sim.placeOrder({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.001' });
    await waitFor(() => quotes.length >= 1 && trades.length >= 1, 3_000, 'quote and trade');
    expect(quotes.map((q) => [q.symbol, q.bidPrice, q.askPrice])).toEqual([['BTC/USD', 61000.5, 61001.25]]);
    expect(quotes[0]!.timestamp).toBeInstanceOf(Date);
    expect([trades[0]!.symbol, trades[0]!.price, trades[0]!.size]).toEqual(['BTC/USD', 61001.25, 0.001]);
    stream.disconnect();
  });

  it('speaks JSON text frames to a client that does not ask for msgpack', async () => {
    const c = await rawJsonClient();
    c.ws.send(JSON.stringify({ action: 'auth', key: 'SIMKEY', secret: 'SIMSECRET' }));
    c.ws.send(JSON.stringify({ action: 'subscribe', quotes: ['SOL/USD'] }));
    await waitFor(() => c.all().some((m) => m.T === 'subscription'), 3_000, 'subscription');
    h.sim.publishQuote('SOL/USD', '150.001', '150.002');
    await waitFor(() => c.all().some((m) => m.T === 'q'), 3_000, 'quote');
    expect(c.all().map((m) => m.T)).toEqual(['success', 'success', 'subscription', 'q']);
    expect(c.all().find((m) => m.T === 'q')).toMatchObject({ S: 'SOL/USD', bp: 150.001, ap: 150.002 });
    c.ws.close();
  });

  it('answers 401 before auth, 405 past the symbol limit and 406 past the connection limit', async () => {
    const c = await rawJsonClient();
    c.ws.send(JSON.stringify({ action: 'subscribe', quotes: ['BTC/USD'] }));
    await waitFor(() => c.all().some((m) => m.code === 401), 3_000, '401');
    c.ws.send(JSON.stringify({ action: 'auth', key: 'SIMKEY', secret: 'SIMSECRET' }));
    c.ws.send(JSON.stringify({ action: 'subscribe', quotes: ['BTC/USD', 'ETH/USD', 'SOL/USD', 'DOGE/USD'] }));
    await waitFor(() => c.all().some((m) => m.code === 405), 3_000, '405');
    const second = await rawJsonClient();
    second.ws.send(JSON.stringify({ action: 'auth', key: 'SIMKEY', secret: 'SIMSECRET' }));
    await waitFor(() => second.all().some((m) => m.msg === 'authenticated'), 3_000, 'second auth');
    const third = await rawJsonClient();
    third.ws.send(JSON.stringify({ action: 'auth', key: 'SIMKEY', secret: 'SIMSECRET' }));
    await waitFor(() => third.all().some((m) => m.code === 406), 3_000, '406');
    for (const x of [c, second, third]) x.ws.close();
  });

  it('rejects wrong keys with 402 and the SDK gives up', async () => {
    const wrong = createSdkClients({ ...h.sim.endpoints, secretKey: 'WRONG' }).cryptoStream({
      pingIntervalMs: 0,
    });
    wrong.connect();
    const result = await wrong.waitForAuthenticationResult(3_000);
    expect([result.authenticated, result.code]).toEqual([false, 402]);
    wrong.disconnect();
  });
});
