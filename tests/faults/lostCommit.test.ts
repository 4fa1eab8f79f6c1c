/**
 * A safety order's POST leaves while its write-ahead commits (architecture §4). Here the COMMIT is
 * lost after the POST left: the database is hung mid-batch (a TCP proxy that forwards nothing), the
 * exchange takes the order, then the connection is cut, so the batch never reaches the server. The
 * database never heard of the order. The successor (the supervisor's in-process restart, or a new
 * process after kill -9) must find it before deciding anything: no second safety order, no lost
 * fill, books equal to the exchange's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { readClientOrderId } from '../../src/clientOrderId.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import {
  type BotProcess,
  cyclesOf,
  ledgerOf,
  quoteUntil,
  spawnBot,
  waitUntilTrading,
} from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { type InProcessBot, startInProcessBot } from '../helpers/inProcessBot.js';
import { invariantViolations } from '../helpers/invariants.js';
import { type ProxiedPool, proxiedPool, type TcpProxy } from '../helpers/tcpProxy.js';
import { pause, waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
const BUY_QUOTE = ['49990', '50000'] as const;
/** 2 % below the base fill: safety order 1 (1.5 %), not safety order 2. */
const SAFETY_QUOTE = ['48990', '49000'] as const;
const GRACE = { ORDER_LOOKUP_GRACE_SECONDS: '1' };

let sim: Simulator;
let db: TestDatabase;
let proxied: ProxiedPool;
let proxy: TcpProxy;
let assetId: number;
let bot: Bot | null = null;
const children: BotProcess[] = [];

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  proxied = await proxiedPool(db);
  proxy = proxied.proxy;
  assetId = await insertAsset(db.pool, { max_safety_orders: 3, cooldown_period: 60 });
});

afterEach(async () => {
  proxy.restore();
  await bot?.stop('test over');
  bot = null;
  await Promise.all(children.splice(0).map((c) => c.kill()));
  await proxied.close();
  await Promise.all([sim.close(), db.drop()]);
});

const cycles = () => cyclesOf(db.pool, assetId);
const safetyOrders = () =>
  sim.listOrders().filter((o) => readClientOrderId(o.clientOrderId)?.step.startsWith('so'));
const steps = () => sim.listOrders().map((o) => `${readClientOrderId(o.clientOrderId)?.step} ${o.status}`);

async function expectBooksEqualExchange(): Promise<void> {
  expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
}

/** The base order bought and booked; the row in watching, holding coin. */
/**
 * The base order bought and booked, and the bot done with it: the row no longer moves (the fill's
 * position read and fee are in), so the next write is the safety order's write-ahead.
 */
async function holdBase(): Promise<void> {
  const booked = async () => dec((await cycles())[0]?.quantity ?? 0).gt(0);
  await quoteUntil(sim, BTC, ...BUY_QUOTE, booked, { timeoutMs: 15_000 });
  let last = '';
  await waitUntil(
    async () => {
      const [row] = await cycles();
      const [order] = await ledgerOf(db.pool, assetId);
      const now = JSON.stringify([row, order]);
      const still = now === last;
      last = now;
      return still;
    },
    Boolean,
    { what: 'the base order settled', intervalMs: 300 },
  );
}

/** The database hangs; a safety quote; the POST leaves (the exchange has so1); the batch is cut. */
async function loseTheCommit(): Promise<void> {
  proxy.stall();
  await quoteUntil(sim, BTC, ...SAFETY_QUOTE, () => safetyOrders().length > 0, { timeoutMs: 10_000 });
  // The write-ahead is still held in the proxy: the database has no trace of the order.
  expect((await ledgerOf(db.pool, assetId)).map((r) => r.step)).toEqual(['base']);
  proxy.cut();
}

async function inProcess(): Promise<InProcessBot> {
  const started = await startInProcessBot({ sim, db, pool: proxied.pool, env: GRACE });
  bot = started.bot;
  await started.trading([BTC]);
  return started;
}

