/**
 * The strategy controls of sql/008 in the cycle machine: safety order scaling (3Commas semantics),
 * the trailing take-profit and the stop-loss. Exact decimal expectations throughout.
 */
import { describe, expect, it } from 'vitest';
import { toCyclePatch } from '../../src/machines/cycle.js';
import {
  nextPeak,
  safetyOrderAmountOf,
  safetyOrderDeviationOf,
  safetyTriggerPrice,
  smallestSafetyOrderAmount,
  stopLossPrice,
  trailingStopPrice,
  worstCaseCapital,
} from '../../src/machines/decisions.js';
import { dec } from '../../src/money.js';
import { aCycleInput, aCycleRow, anAsset, cid, filledOrder, quote, startCycle } from '../helpers/cycle.js';

/** $20 base, $20 × 2^(n−1) safety orders at 1.5 % × 1.5^(n−1) below the last fill, three of them. */
const SCALED = anAsset({
  maxSafetyOrders: 3,
  safetyOrderVolumeScale: dec('2'),
  safetyOrderStepScale: dec('1.5'),
});
const TRAILING = anAsset({ ttpEnabled: true, ttpDeviationPercent: dec('0.5') });

/** A cycle that bought its base order, 0.000333333 BTC at 60000 (average 60000). */
function holding(asset = anAsset()) {
  const cycle = startCycle(aCycleInput({ asset }));
  cycle.actor.send(quote('59990', '60000'));
  cycle.actor.send({ type: 'POSITION_NONE' });
  cycle.actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
  return cycle;
}

/** The position the exchange reports for the holding cycle (its books, fee included). */
const POSITION = {
  type: 'POSITION_FOUND' as const,
  qty: dec('0.0003324996675'),
  qtyAvailable: dec('0.0003324996675'),
};

/** Fills the in-flight buy at its limit. */
function fillBuy(cycle: ReturnType<typeof holding>) {
  const inFlight = cycle.context().inFlight!;
  cycle.actor.send({
    type: 'ORDER_FILLED',
    order: filledOrder(inFlight.clientOrderId, inFlight.qty!, inFlight.limitPrice!),
  });
}

describe('safety order scaling', () => {
  it('multiplies each next amount by the volume scale and each next deviation by the step scale', () => {
    expect([1, 2, 3].map((n) => safetyOrderAmountOf(SCALED, n).toFixed())).toEqual(['20', '40', '80']);
    expect([1, 2, 3].map((n) => safetyOrderDeviationOf(SCALED, n).toFixed())).toEqual([
      '1.5',
      '2.25',
      '3.375',
    ]);
    expect(worstCaseCapital(SCALED).toFixed()).toBe('160');
    // The smallest order is the one the exchange's minimum must allow: the first, or with a scale
    // below 1 the last (20 × 0.5² = 5).
    expect(smallestSafetyOrderAmount(SCALED).toFixed()).toBe('20');
    expect(smallestSafetyOrderAmount({ ...SCALED, safetyOrderVolumeScale: dec('0.5') }).toFixed()).toBe('5');
  });

  it('keeps an amount to the column’s 10 places, rounded down, and leaves scale 1 as it was', () => {
    const odd = anAsset({ safetyOrderAmount: dec('10.01'), safetyOrderVolumeScale: dec('1.0003') });
    // 10.01 × 1.0003^4 = 10.02201740648…: never more USD than the scale says.
    expect(safetyOrderAmountOf(odd, 5).toFixed()).toBe('10.0220174064');
    const flat = anAsset();
    expect(safetyOrderAmountOf(flat, 4)).toBe(flat.safetyOrderAmount);
    expect(worstCaseCapital(flat).toFixed()).toBe('120');
  });

  it('buys a ladder of scaled amounts at scaled deviations, each from the last buy fill', () => {
    const cycle = holding(SCALED);
    expect(safetyTriggerPrice(dec('60000'), dec('1.5')).toFixed()).toBe('59100');
    /** An ask a cent above the trigger buys nothing, the trigger itself buys safety order `step`. */
    const rung = (above: string, trigger: string, step: string, limit: string, qty: string) => {
      cycle.actor.send(quote(dec(above).minus('0.01'), above));
      expect(cycle.state()).toBe('watching');
      cycle.actor.send(quote(dec(trigger).minus('0.01'), trigger));
      expect(cycle.state()).toBe('buying');
      const { order, step: placed } = cycle.ofType('submitOrder').at(-1)!;
      expect([placed, order.limitPrice?.toFixed(), order.qty.toFixed()]).toEqual([step, limit, qty]);
      fillBuy(cycle);
    };
    // so1: 20 USD, 1.5 % below 60000 = 59100.
    rung('59100.01', '59100', 'so1', '59100', '0.000338409');
    // so2: 40 USD, 2.25 % below 59100 = 57770.25.
    rung('57770.26', '57770.25', 'so2', '57770.25', '0.000692397');
    // so3: 80 USD, 3.375 % below 57770.25 = 55820.5040625 (the ask is rounded to the cent).
    rung('55820.51', '55820.50', 'so3', '55820.5', '0.001433165');
    expect(cycle.context().ledger.safetyOrders).toBe(3);
    cycle.actor.send(quote('40000', '40000.01'));
    expect(cycle.state()).toBe('watching');
  });

  it('reports a scaled safety order too small by its own amount', () => {
    const shrinking = anAsset({ safetyOrderAmount: dec('12'), safetyOrderVolumeScale: dec('0.5') });
    const cycle = holding(shrinking);
    cycle.actor.send(quote('59099', '59100'));
    fillBuy(cycle);
    // so2 would be 6 USD: below the 10 USD minimum order value.
    cycle.actor.send(quote('58213', '58213.5'));
    expect(cycle.state()).toBe('watching');
    expect(cycle.ofType('alert').at(-1)).toMatchObject({ code: 'ORDER_TOO_SMALL' });
    expect(cycle.ofType('alert').at(-1)?.message).toContain('a safety order of 6 USD');
  });
});

