/**
 * Every line the bot writes is JSON that strict ingestion accepts: a full short run (start, a base
 * buy, its take-profit, the cooldown, the next cycle) against the simulator, each stdout line parsed
 * by a parser that rejects duplicate keys (pino appends a child's bindings, so a logger bound twice
 * with `actor` writes it twice).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { type BotProcess, cyclesOf, quoteUntil, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { parseStrictJson } from '../helpers/strictJson.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
});
afterEach(async () => {
  await bot?.kill();
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

describe('the JSON log', () => {
  it('the strict parser rejects a repeated key, so the run below can fail', () => {
    expect(() => parseStrictJson('{"actor":"supervisor","actor":"supervisor"}')).toThrow(
      /duplicate key "actor"/,
    );
    expect(parseStrictJson('{"a":{"b":[1,"x",null]},"c":true}')).toEqual({
      a: { b: [1, 'x', null] },
      c: true,
    });
  });

  it('a child bound again with a key its parent has writes it once, with the inner value', () => {
    const out: string[] = [];
    const logger = createLogger({ level: 'info' }, { write: (l: string) => out.push(l) });
    const inner = logger.child({ actor: 'assets' }).child({ actor: 'asset', asset: 'BTC/USD' });
    inner.info('hello');
    logger.child({ actor: 'supervisor' }).child({ actor: 'supervisor' }).warn('twice');
    expect(parseStrictJson(out[0] ?? '')).toMatchObject({ actor: 'asset', asset: 'BTC/USD', msg: 'hello' });
    expect(parseStrictJson(out[1] ?? '')).toMatchObject({ actor: 'supervisor', level: 40 });
    expect(inner.bindings()).toEqual({ actor: 'asset', asset: 'BTC/USD' });
  });

  it('has no line with a duplicate key through a whole cycle and a graceful stop', async () => {
    const assetId = await insertAsset(db.pool, { max_safety_orders: 1, cooldown_period: 1 });
    bot = spawnBot({ sim, db });
    await waitUntilTrading(bot, [BTC]);
    await quoteUntil(sim, BTC, '49990', '50000', () => sim.listOrders().length >= 1);
    await waitUntil(
      () => cyclesOf(db.pool, assetId),
      (rows) => rows.some((r) => r.status === 'watching' && Number(r.quantity) > 0),
      { what: 'the base fill booked', timeoutMs: 10_000 },
    );
    await quoteUntil(sim, BTC, '50600', '50610', () => sim.listOrders().length >= 2);
    await waitUntil(
      () => cyclesOf(db.pool, assetId),
      (rows) => rows.length === 2 && rows[1]?.status === 'watching',
      { what: 'the next cycle watching after its cooldown', timeoutMs: 15_000 },
    );
    expect((await bot.stop()).code).toBe(0);

    expect(bot.rawLines.length).toBeGreaterThan(20);
    const actors = new Set<string>();
    for (const raw of bot.rawLines) {
      const line = (() => {
        try {
          return parseStrictJson(raw) as Record<string, unknown>;
        } catch (err) {
          throw new Error(`${(err as Error).message}: ${raw}`);
        }
      })();
      if (typeof line['actor'] === 'string') actors.add(line['actor']);
    }
    // The run reached the lines of every part that logs (so the check saw them).
    for (const actor of ['supervisor', 'asset', 'tradeUpdates', 'marketData'])
      expect(actors).toContain(actor);
  });
});
