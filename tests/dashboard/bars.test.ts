/**
 * The chart's bars: built per minute from the quotes, history merged in front, and history asked
 * from the exchange's crypto bars endpoint only as far as it answers — an exchange that refuses or
 * cannot be reached leaves the chart to the live quotes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BARS_KEPT, BarBook, exchangeBarHistory } from '../../src/dashboard/bars.js';
import { dec } from '../../src/money.js';

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
  let alpacaShaped: Server;
  let asked: URL | null = null;
  const dataUrl = () => `http://127.0.0.1:${(alpacaShaped.address() as AddressInfo).port}`;

  beforeAll(async () => {
    // Answers as Alpaca documents GET /v1beta3/crypto/us/bars (one page, bars keyed by symbol), and
    // refuses a key without a data subscription as Alpaca does (403).
    alpacaShaped = createServer((req, res) => {
      asked = new URL(req.url ?? '/', 'http://x');
      if (req.headers['apca-api-key-id'] === 'no-data') {
        res.writeHead(403, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: 'subscription does not permit querying recent data' }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          bars: {
            'BTC/USD': [
              { t: '2026-12-01T10:00:00Z', o: 100, h: 110, l: 95, c: 105, v: 1.5, n: 3, vw: 102 },
              { t: '2026-12-01T10:01:00Z', o: 'bad', h: 1, l: 1, c: 1 },
            ],
          },
          next_page_token: null,
        }),
      );
    });
    await new Promise<void>((r) => alpacaShaped.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    await new Promise((r) => alpacaShaped.close(r));
  });

  it('asks for 1-minute bars since the given time and keeps the well-formed ones', async () => {
    const history = exchangeBarHistory(
      { dataUrl: dataUrl(), keyId: 'k', secretKey: 's' },
      pino({ level: 'silent' }),
    );
    const bars = await history('BTC/USD', new Date('2026-12-01T08:00:00Z'));
    expect(bars).toEqual([
      { time: Date.parse('2026-12-01T10:00:00Z') / 1000, open: 100, high: 110, low: 95, close: 105 },
    ]);
    expect(asked?.pathname).toBe('/v1beta3/crypto/us/bars');
    expect(Object.fromEntries(asked?.searchParams ?? [])).toMatchObject({
      symbols: 'BTC/USD',
      timeframe: '1Min',
      start: '2026-12-01T08:00:00.000Z',
    });
  });

  it('is an empty history, said once in the log, when the exchange refuses or cannot be reached', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const refused = exchangeBarHistory({ dataUrl: dataUrl(), keyId: 'no-data', secretKey: 's' }, logger);
    expect(await refused('BTC/USD', new Date())).toEqual([]);
    expect(await refused('ETH/USD', new Date())).toEqual([]);
    expect(lines.filter((l) => String(l['msg']).startsWith('no bar history'))).toEqual([
      expect.objectContaining({ asset: 'BTC/USD', reason: 'HTTP 403' }),
    ]);
    // Port 9 (discard) refuses the connection.
    const offline = exchangeBarHistory({ dataUrl: 'http://127.0.0.1:9', keyId: 'k', secretKey: 's' }, logger);
    expect(await offline('BTC/USD', new Date())).toEqual([]);
  });
});
