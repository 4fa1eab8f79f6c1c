/**
 * An order the exchange creates later than the bot's grace (architecture §4, "Unknown is not 'not
 * accepted'"). The POST is cut without an answer, two look-ups a grace period apart find nothing and
 * the bot gives the order up; only then does the exchange create it. The next order of that step
 * reuses the given-up id, so the exchange refuses it as a duplicate and the bot looks the late order
 * up and adopts it: one order for the step, never two. A late take-profit that sold the position is
 * found by one more look-up when the next take-profit finds the position gone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readClientOrderId } from '../../src/clientOrderId.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { cyclesOf, ledgerOf, quoteUntil } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { type InProcessBot, startInProcessBot } from '../helpers/inProcessBot.js';
import { invariantViolations } from '../helpers/invariants.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
const BUY_QUOTE = ['49990', '50000'] as const;
/** 2 % below the base fill: safety order 1 (1.5 %), not safety order 2. */
const SAFETY_QUOTE = ['48990', '49000'] as const;
/** 1 % above the base fill at 50000: the take-profit. */
const TAKE_PROFIT_QUOTE = ['50600', '50610'] as const;
const GRACE = { ORDER_LOOKUP_GRACE_SECONDS: '1' };
/** Later than the bot's two look-ups, a grace period apart. */
const LATE_MS = 3_000;

let sim: Simulator;
let db: TestDatabase;
let assetId: number;
let bot: InProcessBot | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  assetId = await insertAsset(db.pool, { max_safety_orders: 3, cooldown_period: 60 });
});

afterEach(async () => {
  await bot?.bot.stop('test over');
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

const cycles = () => cyclesOf(db.pool, assetId);
const ordersOf = (step: string) =>
  sim.listOrders().filter((o) => readClientOrderId(o.clientOrderId)?.step === step);
const ledgerLines = async () => (await ledgerOf(db.pool, assetId)).map((r) => `${r.step} ${r.status}`);

/** The base order bought and booked; the row in watching, holding coin. */
async function holdBase(): Promise<void> {
  const booked = async () => dec((await cycles())[0]?.quantity ?? 0).gt(0);
  await quoteUntil(sim, BTC, ...BUY_QUOTE, booked, { timeoutMs: 15_000 });
}

async function trading(): Promise<InProcessBot> {
  bot = await startInProcessBot({ sim, db, env: GRACE });
  await bot.trading([BTC]);
  return bot;
}

/** The next POST is cut without an answer; the exchange creates its order LATE_MS later. */
async function giveUpOnALateOrder(quote: readonly [string, string], step: string): Promise<void> {
  sim.faults.delayNextCreations(LATE_MS, 1, 'hang_up');
  sim.publishQuote(BTC, ...quote);
  await waitUntil(ledgerLines, (l) => l.includes(`${step} not_accepted`), {
    what: `the ${step} order given up`,
    timeoutMs: 10_000,
  });
  expect(ordersOf(step)).toEqual([]);
  await waitUntil(
    () => ordersOf(step),
    (o) => o.length === 1,
    {
      what: `the late ${step} creation`,
      timeoutMs: 10_000,
    },
  );
}

function refusedAsTaken(lines: InProcessBot['lines']): unknown[] {
  return lines
    .filter((l) => JSON.stringify(l).includes('client_order_id must be unique'))
    .map((l) => [l.msg, l['kind']]);
}

async function expectBooksEqualExchange(): Promise<void> {
  expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
}

describe('an order created after the bot gave it up', () => {
  it('a safety order: the retry reuses its id, collides, and adopts it; one order for the step', async () => {
    const { lines } = await trading();
    await holdBase();
    await giveUpOnALateOrder(SAFETY_QUOTE, 'so1');
    const [late] = ordersOf('so1');
    await quoteUntil(sim, BTC, ...SAFETY_QUOTE, async () => (await cycles())[0]?.safety_orders === 1, {
      timeoutMs: 15_000,
    });
    expect(ordersOf('so1').map((o) => [o.clientOrderId, o.status])).toEqual([
      [late!.clientOrderId, 'filled'],
    ]);
    // Refused as taken: an order with that id exists, so it is looked up, never taken as refused.
    expect(refusedAsTaken(lines)).toEqual([['order submit failed', 'unknown']]);
    expect(await ledgerLines()).toEqual(['base filled', 'so1 filled']);
    expect((await cycles())[0]).toMatchObject({
      client_order_id: late!.clientOrderId,
      given_up_client_order_id: null,
    });
    await expectBooksEqualExchange();
  }, 60_000);

  it('a take-profit that sold the position: one more look-up finds it, and the cycle completes', async () => {
    const { lines } = await trading();
    await holdBase();
    await giveUpOnALateOrder(TAKE_PROFIT_QUOTE, 'tp');
    await waitUntil(
      () => ordersOf('tp'),
      (o) => o[0]?.status === 'filled',
      { what: 'the late sell filled' },
    );
    await quoteUntil(sim, BTC, ...TAKE_PROFIT_QUOTE, async () => (await cycles())[0]?.status === 'complete', {
      timeoutMs: 15_000,
    });
    expect(ordersOf('tp')).toHaveLength(1);
    expect(lines.some((l) => String(l.msg).includes('vanished'))).toBe(false);
    expect(await ledgerLines()).toEqual(['base filled', 'tp filled']);
    await expectBooksEqualExchange();
  }, 60_000);
});
