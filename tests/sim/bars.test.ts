import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimBar } from '../../src/sim/barBook.js';
import { type SimHarness, startSimHarness } from '../helpers/sim.js';

let h: SimHarness;
const T0 = Date.parse('2025-02-01T00:00:00Z');

function minutes(count: number, start = T0): SimBar[] {
  return Array.from({ length: count }, (_, i) => ({
    t: start + i * 60_000,
    o: 100 + i,
    h: 101 + i,
    l: 99 + i,
    c: 100.5 + i,
    v: 2,
    n: 3,
  }));
}

beforeAll(async () => {
  h = await startSimHarness();
});
afterAll(() => h.close());

describe('the bars endpoint', () => {
  it('pages loaded bars with next_page_token, in time order, in Alpaca’s shape, without keys', async () => {
    h.sim.loadBars('ETH/USD', minutes(2500));
    const seen: number[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await h.sdk.crypto.cryptoBars({
        loc: 'us',
        symbols: 'ETH/USD',
        timeframe: '1Min',
        start: new Date(T0),
        end: new Date(T0 + 2500 * 60_000),
        limit: 1000,
        ...(pageToken ? { pageToken } : {}),
      });
      pages += 1;
      for (const b of page.bars['ETH/USD'] ?? []) seen.push(new Date(b.t).getTime());
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(minutes(2500).map((b) => b.t));
  });

  it('folds published quotes into 1-minute bars (mid prices) and aggregates longer timeframes', async () => {
    const res = await fetch(
      `${h.sim.endpoints.dataUrl}/v1beta3/crypto/us/bars?symbols=ETH/USD&timeframe=1Hour&start=2025-02-01T00:00:00Z&end=2025-02-01T01:59:00Z`,
    );
    const body = (await res.json()) as {
      bars: Record<string, { t: string; o: number; h: number; l: number; c: number }[]>;
      next_page_token: string | null;
    };
    expect(body.next_page_token).toBeNull();
    expect(body.bars['ETH/USD']).toMatchObject([
      { t: '2025-02-01T00:00:00.000Z', o: 100, h: 160, l: 99, c: 159.5 },
      { t: '2025-02-01T01:00:00.000Z', o: 160, h: 220, l: 159, c: 219.5 },
    ]);
    h.sim.publishQuote('SOL/USD', '150', '150.2');
    h.sim.publishQuote('SOL/USD', '149', '149.2');
    const live = await h.sdk.crypto.cryptoBars({
      loc: 'us',
      symbols: 'SOL/USD',
      timeframe: '1Min',
      start: new Date(Date.now() - 120_000),
      end: new Date(),
    });
    expect(live.bars['SOL/USD']?.at(-1)).toMatchObject({ o: 150.1, h: 150.1, l: 149.1, c: 149.1 });
  });

  it('refuses a bad timeframe, limit or symbol with 400', async () => {
    const get = (q: string) =>
      fetch(`${h.sim.endpoints.dataUrl}/v1beta3/crypto/us/bars?${q}`).then((r) => r.status);
    expect(await get('symbols=BTC/USD&timeframe=7Weeks')).toBe(400);
    expect(await get('symbols=BTC/USD&timeframe=1Min&limit=20000')).toBe(400);
    expect(await get('symbols=BTCUSD&timeframe=1Min')).toBe(400);
  });
});
