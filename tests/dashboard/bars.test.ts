/**
 * The chart's bars: built per minute from the quotes, history merged in front, and history asked
 * from the exchange's crypto bars endpoint only as far as it answers — an exchange that refuses or
 * cannot be reached leaves the chart to the live quotes.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BARS_KEPT, BarBook, exchangeBarHistory } from '../../src/dashboard/bars.js';
import { createAlpacaExchange } from '../../src/exchange/alpaca.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { logSink } from '../helpers/logSink.js';

const quote = (bid: string, ask: string, at: string) => ({
  symbol: 'BTC/USD',
  bid: dec(bid),
  ask: dec(ask),
  at: new Date(at),
});

describe('BarBook', () => {
  it('builds one bar per minute from the mid prices, counting a quote seen twice once', () => {
    const book = new BarBook();
    book.addQuote('BTC/USD', quote('99', '101', '2026-12-01T10:00:05Z'));
    book.addQuote('BTC/USD', quote('104', '106', '2026-12-01T10:00:30Z'));
    book.addQuote('BTC/USD', quote('104', '106', '2026-12-01T10:00:30Z'));
    book.addQuote('BTC/USD', quote('96', '98', '2026-12-01T10:00:50Z'));
    book.addQuote('BTC/USD', quote('101', '103', '2026-12-01T10:01:10Z'));
    const t = Date.parse('2026-12-01T10:00:00Z') / 1000;
    expect(book.of('BTC/USD')).toEqual([
      { time: t, open: 100, high: 105, low: 97, close: 97 },
      { time: t + 60, open: 102, high: 102, low: 102, close: 102 },
    ]);
  });

  it('puts history in front of the live bars and keeps the newest BARS_KEPT', () => {
    const book = new BarBook();
    book.addQuote('BTC/USD', quote('99', '101', '2026-12-01T10:00:05Z'));
    const t = Date.parse('2026-12-01T10:00:00Z') / 1000;
    const history = Array.from({ length: BARS_KEPT + 5 }, (_, i) => ({
      time: t - (BARS_KEPT + 5 - i) * 60,
      open: 1,
      high: 1,
      low: 1,
      close: 1,
    }));
    // The history's own bar for the live minute loses to the one the quotes built.
    book.addHistory('BTC/USD', [...history, { time: t, open: 5, high: 5, low: 5, close: 5 }]);
    const bars = book.of('BTC/USD');
    expect(bars).toHaveLength(BARS_KEPT);
    expect(bars.at(-1)).toEqual({ time: t, open: 100, high: 100, low: 100, close: 100 });
    expect(bars.at(-2)?.time).toBe(t - 60);
  });
});

describe('exchangeBarHistory', () => {
  let sim: Simulator;
  const silent = pino({ level: 'silent' });

  beforeAll(async () => {
    sim = await startSimulator();
  });

  afterAll(async () => {
    await sim.close();
  });

  it("reads the simulator's 1-minute bars since the given time through the exchange client", async () => {
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    sim.loadBars('BTC/USD', [
      { t: t0 - 3_600_000, o: 90, h: 91, l: 89, c: 90, v: 1, n: 1 },
      { t: t0, o: 100, h: 110, l: 95, c: 105, v: 1.5, n: 3 },
      { t: t0 + 60_000, o: 105, h: 106, l: 104, c: 106, v: 2, n: 4 },
    ]);
    const history = exchangeBarHistory(
      createAlpacaExchange(sim.endpoints, { requestTimeoutMs: 3_000 }),
      silent,
    );
    const bars = await history('BTC/USD', new Date(t0 - 60_000));
    expect(bars.slice(0, 2)).toEqual([
      { time: t0 / 1000, open: 100, high: 110, low: 95, close: 105 },
      { time: t0 / 1000 + 60, open: 105, high: 106, low: 104, close: 106 },
    ]);
  });

  it('is an empty history, said once in the log, when the exchange cannot be reached', async () => {
    const { lines, logger } = logSink('info');
    // Port 9 (discard) refuses the connection.
    const offline = createAlpacaExchange(
      { ...sim.endpoints, dataUrl: 'http://127.0.0.1:9' },
      { requestTimeoutMs: 2_000 },
    );
    const history = exchangeBarHistory(offline, logger);
    expect(await history('BTC/USD', new Date())).toEqual([]);
    expect(await history('ETH/USD', new Date())).toEqual([]);
    expect(lines.filter((l) => String(l.msg).startsWith('no bar history'))).toEqual([
      expect.objectContaining({ asset: 'BTC/USD', reason: expect.any(String) }),
    ]);
  });
});
