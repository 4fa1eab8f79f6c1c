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

/** The first cycle's base order id under the bot's installation. */
const baseId = (x: RealisticBot) => `dca-${x.bot.installation.id}-1-base-1`;

describe('the bot on a realistic order life', () => {
  it('buys once when the POST is answered pending_new and the order is invisible for 1.5 s', async () => {
    r = await startRealisticBot();
    r.sim.faults.delayNextCreations(1_500, 1, 'first');
    const x = r;
    await quoteUntil(x.sim, BTC, '49990', '50000', x.baseBooked, { timeoutMs: 15_000 });
    await keepQuoting(x, 2_000);
    expect(filledOrders(x.sim, 'buy')).toEqual([`${baseId(x)} filled`]);
    expect(await x.invariantViolations()).toEqual([]);
  });

  it('books a stale base buy that fills while its cancel is pending, and places no other', async () => {
    r = await startRealisticBot({ latency: { cancel: 1_500 } });
    const x = r;
    x.sim.faults.holdOrders();
    await quoteUntil(x.sim, BTC, '49990', '50000', () => x.sim.listOrders().length === 1);
    await settle(300);
    const run = await x.bot.caretakers.orderManager.runOnce(new Date(Date.now() + 600_000));
    expect(run.canceled).toEqual([{ clientOrderId: baseId(x), reason: 'stale_buy' }]);
    await keepQuoting(x, 1_000);
    expect(x.sim.listOrders().map((o) => o.status)).toEqual(['pending_cancel']);
    x.sim.faults.releaseOrders();
    await keepQuoting(x, 2_000);
    expect(filledOrders(x.sim, 'buy')).toEqual([`${baseId(x)} filled`]);
    expect(await x.baseBooked()).toBe(true);
    expect(await x.invariantViolations()).toEqual([]);
  });

  it('buys the base once when a timed-out POST creates its order only after the look-up found none', async () => {
    // Found by the realistic simulator: after an ambiguous submit, one 404 from GET by client_order_id is taken as "never
    // accepted" and the step is retried under a new client order id; the late order fills too.
    r = await startRealisticBot();
    const x = r;
    x.sim.faults.delayNextCreations(2_500, 1, 'after');
    await quoteUntil(x.sim, BTC, '49990', '50000', x.baseBooked, { timeoutMs: 15_000 });
    await keepQuoting(x, 3_000);
    expect(filledOrders(x.sim, 'buy')).toEqual([`${baseId(x)} filled`]);
    expect(await x.invariantViolations()).toEqual([]);
  });

  it('does not resubmit a base order below the minimum order value on every quote', async () => {
    // Found by the realistic simulator: a definitive 403 "cost basis must be >= minimal amount of order 10" sends the cycle
    // back to watching, and the next quote submits the same order again: ~4 POSTs a second here,
    // past Alpaca's 200 requests a minute for the whole key (every asset shares that budget).
    r = await startRealisticBot({}, { base_order_amount: '5.00', safety_order_amount: '5.00' });
    const x = r;
    await keepQuoting(x, 5_000);
    const submits = x.lines.filter((l) => l.msg === 'submitting order').length;
    // The bot pre-checks the minimum order value (DCA_MIN_ORDER_USD) and sends no POST at all.
    expect(submits).toBe(0);
    expect(
      x.lines.some((l) => l['alert'] === true && String(l.msg).includes('below the minimum order value')),
    ).toBe(true);
  });
});
