import { describe, expect, it } from 'vitest';
import { type Decimal, dec } from '../../src/money.js';
import { csvFeed, randomWalkFeed, scriptedFeed } from '../../src/sim/feeds.js';

function recorder() {
  const quotes: Array<[string, string, string]> = [];
  const publish = (symbol: string, bid: Decimal, ask: Decimal) =>
    quotes.push([symbol, bid.toFixed(), ask.toFixed()]);
  return { quotes, publish };
}
const cent = () => dec('0.01');

describe('price feeds', () => {
  it('steps through a scripted path of bid/ask and mid+spread quotes, then stops', () => {
    const r = recorder();
    const feed = scriptedFeed(
      'BTC/USD',
      [
        { bid: '100', ask: '101' },
        { mid: '200', spread: '2' },
      ],
      r.publish,
    );
    expect(feed.step()).toBe(true);
    expect(feed.step()).toBe(false);
    expect(feed.step()).toBe(false);
    expect(r.quotes).toEqual([
      ['BTC/USD', '100', '101'],
      ['BTC/USD', '199', '201'],
    ]);
  });

  it('walks the same path for the same seed and another for another seed', () => {
    const run = (seed: number) => {
      const r = recorder();
      const feed = randomWalkFeed(
        { start: { 'BTC/USD': '60000', 'ETH/USD': '3000' }, seed, volatility: 0.01 },
        r.publish,
        cent,
      );
      for (let i = 0; i < 20; i++) feed.step();
      return r.quotes;
    };
    const a = run(7);
    expect(a).toHaveLength(40);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    for (const [, bid, ask] of a) expect(dec(ask).gt(dec(bid))).toBe(true);
  });

  it('keeps the walk near its start for zero drift over few steps, with prices on the increment', () => {
    const r = recorder();
    const feed = randomWalkFeed({ start: { 'SOL/USD': '150' }, seed: 1, volatility: 0.001 }, r.publish, cent);
    for (let i = 0; i < 10; i++) feed.step();
    for (const [, bid] of r.quotes) {
      expect(Math.abs(Number(bid) - 150)).toBeLessThan(5);
      expect(dec(bid).mod(cent()).isZero()).toBe(true);
    }
  });

  it('refuses a walk over a symbol it cannot price when it is built, not on a later step', () => {
    const unknown = (symbol: string): Decimal => {
      throw new Error(`asset not found for ${symbol}`);
    };
    expect(() => randomWalkFeed({ start: { 'NOPE/USD': '1' } }, recorder().publish, unknown)).toThrow(
      /NOPE\/USD/,
    );
  });

  it('replays CSV quotes with a symbol column', () => {
    const r = recorder();
    const feed = csvFeed('time,symbol,bid,ask\n1,BTC/USD,100,101\n2,ETH/USD,10,10.5\n', {}, r.publish, cent);
    while (feed.step());
    expect(r.quotes).toEqual([
      ['BTC/USD', '100', '101'],
      ['ETH/USD', '10', '10.5'],
    ]);
  });

  it('replays CSV bars as quotes around the close', () => {
    const r = recorder();
    const feed = csvFeed(
      'open,high,low,close\n1,1,1,100\n',
      { symbol: 'SOL/USD', spreadBps: 100 },
      r.publish,
      cent,
    );
    feed.step();
    expect(r.quotes).toEqual([['SOL/USD', '99.5', '100.5']]);
  });

  it('refuses a CSV without price columns', () => {
    expect(() => csvFeed('a,b\n1,2\n', {}, recorder().publish, cent)).toThrow(/bid,ask or close/);
  });
});
