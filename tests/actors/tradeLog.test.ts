import { describe, expect, it } from 'vitest';
import { completionLine, fillLine } from '../../src/actors/asset/tradeLog.js';
import type { CycleLedger } from '../../src/machines/decisions.js';
import { dec, ZERO } from '../../src/money.js';
import { aCycleRow, anAsset, anOrder } from '../helpers/cycle.js';

function books(overrides: Partial<CycleLedger> = {}): CycleLedger {
  return {
    quantity: dec('0.000666'),
    averagePurchasePrice: dec('59193.58365544552111142023'),
    boughtQuantity: dec('0.0006676'),
    costBasis: dec('40'),
    sellProceeds: ZERO,
    realizedPnl: null,
    safetyOrders: 1,
    lastOrderFillPrice: dec('58500'),
    positionBaseline: ZERO,
    ttpPeakPrice: null,
    ...overrides,
  };
}

describe('the trader lines', () => {
  it('keeps exact numbers in the fields and shows computed prices to 10 significant digits', () => {
    const order = anOrder({
      side: 'buy',
      status: 'filled',
      filledQty: dec('0.000342'),
      filledAvgPrice: dec('58500'),
    });
    const line = fillLine(anAsset(), 7, order, dec('0.000000855'), books());
    expect(line.fields).toMatchObject({
      event: 'fill',
      value: '20.007',
      averagePrice: '59193.58365544552111142023',
      nextSafetyPrice: '57622.5',
      takeProfitPrice: '59785.5194919999763225344323',
    });
    expect(line.msg).toBe(
      'bought 0.000342 BTC at 58500 (20.007 USD, fee 0.000000855 BTC); cycle 7 holds 0.000666 BTC at an average of 59193.58366; next safety order at 57622.5, take-profit at 59785.51949',
    );
  });

  it('says when no safety order is left', () => {
    const order = anOrder({
      side: 'buy',
      status: 'filled',
      filledQty: dec('0.000342'),
      filledAvgPrice: dec('58500'),
    });
    const line = fillLine(anAsset({ maxSafetyOrders: 1 }), 7, order, dec('0.000000855'), books());
    expect(line.fields['nextSafetyPrice']).toBeNull();
    expect(line.msg).toContain('next safety order at none (all used), take-profit at 59785.51949');
  });

  it('names a cycle that ended in error without a P&L', () => {
    const line = completionLine(aCycleRow({ id: 7, status: 'error' }), null, aCycleRow({ id: 8 }));
    expect(line).toMatchObject({
      msg: 'cycle ended in error',
      fields: { event: 'cycle_error', cycleId: 7, nextCycleId: 8 },
    });
  });
});
