/**
 * Refusal storm (429): the process tree in-process, built as main.ts builds it, while the exchange
 * answers every new order with 429. Quotes keep arriving every 300 ms for 15 s; every HTTP request
 * the bot's exchange client sends is stamped on its way out (a fetch that only observes).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';

const BTC = 'BTC/USD';

let sim: Simulator;
let db: TestDatabase;
let bot: Bot | null = null;
const sent: { at: number; method: string }[] = [];

beforeEach(async () => {
  sent.length = 0;
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  await insertAsset(db.pool, { cooldown_period: 60 });
  const started = await startInProcessBot({
    sim,
    db,
    fetchApi: (url, init) => {
      sent.push({ at: Date.now(), method: (init.method ?? 'GET').toUpperCase() });
      return fetch(url, init);
    },
  });
  bot = started.bot;
  await started.trading([BTC]);
});

afterEach(async () => {
  await bot?.stop('test over');
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

function maxPerSecond(stamps: readonly number[]): number {
  let max = 0;
  for (let i = 0, j = 0; i < stamps.length; i++) {
    while (stamps[i]! - stamps[j]! >= 1_000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('refusal storm (429 on every order)', () => {
  it.each([
    ['with the rate-limit headers real Alpaca sends (X-RateLimit-Reset)', {}],
    ['without any wait hint (a bare 429)', { bare: true }],
  ])(
    'keeps every REST request of the account within a handful a second over 15 s of quotes, %s',
    async (_, hint) => {
      sim.faults.refuseNextOrders(1_000, 429, hint);
      const from = Date.now();
      const until = from + 15_000;
      while (Date.now() < until) {
        sim.publishQuote(BTC, '49990', '50000');
        await new Promise((r) => setTimeout(r, 300));
      }
      const window = sent.filter((s) => s.at >= from).map((s) => s.at);
      const posts = sent.filter((s) => s.at >= from && s.method === 'POST').length;
      const peak = maxPerSecond(window);
      console.log(
        `429 storm: ${window.length} REST requests (${posts} POSTs) in 15 s, at most ${peak} in any second`,
      );
      expect(sim.listOrders()).toEqual([]);
      // Burst 3 plus 3 a second, one more for the grant-to-wire jitter.
      expect(peak).toBeLessThanOrEqual(7);
      // The pause lasts until the window resets, or doubles per 429 (1 s, 2 s, 4 s, 8 s): a few attempts, not 50.
      expect(posts).toBeLessThanOrEqual(6);
    },
    40_000,
  );
});
