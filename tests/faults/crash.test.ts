/**
 * Kill -9 at each step of a cycle, then restart on the same database and simulator: the bot runs
 * as a real child process with `DCA_FAILPOINTS` naming where it SIGKILLs itself (src/failpoints.ts).
 * After the restart the cycle ends where the exchange's records put it, and no cycle step ever has
 * two orders that are not dead without a fill.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readClientOrderId } from '../../src/clientOrderId.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { type BotProcess, cyclesOf, quoteUntil, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { invariantViolations } from '../helpers/invariants.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
/** The seed's BTC/USD row (insertAsset's default: $20 orders, 1 % take profit), 3 safety orders, a 60 s cooldown. */
const ASSET = { max_safety_orders: 3, cooldown_period: 60 };
/** A base buy at 50000 (0.0004 BTC); then a bid 1 % above it takes the profit. */
const BUY_QUOTE = ['49990', '50000'] as const;
const SELL_QUOTE = ['50600', '50610'] as const;

let sim: Simulator;
let db: TestDatabase;
let assetId: number;
const bots: BotProcess[] = [];

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  assetId = await insertAsset(db.pool, ASSET);
});

afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.kill()));
  await Promise.all([sim.close(), db.drop()]);
});

async function startBot(failpoints?: string): Promise<BotProcess> {
  const bot = spawnBot({ sim, db, env: failpoints ? { DCA_FAILPOINTS: failpoints } : {} });
  bots.push(bot);
  await waitUntilTrading(bot, [BTC]);
  return bot;
}

const cycles = () => cyclesOf(db.pool, assetId);
const killed = (bot: BotProcess) => bot.child.signalCode === 'SIGKILL';
const baseBooked = async () => dec((await cycles())[0]?.quantity ?? 0).gt(0);
const cycleComplete = async () => (await cycles())[0]?.status === 'complete';

async function expectInvariants(): Promise<void> {
  expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
}

const filledSteps = () =>
  sim
    .listOrders()
    .filter((o) => o.status === 'filled')
    .map((o) => `${o.side} ${readClientOrderId(o.clientOrderId)?.step}`);

describe('a bot killed during the buy', () => {
  it.each([
    ['after-write-ahead-buy', 'after the write-ahead, before the POST'],
    ['after-post-buy', 'after the POST, before its answer is recorded'],
    ['before-fill-persisted-buy', 'before the fill is persisted'],
  ])('at %s (%s) books exactly one base buy after the restart', async (point) => {
    const doomed = await startBot(point);
    await quoteUntil(sim, BTC, ...BUY_QUOTE, () => killed(doomed), { timeoutMs: 15_000 });
    const ordersAtDeath = sim.listOrders().length;
    expect(ordersAtDeath).toBe(point === 'after-write-ahead-buy' ? 0 : 1);

    await startBot();
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked, { timeoutMs: 15_000 });
    expect(filledSteps()).toEqual(['buy base']);
    const [cycle] = await cycles();
    expect(dec(cycle!.quantity).toFixed()).toBe(dec('0.0004').mul(dec(1).minus(FEE)).toFixed());
    await expectInvariants();
  });
});

describe('a bot killed during the sell', () => {
  it.each([
    ['after-write-ahead-sell', 'after the write-ahead, before the POST'],
    ['after-post-sell', 'after the POST, before its answer is recorded'],
    ['before-fill-persisted-sell', 'before the fill is persisted'],
  ])('at %s (%s) completes the cycle with one sell after the restart', async (point) => {
    const doomed = await startBot(point);
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked);
    await quoteUntil(sim, BTC, ...SELL_QUOTE, () => killed(doomed), { timeoutMs: 15_000 });

    await startBot();
    await quoteUntil(sim, BTC, ...SELL_QUOTE, cycleComplete, { timeoutMs: 15_000 });
    expect(filledSteps()).toEqual(['buy base', 'sell tp']);
    const [done, next] = await waitUntil(cycles, (rows) => rows.length === 2, { what: 'the next cycle' });
    expect(dec(done!.quantity).isZero()).toBe(true);
    expect(next!.status).toBe('cooldown');
    await expectInvariants();
  });
});
