/**
 * The simulator's idle keep-alive connections, seen from one raw TCP connection: what it announces,
 * when it closes, and the request it resets instead of answering.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/index.js';
import { pause, waitFor } from '../helpers/wait.js';

let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function sim(opts: SimulatorOptions): Promise<Simulator> {
  const s = await startSimulator({ latency: 0, ...opts });
  sims.push(s);
  return s;
}

/** One client connection; `send` writes a request and resolves with the answer's head, or how it ended. */
async function open(s: Simulator) {
  const url = new URL(s.endpoints.baseUrl);
  const socket: Socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => undefined);
  const headers = `Host: ${url.host}\r\nAPCA-API-KEY-ID: ${s.endpoints.keyId}\r\nAPCA-API-SECRET-KEY: ${s.endpoints.secretKey}\r\n`;
  return {
    closed: () => closed,
    close: () => socket.destroy(),
    send(method: string, path: string, body = ''): Promise<{ head: string } | { ended: string }> {
      return new Promise((resolve) => {
        let text = '';
        const onData = (chunk: Buffer) => {
          text += chunk.toString();
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
          if (text.length < end + 4 + length) return;
          socket.off('data', onData);
          resolve({ head: text.slice(0, end) });
        };
        socket.on('data', onData);
        socket.once('error', (err: NodeJS.ErrnoException) => resolve({ ended: err.code ?? err.message }));
        socket.once('close', () => resolve({ ended: 'close' }));
        socket.write(
          `${method} ${path} HTTP/1.1\r\n${headers}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      });
    },
  };
}

const ORDER = JSON.stringify({
  symbol: 'BTC/USD',
  side: 'buy',
  type: 'limit',
  qty: '0.001',
  limit_price: '30000',
  time_in_force: 'gtc',
  client_order_id: 'idle-reset-1',
});

describe('idle keep-alive connections on the simulator', () => {
  it('announces Node’s five seconds by default, the configured timeout when set, nothing when told not to', async () => {
    const plain = await open(await sim({}));
    expect(await plain.send('GET', '/v2/account')).toMatchObject({
      head: expect.stringMatching(/keep-alive: timeout=5\r?$/im),
    });
    plain.close();
    const short = await open(await sim({ keepAlive: { timeoutMs: 2_500 } }));
    expect(await short.send('GET', '/v2/account')).toMatchObject({
      head: expect.stringMatching(/keep-alive: timeout=2\r?$/im),
    });
    short.close();
    const silent = await open(await sim({ keepAlive: { timeoutMs: 2_500, announce: false } }));
    const answer = await silent.send('GET', '/v2/account');
    expect(answer).toMatchObject({ head: expect.stringContaining('200 OK') });
    expect((answer as { head: string }).head).not.toMatch(/^keep-alive:/im);
    silent.close();
  });

  it('closes a connection idle for the timeout, and not one in use', async () => {
    const c = await open(await sim({ keepAlive: { timeoutMs: 400, announce: false } }));
    const opened = Date.now();
    for (let i = 0; i < 4; i++) {
      expect(await c.send('GET', '/v2/account')).toMatchObject({ head: expect.stringContaining('200 OK') });
      await pause(100);
    }
    expect(c.closed()).toBe(false);
    const idle = Date.now();
    await waitFor(() => c.closed(), 3_000, 'the idle connection closed');
    expect(Date.now() - idle).toBeGreaterThanOrEqual(250);
    expect(idle - opened).toBeGreaterThanOrEqual(400);
  });

  it('with onIdle reset, leaves an idle connection open and resets the next request on it unanswered', async () => {
    const s = await sim({ keepAlive: { timeoutMs: 200, announce: false, onIdle: 'reset' } });
    const c = await open(s);
    expect(await c.send('GET', '/v2/account')).toMatchObject({ head: expect.stringContaining('200 OK') });
    await pause(100);
    expect(await c.send('GET', '/v2/account')).toMatchObject({ head: expect.stringContaining('200 OK') });
    await pause(300);
    expect(c.closed()).toBe(false);
    const before = s.restRequests().trading;
    expect(await c.send('POST', '/v2/orders', ORDER)).toEqual({ ended: 'ECONNRESET' });
    // The request never reached the exchange: no order, and not counted.
    expect(s.getOrder('idle-reset-1')).toBeUndefined();
    expect(s.restRequests().trading).toBe(before);
    // A new connection is answered.
    const fresh = await open(s);
    expect(await fresh.send('POST', '/v2/orders', ORDER)).toMatchObject({
      head: expect.stringContaining('200 OK'),
    });
    expect(s.getOrder('idle-reset-1')).toBeDefined();
    fresh.close();
  });
});
