import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { getCycle, getLatestCycle } from '../../src/store/cycles.js';
import { quoteUntil } from '../helpers/bot.js';
import { insertAsset, insertCycle } from '../helpers/db.js';
import { type SmtpServer, startSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';
import { type Harness, startHarness } from './harness.js';

/** The harness runs the checker every hour. */
const HOUR = 3_600_000;

/** A cycle that bought `qty` at `price` and now waits for a take-profit. */
const holding = (qty: string, price: string) => ({
  quantity: qty,
  bought_quantity: qty,
  average_purchase_price: price,
  last_order_fill_price: price,
  cost_basis: dec(qty).mul(price).toFixed(),
});

describe('the consistency checker', () => {
  let h: Harness;
  let smtp: SmtpServer;
  const ids = { btc: 0, eth: 0, sol: 0 };
  const cycles = { eth: 0, sol: 0 };

  // BTC/USD buys through the bot; ETH/USD and SOL/USD hold coin the exchange agrees with at first.
  beforeAll(async () => {
    smtp = await startSmtpServer();
    h = await startHarness({
      symbols: ['BTC/USD', 'ETH/USD', 'SOL/USD'],
      env: {
        ALERT_EMAIL_SENDER: 'bot@example.test',
        ALERT_EMAIL_RECEIVER: 'owner@example.test',
        ALERT_EMAIL_SMTP_SERVER: '127.0.0.1',
        ALERT_EMAIL_SMTP_PORT: String(smtp.port),
        // The test's SMTP server is a plaintext relay on this machine.
        ALERT_EMAIL_SMTP_INSECURE: 'yes',
        ALERT_EMAIL_MIN_INTERVAL_SECONDS: '0',
      },
      setup: async (pool, sim) => {
        ids.btc = await insertAsset(pool);
        ids.eth = await insertAsset(pool, { asset_symbol: 'ETH/USD' });
        ids.sol = await insertAsset(pool, { asset_symbol: 'SOL/USD' });
        cycles.eth = await insertCycle(pool, ids.eth, holding('0.5', '3000'));
        cycles.sol = await insertCycle(pool, ids.sol, holding('10', '100'));
        sim.setPosition('ETH/USD', '0.49875', '3000');
        sim.setPosition('SOL/USD', '9.975', '100');
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });

  it('leaves cycles alone while the exchange agrees with them, fees included', async () => {
    const run = await h.bot.caretakers.consistency.runOnce(new Date());
    expect(run).toEqual({ reconciled: [], positionMissingOnce: [], positionMissing: [], positionShort: [] });
  });

  it('reconciles a buying cycle whose order ended without a trade update', async () => {
    const actor = h.bot.registry.get('BTC/USD')!;
    h.sim.faults.holdOrders();
    await quoteUntil(h.sim, 'BTC/USD', '50000', '50010', () => actor.view().cycle?.latestOrderId != null, {
      what: 'base order submitted',
    });
    const cycleId = actor.cycleId!;
    expect((await h.bot.caretakers.consistency.runOnce(new Date())).reconciled).toEqual([]);

    // The expiry's trade update is held back (as if lost while the socket was down).
    h.sim.faults.reorderTradeUpdates(2);
    h.sim.expireOrder(actor.view().cycle!.clientOrderId!);
    const run = await h.bot.caretakers.consistency.runOnce(new Date());

    expect(run.reconciled).toEqual([cycleId]);
    await waitFor(() => actor.view().state === 'watching', 5_000, 'cycle back to watching');
    // The actor's view moves when the machine does; the row follows once the lane has written it.
    await waitFor(async () => (await getCycle(h.db.pool, cycleId))?.status === 'watching', 5_000, 'row');
    h.sim.faults.reset();
  });

  // One missing-position read ends a holding cycle in error (defect 6): a read right after a fill
  // may not show the position yet, and ending the cycle on it orphans the coin.
  it('keeps a holding cycle whose position is missing on one read only (transient missing position)', async () => {
    const t = Date.now();
    h.sim.faults.hidePosition('ETH/USD', 1);
    const first = await h.bot.caretakers.consistency.runOnce(new Date(t));
    expect(first.positionMissing).toEqual([]);
    expect(first.positionMissingOnce).toEqual([cycles.eth]);

    const second = await h.bot.caretakers.consistency.runOnce(new Date(t + HOUR));
    expect(second).toMatchObject({ positionMissingOnce: [], positionMissing: [] });
    const actor = h.bot.registry.get('ETH/USD')!;
    expect(actor.cycleId).toBe(cycles.eth);
    expect(actor.view().state).toBe('watching');
    expect((await getCycle(h.db.pool, cycles.eth))?.quantity.eq('0.5')).toBe(true);
  });

  it('does not count two missing reads less than one interval apart as two checks', async () => {
    const t = Date.now();
    h.sim.faults.hidePosition('ETH/USD', 2);
    await h.bot.caretakers.consistency.runOnce(new Date(t));
    const soon = await h.bot.caretakers.consistency.runOnce(new Date(t + 1_000));
    expect(soon).toMatchObject({ positionMissingOnce: [cycles.eth], positionMissing: [] });

    // Visible again at the next real check: the cycle holds on, and a later miss starts over.
    const later = await h.bot.caretakers.consistency.runOnce(new Date(t + HOUR));
    expect(later).toMatchObject({ positionMissingOnce: [], positionMissing: [] });
    expect(h.bot.registry.get('ETH/USD')?.cycleId).toBe(cycles.eth);
  });

  it('ends a watching cycle in error once its position is missing on two reads an interval apart', async () => {
    const t = Date.now();
    h.sim.faults.hidePosition('ETH/USD', 2);
    const first = await h.bot.caretakers.consistency.runOnce(new Date(t));
    expect(first).toMatchObject({ positionMissingOnce: [cycles.eth], positionMissing: [] });
    const run = await h.bot.caretakers.consistency.runOnce(new Date(t + HOUR));

    expect(run.positionMissing).toEqual([cycles.eth]);
    const actor = h.bot.registry.get('ETH/USD')!;
    await waitFor(() => actor.cycleId !== cycles.eth, 5_000, 'a new cycle');
    const failed = await getCycle(h.db.pool, cycles.eth);
    expect(failed?.status).toBe('error');
    expect(failed?.completedAt).toBeInstanceOf(Date);
    const next = await getLatestCycle(h.db.pool, ids.eth);
    expect(next).toMatchObject({ status: 'watching', latestOrderId: null, completedAt: null });
    expect(next?.quantity.isZero()).toBe(true);
  });

  it('raises an alert when the position is more than 1% short of what the cycle holds', async () => {
    h.sim.setPosition('SOL/USD', '9.5', '100');
    const run = await h.bot.caretakers.consistency.runOnce(new Date());

    expect(run.positionShort).toEqual([cycles.sol]);
    const alert = h.lines.find((l) => l['alert'] === true && l['code'] === 'POSITION_SHORT');
    expect(alert).toMatchObject({ asset: 'SOL/USD', cycleId: cycles.sol, level: 40 });
    expect(h.bot.registry.get('SOL/USD')?.view().state).toBe('watching');
  });

  it('mails its alerts through the channel configured by ALERT_EMAIL_*', async () => {
    await waitFor(() => smtp.mails.some((m) => m.data.includes('POSITION_SHORT')), 10_000, 'the alert mail');
    const mail = smtp.mails.find((m) => m.data.includes('POSITION_SHORT'));
    expect(mail?.to).toEqual(['owner@example.test']);
    expect(mail?.data).toContain(`SOL/USD cycle ${cycles.sol}`);
  });
});
