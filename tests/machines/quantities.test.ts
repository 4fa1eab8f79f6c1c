/**
 * Quantities from the exchange: the cycle's quantity converges on what the account received
 * (`position_qty` of the fill), measured above the position the account held before the cycle's
 * first buy (the baseline), and the take-profit sells what the exchange says the cycle holds.
 */
import { describe, expect, it } from 'vitest';
import { bookBuy, takeProfitQty } from '../../src/machines/decisions.js';
import { dec } from '../../src/money.js';
import { cid, EMPTY_LEDGER, filledOrder, quote, someRules, startCycle } from '../helpers/cycle.js';

const FEE = dec('0.0025');
const EMPTY = EMPTY_LEDGER;
const FILL = { qty: dec('0.0004'), avgPrice: dec('50000') };

describe('bookBuy: a buy fill with the position the exchange reported', () => {
  it('coin left behind every cycle: takes the net the account received when the exchange charged less', () => {
    const booked = bookBuy(EMPTY, FILL, FEE, false, dec('0.0003994'));
    expect(booked.measured).toBe(true);
    expect(booked.ledger.quantity.toFixed()).toBe('0.0003994');
    expect(booked.fee.toFixed()).toBe('0.0000006');
    expect(booked.ledger.boughtQuantity.toFixed()).toBe('0.0004');
  });

  it('measures above the baseline and above what the cycle already held', () => {
    const held = {
      ...EMPTY,
      quantity: dec('0.0003994'),
      boughtQuantity: dec('0.0004'),
      positionBaseline: dec('0.00002'),
    };
    const booked = bookBuy(held, FILL, FEE, true, dec('0.0008188'));
    expect(booked.ledger.quantity.toFixed()).toBe('0.0007988');
    expect(booked.fee.toFixed()).toBe('0.0000006');
    expect(booked.ledger.safetyOrders).toBe(1);
  });

  it('keeps the configured estimate when the position moved by more than this order could explain', () => {
    // A person bought 0.01 BTC meanwhile: more than the gross fill arrived.
    const more = bookBuy(EMPTY, FILL, FEE, false, dec('0.0104'));
    expect([more.measured, more.ledger.quantity.toFixed(), more.fee.toFixed()]).toEqual([
      false,
      '0.000399',
      '0.000001',
    ]);
    // Part of the coin left meanwhile: less than any plausible fee would leave.
    const less = bookBuy(EMPTY, FILL, FEE, false, dec('0.0002'));
    expect([less.measured, less.ledger.quantity.toFixed()]).toEqual([false, '0.000399']);
    // No position reported (a fill found by a REST look-up).
    expect(bookBuy(EMPTY, FILL, FEE, false, null).ledger.quantity.toFixed()).toBe('0.000399');
  });
});

describe('takeProfitQty: what the exchange says the cycle holds', () => {
  const books = { ...EMPTY, quantity: dec('0.000399'), boughtQuantity: dec('0.0004') };

  it('sells the whole position above the baseline when the fee was lower than estimated', () => {
    const qty = takeProfitQty(
      books,
      { qty: dec('0.0003994'), qtyAvailable: dec('0.0003994') },
      someRules(),
      FEE,
    );
    expect(qty.toFixed()).toBe('0.0003994');
  });

  it('leaves the baseline (dust or a person’s coin) alone and never sells more than is available', () => {
    const withDust = { ...books, positionBaseline: dec('0.00000005') };
    expect(
      takeProfitQty(
        withDust,
        { qty: dec('0.00039945'), qtyAvailable: dec('0.00039945') },
        someRules(),
        FEE,
      ).toFixed(),
    ).toBe('0.0003994');
    expect(
      takeProfitQty(
        books,
        { qty: dec('0.0003994'), qtyAvailable: dec('0.0003') },
        someRules(),
        FEE,
      ).toFixed(),
    ).toBe('0.0003');
  });

  it('claims no more than the books plus the whole estimated fee: coin a person added is left', () => {
    // 0.000399 + 0.0004 × 0.0025 = 0.0004
    expect(
      takeProfitQty(books, { qty: dec('0.5'), qtyAvailable: dec('0.5') }, someRules(), FEE).toFixed(),
    ).toBe('0.0004');
  });
});

describe('cycle machine: the baseline and the fill’s position', () => {
  it('records dust found before the base order as the baseline and books the fill above it', () => {
    const { actor, context, ofType } = startCycle();
    actor.send(quote('49990', '50000'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00000005'), qtyAvailable: dec('0.00000005') });
    expect(context().ledger.positionBaseline.toFixed()).toBe('0.00000005');
    actor.send({
      type: 'ORDER_FILLED',
      order: filledOrder(cid('7-base-1'), '0.0004', '50000'),
      positionQty: dec('0.00039945'),
    });
    expect(context().ledger.quantity.toFixed()).toBe('0.0003994');
    expect(context().lastFee).toEqual({ clientOrderId: cid('7-base-1'), fee: dec('0.0000006') });
    // The take-profit sells the cycle's coin, not the dust.
    actor.send(quote('50600', '50610'));
    actor.send({ type: 'POSITION_FOUND', qty: dec('0.00039945'), qtyAvailable: dec('0.00039945') });
    expect(ofType('submitOrder').at(-1)?.order.qty.toFixed()).toBe('0.0003994');
  });
});
