/**
 * Exchange faults against the process tree in-process (startBot + the simulator + a throwaway
 * MariaDB): dropped and refused streams, failing and hanging POSTs, duplicated, reordered and
 * partial trade updates. Each ends with the bot's books matching the exchange's fills and never two
 * live orders for one cycle step.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readClientOrderId } from '../../src/clientOrderId.js';
import { dec } from '../../src/money.js';
import type { Simulator } from '../../src/sim/index.js';
import { cyclesOf, ledgerOf, quoteUntil } from '../helpers/bot.js';
import type { TestDatabase } from '../helpers/db.js';
import { invariantViolations } from '../helpers/invariants.js';
import { type RealisticBot, startRealisticBot } from '../helpers/realisticBot.js';
import { waitForOrder } from '../helpers/sim.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
const BUY_QUOTE = ['49990', '50000'] as const;
const SELL_QUOTE = ['50600', '50610'] as const;

let fixture: RealisticBot;
let sim: Simulator;
let db: TestDatabase;
let assetId: number;

beforeEach(async () => {
  fixture = await startRealisticBot();
  ({ sim, db, assetId } = fixture);
});

afterEach(() => fixture.close());

const cycles = () => cyclesOf(db.pool, assetId);
const quantity = async () => dec((await cycles())[0]?.quantity ?? 0);
const orderPlaced = () => sim.listOrders().length > 0;
const filledSteps = () =>
  sim
    .listOrders()
    .filter((o) => o.filledQty.gt(0))
    .map((o) => `${o.side} ${readClientOrderId(o.clientOrderId)?.step} ${o.status}`);

/** Waits until the database agrees with every fill on the exchange (the bot catches up by itself). */
async function booksMatchExchange(): Promise<void> {
  const violations = await waitUntil(
    () => invariantViolations(db.pool, assetId, sim.listOrders(), FEE),
    (v) => v.length === 0,
    { what: 'the books to match the exchange', timeoutMs: 10_000 },
  ).catch((err: Error) => [err.message]);
  expect(violations).toEqual([]);
}

const NET_BASE = dec('0.0004').mul(dec(1).minus(FEE));
const baseBooked = async () => (await quantity()).eq(NET_BASE);
const cycleComplete = async () => (await cycles())[0]?.status === 'complete';

describe('streams', () => {
  it('applies a buy fill missed while the trade stream was dropped and refused, after it reconnects', async () => {
    sim.faults.holdOrders();
    await quoteUntil(sim, BTC, ...BUY_QUOTE, orderPlaced);
    sim.faults.refuseStream('trading', { ms: 1_000 });
    sim.faults.dropStream('trading');
    sim.faults.releaseOrders();
    // The order fills within its few ms of latency, well inside the 1 s the stream is refused.
    await waitForOrder(sim, sim.listOrders()[0]!.id, 'filled', 900);
    await waitUntil(baseBooked, Boolean, { what: 'the missed fill booked', timeoutMs: 10_000 });
    await booksMatchExchange();
  });

  it('applies a sell fill missed while the trade stream was dropped, after it reconnects', async () => {
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked);
    sim.faults.holdOrders();
    await quoteUntil(sim, BTC, ...SELL_QUOTE, () => sim.listOrders().length === 2);
    sim.faults.refuseStream('trading', { ms: 1_000 });
    sim.faults.dropStream('trading');
    sim.faults.releaseOrders();
    await waitUntil(cycleComplete, Boolean, { what: 'the missed sell booked', timeoutMs: 10_000 });
    expect(filledSteps()).toEqual(['buy base filled', 'sell tp filled']);
    await booksMatchExchange();
  });

  it('trades on quotes again once a dropped and refused data stream is back', async () => {
    sim.faults.refuseStream('data', { ms: 1_500 });
    sim.faults.dropStream('data');
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked, { timeoutMs: 10_000 });
    await booksMatchExchange();
  });
});

describe('failing order submissions', () => {
  it.each([
    ['a 503', () => sim.faults.failNextRest(1, 503)],
    ['a 500', () => sim.faults.failNextRest(1, 500)],
    // Retry-After 1 s: with only the rate-limit headers the bot rightly waits for X-RateLimit-Reset.
    ['a 429', () => sim.faults.failNextRest(1, 429, { retryAfterS: 1 })],
    ['a response slower than the request timeout', () => sim.faults.delayNextOrders(2_500)],
    ['a connection cut without a response', () => sim.faults.hangUpNextOrders(1)],
  ])('after %s still buys the base order exactly once', async (_what, inject) => {
    inject();
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked, { timeoutMs: 10_000 });
    expect(filledSteps()).toEqual(['buy base filled']);
    await booksMatchExchange();
  });
});

describe('trade updates', () => {
  it('books duplicated and reordered partial fills once, from the cumulative order state', async () => {
    sim.faults.setPartialFills('0.25');
    sim.faults.duplicateTradeUpdates(3);
    sim.faults.reorderTradeUpdates(3);
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked, { timeoutMs: 10_000 });
    expect(filledSteps()).toEqual(['buy base filled']);
    await booksMatchExchange();
  });

  it('books the filled part of a buy canceled after partial fills', async () => {
    // Each matching quote fills a quarter; quotes stop once the order exists and has a fill.
    sim.faults.setPartialFills('0.25');
    await quoteUntil(sim, BTC, ...BUY_QUOTE, orderPlaced);
    if (sim.listOrders()[0]!.filledQty.isZero()) sim.publishQuote(BTC, ...BUY_QUOTE);
    // A partial fill is recorded in the ledger; the cycle books an order's fills once it ends.
    await waitUntil(
      () => ledgerOf(db.pool, assetId),
      (rows) => rows.some((r) => dec(r.filled_qty).gt(0)),
      { what: 'a partial fill recorded' },
    );
    sim.cancelOrder(sim.listOrders()[0]!.id);
    const canceled = sim.listOrders()[0]!;
    expect(canceled.status).toBe('canceled');
    // The ledger can show the fill before the cycle records the order id, so a null id alone may
    // still mean "not recorded yet"; the cycle holds coin only once the canceled order is booked.
    const booked = await waitUntil(
      async () => (await cycles())[0],
      (c) => c !== undefined && dec(c.quantity).gt(0),
      { what: 'the cancel booked' },
    );
    expect(booked!.latest_order_id).toBeNull();
    expect(dec(booked!.quantity).toFixed()).toBe(canceled.filledQty.mul(dec(1).minus(FEE)).toFixed());
    await booksMatchExchange();
  });
});
