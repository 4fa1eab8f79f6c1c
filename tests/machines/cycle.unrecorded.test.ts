/**
 * The cycle machine restored where a safety order may have left unrecorded (architecture §4, "A
 * safety order leaves while its write-ahead commits"): a row in watching that holds coin is looked
 * up for the one order it may have sent (so<k+1>, the id after its own) before anything is decided.
 * Found, the order is adopted; not found twice a grace period apart, the row was never moved.
 */
import { describe, expect, it } from 'vitest';
import { toCyclePatch } from '../../src/machines/cycle.js';
import { dec } from '../../src/money.js';
import { aCycleInput, aCycleRow, at, cid, filledOrder, quote, startCycle } from '../helpers/cycle.js';

const GRACE_S = 5;
/** Base order filled at 60000 and safety order 1 at 59100; the last order was dca-…-7-so1-2. */
const holding = aCycleRow({
  status: 'watching',
  quantity: dec('0.000670062645'),
  boughtQuantity: dec('0.000671742'),
  costBasis: dec('39.9999519'),
  averagePurchasePrice: dec('39.9999519').div(dec('0.000671742')),
  lastOrderFillPrice: dec('59100'),
  safetyOrders: 1,
  clientOrderId: cid('7-so1-2'),
});
const CANDIDATE = cid('7-so2-3');
/** Far below safety order 2's trigger (about 57330): decides it at once when nothing holds it back. */
const SAFETY_QUOTE = quote('54990', '55000', at(GRACE_S + 2));

function restored(lookForUnrecordedOrder = true) {
  return startCycle(aCycleInput({ cycle: holding, lookForUnrecordedOrder }));
}

describe('cycle machine: a safety order that may have left unrecorded', () => {
  it('is looked for before anything is decided, while the row stays as stored', () => {
    const { actor, state, context, ofType } = restored();
    expect(state()).toBe('buying');
    expect(context().inFlight).toMatchObject({ clientOrderId: CANDIDATE, step: 'so2', unrecorded: true });
    const patch = toCyclePatch(actor.getSnapshot());
    expect(patch).toMatchObject({ status: 'watching', clientOrderId: cid('7-so1-2'), latestOrderId: null });
    // A quote on the trigger, a take-profit now, an answer to a POST it never made: nothing moves.
    actor.send(quote('54990', '55000'));
    actor.send({ type: 'TAKE_PROFIT_NOW' });
    actor.send({ type: 'ORDER_SUBMITTED', clientOrderId: CANDIDATE, orderId: 'a-9' });
    expect(state()).toBe('buying');
    expect(context().inFlight?.orderId).toBeNull();
    expect(ofType('submitOrder')).toEqual([]);
    expect(ofType('checkPosition')).toEqual([]);
  });

  it('not found twice a grace period apart: back to watching without an alert, and the id is reused', () => {
    const { actor, state, context, ofType, intents } = restored();
    actor.send({ type: 'RECONCILED', order: null });
    actor.send({ type: 'TICK', now: at(GRACE_S - 1) });
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('buying');
    actor.send({ type: 'TICK', now: at(GRACE_S) });
    expect(ofType('reconcileOrder')).toEqual([
      { type: 'reconcileOrder', clientOrderId: CANDIDATE, orderId: null },
    ]);
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('watching');
    expect(context().inFlight).toBeNull();
    expect(context().clientOrderId).toBe(cid('7-so1-2'));
    expect(ofType('alert')).toEqual([]);
    expect(ofType('closeUnsentOrder')).toEqual([]);
    expect(intents.filter((i) => i.type === 'log').map((i) => i.type === 'log' && i.event)).toEqual([
      'no_unrecorded_order',
    ]);
    // If the exchange created it after all, the same id collides with it instead of doubling it.
    actor.send(SAFETY_QUOTE);
    expect(ofType('submitOrder').map((i) => i.order.clientOrderId)).toEqual([CANDIDATE]);
  });

  it('found filled: adopted, booked as safety order 2, and the next order follows its id', () => {
    const { actor, state, context } = restored();
    actor.send({ type: 'RECONCILED', order: filledOrder(CANDIDATE, '0.00034904', '57300') });
    expect(state()).toBe('watching');
    expect(context().ledger.safetyOrders).toBe(2);
    expect(context().ledger.lastOrderFillPrice?.toString()).toBe('57300');
    expect(context().clientOrderId).toBe(CANDIDATE);
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({ status: 'watching', clientOrderId: CANDIDATE });
  });

  it('found open by a trade update: adopted, and the row now names it', () => {
    const { actor, state, context } = restored();
    actor.send({
      type: 'ORDER_PARTIALLY_FILLED',
      order: filledOrder(CANDIDATE, '0.0001', '57300', { status: 'partially_filled' }),
    });
    expect(state()).toBe('buying');
    expect(context().inFlight).toMatchObject({ unrecorded: false, orderId: `alpaca-${CANDIDATE}` });
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({
      status: 'buying',
      clientOrderId: CANDIDATE,
      latestOrderId: `alpaca-${CANDIDATE}`,
    });
  });

  it('is not looked for without the flag, nor for a row that holds nothing or is not watching', () => {
    expect(restored(false).state()).toBe('watching');
    const fresh = startCycle(aCycleInput({ lookForUnrecordedOrder: true }));
    expect(fresh.state()).toBe('watching');
    const cooling = startCycle(
      aCycleInput({
        cycle: { ...holding, status: 'cooldown' },
        lookForUnrecordedOrder: true,
        previousCompletedAt: at(0),
      }),
    );
    expect(cooling.state()).toBe('cooldown');
  });
});
