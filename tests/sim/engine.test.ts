import { describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { buildAssets, DEFAULT_ASSETS } from '../../src/sim/assets.js';
import { Engine } from '../../src/sim/engine.js';
import type { SimTradeUpdate } from '../../src/sim/types.js';

function engine(opts: { cash?: string; partial?: string } = {}) {
  const e = new Engine({
    assets: buildAssets(DEFAULT_ASSETS),
    cash: dec(opts.cash ?? '100000'),
    feeRate: dec('0.0025'),
    now: () => new Date('2026-01-01T00:00:00Z'),
    partialFillRatio: opts.partial ? dec(opts.partial) : null,
  });
  const updates: SimTradeUpdate[] = [];
  e.on({ tradeUpdate: (u) => updates.push(u) });
  return { e, updates, events: () => updates.map((u) => u.event) };
}

describe('matching engine', () => {
  it('fills a market buy at the ask and keeps the fee out of the position', () => {
    const { e, events } = engine();
    e.publishQuote('BTC/USD', '60000', '60010');
    const o = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.01' });
    expect(o.status).toBe('new');
    expect(events()).toEqual(['new', 'fill']);
    const filled = e.getOrder(o.id)!;
    expect(filled.filledValue.div(filled.filledQty).toFixed()).toBe('60010');
    expect(e.positions()[0]!.qty.toFixed()).toBe('0.009975');
    expect(e.account().cash.toFixed()).toBe('99399.9');
  });

  it('keeps an order new until the first quote arrives', () => {
    const { e, events } = engine();
    const o = e.submit({ symbol: 'ETH/USD', side: 'buy', type: 'market', qty: '1' });
    expect(e.getOrder(o.id)!.status).toBe('new');
    e.publishQuote('ETH/USD', '3000', '3001');
    expect(e.getOrder(o.id)!.status).toBe('filled');
    expect(events()).toEqual(['new', 'fill']);
  });

  it('fills a limit buy only once the ask reaches the limit, at the ask', () => {
    const { e } = engine();
    e.publishQuote('BTC/USD', '60000', '60010');
    const o = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limitPrice: '59000' });
    e.publishQuote('BTC/USD', '59005', '59010');
    expect(e.getOrder(o.id)!.status).toBe('new');
    e.publishQuote('BTC/USD', '58900', '58950');
    const filled = e.getOrder(o.id)!;
    expect(filled.status).toBe('filled');
    expect(filled.filledValue.div(filled.filledQty).toFixed()).toBe('58950');
  });

  it('fills a limit sell when the bid reaches the limit, and pays the fee in USD', () => {
    const { e } = engine({ cash: '0' });
    e.setPosition('BTC/USD', '1', '50000');
    const o = e.submit({ symbol: 'BTC/USD', side: 'sell', type: 'limit', qty: '1', limitPrice: '61000' });
    e.publishQuote('BTC/USD', '60999', '61010');
    expect(e.getOrder(o.id)!.status).toBe('new');
    e.publishQuote('BTC/USD', '61005', '61010');
    expect(e.getOrder(o.id)!.status).toBe('filled');
    // 61005 less the 25 bps fee (152.5125), rounded up to the cent against the account.
    expect(e.account().cash.toFixed()).toBe('60852.48');
    expect(e.positions()).toEqual([]);
  });

  it('weights the average entry price by quantity across buys', () => {
    const { e } = engine();
    e.publishQuote('ETH/USD', '1999', '2000');
    e.submit({ symbol: 'ETH/USD', side: 'buy', type: 'market', qty: '1' });
    e.publishQuote('ETH/USD', '999', '1000');
    e.submit({ symbol: 'ETH/USD', side: 'buy', type: 'market', qty: '1' });
    expect(e.positions()[0]!.avgEntryPrice.toFixed()).toBe('1500');
  });

  it('fills part of an order per quote with a fill ratio and reports each part', () => {
    const { e, updates } = engine({ partial: '0.5' });
    e.publishQuote('BTC/USD', '60000', '60010');
    const o = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.02' });
    expect(e.getOrder(o.id)!.status).toBe('partially_filled');
    e.publishQuote('BTC/USD', '60000', '60020');
    expect(e.getOrder(o.id)!.status).toBe('filled');
    const fills = updates.filter((u) => u.executionId);
    expect(fills.map((u) => [u.event, u.qty?.toFixed(), u.positionQty?.toFixed()])).toEqual([
      ['partial_fill', '0.01', '0.009975'],
      ['fill', '0.01', '0.01995'],
    ]);
  });

  it('stops a market order that the quote outran by more than the 2% collar', () => {
    const { e, events } = engine({ partial: '0.5' });
    e.publishQuote('BTC/USD', '60000', '60000');
    const o = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.02' });
    e.publishQuote('BTC/USD', '61300', '61300');
    expect(e.getOrder(o.id)!.status).toBe('canceled');
    expect(e.getOrder(o.id)!.filledQty.toFixed()).toBe('0.01');
    expect(events()).toEqual(['new', 'partial_fill', 'canceled']);
  });

  it('rejects a market order outrun by the collar before any fill', () => {
    const { e, events } = engine();
    e.publishQuote('BTC/USD', '60000', '60000');
    e.matchingPaused = true;
    const o = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.02' });
    e.publishQuote('BTC/USD', '61300', '61300');
    e.matchingPaused = false;
    e.matchAll();
    expect(e.getOrder(o.id)!.status).toBe('rejected');
    expect(events()).toEqual(['new', 'rejected']);
  });

  it('sizes a notional buy at the ask, rounded down to the trade increment', () => {
    const { e } = engine();
    e.publishQuote('BTC/USD', '29999', '30000');
    const o = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'market', notional: '100' });
    expect(e.getOrder(o.id)!.filledQty.toFixed()).toBe('0.003333333');
  });

  it('cancels what an ioc order could not fill at once', () => {
    const { e, events } = engine();
    e.publishQuote('BTC/USD', '60000', '60010');
    e.submit({
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: '0.01',
      limitPrice: '59000',
      timeInForce: 'ioc',
    });
    expect(events()).toEqual(['new', 'canceled']);
  });

  it('refuses a buy beyond the cash, counting what open orders reserve', () => {
    const { e } = engine({ cash: '1000' });
    e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limitPrice: '60000' });
    expect(() =>
      e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limitPrice: '60000' }),
    ).toThrow(/insufficient balance for USD/);
  });

  it('refuses to sell more than the position holds', () => {
    const { e } = engine();
    e.setPosition('BTC/USD', '0.5', '50000');
    expect(() => e.submit({ symbol: 'BTC/USD', side: 'sell', type: 'market', qty: '0.6' })).toThrow(
      /insufficient balance for BTC \(requested: 0.6, available: 0.5\)/,
    );
  });

  it('holds every order while matching is paused and fills them on release', () => {
    const { e } = engine();
    e.matchingPaused = true;
    e.publishQuote('BTC/USD', '60000', '60010');
    const o = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty: '0.01' });
    expect(e.getOrder(o.id)!.status).toBe('new');
    e.matchingPaused = false;
    e.matchAll();
    expect(e.getOrder(o.id)!.status).toBe('filled');
  });

  it('cancels and expires open orders but not finished ones', () => {
    const { e, events } = engine();
    const a = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limitPrice: '1000' });
    const b = e.submit({ symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limitPrice: '1000' });
    e.cancel(a.id);
    e.expire(b.clientOrderId);
    expect(events()).toEqual(['new', 'new', 'canceled', 'expired']);
    expect(() => e.cancel(a.id)).toThrow(/not cancelable/);
  });
});
