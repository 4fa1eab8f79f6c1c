import { describe, expect, it } from 'vitest';
import type { OrderIntent, OrderSnapshot, TradeUpdate } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { type PlacedOrder, tradeUpdateProblems } from '../../src/sanity/tradeUpdateChecks.js';
import { orderFor } from '../helpers/orders.js';

const BTC = { id: 1, symbol: 'BTC/USD' };

const TP: OrderIntent = {
  clientOrderId: 'dca-ab12-7-tp-1',
  symbol: 'BTC/USD',
  side: 'sell',
  type: 'market',
  qty: dec('0.0017'),
  limitPrice: null,
  timeInForce: 'gtc',
};

const SO: OrderIntent = {
  ...TP,
  clientOrderId: 'dca-ab12-7-so1-1',
  side: 'buy',
  type: 'limit',
  limitPrice: dec('50000'),
};

const placedAs = (intent: OrderIntent): PlacedOrder => ({
  assetId: 1,
  clientOrderId: intent.clientOrderId,
  alpacaOrderId: `alpaca-${intent.clientOrderId}`,
  side: intent.side,
  orderType: intent.type,
  qty: intent.qty,
  limitPrice: intent.limitPrice,
});

const update = (event: string, intent: OrderIntent, order: Partial<OrderSnapshot>): TradeUpdate => ({
  event,
  order: orderFor(intent, order),
  at: new Date('2026-01-01T00:00:01.000Z'),
  executionId: null,
  price: null,
  qty: null,
  positionQty: null,
});

const fullFill = { status: 'filled', filledQty: dec('0.0017'), filledAvgPrice: dec('60000') };

describe('tradeUpdateProblems', () => {
  it('finds nothing wrong with a fill of exactly the order placed', () => {
    expect(tradeUpdateProblems(update('fill', TP, fullFill), placedAs(TP), BTC)).toEqual([]);
  });

  it('finds nothing wrong with a partial fill, a new order or a cancel after a partial fill', () => {
    const part = { filledQty: dec('0.001'), filledAvgPrice: dec('60000') };
    expect(
      tradeUpdateProblems(
        update('partial_fill', TP, { ...part, status: 'partially_filled' }),
        placedAs(TP),
        BTC,
      ),
    ).toEqual([]);
    expect(tradeUpdateProblems(update('new', TP, {}), placedAs(TP), BTC)).toEqual([]);
    expect(
      tradeUpdateProblems(update('canceled', TP, { ...part, status: 'canceled' }), placedAs(TP), BTC),
    ).toEqual([]);
  });

  it('names a filled_qty of 1,000,000 on a 0.0017 sell, reported as a buy', () => {
    const bad = update('fill', TP, { ...fullFill, side: 'buy', filledQty: dec('1000000') });
    expect(tradeUpdateProblems(bad, placedAs(TP), BTC)).toEqual([
      'side buy, placed as sell',
      'filled_qty 1000000 exceeds the 0.0017 placed',
    ]);
  });

  it('names a fill with nothing filled and a status Alpaca does not have', () => {
    const bad = update('fill', TP, { status: 'garbage' });
    expect(tradeUpdateProblems(bad, placedAs(TP), BTC)).toEqual([
      'unknown order status "garbage"',
      'event fill with order status "garbage"',
      'a fill with nothing filled',
      'a fill of 0 on an order of 0.0017',
    ]);
  });

  it('names an event its order status denies', () => {
    expect(
      tradeUpdateProblems(update('fill', TP, { ...fullFill, status: 'canceled' }), placedAs(TP), BTC),
    ).toEqual(['event fill with order status "canceled"']);
    expect(tradeUpdateProblems(update('canceled', TP, { status: 'new' }), placedAs(TP), BTC)).toEqual([
      'event canceled with order status "new"',
    ]);
  });

  it('names another symbol, another asset, another order id and another type', () => {
    const bad = update('fill', TP, { ...fullFill, symbol: 'ETH/USD', id: 'someone-else', type: 'limit' });
    expect(tradeUpdateProblems(bad, { ...placedAs(TP), assetId: 2 }, BTC)).toEqual([
      'symbol ETH/USD, placed for BTC/USD',
      'placed for asset 2, not BTC/USD',
      'order id someone-else, placed as alpaca-dca-ab12-7-tp-1',
      'type limit, placed as market',
    ]);
  });

  it('names an update for a client order id the bot never placed', () => {
    expect(tradeUpdateProblems(update('fill', TP, fullFill), null, BTC)).toEqual([
      'no order with client order id dca-ab12-7-tp-1 was placed',
    ]);
  });

  it('accepts an update before the order id is recorded (the POST not yet answered)', () => {
    expect(tradeUpdateProblems(update('new', TP, {}), { ...placedAs(TP), alpacaOrderId: null }, BTC)).toEqual(
      [],
    );
  });

  it('names a quantity other than the one placed, and a fill without a price', () => {
    const bad = update('partial_fill', TP, {
      status: 'partially_filled',
      qty: dec('2'),
      filledQty: dec('0.001'),
    });
    expect(tradeUpdateProblems(bad, placedAs(TP), BTC)).toEqual([
      'filled 0.001 without a positive filled_avg_price',
      'qty 2, placed as 0.0017',
    ]);
  });

  it('names a limit buy filled above its limit', () => {
    const bad = update('fill', SO, { ...fullFill, filledAvgPrice: dec('50000.01') });
    expect(tradeUpdateProblems(bad, placedAs(SO), BTC)).toEqual([
      'filled at 50000.01 beyond the buy limit 50000',
    ]);
    const good = update('fill', SO, { ...fullFill, filledAvgPrice: dec('49990') });
    expect(tradeUpdateProblems(good, placedAs(SO), BTC)).toEqual([]);
  });

  it('names a market fill outside the plausible price range, when one is known', () => {
    const range = { low: dec('54000'), high: dec('66000') };
    const far = update('fill', TP, { ...fullFill, filledAvgPrice: dec('1e300') });
    expect(tradeUpdateProblems(far, placedAs(TP), BTC, range)).toEqual([
      `filled at ${dec('1e300').toFixed()}, outside the plausible 54000–66000`,
    ]);
    expect(tradeUpdateProblems(update('fill', TP, fullFill), placedAs(TP), BTC, range)).toEqual([]);
  });
});
