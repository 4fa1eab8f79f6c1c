/**
 * The cycle machine on the order path's hard cases: an order whose POST is unanswered is unknown, a
 * look-up gives it up only after the POST ended and a grace period, a refusal backs the asset off,
 * and a decision that waited on I/O is re-checked on the freshest quote.
 */
import { describe, expect, it } from 'vitest';
import { toCyclePatch } from '../../src/machines/cycle.js';
import { dec } from '../../src/money.js';
import {
  aCycleInput,
  aCycleRow,
  ambiguousSubmitFailure,
  at,
  cid,
  filledOrder,
  quote,
  startCycle,
} from '../helpers/cycle.js';

const GRACE_S = 5;

/** A fresh cycle whose base order dca-7-base-1 has just been decided; its POST is out. */
function buyingCycle() {
  const cycle = startCycle();
  cycle.actor.send(quote('59990', '60000'));
  cycle.actor.send({ type: 'POSITION_NONE' });
  return cycle;
}

function holdingCycle() {
  const cycle = buyingCycle();
  cycle.actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
  return cycle;
}

const refused = (clientOrderId: string, extra: { rateLimited?: boolean; gateClosed?: boolean } = {}) => ({
  type: 'ORDER_SUBMIT_FAILED' as const,
  clientOrderId,
  ambiguous: false,
  reason: 'insufficient balance for USD',
  ...extra,
});

describe('cycle machine: unknown orders', () => {
  it('defect 1: ignores a look-up that finds nothing while the POST is unanswered, then applies the POST answer', () => {
    const { actor, state, context, ofType } = buyingCycle();
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('buying');
    expect(context().inFlight?.notFoundSince).toBeNull();
    actor.send({ type: 'ORDER_SUBMITTED', clientOrderId: cid('7-base-1'), orderId: 'a-1' });
    expect(context().inFlight?.orderId).toBe('a-1');
    actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
    expect(state()).toBe('watching');
    expect(context().ledger.boughtQuantity.toString()).toBe('0.000333333');
    expect(ofType('submitOrder')).toHaveLength(1);
  });

  it('defect 3: after an ambiguous submit one miss waits and a second miss a grace period later gives the order up', () => {
    const { actor, state, ofType } = buyingCycle();
    actor.send(ambiguousSubmitFailure(cid('7-base-1')));
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('buying');
    // Another miss before the grace is over (a reconnect's look-up) concludes nothing either.
    actor.send({ type: 'TICK', now: at(GRACE_S - 1) });
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('buying');
    expect(ofType('reconcileOrder')).toHaveLength(1);
    actor.send({ type: 'TICK', now: at(GRACE_S) });
    actor.send({ type: 'TICK', now: at(GRACE_S + 1) });
    expect(ofType('reconcileOrder')).toHaveLength(2);
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('watching');
    expect(ofType('closeUnsentOrder')).toEqual([
      { type: 'closeUnsentOrder', clientOrderId: cid('7-base-1') },
    ]);
  });

  it('defect 3: keeps an order that the second look-up finds after all', () => {
    const { actor, state, context } = buyingCycle();
    actor.send(ambiguousSubmitFailure(cid('7-base-1'), 'reset'));
    actor.send({ type: 'RECONCILED', order: null });
    actor.send({ type: 'TICK', now: at(GRACE_S) });
    const late = filledOrder(cid('7-base-1'), '0', '0', { status: 'new', id: 'late-1' });
    actor.send({ type: 'RECONCILED', order: late });
    expect(state()).toBe('buying');
    expect(context().inFlight).toMatchObject({ orderId: 'late-1', notFoundSince: null });
  });

  it('gives up a restored order only after two misses a grace period apart', () => {
    const { actor, state } = startCycle(
      aCycleInput({ cycle: aCycleRow({ status: 'buying', clientOrderId: cid('7-base-1') }) }),
    );
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('buying');
    actor.send({ type: 'TICK', now: at(GRACE_S) });
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('watching');
  });
});

