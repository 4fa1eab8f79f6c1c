/**
 * The bot's own crypto quote stream client (src/exchange/quoteStream.ts) against the simulator's
 * market-data websocket, over real sockets: both wire formats, refused credentials, Alpaca's error
 * codes, frames that do not decode, a dropped socket, and a server that stops answering pings.
 */
import type { AddressInfo } from 'node:net';
import { encode } from '@msgpack/msgpack';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ExchangeError } from '../../src/errors.js';
import { openQuoteStream, type QuoteStreamOptions, timestampMs } from '../../src/exchange/quoteStream.js';
import type { QuoteStreamHandle, QuoteTick, StreamHandlers } from '../../src/exchange/types.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';

let sim: Simulator;
const open: QuoteStreamHandle[] = [];

beforeAll(async () => {
  sim = await startSimulator({ port: 0, maxDataConnections: 1, maxDataSymbols: 3 });
  sim.publishQuote('BTC/USD', '60000', '60010');
});

afterEach(async () => {
  sim.faults.reset();
  for (const h of open.splice(0)) await h.close();
  // One data connection per key: wait until the simulator has seen the last one go.
  await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await sim.close();
});

function recorder() {
  const seen = {
    ticks: [] as QuoteTick[],
    connected: [] as boolean[],
    disconnected: [] as string[],
    errors: [] as Error[],
  };
  const handlers: StreamHandlers<QuoteTick> = {
    onMessage: (t) => seen.ticks.push(t),
    onConnected: ({ reconnect }) => seen.connected.push(reconnect),
    onDisconnected: (reason) => seen.disconnected.push(reason),
    onError: (e) => seen.errors.push(e),
  };
  return { seen, handlers };
}

function options(overrides: Partial<QuoteStreamOptions> = {}): QuoteStreamOptions {
  return {
    url: sim.endpoints.dataStreamUrl,
    keyId: sim.endpoints.keyId,
    secretKey: sim.endpoints.secretKey,
    maxFrameBytes: 1024 * 1024,
    reconnect: { initialMs: 20, maxMs: 50, jitter: 0 },
    pingIntervalMs: 0,
    logger: pino({ enabled: false }),
    secrets: [sim.endpoints.secretKey],
    ...overrides,
  };
}

function stream(
  symbols: string[],
  handlers: StreamHandlers<QuoteTick>,
  overrides: Partial<QuoteStreamOptions> = {},
) {
  const handle = openQuoteStream(symbols, handlers, options(overrides));
  open.push(handle);
  return handle;
}

