/**
 * What a trader reads at info level: one line per fill (side, qty, price, USD value, fee, the
 * cycle's new quantity and average, the next safety and take-profit prices), one per completed
 * cycle (proceeds, cost, P&L) and one per refused order (the reason). The bot runs as `npm start`
 * does, at LOG_LEVEL=info, against the simulator (25 bps fee, as the bot assumes); every line is
 * parsed strictly and the numbers are exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { type BotProcess, cyclesOf, quoteUntil, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { parseStrictJson } from '../helpers/strictJson.js';

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

type Line = Record<string, unknown>;
const parsed = (b: BotProcess) => b.rawLines.map((l) => parseStrictJson(l) as Line);
const find = (b: BotProcess, event: string) => parsed(b).filter((l) => l['event'] === event);

describe('the trader lines at info level', () => {
  it('logs each fill, the completed cycle and a refusal with their exact numbers', async () => {
    // The seed's BTC/USD: $20 orders, safety orders 1.5% down, take-profit 1% up.
    const assetId = await insertAsset(db.pool, { max_safety_orders: 1, cooldown_period: 1 });
    bot = spawnBot({ sim, db, env: { LOG_LEVEL: 'info' } });
    const running = bot;
    await waitUntilTrading(running, [BTC]);
    const opts = { timeoutMs: 20_000 };

    await quoteUntil(sim, BTC, '49990', '50000', () => find(running, 'fill').length === 1, opts);
    const [buy] = find(running, 'fill');
    const cycleId = (await cyclesOf(db.pool, assetId))[0]!.id;
    // 20 USD at 50000 buys 0.0004 BTC; the 25 bps fee is taken in the coin: the cycle holds 0.000399.
    expect(buy).toMatchObject({
      level: 30,
      asset: BTC,
      cycleId,
      side: 'buy',
      qty: '0.0004',
      price: '50000',
      value: '20',
      fee: '0.000001',
      feeCurrency: 'BTC',
      cycleQuantity: '0.000399',
      averagePrice: '50000',
      nextSafetyPrice: '49250',
      takeProfitPrice: '50500',
    });
    expect(buy!['msg']).toBe(
      `bought 0.0004 BTC at 50000 (20 USD, fee 0.000001 BTC); cycle ${cycleId} holds 0.000399 BTC at an average of 50000; next safety order at 49250, take-profit at 50500`,
    );

    await quoteUntil(sim, BTC, '50600', '50610', () => find(running, 'cycle_complete').length === 1, opts);
    const sell = find(running, 'fill')[1];
    // The take-profit sells the 0.000399 held at the bid: 20.1894 USD, 25 bps of it the fee.
    expect(sell).toMatchObject({
      level: 30,
      cycleId,
      side: 'sell',
      qty: '0.000399',
      price: '50600',
      value: '20.1894',
      fee: '0.0504735',
      feeCurrency: 'USD',
      cycleQuantity: '0',
      nextSafetyPrice: null,
      takeProfitPrice: null,
    });
    expect(sell!['msg']).toBe(
      `sold 0.000399 BTC at 50600 (20.1894 USD, fee 0.0504735 USD); cycle ${cycleId} holds 0 BTC at an average of 50000`,
    );
    const [done] = find(running, 'cycle_complete');
    expect(done).toMatchObject({
      level: 30,
      cycleId,
      proceeds: '20.1389265',
      cost: '20',
      realizedPnl: '0.1389265',
      sellPrice: '50600',
    });
    expect(done!['msg']).toBe(
      `cycle ${cycleId} complete: proceeds 20.1389265 USD, cost 20 USD, P&L 0.1389265 USD`,
    );

    // The next cycle's base order meets an empty account: refused, and the line says why.
    sim.setCash('0');
    await quoteUntil(
      sim,
      BTC,
      '49990',
      '50000',
      () => find(running, 'order_submit_failed').some((l) => l['kind'] === 'refused'),
      opts,
    );
    const refused = find(running, 'order_submit_failed').find((l) => l['kind'] === 'refused')!;
    expect(refused).toMatchObject({ level: 40, side: 'buy', qty: '0.0004', limitPrice: '50000' });
    expect(refused['reason']).toMatch(/insufficient balance for USD \(requested: 20, available: 0\)/);
    expect(refused['msg']).toBe(`buy order refused: ${refused['reason']}`);

    // Each fill is one line: nothing else at info repeats it.
    expect(find(running, 'fill')).toHaveLength(2);
  }, 90_000);
});