describe('cycle machine: refusals back the asset off', () => {
  it('places no order during the back-off, doubles it per refusal and alerts once per episode', () => {
    const { actor, ofType, context } = buyingCycle();
    actor.send(refused(cid('7-base-1')));
    expect(context().backoff).toMatchObject({ until: at(5), delayMs: 5_000 });
    for (let s = 1; s < 5; s++) actor.send(quote('59990', '60000', at(s)));
    expect(ofType('checkPosition')).toHaveLength(1);
    actor.send(quote('59990', '60000', at(5)));
    actor.send({ type: 'POSITION_NONE' });
    actor.send(refused(cid('7-base-2')));
    expect(context().backoff).toMatchObject({ until: at(15), delayMs: 10_000 });
    expect(ofType('alert').filter((a) => a.code === 'ORDER_REFUSED')).toHaveLength(1);
    expect(ofType('alert')[0]?.message).toContain(
      'waiting after refusal: insufficient balance for USD until',
    );
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({
      backoffUntil: at(15),
      backoffReason: 'insufficient balance for USD',
    });
  });

  it('caps the back-off at its maximum and ends the episode once an order is accepted', () => {
    const { actor, context } = buyingCycle();
    let attempt = 1;
    for (let i = 0; i < 10; i++) {
      actor.send(refused(cid(`7-base-${attempt}`)));
      const until = context().backoff!.until;
      actor.send(quote('59990', '60000', until));
      actor.send({ type: 'POSITION_NONE' });
      attempt++;
    }
    expect(context().backoff?.delayMs).toBe(300_000);
    actor.send({ type: 'ORDER_SUBMITTED', clientOrderId: cid(`7-base-${attempt}`), orderId: 'a-ok' });
    expect(context().backoff).toBeNull();
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({ backoffUntil: null, backoffReason: null });
  });

  it('backs off after a 429 on the POST without looking the order up', () => {
    const { actor, state, context, ofType } = buyingCycle();
    actor.send(refused(cid('7-base-1'), { rateLimited: true }));
    expect(state()).toBe('watching');
    expect(context().backoff?.reason).toBe('rate limited by the exchange (429)');
    expect(ofType('reconcileOrder')).toEqual([]);
  });

  it('takes an order the closed gate kept home back to watching without a back-off or an alert', () => {
    const { actor, state, context, ofType } = buyingCycle();
    actor.send(refused(cid('7-base-1'), { gateClosed: true }));
    expect(state()).toBe('watching');
    expect(context().inFlight).toBeNull();
    expect(context().backoff).toBeNull();
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({ backoffUntil: null, backoffReason: null });
    expect(ofType('alert')).toEqual([]);
    expect(ofType('reconcileOrder')).toEqual([]);
  });

  it('decides no order while the gate is closed, and decides again once a TICK says it is open', () => {
    const { actor, state, ofType } = buyingCycle();
    actor.send(refused(cid('7-base-1'), { gateClosed: true }));
    for (let s = 1; s <= 5; s++) {
      actor.send(quote('59990', '60000', at(s)));
      actor.send({ type: 'TICK', now: at(s), ordersOpen: false });
    }
    expect(ofType('checkPosition')).toHaveLength(1);
    actor.send({ type: 'TICK', now: at(6), ordersOpen: true });
    actor.send(quote('59990', '60000', at(6)));
    expect(ofType('checkPosition')).toHaveLength(2);
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('buying');
    expect(ofType('submitOrder').at(-1)?.order.clientOrderId).toBe(cid('7-base-2'));
  });

  it('defers a base order whose position answer arrives after the gate closed, without an alert', () => {
    const { actor, state, ofType } = startCycle();
    actor.send(quote('59990', '60000', at(1)));
    expect(ofType('checkPosition')).toHaveLength(1);
    actor.send({ type: 'TICK', now: at(1), ordersOpen: false });
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('watching');
    expect(ofType('submitOrder')).toEqual([]);
    expect(ofType('alert')).toEqual([]);
    expect(ofType('log').map((l) => l.event)).toEqual(['base_order_deferred']);
  });

  it('takes no profit on an operator request while the gate is closed', () => {
    const { actor, ofType } = holdingCycle();
    actor.send({ type: 'TICK', now: at(1), ordersOpen: false });
    actor.send({ type: 'TAKE_PROFIT_NOW' });
    expect(ofType('checkPosition').filter((c) => c.purpose === 'sellNow')).toEqual([]);
  });

  it('decides no order once a TICK says the gate is closed, before any order is kept home', () => {
    const { actor, ofType } = startCycle();
    actor.send({ type: 'TICK', now: at(1), ordersOpen: false });
    actor.send(quote('59990', '60000', at(1)));
    expect(ofType('checkPosition')).toEqual([]);
  });

  it('resumes a persisted back-off after a restart', () => {
    const { actor, ofType } = startCycle(
      aCycleInput({ cycle: aCycleRow({ backoffUntil: at(30), backoffReason: 'refused' }) }),
    );
    actor.send(quote('59990', '60000', at(10)));
    expect(ofType('checkPosition')).toEqual([]);
    actor.send(quote('59990', '60000', at(30)));
    expect(ofType('checkPosition')).toHaveLength(1);
  });

  it('reads the position again before retrying a take-profit refused for insufficient quantity', () => {
    const { actor, ofType, state } = holdingCycle();
    actor.send(quote('60600', '60610', at(1)));
    actor.send({ type: 'POSITION_FOUND', qty: dec('1'), qtyAvailable: dec('1') });
    expect(state()).toBe('selling');
    actor.send({ ...refused(cid('7-tp-2')), reason: 'insufficient qty available for order' });
    expect(state()).toBe('watching');
    actor.send(quote('60600', '60610', at(2)));
    expect(ofType('checkPosition').filter((c) => c.purpose === 'sell')).toHaveLength(1);
    actor.send(quote('60600', '60610', at(6)));
    expect(ofType('checkPosition').filter((c) => c.purpose === 'sell')).toHaveLength(2);
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.0003'), qtyAvailable: dec('0.0003') });
    expect(ofType('submitOrder').at(-1)?.order).toMatchObject({ clientOrderId: cid('7-tp-3'), side: 'sell' });
    expect(ofType('submitOrder').at(-1)?.order.qty.toString()).toBe('0.0003');
  });

  it('backs off a take-profit too small to sell instead of asking for the position on every quote', () => {
    const { actor, ofType, state } = holdingCycle();
    for (let s = 0; s < 20; s++) {
      actor.send(quote('60600', '60610', at(s)));
      if (s === 0) actor.send({ type: 'POSITION_FOUND', qty: dec('0.00005'), qtyAvailable: dec('0.00005') });
    }
    expect(state()).toBe('watching');
    // One read, then one more once the 5 s wait is over; one alert for the episode.
    expect(ofType('checkPosition').filter((c) => c.purpose === 'sell')).toHaveLength(2);
    expect(ofType('alert').filter((a) => a.code === 'SELL_TOO_SMALL')).toHaveLength(1);
  });
});

