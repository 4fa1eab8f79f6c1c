import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../src/money.js';
import { compare } from '../../src/sanity/compare.js';

const VALUES = [
  '0',
  '-0',
  '1',
  '-1',
  '2e-300',
  '-2e-300',
  '1e9',
  '50000',
  '50000.00000001',
  '49999.99999999',
  '0.1',
  '0.10000000000000000001',
  '123456789.123456789',
  '-123456789.123456789',
  '60000',
  '6e4',
].map((v) => dec(v));
const SPECIAL = [
  new Decimal(Number.POSITIVE_INFINITY),
  new Decimal(Number.NEGATIVE_INFINITY),
  new Decimal(Number.NaN),
];

describe('compare', () => {
  it('agrees with decimal.js cmp on every pair of finite and special values', () => {
    const all = [...VALUES, ...SPECIAL];
    for (const x of all) for (const y of all) expect([x, y, compare(x, y)]).toEqual([x, y, x.cmp(y)]);
  });

  it('agrees with decimal.js cmp on random prices', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 2_000; i++) {
      const x = dec((next() * 1e5).toFixed(Math.floor(next() * 12)));
      const y = dec((next() * 1e5).toFixed(Math.floor(next() * 12)));
      expect(compare(x, y)).toBe(x.cmp(y));
      expect(compare(x, x)).toBe(0);
    }
  });
});
