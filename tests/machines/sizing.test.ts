/**
 * Sellable by construction: a buy is sized so the coin the cycle will hold can be sold. The cycle
 * keeps gross × (1 − fee); that net quantity, rounded down to the trade increment, must meet
 * min_order_size and the exchange's minimum order value (10 USD on Alpaca), or the base order is
 * not placed. Exact decimal expectations throughout.
 */
import { describe, expect, it } from 'vitest';
import { buyProblem, netOfFee, sellProblem } from '../../src/machines/decisions.js';
import { dec } from '../../src/money.js';
import { aCycleInput, anAsset, cid, filledOrder, quote, someRules, startCycle } from '../helpers/cycle.js';

const FEE = dec('0.0025');
const ASK = dec('60000');
const NO_VALUE_MIN = someRules({ minOrderValue: dec('0') });

describe('buyProblem: the sizing rule shared by the cycle machine and `assets add`', () => {
  it('keeps gross × (1 − fee) of a buy: 0.0001 BTC leaves 0.00009975', () => {
    expect(netOfFee(dec('0.0001'), FEE).toFixed()).toBe('0.00009975');
  });

  it('take-profit too small to sell: refuses a base order whose net quantity rounds below min_order_size', () => {
    // 6 USD at 60000 buys exactly min_order_size (0.0001) gross; the cycle would hold 0.00009975.
    expect(buyProblem(dec('6'), ASK, NO_VALUE_MIN, FEE, 'base')).toBe(
      'buys 0.0001 at 60000 but keeps 0.00009975 after the fee, below the min order size 0.0001: the take-profit could never sell it',
    );
    // 6.02 USD buys 0.000100333, which keeps 0.000100082 (rounded down to 1e-9): sellable.
    expect(buyProblem(dec('6.02'), ASK, NO_VALUE_MIN, FEE, 'base')).toBeNull();
  });

  it('lets a safety order of the same size through: it adds to a base that is already sellable', () => {
    expect(buyProblem(dec('6'), ASK, NO_VALUE_MIN, FEE, 'safety')).toBeNull();
  });

  it('refuses a buy below min_order_size', () => {
    expect(buyProblem(dec('5'), ASK, someRules(), FEE, 'safety')).toBe(
      'buys 0.000083333 at 60000, below the min order size 0.0001',
    );
  });

  it('refuses a buy worth less than the minimum order value, and a base whose net is worth less', () => {
    expect(buyProblem(dec('9.99'), ASK, someRules(), FEE, 'safety')).toBe(
      'is worth 9.99 USD at 60000, below the minimum order value 10 USD',
    );
    // 10 USD buys 0.000166666 (9.99996 USD): below 10 USD by the rounding of the quantity.
    expect(buyProblem(dec('10'), ASK, someRules(), FEE, 'safety')).toBe(
      'is worth 9.99996 USD at 60000, below the minimum order value 10 USD',
    );
    // 10.02 USD buys 0.000167 (10.02 USD) but keeps 0.0001665825 → 0.000166582, worth 9.99492 USD.
    expect(buyProblem(dec('10.02'), ASK, someRules(), FEE, 'base')).toBe(
      'keeps 0.000166582 after the fee, worth 9.99492 USD at 60000, below the minimum order value 10 USD: the take-profit could never sell it',
    );
    expect(buyProblem(dec('10.03'), ASK, someRules(), FEE, 'base')).toBeNull();
  });

  it('judges a take-profit by min_order_size and by its value at the bid', () => {
    expect(sellProblem(dec('0.00009'), dec('60600'), someRules())).toBe(
      '0.00009 is below the min order size 0.0001',
    );
    expect(sellProblem(dec('0.00015'), dec('60600'), someRules())).toBe(
      '0.00015 is worth 9.09 USD at 60600, below the minimum order value 10 USD',
    );
    expect(sellProblem(dec('0.0002'), dec('60600'), someRules())).toBeNull();
  });
});

describe('cycle machine: take-profit too small to sell', () => {
  it('places no base order whose net quantity after the fee could never be sold, and says why', () => {
    const { actor, ofType, state } = startCycle(
      aCycleInput({ asset: anAsset({ baseOrderAmount: dec('6') }), rules: NO_VALUE_MIN }),
    );
    actor.send(quote('59990', '60000'));
    expect(ofType('checkPosition')).toEqual([]);
    expect(ofType('submitOrder')).toEqual([]);
    expect(state()).toBe('watching');
    expect(ofType('alert')).toEqual([
      expect.objectContaining({
        code: 'ORDER_TOO_SMALL',
        message:
          'BTC/USD: a base order of 6 USD buys 0.0001 at 60000 but keeps 0.00009975 after the fee, below the min order size 0.0001: the take-profit could never sell it',
      }),
    ]);
  });

  it("places no base order worth less than the exchange's minimum order value", () => {
    const { actor, ofType } = startCycle(aCycleInput({ asset: anAsset({ baseOrderAmount: dec('9') }) }));
    actor.send(quote('59990', '60000'));
    expect(ofType('checkPosition')).toEqual([]);
    expect(ofType('alert')[0]?.message).toBe(
      'BTC/USD: a base order of 9 USD is worth 9 USD at 60000, below the minimum order value 10 USD',
    );
  });

  it('sends no take-profit worth less than the minimum order value at the bid', () => {
    const { actor, ofType, state } = startCycle();
    actor.send(quote('59990', '60000'));
    actor.send({ type: 'POSITION_NONE' });
    actor.send({ type: 'ORDER_FILLED', order: filledOrder(cid('7-base-1'), '0.000333333', '60000') });
    // The minimum rose after the base order was bought (the exchange's rules changed).
    actor.send({ type: 'CONFIG_CHANGED', asset: anAsset(), rules: someRules({ minOrderValue: dec('25') }) });
    actor.send(quote('60600', '60610'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.0003324996675'), qtyAvailable: dec('0.0003324996675') });
    expect(state()).toBe('watching');
    expect(ofType('submitOrder').map((s) => s.step)).toEqual(['base']);
    expect(ofType('alert').at(-1)).toMatchObject({
      code: 'SELL_TOO_SMALL',
      message:
        'BTC/USD: take-profit of 0.000332499 is worth 20.1494394 USD at 60600, below the minimum order value 25 USD',
    });
  });
});
