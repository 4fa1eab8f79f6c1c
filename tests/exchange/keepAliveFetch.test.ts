import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderIntent } from '../../src/domain.js';
import { createExchange } from '../../src/exchange/client.js';
import { DEFAULT_IDLE_SOCKET_MS, keepAliveFetch } from '../../src/exchange/keepAliveFetch.js';
import { dec } from '../../src/money.js';
import { type SimKeepAlive, type Simulator, startSimulator } from '../../src/sim/index.js';
import { pause } from '../helpers/wait.js';

let server: Server;
let base: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/empty') {
        res.writeHead(204).end();
      } else if (req.url === '/cut') {
        res.writeHead(200, { 'Content-Length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 10);
      } else if (req.url === '/slow') {
        setTimeout(() => res.writeHead(200, { 'Content-Length': '2' }).end('ok'), 300);
      } else if (req.url === '/hang') {
        // never answers
      } else {
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Request-ID': 'req-7' });
        res.end(JSON.stringify({ method: req.method, body, key: req.headers['apca-api-key-id'] ?? null }));
      }
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('keepAliveFetch', () => {
  it('sends the method, headers and body, and answers with a Response as fetch would', async () => {
    const fetch = keepAliveFetch();
    const response = await fetch(`${base}/v2/orders`, {
      method: 'POST',
      headers: { 'APCA-API-KEY-ID': 'PK1', 'Content-Type': 'application/json' },
      body: '{"symbol":"BTC/USD"}',
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.url).toBe(`${base}/v2/orders`);
    expect(response.headers.get('x-request-id')).toBe('req-7');
    expect(await response.json()).toEqual({ method: 'POST', body: '{"symbol":"BTC/USD"}', key: 'PK1' });
    const empty = await fetch(`${base}/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('sends consecutive requests over one open connection', async () => {
    const fetch = keepAliveFetch();
    const before = connections;
    for (let i = 0; i < 5; i++) await (await fetch(`${base}/v2/account`, { method: 'GET' })).text();
    expect(connections - before).toBe(1);
  });

  it('waits for an answer slower than the idle timeout: only an idle connection is retired', async () => {
    const fetch = keepAliveFetch({ idleTimeoutMs: 100 });
    const response = await fetch(`${base}/slow`, { method: 'POST', body: '{}' });
    expect(await response.text()).toBe('ok');
  });

  it('rejects a response cut before its end with ECONNRESET, never half a body', async () => {
    const fetch = keepAliveFetch();
    await expect(fetch(`${base}/cut`, { method: 'POST', body: '{}' })).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });

  it('rejects with an AbortError when the signal aborts (the SDK deadline)', async () => {
    const fetch = keepAliveFetch();
    const controller = new AbortController();
    const pending = fetch(`${base}/hang`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('Request timed out after 50 ms', 'TimeoutError')), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects a refused connection with its code, as errors.ts reads it', async () => {
    const fetch = keepAliveFetch();
    await expect(fetch('http://127.0.0.1:1/v2/orders', { method: 'POST', body: '{}' })).rejects.toMatchObject(
      {
        code: 'ECONNREFUSED',
      },
    );
  });
});

describe('idle connections, through the SDK as the bot sends (createExchange)', () => {
  const sims: Simulator[] = [];
  afterAll(() => Promise.all(sims.map((s) => s.close())));

  /** A simulator that resets the first request on a connection idle past `keepAlive.timeoutMs`. */
  async function forgetful(keepAlive: Omit<SimKeepAlive, 'onIdle'>): Promise<Simulator> {
    const s = await startSimulator({ keepAlive: { ...keepAlive, onIdle: 'reset' } });
    s.publishQuote('BTC/USD', '60000', '60010');
    sims.push(s);
    return s;
  }

  let seq = 0;
  const buy = (): OrderIntent => ({
    clientOrderId: `dca-idle-${++seq}-base-1`,
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'limit',
    qty: dec('0.001'),
    limitPrice: dec('30000'),
    timeInForce: 'gtc',
  });

  it('sends a POST after an idle gap past the server’s announced keep-alive on a new connection', async () => {
    const s = await forgetful({ timeoutMs: 2_000 }); // Keep-Alive: timeout=2
    const { exchange } = createExchange(s.endpoints, { fetchApi: keepAliveFetch() });
    await exchange.getAccount();
    await pause(2_200);
    const order = buy();
    await expect(exchange.submitOrder(order)).resolves.toMatchObject({ clientOrderId: order.clientOrderId });
    expect(s.getOrder(order.clientOrderId)).toBeDefined();
  });

  it('retires an idle connection before a server that announces nothing ends it', async () => {
    const s = await forgetful({ timeoutMs: 400, announce: false });
    const { exchange } = createExchange(s.endpoints, { fetchApi: keepAliveFetch({ idleTimeoutMs: 200 }) });
    await exchange.getAccount();
    await pause(600);
    const order = buy();
    await expect(exchange.submitOrder(order)).resolves.toMatchObject({ clientOrderId: order.clientOrderId });
  });

  it('keeps an idle connection at most 4 s by default, below the 5 s of a Node server', () => {
    expect(DEFAULT_IDLE_SOCKET_MS).toBe(4_000);
  });

  it('reports a POST reset on a connection the server had ended as ambiguous, and never sends it again', async () => {
    const s = await forgetful({ timeoutMs: 200, announce: false });
    const { exchange } = createExchange(s.endpoints, { fetchApi: keepAliveFetch({ idleTimeoutMs: 60_000 }) });
    await exchange.getAccount();
    await pause(400);
    const before = s.restRequests().trading;
    const order = buy();
    await expect(exchange.submitOrder(order)).rejects.toMatchObject({ kind: 'ambiguous' });
    expect(s.restRequests().trading).toBe(before);
    expect(s.getOrder(order.clientOrderId)).toBeUndefined();
  });
});
