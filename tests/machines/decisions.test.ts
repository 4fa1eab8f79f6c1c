import { describe, expect, it } from 'vitest';
import {
  applyBuyFill,
  applySellFill,
  buyOrderSize,
  cooldownEndsAt,
  cooldownExpired,
  earlyRestartPrice,
  isValidQuote,
  meetsMinOrderSize,
  realizedPnl,
  safetyTriggerPrice,
  sellQty,
  takeProfitPrice,
  triggerPrices,
  weightedAverage,
} from '../../src/machines/decisions.js';
import { Decimal, dec, ZERO } from '../../src/money.js';
import { anAsset, at, EMPTY_LEDGER, someRules, T0 } from '../helpers/cycle.js';

const FEE = dec('0.0025');
const EMPTY = EMPTY_LEDGER;
const str = (d: Decimal | null) => d?.toString();

describe('decisions: the seed example (BTC/USD, $20 orders, 1.5% safety deviation, 1% take profit)', () => {
  const base = applyBuyFill(EMPTY, { qty: dec('0.000333333'), avgPrice: dec('60000') }, FEE, false);
  const withSafety = applyBuyFill(base, { qty: dec('0.000338409'), avgPrice: dec('59100') }, FEE, true);

  it('sizes the $20 base order at a 60000 ask to 0.000333333 BTC', () => {
    const size = buyOrderSize(dec('20'), dec('60000'), someRules());
    expect([str(size.limitPrice), str(size.qty)]).toEqual(['60000', '0.000333333']);
  });

  it('triggers the first safety order at 59100 and takes profit at 60600', () => {
    expect(str(safetyTriggerPrice(dec('60000'), dec('1.5')))).toBe('59100');
    expect(str(takeProfitPrice(base.averagePurchasePrice, dec('1')))).toBe('60600');
  });

  it('books the base fill: net quantity after the coin fee, cost, and the fill price as the average', () => {
    expect(str(base.quantity)).toBe('0.0003324996675');
    expect(str(base.costBasis)).toBe('19.99998');
    expect(str(base.averagePurchasePrice)).toBe('60000');
    expect(str(base.lastOrderFillPrice)).toBe('60000');
    expect(base.safetyOrders).toBe(0);
  });

  it('averages the safety order in by gross quantity and counts the level', () => {
    expect(str(withSafety.boughtQuantity)).toBe('0.000671742');
    expect(str(withSafety.costBasis)).toBe('39.9999519');
    expect(str(withSafety.averagePurchasePrice)).toBe('59546.59958734156863795921648490045285243');
    expect(str(withSafety.quantity)).toBe('0.000670062645');
    expect(str(withSafety.lastOrderFillPrice)).toBe('59100');
    expect(withSafety.safetyOrders).toBe(1);
    expect(str(takeProfitPrice(withSafety.averagePurchasePrice, dec('1')))).toBe(
      '60142.06558321498432433880864974945738095',
    );
  });

  it('computes the realized P&L from net sell proceeds minus cost', () => {
    const sold = applySellFill(base, { qty: dec('0.000332499'), avgPrice: dec('60600') }, FEE);
    expect(str(sold.sellProceeds)).toBe('20.0990658015');
    expect(str(sold.quantity)).toBe('0.0000000006675');
    expect(str(realizedPnl(sold))).toBe('0.0990858015');
  });
});

describe('decisions: the next trigger prices', () => {
  const str = (d: Decimal | null) => d?.toString() ?? null;
  it('gives the safety, take-profit, trailing-stop and stop-loss prices of a holding cycle', () => {
    const asset = anAsset({ ttpEnabled: true, ttpDeviationPercent: dec('1'), stopLossPercent: dec('10') });
    const ledger = {
      ...EMPTY,
      quantity: dec('0.5'),
      averagePurchasePrice: dec('60000'),
      lastOrderFillPrice: dec('60000'),
      safetyOrders: 0,
      ttpPeakPrice: dec('61000'),
    };
    const p = triggerPrices({ ...asset, stopLossAfterSafetyOrders: false }, ledger);
    expect([str(p.safety), str(p.takeProfit), str(p.trailingStop), str(p.stopLoss)]).toEqual([
      '59100',
      '60600',
      '60390',
      '54000',
    ]);
  });

  it('gives none before a fill, once every safety order is used, without trailing or an armed stop-loss', () => {
    expect(triggerPrices(anAsset(), EMPTY)).toEqual({
      safety: null,
      takeProfit: null,
      trailingStop: null,
      stopLoss: null,
    });
    const asset = anAsset({ maxSafetyOrders: 1, stopLossPercent: dec('10') });
    const ledger = {
      ...EMPTY,
      averagePurchasePrice: dec('60000'),
      lastOrderFillPrice: dec('59100'),
      safetyOrders: 1,
    };
    expect(str(triggerPrices(asset, ledger).safety)).toBeNull();
    expect(
      str(triggerPrices({ ...asset, stopLossAfterSafetyOrders: true, maxSafetyOrders: 2 }, ledger).stopLoss),
    ).toBeNull();
  });
});

