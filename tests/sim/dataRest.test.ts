import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHarness, startSimHarness } from '../helpers/sim.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness();
});
afterAll(() => h.close());

describe('market-data REST', () => {
  it('returns the latest quote and trade per symbol, without keys', async () => {
    h.sim.publishQuote('DOGE/USD', '0.123456', '0.123457');
    h.sim.placeOrder({ symbol: 'DOGE/USD', side: 'buy', type: 'market', qty: '100' });
    const q = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'DOGE/USD,SOL/USD' });
    expect(q.quotes['DOGE/USD']).toMatchObject({ bp: 0.123456, ap: 0.123457 });
    const t = await h.sdk.crypto.cryptoLatestTrades({ loc: 'us', symbols: 'DOGE/USD' });
    expect(t.trades['DOGE/USD']).toMatchObject({ p: 0.123457, s: 100 });
    const unknown = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'ETC/USD' });
    expect(unknown.quotes).toEqual({});
  });

  it('refuses a symbol without its slash, as Alpaca names crypto pairs only BASE/QUOTE', async () => {
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    await expect(h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'BTCUSD' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      h.sdk.crypto.cryptoLatestTrades({ loc: 'us', symbols: 'BTC/USD,ETHUSD' }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('reports quote sizes that vary from quote to quote, or the sizes given', async () => {
    const sizes = new Set<number>();
    for (let i = 0; i < 5; i++) {
      h.sim.publishQuote('SOL/USD', '150', '150.01');
      const q = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'SOL/USD' });
      sizes.add(q.quotes['SOL/USD']!.bs);
      sizes.add(q.quotes['SOL/USD']!.as);
    }
    expect(sizes.size).toBeGreaterThan(1);
    h.sim.publishQuote('SOL/USD', '150', '150.01', { bidSize: '2.5', askSize: '0.75' });
    const q = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'SOL/USD' });
    expect([q.quotes['SOL/USD']!.bs, q.quotes['SOL/USD']!.as]).toEqual([2.5, 0.75]);
  });
});