describe('trailing take-profit', () => {
  it('computes the trailing stop below the peak and follows only higher bids', () => {
    expect(trailingStopPrice(dec('61000'), dec('0.5')).toFixed()).toBe('60695');
    expect(nextPeak(null, dec('60600')).toFixed()).toBe('60600');
    expect(nextPeak(dec('61000'), dec('60900')).toFixed()).toBe('61000');
    expect(nextPeak(dec('61000'), dec('61000.01')).toFixed()).toBe('61000.01');
  });

  it('starts trailing at the take-profit price instead of selling, rides the rise and sells on the pullback', () => {
    const cycle = holding(TRAILING);
    cycle.actor.send(quote('60600', '60610'));
    expect(cycle.ofType('checkPosition')).toHaveLength(1);
    expect(cycle.context().ledger.ttpPeakPrice?.toFixed()).toBe('60600');
    expect(cycle.ofType('alert').at(-1)).toMatchObject({ level: 'info', code: 'TRAILING_STARTED' });
    cycle.actor.send(quote('61000', '61010'));
    cycle.actor.send(quote('60800', '60810'));
    expect(cycle.context().ledger.ttpPeakPrice?.toFixed()).toBe('61000');
    // 0.5 % below 61000 is 60695: 60695.01 does not sell, 60695 does.
    cycle.actor.send(quote('60695.01', '60700'));
    expect(cycle.ofType('checkPosition')).toHaveLength(1);
    cycle.actor.send(quote('60695', '60700'));
    expect(cycle.ofType('checkPosition').at(-1)).toEqual({ type: 'checkPosition', purpose: 'sell' });
    cycle.actor.send(POSITION);
    expect(cycle.state()).toBe('selling');
    expect(cycle.ofType('submitOrder').at(-1)).toMatchObject({
      step: 'tp',
      order: { side: 'sell', type: 'market' },
    });
  });

  it('persists the peak with the row and keeps trailing from it after a restore', () => {
    const cycle = holding(TRAILING);
    cycle.actor.send(quote('60600', '60610'));
    cycle.actor.send(quote('61000', '61010'));
    const patch = toCyclePatch(cycle.actor.getSnapshot());
    expect(patch.ttpPeakPrice?.toFixed()).toBe('61000');

    const { ledger } = cycle.context();
    const restored = startCycle(
      aCycleInput({ asset: TRAILING, cycle: aCycleRow({ ...ledger, ...patch, status: 'watching' }) }),
    );
    restored.actor.send(quote('60800', '60810'));
    expect(restored.ofType('checkPosition')).toEqual([]);
    restored.actor.send(quote('60695', '60700'));
    expect(restored.ofType('checkPosition')).toEqual([{ type: 'checkPosition', purpose: 'sell' }]);
  });

  it('does not sell when the bid is back above the trailing stop once the position answers', () => {
    const cycle = holding(TRAILING);
    cycle.actor.send(quote('61000', '61010'));
    cycle.actor.send(quote('60690', '60700'));
    cycle.actor.send(quote('60750', '60760'));
    cycle.actor.send(POSITION);
    expect(cycle.state()).toBe('watching');
    expect(cycle.context().positionCheck).toBeNull();
    expect(cycle.context().ledger.ttpPeakPrice?.toFixed()).toBe('61000');
  });

  it('starts over after a safety order moves the average', () => {
    const cycle = holding(TRAILING);
    cycle.actor.send(quote('60600', '60610'));
    // A crash through the trailing stop asks for the position; before it answers, the ask hits so1.
    cycle.actor.send(quote('59099', '59100'));
    cycle.actor.send(quote('59099', '59100'));
    expect(cycle.state()).toBe('buying');
    fillBuy(cycle);
    expect(cycle.context().ledger.ttpPeakPrice).toBeNull();
    expect(toCyclePatch(cycle.actor.getSnapshot()).ttpPeakPrice).toBeNull();
  });

  it('drops the peak when the trailing take-profit is switched off', () => {
    const cycle = holding(TRAILING);
    cycle.actor.send(quote('60600', '60610'));
    cycle.actor.send({ type: 'CONFIG_CHANGED', asset: { ...TRAILING, ttpEnabled: false } });
    expect(cycle.context().ledger.ttpPeakPrice).toBeNull();
    cycle.actor.send(quote('60600', '60610'));
    expect(cycle.ofType('checkPosition').at(-1)).toEqual({ type: 'checkPosition', purpose: 'sell' });
  });
});

