/**
 * Simulator throughput, each measure next to a baseline taken in the same run:
 * - quotes/s published to one subscribed SDK crypto-stream client (counted at the client), against
 *   a raw `ws` server pushing one JSON quote per frame to a raw `ws` client;
 * - order round-trips/s over REST through the SDK (submit + get), sequential and 8 concurrent,
 *   against the same number of plain node:http round-trips (two trivial requests each) via fetch,
 *   plus the same submit + get with bare fetch (no SDK) to separate the server's cost from the SDK's,
 *   and through the SDK with the simulator on its own thread (as when the bot is another process).
 * A round-trip is two requests: POST /v2/orders, then GET /v2/orders/{id}.
 * Bounded: each phase runs for a fixed time slice; the whole group takes about 10 s.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { streaming } from '@alpacahq/alpaca-trade-api';
import { WebSocket, WebSocketServer } from 'ws';
import { createSdkClients } from '../src/exchange/sdk.js';
import type { ExchangeEndpoints } from '../src/exchange/types.js';
import { type Simulator, startSimulator } from '../src/sim/simulator.js';
import type { Bench, BenchRow } from './table.js';

const GROUP = 'simulator';
const SLICE_MS = 1_500;
const QUOTE_BATCH = 500;

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Publishes quotes in batches for SLICE_MS, then waits for the client to drain; returns received/s. */
async function quoteRate(publish: (i: number) => void, received: () => number): Promise<number> {
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < SLICE_MS) {
    for (let i = 0; i < QUOTE_BATCH; i++) publish(sent++);
    // Let the server flush and the client keep up, as a live feed would; bounded lag.
    while (sent - received() > QUOTE_BATCH * 20) await tick();
    await tick();
  }
  const drainBy = performance.now() + 3_000;
  while (received() < sent && performance.now() < drainBy) await tick();
  return received() / ((performance.now() - start) / 1000);
}

async function simQuotes(): Promise<number> {
  const sim = await startSimulator();
  const sdk = createSdkClients(sim.endpoints);
  const stream = sdk.cryptoStream({ pingIntervalMs: 0, reconnect: false });
  let received = 0;
  let subscribed = false;
  stream.onQuote(() => received++);
  stream.on(streaming.EVENT.SUBSCRIPTION, () => {
    subscribed = true;
  });
  stream.subscribeForQuotes(['BTC/USD']);
  stream.connect();
  while (!subscribed) await tick();
  const rate = await quoteRate(
    (i) => sim.publishQuote('BTC/USD', 60000 + (i % 100), 60010 + (i % 100)),
    () => received,
  );
  stream.disconnect();
  await sim.close();
  return rate;
}

async function rawWsQuotes(): Promise<number> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as AddressInfo).port;
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  let received = 0;
  client.on('message', (data) => {
    received += (JSON.parse(String(data)) as unknown[]).length;
  });
  const ws = await serverSide;
  const rate = await quoteRate(
    (i) =>
      ws.send(JSON.stringify([{ T: 'q', S: 'BTC/USD', bp: 60000 + (i % 100), ap: 60010, t: new Date() }])),
    () => received,
  );
  client.close();
  await new Promise((r) => wss.close(r));
  return rate;
}

/** Runs `roundTrip` with `concurrency` workers for SLICE_MS; returns round-trips/s. */
async function roundTripRate(roundTrip: () => Promise<void>, concurrency: number): Promise<number> {
  const start = performance.now();
  let done = 0;
  const worker = async () => {
    while (performance.now() - start < SLICE_MS) {
      await roundTrip();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - start) / 1000);
}

/** A simulator with cash for every order a slice can place, and a quote they fill against. */
async function orderSim(): Promise<Simulator> {
  const sim = await startSimulator({
    cash: '1000000000',
    // Throughput, not realism: thousands of requests a second and $6 orders are the point here.
    rateLimitPerMinute: 0,
    minOrderValue: 0,
  });
  sim.publishQuote('BTC/USD', '60000', '60010');
  return sim;
}

/** One round-trip through the SDK: submit a small market buy, then read it back by id. */
function sdkRoundTrip(endpoints: ExchangeEndpoints): () => Promise<void> {
  const { orders } = createSdkClients(endpoints, { getRetries: 0 });
  return async () => {
    const o = await orders.postOrder({
      postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.0001', timeInForce: 'gtc' },
    });
    await orders.getOrderByOrderID({ orderId: o.id! });
  };
}

async function simOrders(concurrency: number): Promise<number> {
  const sim = await orderSim();
  const rate = await roundTripRate(sdkRoundTrip(sim.endpoints), concurrency);
  await sim.close();
  return rate;
}

/** The simulator on a worker thread: its own event loop, as when the bot runs as another process. */
async function simOrdersOnOwnThread(concurrency: number): Promise<number> {
  // A worker's entry is not run through tsx's loader: register it first, then import the .ts file.
  const entry = new URL('./simWorker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true });
  const endpoints = await new Promise<ExchangeEndpoints>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const rate = await roundTripRate(sdkRoundTrip(endpoints), concurrency);
  worker.postMessage('close');
  await new Promise((r) => worker.once('exit', r));
  return rate;
}

/** The same round-trip with bare fetch (no SDK): separates the simulator's cost from the client's. */
async function simOrdersFetch(concurrency: number): Promise<number> {
  const sim = await orderSim();
  const headers = {
    'APCA-API-KEY-ID': sim.endpoints.keyId,
    'APCA-API-SECRET-KEY': sim.endpoints.secretKey,
    'content-type': 'application/json',
  };
  const url = `${sim.endpoints.baseUrl}/v2/orders`;
  const body = JSON.stringify({
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'market',
    qty: '0.0001',
    time_in_force: 'gtc',
  });
  const rate = await roundTripRate(async () => {
    const o = (await (await fetch(url, { method: 'POST', headers, body })).json()) as { id: string };
    await (await fetch(`${url}/${o.id}`, { headers })).json();
  }, concurrency);
  await sim.close();
  return rate;
}

async function plainHttp(concurrency: number): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"x","status":"new"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/orders`;
  const rate = await roundTripRate(async () => {
    await (await fetch(url, { method: 'POST', body: '{"symbol":"BTC/USD"}' })).json();
    await (await fetch(`${url}/x`)).json();
  }, concurrency);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return rate;
}

function row(name: string, value: number, unit: string, target: string, baseline: number): BenchRow {
  return {
    group: GROUP,
    name,
    value: Math.round(value),
    unit,
    target,
    baseline: Math.round(baseline),
    ratio: value / baseline,
  };
}

export const benchSimulator: Bench = async () => {
  const wsBase = await rawWsQuotes();
  const quotes = await simQuotes();
  const httpSeq = await plainHttp(1);
  const seq = await simOrders(1);
  const http8 = await plainHttp(8);
  const par = await simOrders(8);
  const bare8 = await simOrdersFetch(8);
  const thread8 = await simOrdersOnOwnThread(8);
  return [
    row('quotes to one SDK crypto-stream client (msgpack)', quotes, 'quotes/s', '>= 20000', wsBase),
    row('order round-trips (submit + get), sequential', seq, 'round-trips/s', '>= 2000', httpSeq),
    row('order round-trips (submit + get), 8 concurrent', par, 'round-trips/s', '>= 2000', http8),
    row('order round-trips, 8 concurrent, bare fetch (no SDK)', bare8, 'round-trips/s', '>= 2000', http8),
    row(
      'order round-trips via SDK, 8 concurrent, simulator on its own thread',
      thread8,
      'round-trips/s',
      '>= 2000',
      http8,
    ),
  ];
};
