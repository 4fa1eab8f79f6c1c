import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TradeUpdate } from '../../src/domain.js';
import { createAlpacaExchange } from '../../src/exchange/alpaca.js';
import type { Exchange, QuoteTick, StreamHandle, StreamHandlers } from '../../src/exchange/types.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';

let sim: Simulator;
let exchange: Exchange;
const open: StreamHandle[] = [];

/** Handlers that record everything a stream reports. */
function recorder<T>() {
  const seen = {
    messages: [] as T[],
    connected: [] as boolean[],
    disconnected: [] as string[],
    errors: [] as Error[],
  };
  const handlers: StreamHandlers<T> = {
    onMessage: (m) => seen.messages.push(m),
    onConnected: ({ reconnect }) => seen.connected.push(reconnect),
    onDisconnected: (reason) => seen.disconnected.push(reason),
    onError: (e) => seen.errors.push(e),
  };
  return { seen, handlers };
}

function track<H extends StreamHandle>(handle: H): H {
  open.push(handle);
  return handle;
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, maxDataConnections: 4 });
  // Reconnect quickly so the drop tests take milliseconds, not the production 1 s.
  exchange = createAlpacaExchange(sim.endpoints, {
    reconnect: { initialReconnectMs: 20, maxReconnectMs: 50 },
  });
  sim.publishQuote('BTC/USD', '60000', '60010');
});

afterEach(async () => {
  sim.faults.reset();
  for (const h of open.splice(0)) await h.close();
});

afterAll(async () => {
  await sim.close();
});

describe('trade updates', () => {
  it('reports the first connection as not a reconnect, once the server listens', async () => {
    const { seen, handlers } = recorder<TradeUpdate>();
    const stream = track(exchange.tradeUpdates(handlers));

    await expect.poll(() => seen.connected).toEqual([false]);
    expect(stream.state).toBe('connected');
  });

  it('delivers order events as TradeUpdates with exact amounts', async () => {
    const { seen, handlers } = recorder<TradeUpdate>();
    track(exchange.tradeUpdates(handlers));
    await expect.poll(() => seen.connected.length).toBe(1);

    await exchange.submitOrder({
      clientOrderId: 'dca-1-base-1',
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'market',
      qty: dec('0.0025'),
      limitPrice: null,
      timeInForce: 'gtc',
    });

    await expect.poll(() => seen.messages.map((u) => u.event)).toEqual(['new', 'fill']);
    const fill = seen.messages[1]!;
    expect(fill.order).toMatchObject({ clientOrderId: 'dca-1-base-1', symbol: 'BTC/USD', status: 'filled' });
    expect(fill.order.filledQty.toFixed()).toBe('0.0025');
    expect(fill.qty?.toFixed()).toBe('0.0025');
    expect(fill.at).toBeInstanceOf(Date);
    expect(seen.errors).toEqual([]);
  });

  it('reports a dropped socket, then reconnects with reconnect: true', async () => {
    const { seen, handlers } = recorder<TradeUpdate>();
    const stream = track(exchange.tradeUpdates(handlers));
    await expect.poll(() => seen.connected).toEqual([false]);

    sim.faults.dropStream('trading');

    await expect.poll(() => seen.connected).toEqual([false, true]);
    expect(seen.disconnected).toHaveLength(1);
    expect(stream.state).toBe('connected');
  });

  it('keeps retrying while the server refuses connections', async () => {
    const { seen, handlers } = recorder<TradeUpdate>();
    track(exchange.tradeUpdates(handlers));
    await expect.poll(() => seen.connected.length).toBe(1);

    sim.faults.refuseStream('trading', { attempts: 3 });
    sim.faults.dropStream('trading');

    await expect.poll(() => seen.connected).toEqual([false, true]);
    expect(seen.disconnected).toHaveLength(1);
  });

  it('stops for good on close, without reporting a disconnect', async () => {
    const { seen, handlers } = recorder<TradeUpdate>();
    const stream = exchange.tradeUpdates(handlers);
    await expect.poll(() => seen.connected.length).toBe(1);

    await stream.close();
    sim.faults.dropStream('trading');
    await new Promise((r) => setTimeout(r, 150));

    expect(stream.state).toBe('closed');
    expect(seen.connected).toEqual([false]);
    expect(seen.disconnected).toEqual([]);
  });

  it('gives up on refused credentials with an auth error and a closed state', async () => {
    const { seen, handlers } = recorder<TradeUpdate>();
    const wrong = createAlpacaExchange({ ...sim.endpoints, secretKey: 'wrong-secret-7c1d' });
    const stream = track(wrong.tradeUpdates(handlers));

    await expect.poll(() => stream.state).toBe('closed');
    expect(seen.connected).toEqual([]);
    expect(seen.errors.some((e) => /credentials/.test(e.message))).toBe(true);
    expect(seen.errors.map((e) => e.message).join('\n')).not.toContain('wrong-secret-7c1d');
  });

  it('survives a handler that throws, reporting it through onError', async () => {
    const { seen, handlers } = recorder<TradeUpdate>();
    track(
      exchange.tradeUpdates({
        ...handlers,
        onConnected: () => {
          throw new Error('handler bug');
        },
      }),
    );

    await expect.poll(() => seen.errors.map((e) => e.message).join()).toContain('handler bug');
  });
});