describe('stop-loss', () => {
  const STOP = anAsset({ maxSafetyOrders: 1, stopLossPercent: dec('5') });

  it('computes the stop price below the average purchase price', () => {
    expect(stopLossPrice(dec('60000'), dec('5')).toFixed()).toBe('57000');
    expect(stopLossPrice(dec('59546.2'), dec('2.5')).toFixed()).toBe('58057.545');
  });

  it('waits for the last safety order by default, then sells everything at market with step sl', () => {
    const cycle = holding(STOP);
    // Below the stop price with a safety order left: the safety order buys instead.
    cycle.actor.send(quote('56999', '57000'));
    expect(cycle.ofType('submitOrder').at(-1)?.step).toBe('so1');
    fillBuy(cycle);
    const average = cycle.context().ledger.averagePurchasePrice;
    const stop = stopLossPrice(average, dec('5'));
    cycle.actor.send(quote(stop.plus('0.01'), stop.plus(1)));
    expect(cycle.ofType('checkPosition').at(-1)?.purpose).not.toBe('sell');
    cycle.actor.send(quote(stop, stop.plus(1)));
    expect(cycle.ofType('checkPosition').at(-1)).toEqual({ type: 'checkPosition', purpose: 'sell' });
    const held = cycle.context().ledger.quantity;
    cycle.actor.send({ type: 'POSITION_FOUND', qty: held, qtyAvailable: held });
    expect(cycle.state()).toBe('selling');
    const sell = cycle.ofType('submitOrder').at(-1)!;
    expect(sell).toMatchObject({ step: 'sl', order: { side: 'sell', type: 'market', limitPrice: null } });
    expect(sell.order.clientOrderId).toBe(cid('7-sl-3'));
    expect(cycle.ofType('alert').at(-1)).toMatchObject({ level: 'warn', code: 'STOP_LOSS' });
  });

  it('fires before the safety orders are used when stop_loss_after_safety_orders is off', () => {
    const cycle = holding({ ...STOP, stopLossAfterSafetyOrders: false });
    cycle.actor.send(quote('56999', '57000'));
    expect(cycle.ofType('checkPosition').at(-1)).toEqual({ type: 'checkPosition', purpose: 'sell' });
    expect(cycle.ofType('submitOrder')).toHaveLength(1);
  });

  it('completes the cycle with its negative P&L, and the next cycle starts in cooldown', () => {
    const cycle = holding({ ...STOP, maxSafetyOrders: 0 });
    cycle.actor.send(quote('57000', '57001'));
    cycle.actor.send(POSITION);
    const sell = cycle.ofType('submitOrder').at(-1)!;
    cycle.actor.send({
      type: 'ORDER_FILLED',
      order: filledOrder(sell.order.clientOrderId, sell.order.qty, '56990', { side: 'sell', type: 'market' }),
    });
    const snapshot = cycle.actor.getSnapshot();
    expect(snapshot.value).toBe('complete');
    // 0.000332499 × 56990 × (1 − 0.0025) − 19.99998 = −1.098234785025
    expect(snapshot.output).toMatchObject({ status: 'complete', nextStatus: 'cooldown' });
    expect(snapshot.output?.realizedPnl?.toFixed()).toBe('-1.098234785025');
    expect(snapshot.output?.sellPrice?.toFixed()).toBe('56990');
  });

  it('is not blocked at the position answer for selling below the average price', () => {
    const cycle = holding({ ...STOP, maxSafetyOrders: 0 });
    cycle.actor.send(quote('56000', '56001'));
    cycle.actor.send(quote('55000', '55001'));
    cycle.actor.send(POSITION);
    expect(cycle.state()).toBe('selling');
  });

  it('does not sell when the bid recovered above the stop price before the position answered', () => {
    const cycle = holding({ ...STOP, maxSafetyOrders: 0 });
    cycle.actor.send(quote('56999', '57000'));
    cycle.actor.send(quote('57000.01', '57001'));
    cycle.actor.send(POSITION);
    expect(cycle.state()).toBe('watching');
  });

  it('resumes a stop-loss sell restored from its row as a sell, and completes it', () => {
    const row = aCycleRow({
      status: 'selling',
      quantity: dec('0.0003324996675'),
      boughtQuantity: dec('0.000333333'),
      costBasis: dec('19.99998'),
      averagePurchasePrice: dec('60000'),
      clientOrderId: cid('7-sl-2'),
    });
    const cycle = startCycle(aCycleInput({ asset: STOP, cycle: row }));
    expect(cycle.state()).toBe('selling');
    expect(cycle.context().inFlight).toMatchObject({ step: 'sl', side: 'sell' });
    cycle.actor.send({
      type: 'RECONCILED',
      order: filledOrder(cid('7-sl-2'), '0.000332499', '56990', { side: 'sell', type: 'market' }),
    });
    expect(cycle.actor.getSnapshot().output).toMatchObject({ status: 'complete', nextStatus: 'cooldown' });
  });
});
