import { describe, expect, it } from 'vitest';
import type { OrderIntent } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { orderWithinBand } from '../../src/sanity/orderBand.js';

const BAND = dec(10);
const REF = dec(50_000);

const buy = (qty: string, limit: string | null): OrderIntent => ({
  clientOrderId: 'dca-x-1-so1-1',
  symbol: 'BTC/USD',
  side: 'buy',
  type: limit === null ? 'market' : 'limit',
  qty: dec(qty),
  limitPrice: limit === null ? null : dec(limit),
  timeInForce: 'gtc',
});

const sell = (qty: string, limit: string | null): OrderIntent => ({ ...buy(qty, limit), side: 'sell' });

describe('orderWithinBand', () => {
  it('passes a safety buy sized from a plausible ask', () => {
    expect(orderWithinBand(buy('0.0004', '50000'), REF, BAND, dec(20))).toEqual({ ok: true });
  });

  it('refuses the 20 BTC safety buy at a limit of 1.00 that a 2e-300 ask produced', () => {
    const verdict = orderWithinBand(buy('20', '1.00'), REF, BAND, dec(20));
    expect(verdict).toMatchObject({ ok: false, code: 'LIMIT_OUT_OF_BAND' });
  });

  it('refuses a quantity above what the USD amount buys at the lowest plausible price', () => {
    // 20 USD at 45,000 (50,000 - 10 %) buys at most 0.000444...; a limit inside the band is not enough.
    expect(orderWithinBand(buy('0.000444', '45000'), REF, BAND, dec(20))).toEqual({ ok: true });
    expect(orderWithinBand(buy('0.000445', '45000'), REF, BAND, dec(20))).toMatchObject({
      ok: false,
      code: 'QTY_ABOVE_CAP',
    });
  });

  it('caps a market buy by its USD amount too', () => {
    expect(orderWithinBand(buy('1', null), REF, BAND, dec(20))).toMatchObject({
      ok: false,
      code: 'QTY_ABOVE_CAP',
    });
    expect(orderWithinBand(buy('0.0004', null), REF, BAND, dec(20))).toEqual({ ok: true });
  });

  it('accepts limits at the edges of the band and refuses one beyond either edge', () => {
    expect(orderWithinBand(sell('0.1', '55000'), REF, BAND)).toEqual({ ok: true });
    expect(orderWithinBand(sell('0.1', '45000'), REF, BAND)).toEqual({ ok: true });
    expect(orderWithinBand(sell('0.1', '55000.01'), REF, BAND)).toMatchObject({ code: 'LIMIT_OUT_OF_BAND' });
    expect(orderWithinBand(sell('0.1', '44999.99'), REF, BAND)).toMatchObject({ code: 'LIMIT_OUT_OF_BAND' });
  });

  it('does not cap a sell by a USD amount: its quantity is bounded by the holding', () => {
    expect(orderWithinBand(sell('3', null), REF, BAND, null)).toEqual({ ok: true });
  });

  it('refuses any order while there is no reference price', () => {
    expect(orderWithinBand(sell('0.1', null), null, BAND)).toMatchObject({
      ok: false,
      code: 'NO_REFERENCE_PRICE',
    });
  });

  it('refuses a quantity that is not positive', () => {
    expect(orderWithinBand(buy('0', '50000'), REF, BAND, dec(20))).toMatchObject({
      ok: false,
      code: 'QTY_NOT_POSITIVE',
    });
  });

  it('lets a stop-loss market sell through at any loss while the market is plausible, never without a reference', () => {
    // A stop-loss sells below the average on purpose: a market sell carries no price to refuse; its
    // fill is bounded by the quote band instead (tradeUpdateChecks), and the quote that set it off
    // passed that band before the machine saw it.
    const stopLoss = { ...sell('0.000798', null), clientOrderId: 'dca-x-1-sl-3' };
    expect(orderWithinBand(stopLoss, dec(47_025), BAND)).toEqual({ ok: true });
    expect(orderWithinBand(stopLoss, null, BAND)).toMatchObject({ ok: false, code: 'NO_REFERENCE_PRICE' });
    expect(orderWithinBand({ ...stopLoss, qty: dec(0) }, REF, BAND)).toMatchObject({
      ok: false,
      code: 'QTY_NOT_POSITIVE',
    });
  });
});
