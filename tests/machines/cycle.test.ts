import { describe, expect, it } from 'vitest';
import { toCyclePatch } from '../../src/machines/cycle.js';
import { dec } from '../../src/money.js';
import {
  aCycleInput,
  aCycleRow,
  ambiguousSubmitFailure,
  anAsset,
  at,
  cid,
  filledOrder,
  quote,
  someRules,
  startCycle,
  T0,
} from '../helpers/cycle.js';

/** A fresh cycle whose base order (dca-testinst-7-base-1, a limit buy at 60000) has just been placed. */
function buyingCycle(overrides: Parameters<typeof aCycleInput>[0] = {}) {
  const cycle = startCycle(aCycleInput(overrides));
  cycle.actor.send(quote('59990', '60000'));
  cycle.actor.send({ type: 'POSITION_NONE' });
  return cycle;
}

/** A cycle that bought its base order: 0.000333333 BTC at 60000, net of the 0.25% fee. */
function holdingCycle(overrides: Parameters<typeof aCycleInput>[0] = {}) {
  const cycle = buyingCycle(overrides);
  cycle.actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
  return cycle;
}

/** A holding cycle whose take-profit market sell of 0.000332499 is in flight. */
function sellingCycle() {
  const cycle = holdingCycle();
  cycle.actor.send(quote('60600', '60610'));
  cycle.actor.send({
    type: 'POSITION_FOUND',
    qty: dec('0.0003324996675'),
    qtyAvailable: dec('0.0003324996675'),
  });
  return cycle;
}

