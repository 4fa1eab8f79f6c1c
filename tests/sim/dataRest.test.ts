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
    h.sim.placeOrder({ symbol: 'DOGE/USD', side: 'buy', type: 'market', qty: '10' });
    const q = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'DOGE/USD,SOL/USD' });
    expect(q.quotes['DOGE/USD']).toMatchObject({ bp: 0.123456, ap: 0.123457 });
    const t = await h.sdk.crypto.cryptoLatestTrades({ loc: 'us', symbols: 'DOGE/USD' });
    expect(t.trades['DOGE/USD']).toMatchObject({ p: 0.123457, s: 10 });
    const unknown = await h.sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'ETC/USD' });
    expect(unknown.quotes).toEqual({});
  });
});
