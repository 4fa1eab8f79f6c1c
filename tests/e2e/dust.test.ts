/**
 * The dust a normal take-profit leaves is no alert. The simulator lists BTC/USD with a trade
 * increment (0.00001) coarser than the coin a buy delivers (0.000399 after the fee), so every
 * take-profit, rounded down to the increment, leaves 0.000009 BTC behind, as on pairs where Alpaca's
 * increment is coarser than its positions. The next base order finds that dust: logged at info,
 * never alerted. Dust beyond what the cycles left (a person's coin) still alerts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { DEFAULT_ASSETS, type Simulator, startSimulator } from '../../src/sim/index.js';
import { type BotProcess, cyclesOf, quoteUntil, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const ASSETS = DEFAULT_ASSETS.map((a) => (a.symbol === BTC ? { ...a, minTradeIncrement: '0.00001' } : a));

let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator({ assets: ASSETS }), createTestDatabase()]);
});
afterEach(async () => {
  await bot?.kill();
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

const position = () =>
  sim
    .positions()
    .find((p) => p.symbol === BTC)
    ?.qty.toFixed() ?? '0';
const buys = () => sim.listOrders().filter((o) => o.side === 'buy' && o.status === 'filled').length;

describe('dust after a take-profit', () => {
  it('is logged, not alerted, when it is what the cycles left; other dust still alerts', async () => {
    const assetId = await insertAsset(db.pool, { max_safety_orders: 1, cooldown_period: 1 });
    bot = spawnBot({ sim, db, env: { LOG_LEVEL: 'info' } });
    const running = bot;
    await waitUntilTrading(running, [BTC]);
    const opts = { timeoutMs: 20_000 };
    const completed = async () => (await cyclesOf(db.pool, assetId)).filter((c) => c.status === 'complete');
    const dustAlerts = () =>
      running.lines.filter((l) => l['alert'] === true && l['code'] === 'DUST_POSITION');
    const dustLogs = () => running.lines.filter((l) => l['event'] === 'dust_position');

    // Cycle 1: buy 0.0004 (0.000399 received), sell 0.00039: 0.000009 stays.
    await quoteUntil(sim, BTC, '49990', '50000', () => buys() === 1, opts);
    await quoteUntil(sim, BTC, '50600', '50610', async () => (await completed()).length === 1, opts);
    expect(position()).toBe('0.000009');

    // Cycle 2's base order finds it: an info line, no alert.
    await quoteUntil(sim, BTC, '49990', '50000', () => buys() === 2, opts);
    expect(dustLogs()).toHaveLength(1);
    expect(dustLogs()[0]).toMatchObject({ level: 30, asset: BTC });
    expect(String(dustLogs()[0]!['msg'])).toContain('ignoring a dust position of 0.000009');
    expect(dustAlerts()).toEqual([]);
    await waitUntil(
      () => cyclesOf(db.pool, assetId),
      (cs) => cs.length === 2 && dec(cs[1]!.quantity).gt(0),
      { what: 'cycle 2 holding', ...opts },
    );
    await quoteUntil(sim, BTC, '50600', '50610', async () => (await completed()).length === 2, opts);
    expect(position()).toBe('0.000018');

    // Coin nobody's take-profit left (a person's 0.00005) is a surprise: that one alerts.
    sim.setPosition(BTC, '0.00005', '50000');
    await quoteUntil(sim, BTC, '49990', '50000', () => buys() === 3, opts);
    expect(dustAlerts()).toHaveLength(1);
    expect(String(dustAlerts()[0]!['msg'])).toContain('ignoring a dust position of 0.00005');
    expect(dustLogs()).toHaveLength(1);
  }, 120_000);
});