describe('quotes', () => {
  it('delivers quotes for the subscribed symbols as QuoteTicks', async () => {
    const { seen, handlers } = recorder<QuoteTick>();
    track(exchange.quotes(['BTC/USD'], handlers));
    await expect.poll(() => seen.connected).toEqual([false]);

    sim.publishQuote('BTC/USD', '61000.5', '61001.25');

    await expect.poll(() => seen.messages.length).toBe(1);
    const quote = seen.messages[0]!;
    expect(quote.symbol).toBe('BTC/USD');
    expect(quote.bid).toBe(61000.5);
    expect(quote.ask).toBe(61001.25);
    expect(Math.abs(quote.at - Date.now())).toBeLessThan(60_000);
  });

  it('follows setSymbols: quotes for added symbols arrive, removed ones stop', async () => {
    const { seen, handlers } = recorder<QuoteTick>();
    const stream = track(exchange.quotes(['BTC/USD'], handlers));
    await expect.poll(() => seen.connected.length).toBe(1);

    stream.setSymbols(['ETH/USD']);
    // The unsubscribe/subscribe round trip has no acknowledgement we wait on: publish until seen.
    await expect
      .poll(() => {
        sim.publishQuote('ETH/USD', '3000.1', '3000.2');
        return seen.messages.some((q) => q.symbol === 'ETH/USD');
      })
      .toBe(true);
    const before = seen.messages.length;
    sim.publishQuote('BTC/USD', '61000', '61001');
    sim.publishQuote('ETH/USD', '3000.3', '3000.4');

    // One socket delivers in order: once the later ETH quote is here, a BTC one would be too.
    await expect.poll(() => seen.messages.some((q) => q.bid === 3000.3)).toBe(true);
    expect(seen.messages.slice(before).map((q) => q.symbol)).not.toContain('BTC/USD');
  });

  it('re-subscribes after a dropped socket and reports reconnect: true', async () => {
    const { seen, handlers } = recorder<QuoteTick>();
    track(exchange.quotes(['BTC/USD'], handlers));
    await expect.poll(() => seen.connected).toEqual([false]);

    sim.faults.dropStream('data');
    await expect.poll(() => seen.connected).toEqual([false, true]);
    sim.publishQuote('BTC/USD', '62000', '62001');

    await expect.poll(() => seen.messages.map((q) => q.bid)).toContain(62000);
    expect(seen.disconnected).toHaveLength(1);
  });

  it('connects with no symbols and subscribes later', async () => {
    const { seen, handlers } = recorder<QuoteTick>();
    const stream = track(exchange.quotes([], handlers));
    await expect.poll(() => seen.connected).toEqual([false]);

    stream.setSymbols(['BTC/USD']);
    await expect
      .poll(() => {
        sim.publishQuote('BTC/USD', '60000', '60010');
        return seen.messages.length;
      })
      .toBeGreaterThan(0);
  });
});
