/**
 * Pure parts of the engine's order book: a new order record from a checked request, and what the
 * live orders reserve (cash for buys, coin for sells), which buying power and `qty_available` leave out.
 */
import { type Decimal, ZERO } from '../money.js';
import type { SimOrder, SimQuote } from './types.js';
import type { CheckedRequest } from './validation.js';

export function newOrder(
  c: CheckedRequest,
  quote: SimQuote | undefined,
  opts: { id: string; clientOrderId: string; external: boolean; now: Date },
): SimOrder {
  return {
    id: opts.id,
    clientOrderId: opts.clientOrderId,
    symbol: c.asset.symbol,
    assetId: c.asset.id,
    side: c.side,
    type: c.type,
    timeInForce: c.timeInForce,
    qty: c.qty,
    notional: c.notional,
    limitPrice: c.limitPrice,
    status: 'new',
    filledQty: ZERO,
    filledValue: ZERO,
    createdAt: opts.now,
    updatedAt: opts.now,
    filledAt: null,
    canceledAt: null,
    expiredAt: null,
    failedAt: null,
    // The collar is measured from the quote the order was placed against (or its first quote).
    collarReference: quote && c.type === 'market' ? (c.side === 'buy' ? quote.ask : quote.bid) : null,
    fillRatio: c.fillRatio,
    external: opts.external,
  };
}

/** USD that live buy orders may still spend (a qty order without a limit at the latest ask). */
export function reservedCash(
  live: Iterable<SimOrder>,
  quoteOf: (symbol: string) => SimQuote | undefined,
): Decimal {
  let reserved = ZERO;
  for (const o of live) {
    if (o.side !== 'buy') continue;
    if (o.notional) {
      reserved = reserved.plus(o.notional.minus(o.filledValue));
      continue;
    }
    const price = o.limitPrice ?? quoteOf(o.symbol)?.ask ?? ZERO;
    reserved = reserved.plus(o.qty!.minus(o.filledQty).mul(price));
  }
  return reserved;
}

/** Coin that live sell orders of `symbol` still claim. */
export function reservedCoin(live: Iterable<SimOrder>, symbol: string): Decimal {
  let reserved = ZERO;
  for (const o of live) {
    if (o.side === 'sell' && o.symbol === symbol && o.qty) reserved = reserved.plus(o.qty.minus(o.filledQty));
  }
  return reserved;
}
