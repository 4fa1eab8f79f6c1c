/**
 * The bot against the simulator's realistic order life (pending_new answers, orders created after
 * their POST was answered, fills while a cancel is pending): it never buys a step twice and its
 * books match the exchange's fills.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { quoteUntil } from '../helpers/bot.js';
import { BTC, filledOrders, type RealisticBot, startRealisticBot } from '../helpers/realisticBot.js';

let r: RealisticBot | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Keeps quoting for `ms` (so a bot that would act on quotes gets every chance to). */
const keepQuoting = (x: RealisticBot, ms: number) =>
  quoteUntil(x.sim, BTC, '49990', '50000', () => false, { timeoutMs: ms, republishMs: 200 }).catch(
    () => undefined,
  );

describe('the bot on a realistic order life', () => {
  it('buys once when the POST is answered pending_new and the order is invisible for 1.5 s', async () => {
    r = await startRealisticBot();
    r.sim.faults.delayNextCreations(1_500, 1, 'first');
    const x = r;
    await quoteUntil(x.sim, BTC, '49990', '50000', x.baseBooked, { timeoutMs: 15_000 });
    await keepQuoting(x, 2_000);
    expect(filledOrders(x.sim, 'buy')).toEqual(['dca-1-base-1 filled']);
    expect(await x.invariantViolations()).toEqual([]);
  });

  it('books a stale base buy that fills while its cancel is pending, and places no other', async () => {
    r = await startRealisticBot({ latency: { cancel: 1_500 } });
    const x = r;
    x.sim.faults.holdOrders();
    await quoteUntil(x.sim, BTC, '49990', '50000', () => x.sim.listOrders().length === 1);
    await settle(300);
    const run = await x.bot.caretakers.orderManager.runOnce(new Date(Date.now() + 600_000));
    expect(run.canceled).toEqual([{ clientOrderId: 'dca-1-base-1', reason: 'stale_buy' }]);
    await keepQuoting(x, 1_000);
    expect(x.sim.listOrders().map((o) => o.status)).toEqual(['pending_cancel']);
    x.sim.faults.releaseOrders();
    await keepQuoting(x, 2_000);
    expect(filledOrders(x.sim, 'buy')).toEqual(['dca-1-base-1 filled']);
    expect(await x.baseBooked()).toBe(true);
    expect(await x.invariantViolations()).toEqual([]);
  });
});
