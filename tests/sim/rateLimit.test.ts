import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHarness, startSimHarness } from '../helpers/sim.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness({ rateLimitPerMinute: 5 });
});
afterAll(() => h.close());

const rawGet = (path: string, keyed = true) => {
  const e = h.sim.endpoints;
  return fetch(`${path.startsWith('/v1beta3') ? e.dataUrl : e.baseUrl}${path}`, {
    headers: keyed ? { 'APCA-API-KEY-ID': e.keyId, 'APCA-API-SECRET-KEY': e.secretKey } : {},
  });
};

describe('the REST rate limit, per key', () => {
  it('counts down X-RateLimit-Remaining on every response, then answers 429 code 42910000', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await rawGet('/v2/account');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      remaining.push(res.headers.get('x-ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const res = await rawGet('/v2/account');
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ code: 42910000 });
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    await expect(h.sdk.account.getAccount()).rejects.toMatchObject({
      status: 429,
      retryAfterMs: expect.any(Number),
    });
  });

  it('budgets market data apart from trading', async () => {
    h.sim.publishQuote('BTC/USD', '60000', '60010');
    const res = await rawGet('/v1beta3/crypto/us/latest/quotes?symbols=BTC/USD', false);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('4');
  });

  it('puts the headers, and Retry-After if asked, on an injected 429', async () => {
    const x = await startSimHarness();
    try {
      x.sim.faults.failNextRest(1, 429, { retryAfterS: 3 });
      const e = x.sim.endpoints;
      const res = await fetch(`${e.baseUrl}/v2/account`, {
        headers: { 'APCA-API-KEY-ID': e.keyId, 'APCA-API-SECRET-KEY': e.secretKey },
      });
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ code: 42910000 });
      expect([
        res.headers.get('x-ratelimit-limit'),
        res.headers.get('x-ratelimit-remaining'),
        res.headers.get('retry-after'),
      ]).toEqual(['200', '0', '3']);
      expect(res.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
      x.sim.faults.failNextRest(1, 429, { retryAfterS: 2 });
      await expect(x.sdk.account.getAccount()).rejects.toMatchObject({ status: 429, retryAfterMs: 2000 });
    } finally {
      await x.close();
    }
  });
});
