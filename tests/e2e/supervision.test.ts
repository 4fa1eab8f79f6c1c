/**
 * How the running bot ends and recovers: it gives up with a non-zero exit when a stream keeps
 * failing, stops cleanly on SIGTERM with nothing half-written, reconciles a fill it missed while the
 * trade_updates stream was down, and keeps trading beside an asset the exchange does not trade.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { dec } from '../../src/money.js';
import { DEFAULT_ASSETS } from '../../src/sim/assets.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { listAssetSupervision } from '../../src/store/assetSupervision.js';
import {
  type BotProcess,
  currentCycle,
  ledgerOf,
  quoteUntil,
  spawnBot,
  waitUntilTrading,
} from '../helpers/bot.js';
import { cli } from '../helpers/cli.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';
import { type InProcessBot, startInProcessBot } from '../helpers/inProcessBot.js';
import { waitForOrder } from '../helpers/sim.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';

let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;
let assetId: number;

describe('the process under supervision', () => {
  beforeEach(async () => {
    [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
    assetId = await insertAsset(db.pool);
  });

  afterEach(async () => {
    await bot?.kill();
    bot = null;
    await Promise.all([sim.close(), db.drop()]);
  });

  it('exits non-zero once a child goes past its restart intensity (refused credentials)', async () => {
    bot = spawnBot({ sim, db, env: { APCA_API_KEY_ID: 'REVOKED', APCA_API_SECRET_KEY: 'REVOKED' } });
    // Five restarts with backoff (0.5 + 1 + 2 + 4 + 8 s), then the sixth failure escalates.
    expect(await bot.exited).toEqual({ code: 1, signal: null });
    const gaveUp = bot.lines.find((l) => l.msg === 'restart intensity exceeded; stopping all children');
    expect(gaveUp?.['childId']).toMatch(/^(tradeUpdates|marketData)$/);
    expect(bot.lines.some((l) => l.msg === 'supervisor gave up; exiting non-zero')).toBe(true);
    // The secret never reaches the log, not even in the auth errors.
    expect(bot.lines.some((l) => JSON.stringify(l).includes('REVOKED'))).toBe(false);
  }, 45_000);

  it('exits 0 on SIGTERM right after a POST, with the cycle and the ledger matching the exchange', async () => {
    bot = spawnBot({ sim, db });
    await waitUntilTrading(bot, [BTC]);
    sim.faults.holdOrders();
    sim.faults.delayNextOrders(300);
    const running = bot;
    await quoteUntil(sim, BTC, '49990', '50000', () =>
      running.lines.some((l) => l.msg === 'submitting order'),
    );
    // The POST is on the wire (its answer is delayed); the stop must still record what it returns.
    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(bot.lines.some((l) => l.msg === 'stopped' && l['exitCode'] === 0)).toBe(true);

    const orders = sim.listOrders();
    expect(orders).toHaveLength(1);
    const order = orders[0]!;
    const cycle = (await currentCycle(db.pool, assetId))!;
    expect(cycle).toMatchObject({
      status: 'buying',
      client_order_id: order.clientOrderId,
      latest_order_id: order.id,
    });
    const ledger = await ledgerOf(db.pool, assetId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      cycle_id: cycle.id,
      client_order_id: order.clientOrderId,
      alpaca_order_id: order.id,
      // What the POST answered: Alpaca accepts an order as pending_new.
      status: 'pending_new',
      side: 'buy',
    });
    expect(dec(ledger[0]!.qty).eq(order.qty!)).toBe(true);
  });

  it('applies a fill that happened while the trade_updates stream was down, after reconnecting', async () => {
    bot = spawnBot({ sim, db });
    await waitUntilTrading(bot, [BTC]);
    sim.faults.holdOrders();
    await quoteUntil(sim, BTC, '49990', '50000', () => sim.listOrders().length === 1);
    const order = sim.listOrders()[0]!;
    await waitUntil(
      () => currentCycle(db.pool, assetId),
      (c) => c?.latest_order_id === order.id,
      { what: 'the order id recorded' },
    );

    sim.faults.refuseStream('trading', { ms: 1_500 });
    expect(sim.faults.dropStream('trading')).toBeGreaterThan(0);
    await bot.waitForLog((l) => l.msg === 'trade updates disconnected; reconnecting', 5_000, 'the drop');
    sim.faults.releaseOrders(); // fills within ms, while nobody listens: no update will ever arrive
    await waitForOrder(sim, order.id, 'filled', 1_400);

    await bot.waitForLog(
      (l) => l.msg === 'trade updates connected' && l['reconnect'] === true,
      10_000,
      'the reconnect',
    );
    const cycle = await waitUntil(
      () => currentCycle(db.pool, assetId),
      (c) => c?.status === 'watching' && dec(c.quantity).gt(0),
      { what: 'the missed fill applied' },
    );
    expect(dec(cycle!.quantity).eq(dec('0.0004').mul('0.9975'))).toBe(true);
    expect(dec(cycle!.last_order_fill_price!).eq(50000)).toBe(true);
    expect(cycle!.latest_order_id).toBeNull();
    const fillUpdates = bot.lines.filter((l) => l.msg === 'trade update' && l['event'] === 'fill');
    expect(fillUpdates).toEqual([]);
    const [ledger] = await ledgerOf(db.pool, assetId);
    expect(ledger).toMatchObject({ alpaca_order_id: order.id, status: 'filled' });
  });
});

describe('one unlisted pair stops every asset (defect 3)', () => {
  let tree: InProcessBot | null = null;

  beforeEach(async () => {
    // The simulator lists SOL/USD but does not trade it, and does not list XYZ/USD at all.
    const assets = DEFAULT_ASSETS.map((a) => (a.symbol === 'SOL/USD' ? { ...a, tradable: false } : a));
    [sim, db] = await Promise.all([startSimulator({ assets }), createTestDatabase()]);
  });

  afterEach(async () => {
    await tree?.bot.stop('test over');
    tree = null;
    await Promise.all([sim.close(), db.drop()]);
  });

  const alertsOf = (t: InProcessBot, code: string) =>
    t.lines.filter((l) => l['alert'] === true && l['code'] === code);
  const childOf = (b: Bot, id: string) => b.supervisor.status().find((c) => c.id === id);

  it('starts an idle asset at the next asset poll once the exchange lists its pair', async () => {
    const btcId = await insertAsset(db.pool);
    // The first REST call, the start-up look-up of BTC/USD, answers 404 as for an unlisted pair.
    sim.faults.failNextRest(1, 404);
    tree = await startInProcessBot({ sim, db });
    const t = tree;
    await waitUntil(
      () => alertsOf(t, 'ASSET_UNLISTED').length,
      (n) => n === 1,
      { what: 'BTC idle as unlisted' },
    );
    expect(await listAssetSupervision(db.pool)).toHaveProperty('size', 1);

    await t.trading([BTC]);
    expect(childOf(t.bot, `asset:${BTC}`)).toMatchObject({ state: 'running', restarts: 0 });
    await waitUntil(
      () => listAssetSupervision(db.pool),
      (rows) => !rows.has(btcId),
      { what: 'the idle report cleared' },
    );
  });

  it('keeps an unlisted and a non-tradable pair idle with one alert each while BTC completes a cycle', async () => {
    const btcId = await insertAsset(db.pool);
    await insertAsset(db.pool, { asset_symbol: 'XYZ/USD' });
    await insertAsset(db.pool, { asset_symbol: 'SOL/USD' });
    // Short intensities: today's default (10 restarts in 120 s) would take a minute to give up.
    tree = await startInProcessBot({
      sim,
      db,
      assetSupervision: {
        intensity: { maxRestarts: 3, periodMs: 10_000 },
        backoff: { initialMs: 50, maxMs: 200, factor: 2 },
      },
    });
    const t = tree;
    let exited = false;
    void t.bot.supervisor.done.then(() => {
      exited = true;
    });
    await t.trading([BTC]);

    // BTC buys its base order at 50000 and sells it 1 % higher: a whole cycle.
    await quoteUntil(sim, BTC, '49990', '50000', async () =>
      dec((await currentCycle(db.pool, btcId))!.quantity).gt(0),
    );
    await quoteUntil(
      sim,
      BTC,
      '50600',
      '50610',
      async () => (await currentCycle(db.pool, btcId))?.status === 'cooldown',
      {
        what: 'the take-profit to complete the cycle',
      },
    );
    expect(
      sim
        .listOrders()
        .filter((o) => o.status === 'filled')
        .map((o) => o.side),
    ).toEqual(['buy', 'sell']);

    // Twenty asset polls (one a second) later the pairs are still idle, looked at again each poll.
    const firstCheck = childOf(t.bot, 'asset:XYZ/USD')?.nextRetryAt;
    const startedAt = Date.now();
    await waitUntil(
      () => Date.now() - startedAt,
      (ms) => exited || ms > 20_000,
      { what: 'twenty asset polls', timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(exited).toBe(false);
    expect(alertsOf(t, 'SUPERVISOR_ESCALATED')).toEqual([]);
    expect(alertsOf(t, 'ASSET_UNLISTED').map((l) => l['asset'])).toEqual(['XYZ/USD']);
    expect(alertsOf(t, 'ASSET_NOT_TRADABLE').map((l) => l['asset'])).toEqual(['SOL/USD']);
    const xyz = childOf(t.bot, 'asset:XYZ/USD');
    expect(xyz).toMatchObject({ state: 'idle', restarts: 0, reason: 'is not listed by the exchange' });
    expect(xyz!.nextRetryAt!.getTime()).toBeGreaterThan(firstCheck!.getTime() + 15_000);
    expect(childOf(t.bot, 'asset:SOL/USD')).toMatchObject({
      state: 'idle',
      reason: 'is not tradable on the exchange',
    });
    expect(childOf(t.bot, `asset:${BTC}`)).toMatchObject({ state: 'running', restarts: 0 });
    expect(t.bot.registry.symbols()).toEqual([BTC]);
    expect(sim.listOrders().filter((o) => o.symbol !== BTC)).toEqual([]);

    // `dca-bot status`, another process, shows what the bot keeps idle and why.
    const status = await cli(['status'], dbEnv(db.cfg));
    expect(status.stdout).toMatch(/^XYZ\/USD is idle in the bot since \S+: is not listed by the exchange;/m);
    expect(status.stdout).toMatch(
      /^SOL\/USD is idle in the bot since \S+: is not tradable on the exchange;/m,
    );
  }, 60_000);
});