describe('cycle machine: base order', () => {
  it('asks once whether a position exists when the first quote arrives', () => {
    const { actor, ofType, state } = startCycle();
    actor.send(quote('59990', '60000'));
    actor.send(quote('59991', '60001'));
    expect(ofType('checkPosition')).toEqual([{ type: 'checkPosition', purpose: 'base' }]);
    expect(state()).toBe('watching');
  });

  it('places the base order as a gtc limit buy at the latest ask once no position exists', () => {
    const { actor, ofType, state, context } = startCycle();
    actor.send(quote('59990', '60000'));
    actor.send(quote('59995', '60000.004'));
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('buying');
    const [submit] = ofType('submitOrder');
    expect(submit?.step).toBe('base');
    expect(submit?.order).toMatchObject({
      clientOrderId: cid('7-base-1'),
      side: 'buy',
      type: 'limit',
      timeInForce: 'gtc',
    });
    expect(submit?.order.limitPrice?.toString()).toBe('60000.01');
    expect(submit?.order.qty.toString()).toBe('0.000333333');
    expect(context().inFlight).toMatchObject({ clientOrderId: cid('7-base-1'), step: 'base', orderId: null });
  });

  it('places no base order while a position exists', () => {
    const { actor, ofType, state, context } = startCycle();
    actor.send(quote('59990', '60000'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.5'), qtyAvailable: dec('0.5') });
    actor.send(quote('59990', '60000'));
    expect(state()).toBe('watching');
    expect(ofType('submitOrder')).toEqual([]);
    expect(ofType('alert')).toContainEqual(
      expect.objectContaining({ level: 'warn', code: 'POSITION_EXISTS' }),
    );
    expect(ofType('checkPosition')).toHaveLength(1);
    expect(context().positionCheck).toMatchObject({ purpose: 'base', state: 'exists' });
  });

  it('asks about the position again only after a tick at least five minutes later', () => {
    const { actor, ofType } = startCycle();
    actor.send(quote('59990', '60000'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.5'), qtyAvailable: dec('0.5') });
    actor.send({ type: 'TICK', now: at(299) });
    actor.send(quote('59990', '60000', at(299)));
    expect(ofType('checkPosition')).toHaveLength(1);
    actor.send({ type: 'TICK', now: at(300) });
    actor.send(quote('59990', '60000', at(300)));
    expect(ofType('checkPosition')).toHaveLength(2);
  });

  it('treats a position below the min order size as dust and buys anyway', () => {
    const { actor, ofType, state } = startCycle();
    actor.send(quote('59990', '60000'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00009'), qtyAvailable: dec('0.00009') });
    expect(state()).toBe('buying');
    expect(ofType('alert')).toContainEqual(expect.objectContaining({ level: 'info', code: 'DUST_POSITION' }));
  });

  it('only logs the dust the previous cycle left behind, and buys anyway', () => {
    const { actor, ofType, state } = startCycle(aCycleInput({ previousLeftover: dec('0.00009') }));
    actor.send(quote('59990', '60000'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00009'), qtyAvailable: dec('0.00009') });
    expect(state()).toBe('buying');
    expect(ofType('alert')).toEqual([]);
    expect(ofType('log')).toEqual([
      expect.objectContaining({
        level: 'info',
        event: 'dust_position',
        message: expect.stringContaining('0.00009'),
      }),
    ]);
  });

  it('only logs dust below one trade increment, what rounding a sell down leaves', () => {
    const rules = someRules({ minTradeIncrement: dec('0.00001') });
    const { actor, ofType, state } = startCycle(aCycleInput({ rules }));
    actor.send(quote('59990', '60000'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.000009'), qtyAvailable: dec('0.000009') });
    expect(state()).toBe('buying');
    expect(ofType('alert')).toEqual([]);
    expect(ofType('log')).toHaveLength(1);
  });

  it('still alerts on dust beyond what the previous cycle left', () => {
    const { actor, ofType, state } = startCycle(aCycleInput({ previousLeftover: dec('0.00001') }));
    actor.send(quote('59990', '60000'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00009'), qtyAvailable: dec('0.00009') });
    expect(state()).toBe('buying');
    expect(ofType('log')).toEqual([]);
    expect(ofType('alert')).toContainEqual(expect.objectContaining({ level: 'info', code: 'DUST_POSITION' }));
  });

  it('refuses a base order below the min order size without asking or changing state', () => {
    const { actor, ofType, state } = startCycle(
      aCycleInput({ rules: someRules({ minOrderSize: dec('0.001') }) }),
    );
    actor.send(quote('59990', '60000'));
    expect(state()).toBe('watching');
    expect(ofType('checkPosition')).toEqual([]);
    expect(ofType('alert')).toEqual([expect.objectContaining({ level: 'error', code: 'ORDER_TOO_SMALL' })]);
  });

  it('places no base order while disabled, asks again after ENABLE, and skips it if disabled meanwhile', () => {
    const { actor, ofType, state } = startCycle(aCycleInput({ asset: anAsset({ enabled: false }) }));
    actor.send(quote('59990', '60000'));
    expect(ofType('checkPosition')).toEqual([]);
    actor.send({ type: 'ENABLE' });
    actor.send(quote('59990', '60000'));
    expect(ofType('checkPosition')).toHaveLength(1);
    actor.send({ type: 'DISABLE' });
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('watching');
    expect(ofType('alert')).toContainEqual(expect.objectContaining({ code: 'BASE_ORDER_SKIPPED' }));
  });

  it('ignores a crossed or non-positive quote and reports it', () => {
    const { actor, ofType, context } = startCycle();
    actor.send(quote('60010', '60000'));
    actor.send(quote('0', '60000'));
    expect(context().quote).toBeNull();
    expect(ofType('checkPosition')).toEqual([]);
    expect(ofType('alert').map((a) => [a.level, a.code])).toEqual([
      ['warn', 'BAD_QUOTE'],
      ['warn', 'BAD_QUOTE'],
    ]);
  });
});

describe('cycle machine: holding', () => {
  it('books the base fill net of the fee with the average weighted by the gross quantity', () => {
    const { context, state } = holdingCycle();
    expect(state()).toBe('watching');
    const { ledger } = context();
    expect(ledger.quantity.toString()).toBe('0.0003324996675');
    expect(ledger.boughtQuantity.toString()).toBe('0.000333333');
    expect(ledger.costBasis.toString()).toBe('19.99998');
    expect(ledger.averagePurchasePrice.toString()).toBe('60000');
    expect(ledger.lastOrderFillPrice?.toString()).toBe('60000');
    expect(context().inFlight).toBeNull();
  });

  it('buys a safety order when the ask falls to the safety trigger price', () => {
    const { actor, ofType, state } = holdingCycle();
    actor.send(quote('59100', '59100.01'));
    expect(state()).toBe('watching');
    actor.send(quote('59099', '59100'));
    expect(state()).toBe('buying');
    const submit = ofType('submitOrder')[1];
    expect(submit?.step).toBe('so1');
    expect(submit?.order.clientOrderId).toBe(cid('7-so1-2'));
    expect(submit?.order.qty.toString()).toBe('0.000338409');
  });

  it('buys no safety order past max_safety_orders', () => {
    const { actor, state, ofType } = holdingCycle({ asset: anAsset({ maxSafetyOrders: 0 }) });
    actor.send(quote('50000', '50000'));
    expect(state()).toBe('watching');
    expect(ofType('submitOrder')).toHaveLength(1);
  });

  it('sells min(quantity, available) at market once the bid reaches take profit and the position is confirmed', () => {
    const { actor, ofType, state } = holdingCycle();
    actor.send(quote('60599.99', '60610'));
    expect(ofType('checkPosition')).toHaveLength(1);
    actor.send(quote('60600', '60610'));
    expect(ofType('checkPosition')).toEqual([
      { type: 'checkPosition', purpose: 'base' },
      { type: 'checkPosition', purpose: 'sell' },
    ]);
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00033'), qtyAvailable: dec('0.0003300005') });
    expect(state()).toBe('selling');
    const sell = ofType('submitOrder')[1];
    expect(sell).toMatchObject({ step: 'tp', order: { side: 'sell', type: 'market', limitPrice: null } });
    expect(sell?.order.qty.toString()).toBe('0.00033');
  });

  it('stays and alerts when the take-profit quantity is below the min order size', () => {
    const { actor, ofType, state } = holdingCycle();
    actor.send(quote('60600', '60610'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00005'), qtyAvailable: dec('0.00005') });
    expect(state()).toBe('watching');
    expect(ofType('alert')).toContainEqual(expect.objectContaining({ code: 'SELL_TOO_SMALL' }));
  });

  it('ends in error when the position vanished before the take-profit', () => {
    const { actor, state } = holdingCycle();
    actor.send({ type: 'TICK', now: at(60) });
    actor.send(quote('60600', '60610', at(60)));
    actor.send({ type: 'POSITION_NONE' });
    expect(state()).toBe('error');
    expect(actor.getSnapshot().output).toMatchObject({
      status: 'error',
      completedAt: at(60),
      nextStatus: 'watching',
    });
  });

  it('ends in error with a fresh watching cycle next when the caretaker finds no position', () => {
    const { actor, state } = holdingCycle();
    actor.send({ type: 'POSITION_MISSING' });
    expect(state()).toBe('error');
    expect(actor.getSnapshot().output).toMatchObject({
      status: 'error',
      realizedPnl: null,
      nextStatus: 'watching',
    });
  });

  it('sells the open cycle at market on TAKE_PROFIT_NOW below the take-profit price, after the position check', () => {
    const { actor, ofType, state } = holdingCycle();
    actor.send(quote('59500', '59510'));
    actor.send({ type: 'TAKE_PROFIT_NOW' });
    actor.send({ type: 'TAKE_PROFIT_NOW' });
    expect(ofType('checkPosition').at(-1)).toEqual({ type: 'checkPosition', purpose: 'sellNow' });
    expect(ofType('checkPosition')).toHaveLength(2);
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00033'), qtyAvailable: dec('0.00033') });
    expect(state()).toBe('selling');
    const sell = ofType('submitOrder')[1];
    expect(sell).toMatchObject({ step: 'tp', order: { side: 'sell', type: 'market', limitPrice: null } });
    expect(sell?.order.qty.toString()).toBe('0.00033');
  });

  it('ignores TAKE_PROFIT_NOW when the cycle holds nothing', () => {
    const { actor, ofType, state } = startCycle();
    actor.send({ type: 'TAKE_PROFIT_NOW' });
    expect(ofType('checkPosition')).toEqual([]);
    expect(state()).toBe('watching');
  });

  it('stays watching and alerts when a sell now is below the min order size', () => {
    const { actor, ofType, state } = holdingCycle();
    actor.send({ type: 'TAKE_PROFIT_NOW' });
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00005'), qtyAvailable: dec('0.00005') });
    expect(state()).toBe('watching');
    expect(ofType('alert')).toContainEqual(expect.objectContaining({ code: 'SELL_TOO_SMALL' }));
    expect(actor.getSnapshot().context.positionCheck).toBeNull();
  });

  it('keeps buying safety orders and taking profit while disabled', () => {
    const { actor, state } = holdingCycle();
    actor.send({ type: 'DISABLE' });
    actor.send(quote('59099', '59100'));
    expect(state()).toBe('buying');
  });
});

describe('cycle machine: orders in flight', () => {
  it('records the Alpaca order id when the submission is acknowledged', () => {
    const { actor, context } = buyingCycle();
    actor.send({ type: 'ORDER_SUBMITTED', clientOrderId: cid('7-base-1'), orderId: 'a-1' });
    expect(context().inFlight?.orderId).toBe('a-1');
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({
      status: 'buying',
      latestOrderId: 'a-1',
      clientOrderId: cid('7-base-1'),
    });
  });

  it('records a partial fill for display without booking it', () => {
    const { actor, context } = buyingCycle();
    const partial = filledOrder(cid('7-base-1'), '0.0001', '60000', { status: 'partially_filled' });
    actor.send({ type: 'ORDER_PARTIALLY_FILLED', order: partial });
    expect(context().inFlight?.filledQty.toString()).toBe('0.0001');
    expect(context().ledger.quantity.toString()).toBe('0');
  });

  it('books a fill exactly once', () => {
    const { actor, context } = holdingCycle();
    actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
    expect(context().ledger.boughtQuantity.toString()).toBe('0.000333333');
  });

  it('ignores order events about an order the cycle is not waiting on', () => {
    const { actor, state, context } = buyingCycle();
    actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('9-base-1'), '1', '60000') });
    actor.send({ type: 'ORDER_SUBMITTED', clientOrderId: cid('9-base-1'), orderId: 'x' });
    expect(state()).toBe('buying');
    expect(context().inFlight?.orderId).toBeNull();
  });

  it('returns to watching after a cancel, booking the partial fill and using up the safety level', () => {
    const { actor, state, context, ofType } = holdingCycle();
    actor.send(quote('59099', '59100'));
    const canceled = filledOrder(cid('7-so1-2'), '0.0001', '59100', { status: 'canceled' });
    actor.send({ type: 'ORDER_CANCELED', order: canceled });
    expect(state()).toBe('watching');
    expect(context().ledger.safetyOrders).toBe(1);
    expect(context().ledger.boughtQuantity.toString()).toBe('0.000433333');
    expect(context().ledger.lastOrderFillPrice?.toString()).toBe('59100');
    expect(ofType('alert')).toContainEqual(
      expect.objectContaining({ level: 'info', code: 'ORDER_CANCELED' }),
    );
  });

  it('returns to watching after an unfilled rejection without using a safety level', () => {
    const { actor, state, context } = holdingCycle();
    actor.send(quote('59099', '59100'));
    actor.send({
      type: 'ORDER_REJECTED',
      order: filledOrder(cid('7-so1-2'), '0', '0', { status: 'rejected' }),
    });
    expect(state()).toBe('watching');
    expect(context().ledger.safetyOrders).toBe(0);
  });

  it('returns to watching after a definitive refusal and retries with the next attempt once the back-off ends', () => {
    const { actor, state, ofType } = buyingCycle();
    actor.send({
      type: 'ORDER_SUBMIT_FAILED',
      clientOrderId: cid('7-base-1'),
      ambiguous: false,
      reason: '422',
    });
    expect(state()).toBe('watching');
    actor.send(quote('59990', '60000', at(4)));
    expect(ofType('checkPosition')).toHaveLength(1);
    actor.send(quote('59990', '60000', at(5)));
    actor.send({ type: 'POSITION_NONE' });
    expect(ofType('submitOrder').map((s) => s.order.clientOrderId)).toEqual([
      cid('7-base-1'),
      cid('7-base-2'),
    ]);
  });

  it('never reuses a client order id when a step comes back after another one', () => {
    const { actor, ofType } = holdingCycle();
    actor.send(quote('60600', '60610'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('1'), qtyAvailable: dec('1') });
    actor.send({
      type: 'ORDER_REJECTED',
      order: filledOrder(cid('7-tp-2'), '0', '0', { status: 'rejected' }),
    });
    actor.send(quote('59099', '59100'));
    actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-so1-3'), '0.000338409', '59100') });
    actor.send(quote('60142.07', '60150'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('1'), qtyAvailable: dec('1') });
    expect(ofType('submitOrder').map((s) => s.order.clientOrderId)).toEqual([
      cid('7-base-1'),
      cid('7-tp-2'),
      cid('7-so1-3'),
      cid('7-tp-4'),
    ]);
  });

  it('stays and asks for reconciliation after an ambiguous submit failure', () => {
    const { actor, state, ofType } = buyingCycle();
    actor.send(ambiguousSubmitFailure(cid('7-base-1')));
    expect(state()).toBe('buying');
    expect(ofType('reconcileOrder')).toEqual([
      { type: 'reconcileOrder', clientOrderId: cid('7-base-1'), orderId: null },
    ]);
  });

  it.each([
    ['filled', filledOrder(cid('7-base-1'), '0.000333333', '60000'), 'watching', '0.000333333'],
    [
      'canceled part way',
      filledOrder(cid('7-base-1'), '0.0002', '60000', { status: 'canceled' }),
      'watching',
      '0.0002',
    ],
    ['still open', filledOrder(cid('7-base-1'), '0', '0', { status: 'new' }), 'buying', '0'],
  ])('applies a reconciled order that was %s', (_label, order, expectedState, bought) => {
    const { actor, state, context } = buyingCycle();
    actor.send({ type: 'RECONCILED', order });
    expect(state()).toBe(expectedState);
    expect(context().ledger.boughtQuantity.toString()).toBe(bought);
    if (expectedState === 'buying') expect(context().inFlight?.orderId).toBe(`alpaca-${cid('7-base-1')}`);
  });

  it('completes on the take-profit fill with realized P&L and a cooldown next', () => {
    const { actor, state } = sellingCycle();
    const sold = filledOrder(cid('7-tp-2'), '0.000332499', '60600', { side: 'sell', filledAt: at(90) });
    actor.send({ type: 'ORDER_FILLED', order: sold });
    expect(state()).toBe('complete');
    const output = actor.getSnapshot().output!;
    // proceeds 0.000332499 * 60600 * 0.9975 = 20.0990658015; cost 19.99998
    expect(output.realizedPnl?.toString()).toBe('0.0990858015');
    expect(output).toMatchObject({ status: 'complete', completedAt: at(90), nextStatus: 'cooldown' });
    expect(output.sellPrice?.toString()).toBe('60600');
    expect(toCyclePatch(actor.getSnapshot())).toMatchObject({
      status: 'complete',
      completedAt: at(90),
      latestOrderId: null,
    });
  });

  it('returns to watching after a partly filled sell is canceled, reducing quantity and adding proceeds', () => {
    const { actor, state, context } = sellingCycle();
    const canceled = filledOrder(cid('7-tp-2'), '0.0002', '60600', { side: 'sell', status: 'canceled' });
    actor.send({ type: 'ORDER_CANCELED', order: canceled });
    expect(state()).toBe('watching');
    expect(context().ledger.quantity.toString()).toBe('0.0001324996675');
    expect(context().ledger.sellProceeds.toString()).toBe('12.0897');
    expect(context().ledger.realizedPnl).toBeNull();
  });
});

describe('cycle machine: cooldown', () => {
  const cooling = (overrides: Parameters<typeof aCycleInput>[0] = {}) =>
    startCycle(
      aCycleInput({ cycle: aCycleRow({ status: 'cooldown' }), previousCompletedAt: T0, ...overrides }),
    );

  it('leaves cooldown on a tick once cooldown_period has passed since the previous cycle completed', () => {
    const { actor, state } = cooling();
    actor.send({ type: 'TICK', now: at(299) });
    expect(state()).toBe('cooldown');
    actor.send({ type: 'TICK', now: at(300) });
    expect(state()).toBe('watching');
  });

  it('leaves cooldown early when the ask drops the deviation below the last sell price', () => {
    const { actor, state } = cooling({ asset: anAsset({ lastSellPrice: dec('60600') }) });
    actor.send(quote('59300', '59388.01'));
    expect(state()).toBe('cooldown');
    actor.send(quote('59300', '59388'));
    expect(state()).toBe('watching');
  });

  it('treats a cycle with no previous one as already past its cooldown', () => {
    const { actor, state } = cooling({ previousCompletedAt: null });
    actor.send({ type: 'TICK', now: T0 });
    expect(state()).toBe('watching');
  });

  it('leaves cooldown while disabled but places no base order', () => {
    const { actor, state, ofType } = cooling({ asset: anAsset({ enabled: false }) });
    actor.send({ type: 'TICK', now: at(301) });
    actor.send(quote('59990', '60000'));
    expect(state()).toBe('watching');
    expect(ofType('checkPosition')).toEqual([]);
  });
});

describe('cycle machine: restoring a row', () => {
  it('resumes a row persisted in buying with its in-flight order rebuilt from the client order id', () => {
    const row = aCycleRow({
      status: 'buying',
      clientOrderId: cid('7-so2-3'),
      latestOrderId: 'a-3',
      safetyOrders: 1,
    });
    const { actor, state, context } = startCycle(aCycleInput({ cycle: row }));
    expect(state()).toBe('buying');
    expect(context().inFlight).toMatchObject({
      clientOrderId: cid('7-so2-3'),
      orderId: 'a-3',
      step: 'so2',
      side: 'buy',
    });
    actor.send({ type: 'RECONCILED', order: filledOrder(cid('7-so2-3'), '0.0003', '59000') });
    expect(context().ledger.safetyOrders).toBe(2);
  });

  it('resumes a row in buying that names no order in watching, and says so', () => {
    const { state, ofType } = startCycle(aCycleInput({ cycle: aCycleRow({ status: 'buying' }) }));
    expect(state()).toBe('watching');
    expect(ofType('alert')).toEqual([expect.objectContaining({ code: 'ORDER_UNKNOWN' })]);
  });

  it('resumes cooldown and selling rows where they were', () => {
    expect(startCycle(aCycleInput({ cycle: aCycleRow({ status: 'cooldown' }) })).state()).toBe('cooldown');
    const selling = aCycleRow({ status: 'selling', clientOrderId: cid('7-tp-4') });
    expect(startCycle(aCycleInput({ cycle: selling })).context().inFlight?.side).toBe('sell');
  });

  it('projects the status and every column the machine owns', () => {
    const { actor } = holdingCycle();
    expect(Object.keys(toCyclePatch(actor.getSnapshot())).sort()).toEqual(
      [
        'status',
        'quantity',
        'averagePurchasePrice',
        'boughtQuantity',
        'costBasis',
        'sellProceeds',
        'realizedPnl',
        'safetyOrders',
        'latestOrderId',
        'clientOrderId',
        'lastOrderFillPrice',
        'ttpPeakPrice',
        'positionBaseline',
        'completedAt',
        'backoffUntil',
        'backoffReason',
        'givenUpClientOrderId',
      ].sort(),
    );
  });

  it('uses new amounts and rules after CONFIG_CHANGED', () => {
    const { actor, ofType } = startCycle();
    actor.send({
      type: 'CONFIG_CHANGED',
      asset: anAsset({ baseOrderAmount: dec('40') }),
      rules: someRules({ priceIncrement: dec('1') }),
    });
    actor.send(quote('59990', '60000.2'));
    actor.send({ type: 'POSITION_NONE' });
    const order = ofType('submitOrder')[0]?.order;
    expect(order?.limitPrice?.toString()).toBe('60001');
    expect(order?.qty.toString()).toBe('0.000666655');
  });
});