describe('cycle machine: decisions on the freshest quote', () => {
  it('defect 4: places no take-profit when the bid fell below the take-profit price while the position was read', () => {
    const { actor, ofType, state } = holdingCycle();
    actor.send(quote('60600', '60610', at(1)));
    expect(ofType('checkPosition').at(-1)).toEqual({ type: 'checkPosition', purpose: 'sell' });
    actor.send(quote('60000', '60010', at(20)));
    actor.send({ type: 'POSITION_FOUND', qty: dec('1'), qtyAvailable: dec('1') });
    expect(state()).toBe('watching');
    expect(ofType('submitOrder').filter((s) => s.order.side === 'sell')).toEqual([]);
    // The position question is released: the next quote at the take-profit asks again.
    actor.send(quote('60600', '60610', at(21)));
    expect(ofType('checkPosition').filter((c) => c.purpose === 'sell')).toHaveLength(2);
  });

  it('defect 4: places no order on a quote older than the stale limit', () => {
    const { actor, ofType } = startCycle();
    actor.send({ type: 'TICK', now: at(120) });
    actor.send(quote('59990', '60000', at(30)));
    expect(ofType('checkPosition')).toEqual([]);
  });

  it('defect 4: places no base order when the quote went stale while the position was read', () => {
    const { actor, ofType, state } = startCycle();
    actor.send(quote('59990', '60000', at(0)));
    actor.send({ type: 'TICK', now: at(61) });
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('watching');
    expect(ofType('submitOrder')).toEqual([]);
  });

  it('sizes the base order on the latest quote fed in before the position answer', () => {
    const { actor, ofType } = startCycle();
    actor.send(quote('59990', '60000', at(0)));
    actor.send(quote('49990', '50000', at(2)));
    actor.send({ type: 'POSITION_NONE' });
    expect(ofType('submitOrder')[0]?.order.limitPrice?.toString()).toBe('50000');
  });
});