describe('decisions: rounding and limits', () => {
  it('rounds a buy limit up to the price increment so it still crosses the ask', () => {
    const size = buyOrderSize(dec('20'), dec('60000.001'), someRules());
    expect([str(size.limitPrice), str(size.qty)]).toEqual(['60000.01', '0.000333333']);
  });

  it('rounds the buy quantity down to the trade increment, never spending more than the amount', () => {
    const rules = someRules({ minTradeIncrement: dec('0.0001') });
    expect(str(buyOrderSize(dec('20'), dec('100000'), rules).qty)).toBe('0.0002');
    expect(str(buyOrderSize(dec('20'), dec('100001'), rules).qty)).toBe('0.0001');
  });

  it('sells no more than the exchange says is available, rounded down', () => {
    expect(str(sellQty(dec('0.0003324996675'), dec('1'), someRules()))).toBe('0.000332499');
    expect(str(sellQty(dec('0.0003324996675'), dec('0.00033'), someRules()))).toBe('0.00033');
  });

  it('accepts exactly the min order size and nothing below it', () => {
    expect(meetsMinOrderSize(dec('0.0001'), someRules())).toBe(true);
    expect(meetsMinOrderSize(dec('0.000099999'), someRules())).toBe(false);
    expect(meetsMinOrderSize(ZERO, someRules({ minOrderSize: ZERO }))).toBe(false);
  });

  it('ends a cooldown early at the deviation below the last sell price', () => {
    expect(str(earlyRestartPrice(dec('60600'), dec('2')))).toBe('59388');
  });

  it('ends a cooldown cooldown_period seconds after the previous cycle, or at once without one', () => {
    expect(cooldownEndsAt(T0, 300)).toEqual(at(300));
    expect(cooldownEndsAt(null, 300)).toBeNull();
    expect(cooldownExpired(T0, 300, at(299.999))).toBe(false);
    expect(cooldownExpired(T0, 300, at(300))).toBe(true);
    expect(cooldownExpired(null, 300, T0)).toBe(true);
  });

  it('weights the average by quantity and is zero before any buy', () => {
    expect(str(weightedAverage(dec('39.9999519'), dec('0.000671742')))).toBe(
      '59546.59958734156863795921648490045285243',
    );
    expect(str(weightedAverage(ZERO, ZERO))).toBe('0');
  });

  it('books nothing for an order that filled nothing', () => {
    expect(applyBuyFill(EMPTY, { qty: ZERO, avgPrice: dec('60000') }, FEE, true)).toBe(EMPTY);
    expect(applySellFill(EMPTY, { qty: ZERO, avgPrice: dec('60000') }, FEE)).toBe(EMPTY);
  });

  it('never lets a sell take the quantity below zero', () => {
    const held = { ...EMPTY, quantity: dec('0.0001') };
    expect(str(applySellFill(held, { qty: dec('0.0002'), avgPrice: dec('60000') }, FEE).quantity)).toBe('0');
  });

  it.each([
    ['60000', '60001', true],
    ['60000', '60000', true],
    ['60001', '60000', false],
    ['0', '60000', false],
    ['-1', '60000', false],
    ['NaN', '60000', false],
    ['60000', 'Infinity', false],
  ])('judges a quote with bid %s and ask %s usable: %s', (bid, ask, usable) => {
    expect(isValidQuote(new Decimal(bid), new Decimal(ask))).toBe(usable);
  });
});
