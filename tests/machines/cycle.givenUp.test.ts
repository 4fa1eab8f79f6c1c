/**
 * The cycle machine after an order was given up as never accepted (architecture §4, "Unknown is not
 * 'not accepted'"): the exchange may still create it late, so the next order of the same step reuses
 * its client order id (Alpaca then refuses the duplicate, and the order is looked up and adopted), and
 * a take-profit whose position vanished looks the given-up sell up once more before the cycle fails.
 */
import { describe, expect, it } from 'vitest';
import { toCyclePatch } from '../../src/machines/cycle.js';
import type { CycleInput } from '../../src/machines/cycleTypes.js';
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
const BUY_QUOTE = ['59990', '60000'] as const;
const TAKE_PROFIT_QUOTE = ['60600', '60610'] as const;
/** 2 % below the base fill at 60000: safety order 1 (1.5 %). */
const SAFETY_QUOTE = ['58790', '58800'] as const;

type Cycle = ReturnType<typeof startCycle>;

/** The POST of `clientOrderId` timed out; two look-ups a grace period apart find nothing. */
function giveUp({ actor }: Cycle, clientOrderId: string, from = 0): void {
  actor.send(ambiguousSubmitFailure(clientOrderId));
  actor.send({ type: 'RECONCILED', order: null });
  actor.send({ type: 'TICK', now: at(from + GRACE_S) });
  actor.send({ type: 'RECONCILED', order: null });
}

/** A fresh cycle whose base order dca-…-7-base-1 has just been decided; its POST is out. */
function buyingCycle(input?: CycleInput): Cycle {
  const cycle = startCycle(input);
  cycle.actor.send(quote(...BUY_QUOTE));
  cycle.actor.send({ type: 'POSITION_NONE' });
  return cycle;
}

/** The base order filled: the cycle holds coin, its last id dca-…-7-base-1. */
function holdingCycle(): Cycle {
  const cycle = buyingCycle();
  cycle.actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
  return cycle;
}

/**
 * A holding cycle whose take-profit dca-…-7-tp-2 was given up; then a take-profit (`sell`) or an
 * operator's sell now asked for the position again, or nothing did (`none`).
 */
function givenUpSell(purpose: 'sell' | 'sellNow' | 'none' = 'sell'): Cycle {
  const cycle = holdingCycle();
  const { actor } = cycle;
  actor.send(quote(...TAKE_PROFIT_QUOTE, at(1)));
  actor.send({ type: 'POSITION_FOUND', qty: dec('0.000332'), qtyAvailable: dec('0.000332') });
  giveUp(cycle, cid('7-tp-2'), 1);
  if (purpose === 'sell') actor.send(quote(...TAKE_PROFIT_QUOTE, at(GRACE_S + 2)));
  if (purpose === 'sellNow') actor.send({ type: 'TAKE_PROFIT_NOW' });
  return cycle;
}

const submittedIds = ({ ofType }: Cycle) => ofType('submitOrder').map((s) => s.order.clientOrderId);

