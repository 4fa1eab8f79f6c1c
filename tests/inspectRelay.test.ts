/**
 * The `--inspect` relay, probed with real websocket clients. It used to listen on every interface
 * without auth, accept any Origin, forward whatever one client sent to every other client, and take
 * 95 MB frames until the bot's heap gave out. Now: 127.0.0.1 unless DCA_INSPECT_HOST says
 * otherwise, a per-run token in the path, only its own page's Origin, client frames capped and
 * never relayed, while the bot's events still reach every page.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AnyActorRef } from 'xstate';
import { type StatelyInspector, startStatelyInspector } from '../src/inspect.js';
import { logSink } from './helpers/logSink.js';

const quiet = pino({ level: 'silent' });
const started: StatelyInspector[] = [];
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  for (const i of started.splice(0)) await i.stop();
});

async function inspector(opts: { host?: string } = {}): Promise<StatelyInspector> {
  const i = await startStatelyInspector({ logger: quiet, ...opts });
  started.push(i);
  return i;
}

interface Client {
  readonly ws: WebSocket;
  readonly received: string[];
  readonly closed: Promise<number>;
}

/** A websocket client; resolves once open, rejects with the HTTP status when refused. */
function client(url: string, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    clients.push(ws);
    const received: string[] = [];
    ws.on('message', (data) => received.push(data.toString()));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, received, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** A fake actor announcement through the inspector, as the bot's actors make. */
function announce(i: StatelyInspector, id: string): void {
  const actorRef = {
    id,
    sessionId: `x:${id}`,
    logic: { config: { id } },
    getSnapshot: () => ({ status: 'active', value: 'watching', context: {} }),
  } as unknown as AnyActorRef;
  i.inspect({ type: '@xstate.actor', actorRef, rootId: actorRef.sessionId } as never);
}

function externalIPv4(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function get(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .once('error', reject)
      .end();
  });
}

const portOf = (url: string) => Number(new URL(url).port);

describe('where the relay listens', () => {
  it('binds 127.0.0.1 by default: the machine’s other addresses do not answer', async () => {
    const i = await inspector();
    expect(i.relay.address.host).toBe('127.0.0.1');
    const external = externalIPv4();
    if (external) expect(await reachable(external, portOf(i.relayUrl))).toBe(false);
    expect(await reachable('127.0.0.1', portOf(i.relayUrl))).toBe(true);
  });

  it('binds another interface only when DCA_INSPECT_HOST names one, and warns that it does', async () => {
    const { lines, logger } = logSink('info');
    const i = await startStatelyInspector({ logger, host: '0.0.0.0' });
    started.push(i);
    expect(i.relay.address.host).toBe('0.0.0.0');
    expect(lines.some((l) => l['level'] === 40 && String(l['msg']).includes('beyond this machine'))).toBe(
      true,
    );
    const external = externalIPv4();
    if (external) expect(await reachable(external, portOf(i.relayUrl))).toBe(true);
  });
});

describe('who may connect', () => {
  it('serves the page only under the per-run token, without sending the token on as a Referer', async () => {
    const i = await inspector();
    const origin = new URL(i.url).origin;
    expect((await get(`${origin}/`)).status).toBe(404);
    const page = await get(i.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('https://stately.ai/inspect');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(new URL(i.url).pathname.length).toBeGreaterThan(20);
  });

  it('refuses a websocket without the token in the path', async () => {
    const i = await inspector();
    const bare = new URL(i.relayUrl);
    bare.pathname = '/';
    await expect(client(bare.toString())).rejects.toThrow('refused: 403');
  });

  it('refuses a page on another site (wrong Origin) and accepts its own page', async () => {
    const i = await inspector();
    await expect(client(i.relayUrl, { Origin: 'http://evil.example' })).rejects.toThrow('refused: 403');
    const own = new URL(i.url).origin;
    const ok = await client(i.relayUrl, { Origin: own });
    expect(ok.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses a DNS-rebound name for a loopback relay', async () => {
    const i = await inspector();
    const port = portOf(i.relayUrl);
    await expect(
      client(i.relayUrl, { Host: `rebound.example:${port}`, Origin: `http://rebound.example:${port}` }),
    ).rejects.toThrow('refused: 403');
  });
});

describe('what flows through it', () => {
  it('sends the bot’s events to every page, and to a page opened later', async () => {
    const i = await inspector();
    const a = await client(i.relayUrl);
    announce(i, 'cycle-1');
    await expect.poll(() => a.received.some((m) => m.includes('cycle-1'))).toBe(true);
    const late = await client(i.relayUrl);
    await expect.poll(() => late.received.some((m) => m.includes('cycle-1'))).toBe(true);
  });

  it('never relays what one client sends to another, nor replays it to a later one', async () => {
    const i = await inspector();
    const a = await client(i.relayUrl);
    const b = await client(i.relayUrl);
    a.ws.send(JSON.stringify({ type: '@xstate.actor', name: 'forged-by-a', sessionId: 'x:forged' }));
    // A message of the bot's after A's, so B has provably received everything sent before it.
    announce(i, 'cycle-after');
    await expect.poll(() => b.received.some((m) => m.includes('cycle-after'))).toBe(true);
    const later = await client(i.relayUrl);
    await expect.poll(() => later.received.some((m) => m.includes('cycle-after'))).toBe(true);
    for (const c of [a, b, later]) expect(c.received.join('\n')).not.toContain('forged-by-a');
  });

  it('closes a client that sends an oversized frame (1009) and carries on for the others', async () => {
    const i = await inspector();
    const flooder = await client(i.relayUrl);
    const watcher = await client(i.relayUrl);
    flooder.ws.send(Buffer.alloc(2 * 1024 * 1024, 0x41));
    expect(await flooder.closed).toBe(1009);
    announce(i, 'cycle-still-here');
    await expect.poll(() => watcher.received.some((m) => m.includes('cycle-still-here'))).toBe(true);
    expect(watcher.ws.readyState).toBe(WebSocket.OPEN);
    expect(watcher.received.join('\n')).not.toContain('AAAA');
  });
});