describe('the crypto quote stream', () => {
  for (const codec of ['msgpack', 'json'] as const) {
    it(`delivers quotes of the subscribed symbols as numbers (${codec})`, async () => {
      const { seen, handlers } = recorder();
      const handle = stream(['BTC/USD'], handlers, { codec });
      await expect.poll(() => seen.connected).toEqual([false]);
      expect(handle.state).toBe('connected');

      const before = Date.now();
      sim.publishQuote('BTC/USD', '61000.5', '61001.25');
      sim.publishQuote('ETH/USD', '3000', '3001'); // not subscribed

      await expect.poll(() => seen.ticks.length).toBe(1);
      const [tick] = seen.ticks;
      expect(tick).toMatchObject({ symbol: 'BTC/USD', bid: 61000.5, ask: 61001.25 });
      expect(tick!.at).toBeGreaterThanOrEqual(before - 1);
      expect(tick!.at).toBeLessThan(before + 60_000);
      expect(seen.errors).toEqual([]);
    });
  }

  it('gives up on refused credentials: an auth error without the secret, closed, no reconnect', async () => {
    const { seen, handlers } = recorder();
    const handle = stream(['BTC/USD'], handlers, {
      secretKey: 'wrong-secret-7c1d',
      secrets: ['wrong-secret-7c1d'],
    });

    await expect.poll(() => handle.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 150)); // a reconnect would have come by now
    expect(handle.state).toBe('closed');
    expect(seen.connected).toEqual([]);
    const auth = seen.errors.find((e) => e instanceof ExchangeError);
    expect(auth).toBeInstanceOf(ExchangeError);
    expect((auth as ExchangeError).kind).toBe('auth');
    expect(auth!.message).toMatch(/402 auth failed/);
    expect(seen.errors.map((e) => e.message).join('\n')).not.toContain('wrong-secret-7c1d');
  });

  it('reports a refused subscription (405), and connects once a smaller one is acknowledged', async () => {
    const { seen, handlers } = recorder();
    const handle = stream(['BTC/USD', 'ETH/USD', 'SOL/USD', 'DOGE/USD'], handlers);

    await expect.poll(() => seen.errors.map((e) => e.message).join()).toMatch(/405 symbol limit exceeded/);
    expect(seen.connected).toEqual([]);
    expect(handle.state).toBe('connecting');

    handle.setSymbols(['BTC/USD']);
    await expect.poll(() => seen.connected).toEqual([false]);
    sim.publishQuote('BTC/USD', '60001', '60011');
    await expect.poll(() => seen.ticks.map((t) => t.bid)).toContain(60001);
  });

  it('reports the connection limit (406) and keeps retrying until a connection is free', async () => {
    const first = recorder();
    const firstHandle = stream(['BTC/USD'], first.handlers);
    await expect.poll(() => first.seen.connected).toEqual([false]);

    const second = recorder();
    stream(['BTC/USD'], second.handlers);
    await expect
      .poll(() => second.seen.errors.map((e) => e.message).join())
      .toMatch(/406 connection limit exceeded/);
    expect(second.seen.connected).toEqual([]);

    await firstHandle.close();
    await expect.poll(() => second.seen.connected.length, { timeout: 5_000 }).toBe(1);
  });

  it('reports frames that do not decode and bad messages, delivers the rest, and goes on', async () => {
    const { seen, handlers } = recorder();
    stream(['BTC/USD'], handlers);
    await expect.poll(() => seen.connected).toEqual([false]);

    sim.injectDataFrame(new Uint8Array([0xc1])); // never-used msgpack byte
    sim.injectDataFrame('{not json');
    sim.injectDataFrame(encode({ T: 'q', S: 'BTC/USD' })); // not an array of messages
    sim.injectDataFrame([
      { T: 'q', S: 'BTC/USD', bp: 'cheap', ap: 60010, t: new Date() },
      42,
      { T: 'q', S: 'BTC/USD', bp: 60002, ap: 60012, t: new Date() },
      { T: 'q', S: 'BTC/USD', bp: 0, ap: 60012, t: new Date() },
    ]);
    sim.publishQuote('BTC/USD', '60003', '60013');

    await expect.poll(() => seen.ticks.map((t) => t.bid)).toEqual([60002, 60003]);
    const messages = seen.errors.map((e) => e.message);
    expect(messages).toHaveLength(6);
    expect(messages.filter((m) => /malformed frame/.test(m))).toHaveLength(3);
    expect(messages).toContainEqual(expect.stringMatching(/malformed message: quote\.bp: cheap/));
    expect(messages).toContainEqual(expect.stringMatching(/malformed message: not an object/));
    expect(messages).toContainEqual(
      expect.stringMatching(/malformed message: quote\.bp: 0 is not above zero/),
    );
    expect(seen.disconnected).toEqual([]);
  });

  it('reconnects after a dropped socket, re-subscribes and reports reconnect: true', async () => {
    const { seen, handlers } = recorder();
    const handle = stream(['BTC/USD'], handlers);
    await expect.poll(() => seen.connected).toEqual([false]);

    sim.faults.dropStream('data');
    await expect.poll(() => seen.connected).toEqual([false, true]);
    expect(seen.disconnected).toHaveLength(1);
    expect(handle.state).toBe('connected');
    sim.publishQuote('BTC/USD', '62000', '62001');
    await expect.poll(() => seen.ticks.map((t) => t.bid)).toContain(62000);
  });

  it('keeps retrying with back-off while the server refuses connections', async () => {
    const { seen, handlers } = recorder();
    stream(['BTC/USD'], handlers);
    await expect.poll(() => seen.connected.length).toBe(1);

    sim.faults.refuseStream('data', { attempts: 3 });
    sim.faults.dropStream('data');

    await expect.poll(() => seen.connected, { timeout: 5_000 }).toEqual([false, true]);
    expect(seen.disconnected).toHaveLength(1);
  });

  it('follows setSymbols and survives a handler that throws', async () => {
    const { seen, handlers } = recorder();
    let thrown = 0;
    const handle = stream(['BTC/USD'], {
      ...handlers,
      onMessage: (t) => {
        if (thrown++ === 0) throw new Error('handler bug');
        seen.ticks.push(t);
      },
    });
    await expect.poll(() => seen.connected.length).toBe(1);

    handle.setSymbols(['ETH/USD']);
    await expect
      .poll(() => {
        sim.publishQuote('ETH/USD', '3000.1', '3000.2');
        return seen.ticks.some((t) => t.symbol === 'ETH/USD');
      })
      .toBe(true);
    expect(seen.errors.map((e) => e.message).join()).toContain('handler bug');
    const before = seen.ticks.length;
    sim.publishQuote('BTC/USD', '61000', '61001');
    sim.publishQuote('ETH/USD', '3000.3', '3000.4');
    await expect.poll(() => seen.ticks.some((t) => t.bid === 3000.3)).toBe(true);
    expect(seen.ticks.slice(before).map((t) => t.symbol)).not.toContain('BTC/USD');
  });

  it('drops a socket whose server stops answering pings, and reconnects', async () => {
    // A server that speaks just enough of the protocol and never answers a ping.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    await new Promise((r) => wss.once('listening', r));
    let connections = 0;
    wss.on('connection', (ws) => {
      connections++;
      ws.send(JSON.stringify([{ T: 'success', msg: 'connected' }]));
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { action: string };
        if (msg.action === 'auth') ws.send(JSON.stringify([{ T: 'success', msg: 'authenticated' }]));
        if (msg.action === 'subscribe') ws.send(JSON.stringify([{ T: 'subscription', quotes: ['BTC/USD'] }]));
      });
    });
    try {
      const { seen, handlers } = recorder();
      stream(['BTC/USD'], handlers, {
        url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
        codec: 'json',
        pingIntervalMs: 30,
        pongWaitMs: 30,
      });
      await expect.poll(() => seen.connected.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
      expect(seen.disconnected[0]).toBe('no pong from the server');
      expect(connections).toBeGreaterThanOrEqual(2);
    } finally {
      for (const h of open.splice(0)) await h.close();
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});

describe('timestampMs', () => {
  it('reads the three msgpack timestamp forms as milliseconds', () => {
    const ext = (date: Date) => {
      const bytes = encode(date);
      return bytes.subarray(bytes.length - (bytes[0] === 0xd6 ? 4 : bytes[0] === 0xd7 ? 8 : 12));
    };
    for (const date of [new Date(1_700_000_000_000), new Date(1_767_323_045_678), new Date(-1_000)]) {
      expect(timestampMs(ext(date))).toBe(date.getTime());
    }
  });
});