describe('cycle machine: an order given up as never accepted', () => {
  it('lends its client order id to the next order of the same step', () => {
    const cycle = buyingCycle();
    const { actor, state, context } = cycle;
    giveUp(cycle, cid('7-base-1'));
    expect(state()).toBe('watching');
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({
      clientOrderId: cid('7-base-1'),
      givenUpClientOrderId: cid('7-base-1'),
    });
    actor.send(quote(...BUY_QUOTE, at(GRACE_S + 1)));
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('buying');
    expect(submittedIds(cycle)).toEqual([cid('7-base-1'), cid('7-base-1')]);
    // In flight again: no longer given up.
    expect(context().givenUp).toBeNull();
    expect(toCyclePatch(actor.getSnapshot()).givenUpClientOrderId).toBeNull();
  });

  it('adopts the late order when the reused id is refused as taken and the look-up finds it', () => {
    const cycle = buyingCycle();
    const { actor, state, context } = cycle;
    giveUp(cycle, cid('7-base-1'));
    actor.send(quote(...BUY_QUOTE, at(GRACE_S + 1)));
    actor.send({ type: 'POSITION_NONE' });
    // The executor reads "client_order_id must be unique" as unknown: looked up, never refused.
    actor.send(ambiguousSubmitFailure(cid('7-base-1'), 'client_order_id must be unique'));
    actor.send({ type: 'RECONCILED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
    expect(state()).toBe('watching');
    expect(context().ledger.boughtQuantity.toString()).toBe('0.000333333');
    expect(context().clientOrderId).toBe(cid('7-base-1'));
  });

  it('keeps lending it after a restart, from the stored row', () => {
    const row = aCycleRow({ clientOrderId: cid('7-base-1'), givenUpClientOrderId: cid('7-base-1') });
    const cycle = startCycle(aCycleInput({ cycle: row }));
    cycle.actor.send(quote(...BUY_QUOTE));
    cycle.actor.send({ type: 'POSITION_NONE' });
    expect(submittedIds(cycle)).toEqual([cid('7-base-1')]);
  });

  it('is what a restored row holding coin looks for when it may have lost a safety order of that step', () => {
    const row = aCycleRow({
      quantity: dec('0.000332'),
      boughtQuantity: dec('0.000333333'),
      costBasis: dec('20'),
      averagePurchasePrice: dec('60000'),
      lastOrderFillPrice: dec('60000'),
      clientOrderId: cid('7-so1-2'),
      givenUpClientOrderId: cid('7-so1-2'),
    });
    const { context } = startCycle(aCycleInput({ cycle: row, lookForUnrecordedOrder: true }));
    expect(context().inFlight).toMatchObject({ clientOrderId: cid('7-so1-2'), unrecorded: true });
  });

  it('gives the next order of another step the next attempt', () => {
    const cycle = holdingCycle();
    const { actor, context } = cycle;
    actor.send(quote(...SAFETY_QUOTE, at(1)));
    expect(submittedIds(cycle).at(-1)).toBe(cid('7-so1-2'));
    giveUp(cycle, cid('7-so1-2'), 1);
    expect(context().givenUp).toBe(cid('7-so1-2'));
    actor.send(quote(...TAKE_PROFIT_QUOTE, at(GRACE_S + 2)));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.000332'), qtyAvailable: dec('0.000332') });
    expect(submittedIds(cycle).at(-1)).toBe(cid('7-tp-3'));
    expect(context().givenUp).toBeNull();
  });

  it('moves the counter past a given-up id that is not the latest one', () => {
    const row = aCycleRow({ clientOrderId: cid('7-base-1'), givenUpClientOrderId: cid('7-so1-4') });
    const cycle = startCycle(aCycleInput({ cycle: row }));
    cycle.actor.send(quote(...BUY_QUOTE));
    cycle.actor.send({ type: 'POSITION_NONE' });
    expect(submittedIds(cycle)).toEqual([cid('7-base-5')]);
  });

  it.each([
    ['a definitive refusal', {}],
    ['a 429', { rateLimited: true }],
    ['the closed order gate', { gateClosed: true }],
  ])('is not what an order refused by %s is: the next order gets a new id', (_, extra) => {
    const cycle = buyingCycle();
    const { actor, context } = cycle;
    actor.send({
      type: 'ORDER_SUBMIT_FAILED',
      clientOrderId: cid('7-base-1'),
      ambiguous: false,
      reason: 'insufficient balance for USD',
      ...extra,
    });
    expect(context().givenUp).toBeNull();
    actor.send({ type: 'TICK', now: at(600), ordersOpen: true });
    actor.send(quote(...BUY_QUOTE, at(600)));
    actor.send({ type: 'POSITION_NONE' });
    expect(submittedIds(cycle)).toEqual([cid('7-base-1'), cid('7-base-2')]);
  });
});

describe('cycle machine: a position that vanished after a sell was given up', () => {
  it('looks the given-up sell up once more, and completes the cycle with it when it filled', () => {
    const cycle = givenUpSell();
    const { actor, state, context, ofType } = cycle;
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('selling');
    expect(context().inFlight).toMatchObject({ clientOrderId: cid('7-tp-2'), lastLookFor: 'sell' });
    expect(ofType('reconcileOrder').at(-1)).toEqual({
      type: 'reconcileOrder',
      clientOrderId: cid('7-tp-2'),
      orderId: null,
    });
    const sold = filledOrder(cid('7-tp-2'), '0.000332', '60605', { side: 'sell', type: 'market' });
    actor.send({ type: 'RECONCILED', order: sold });
    expect(state()).toBe('complete');
    expect(actor.getSnapshot().output?.status).toBe('complete');
    expect(actor.getSnapshot().output?.sellPrice?.toString()).toBe('60605');
    expect(submittedIds(cycle)).toEqual([cid('7-base-1'), cid('7-tp-2')]);
  });

  it('fails as before when the look-up does not find it either', () => {
    const { actor, state, ofType } = givenUpSell();
    actor.send({ type: 'POSITION_NONE' });
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('error');
    expect(actor.getSnapshot().output?.reason).toBe('position vanished before the take-profit');
    expect(ofType('alert').at(-1)?.code).toBe('CYCLE_ERROR');
  });

  it('fails an operator sell now the same way, with its own reason', () => {
    const { actor, state } = givenUpSell('sellNow');
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('selling');
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('error');
    expect(actor.getSnapshot().output?.reason).toBe('position vanished before the sell now');
  });

  it('looks it up once more when the consistency check finds the position missing', () => {
    const { actor, state, context } = givenUpSell('none');
    actor.send({ type: 'POSITION_MISSING' });
    expect(state()).toBe('selling');
    expect(context().inFlight).toMatchObject({ clientOrderId: cid('7-tp-2'), lastLookFor: 'missing' });
    actor.send({ type: 'RECONCILED', order: null });
    expect(state()).toBe('error');
    expect(actor.getSnapshot().output?.reason).toBe('the exchange has no position for this cycle');
  });

  it('fails at once when the last sell was not given up', () => {
    const { actor, state, ofType } = holdingCycle();
    actor.send(quote(...TAKE_PROFIT_QUOTE, at(1)));
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('error');
    expect(ofType('reconcileOrder')).toEqual([]);
  });

  it('fails at once when the given-up order was a buy', () => {
    const cycle = holdingCycle();
    const { actor, state, ofType } = cycle;
    actor.send(quote(...SAFETY_QUOTE, at(1)));
    giveUp(cycle, cid('7-so1-2'), 1);
    actor.send(quote(...TAKE_PROFIT_QUOTE, at(GRACE_S + 2)));
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('error');
    expect(ofType('reconcileOrder').map((r) => r.clientOrderId)).toEqual([cid('7-so1-2'), cid('7-so1-2')]);
  });
});
