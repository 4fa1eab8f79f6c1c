import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAliveFetch } from '../../src/exchange/keepAliveFetch.js';

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