describe('a safety order whose write-ahead COMMIT is lost after its POST', () => {
  it('is found and adopted by the restarted asset actor: one safety order, booked', async () => {
    const { lines } = await inProcess();
    await holdBase();
    await loseTheCommit();
    await pause(300);
    proxy.restore();
    // The safety quote keeps coming: the successor decides nothing before it has looked.
    await quoteUntil(sim, BTC, ...SAFETY_QUOTE, async () => (await cycles())[0]?.safety_orders === 1, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    expect(steps()).toEqual(['base filled', 'so1 filled']);
    expect(lines.some((l) => l['event'] === 'unrecorded_order_adopted')).toBe(true);
    const ledger = await ledgerOf(db.pool, assetId);
    expect(ledger.map((r) => `${r.step} ${r.status}`)).toEqual(['base filled', 'so1 filled']);
    await expectBooksEqualExchange();
  }, 60_000);

  it('created only after the successor looked twice: the next safety order collides with it and adopts it', async () => {
    const { lines } = await inProcess();
    await holdBase();
    // The exchange takes the POST but creates the order 6 s later (and answers only then).
    sim.faults.delayNextCreations(6_000, 1, 'after');
    proxy.stall();
    sim.publishQuote(BTC, ...SAFETY_QUOTE);
    await waitUntil(() => lines.some((l) => l['event'] === 'order_submit'), Boolean, {
      what: 'the safety POST',
    });
    proxy.cut();
    await pause(300);
    proxy.restore();
    await waitUntil(() => lines.some((l) => l['event'] === 'no_unrecorded_order'), Boolean, {
      what: 'the successor giving up its look',
      timeoutMs: 15_000,
    });
    expect(safetyOrders()).toEqual([]);
    await waitUntil(safetyOrders, (o) => o.length === 1, { what: 'the late creation', timeoutMs: 15_000 });
    // The same decision again: the same client order id, refused as taken, looked up, adopted.
    await quoteUntil(sim, BTC, ...SAFETY_QUOTE, async () => (await cycles())[0]?.safety_orders === 1, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    expect(steps()).toEqual(['base filled', 'so1 filled']);
    // Refused as taken: an order with that id exists, so it is looked up, never taken as refused.
    const taken = lines.filter((l) => JSON.stringify(l).includes('client_order_id must be unique'));
    expect(taken.map((l) => [l.msg, l['kind']])).toEqual([['order submit failed', 'unknown']]);
    await expectBooksEqualExchange();
  }, 60_000);

  it('after kill -9, the next process looks for it before deciding anything', async () => {
    const env = { ...GRACE, DB_HOST: '127.0.0.1', DB_PORT: String(proxy.port) };
    const doomed = spawnBot({ sim, db, env });
    children.push(doomed);
    await waitUntilTrading(doomed, [BTC]);
    await holdBase();
    await loseTheCommit();
    await doomed.kill();
    proxy.restore();

    const next = spawnBot({ sim, db, env });
    children.push(next);
    await waitUntilTrading(next, [BTC]);
    await quoteUntil(sim, BTC, ...SAFETY_QUOTE, async () => (await cycles())[0]?.safety_orders === 1, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    expect(steps()).toEqual(['base filled', 'so1 filled']);
    expect(next.lines.some((l) => l['event'] === 'looking_for_unrecorded_order')).toBe(true);
    await expectBooksEqualExchange();
  }, 60_000);

  it('a fill that arrives before the COMMIT is checked against the order being sent: booked, no alert', async () => {
    const { lines } = await inProcess();
    await holdBase();
    // The database hangs while the simulator fills the safety order at once: its trade updates
    // reach the bot before its ledger row is committed.
    proxy.stall();
    await quoteUntil(sim, BTC, ...SAFETY_QUOTE, () => safetyOrders()[0]?.status === 'filled', {
      timeoutMs: 10_000,
    });
    await pause(200);
    proxy.restore();
    await waitUntil(cycles, (rows) => rows[0]?.safety_orders === 1, { what: 'safety order 1 booked' });
    expect(steps()).toEqual(['base filled', 'so1 filled']);
    expect(lines.filter((l) => l['code'] === 'TRADE_UPDATE_REJECTED')).toEqual([]);
    await expectBooksEqualExchange();
  }, 60_000);

  it('after a clean stop, the next start does not look', async () => {
    const first = await inProcess();
    await holdBase();
    await first.bot.stop('clean restart');
    bot = null;
    const second = await inProcess();
    await quoteUntil(sim, BTC, ...SAFETY_QUOTE, async () => (await cycles())[0]?.safety_orders === 1, {
      timeoutMs: 10_000,
    });
    expect(second.lines.some((l) => l['event'] === 'looking_for_unrecorded_order')).toBe(false);
    expect(steps()).toEqual(['base filled', 'so1 filled']);
  }, 60_000);
});
