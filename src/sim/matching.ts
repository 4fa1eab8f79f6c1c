/**
 * The fill decision for one open order against one quote, as a value. Rules (documented choices):
 * - a market BUY fills at the ask, a market SELL at the bid;
 * - a limit BUY fills when ask ≤ limit, at the ask (Alpaca fills "at the limit or better", so a
 *   marketable limit gets the better price); a limit SELL when bid ≥ limit, at the bid;
 * - a market order is collared: once the quote side moved more than `collar` (2%) against the
 *   first quote the order saw, it stops filling (rejected if nothing filled, else canceled);
 * - with a fill ratio r, one match fills r × the order size (at least one increment), so r = 0.5
 *   fills an order over two quotes.
 */
import { type Decimal, ONE, roundDownTo, ZERO } from '../money.js';
import type { SimAsset, SimOrder, SimQuote } from './types.js';

export type FillDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'fill'; readonly qty: Decimal; readonly price: Decimal }
  | { readonly kind: 'collared' };

const NONE: FillDecision = { kind: 'none' };

export function decideFill(
  order: SimOrder,
  quote: SimQuote,
  asset: SimAsset,
  fillRatio: Decimal | null,
  collar: Decimal,
): FillDecision {
  const price = order.side === 'buy' ? quote.ask : quote.bid;
  if (price.lte(0)) return NONE;
  if (order.type === 'limit') {
    const limit = order.limitPrice!;
    if (order.side === 'buy' ? price.gt(limit) : price.lt(limit)) return NONE;
  } else if (order.collarReference) {
    const ref = order.collarReference;
    const bound = order.side === 'buy' ? ref.mul(ONE.plus(collar)) : ref.mul(ONE.minus(collar));
    if (order.side === 'buy' ? price.gt(bound) : price.lt(bound)) return { kind: 'collared' };
  }
  const remaining = remainingQty(order, price, asset);
  if (remaining.lte(0)) return NONE;
  let qty = remaining;
  if (fillRatio?.lt(1)) {
    const whole = order.qty ?? order.notional!.div(price);
    const slice = roundDownTo(whole.mul(fillRatio), asset.minTradeIncrement);
    qty = maxOf(slice, asset.minTradeIncrement);
    if (qty.gt(remaining)) qty = remaining;
  }
  return { kind: 'fill', qty, price };
}

/** What is left to fill; a notional order converts its remaining dollars at this price. */
export function remainingQty(order: SimOrder, price: Decimal, asset: SimAsset): Decimal {
  if (order.qty) return order.qty.minus(order.filledQty);
  const dollars = order.notional!.minus(order.filledValue);
  if (dollars.lte(0)) return ZERO;
  return roundDownTo(dollars.div(price), asset.minTradeIncrement);
}

/** Whether nothing more can fill: qty reached, or a notional order's rest is below one increment. */
export function isComplete(order: SimOrder, price: Decimal, asset: SimAsset): boolean {
  return remainingQty(order, price, asset).lte(0);
}

function maxOf(a: Decimal, b: Decimal): Decimal {
  return a.gt(b) ? a : b;
}
