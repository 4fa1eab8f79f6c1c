/**
 * Is a trade update possible for the order the bot placed? The ledger row (`dca_orders`, written
 * ahead of the POST) says what was sent: side, type, quantity, limit, and once acknowledged the
 * exchange's order id. An update that contradicts it, or contradicts itself (a `fill` whose order
 * says `canceled`, a status Alpaca does not have), is not booked: REST is asked instead. Pure.
 */
import type { TradeUpdate } from '../domain.js';
import type { Decimal } from '../money.js';

/** Alpaca's order statuses (https://docs.alpaca.markets/docs/orders-at-alpaca#order-lifecycle). */
export const ORDER_STATUSES: ReadonlySet<string> = new Set([
  'new',
  'partially_filled',
  'filled',
  'done_for_day',
  'canceled',
  'expired',
  'replaced',
  'pending_cancel',
  'pending_replace',
  'pending_new',
  'accepted',
  'accepted_for_bidding',
  'stopped',
  'rejected',
  'suspended',
  'calculated',
  'held',
]);

/**
 * The order status each booking event must carry. Other events (`new`, `pending_cancel`,
 * `order_cancel_rejected`, ...) book nothing in the cycle; for them a known status is enough.
 */
const STATUS_OF_EVENT: Readonly<Record<string, string>> = {
  fill: 'filled',
  partial_fill: 'partially_filled',
  canceled: 'canceled',
  expired: 'expired',
  done_for_day: 'done_for_day',
  rejected: 'rejected',
  replaced: 'replaced',
};

/** What the ledger row says was placed. */
export interface PlacedOrder {
  readonly assetId: number;
  readonly clientOrderId: string;
  readonly alpacaOrderId: string | null;
  readonly side: string;
  readonly orderType: string;
  readonly qty: Decimal;
  readonly limitPrice: Decimal | null;
}

/** The plausible price range of the symbol now (the market-data actor's band), when it has one. */
export interface PriceRange {
  readonly low: Decimal;
  readonly high: Decimal;
}

/** The asset whose actor the update was routed to. */
export interface OwningAsset {
  readonly id: number;
  readonly symbol: string;
}

/**
 * Every reason the update cannot be true for `placed` (empty: plausible). `asset` is the asset the
 * update was routed to; null `placed` means the bot placed no order with this client order id.
 * `range`, when known, bounds a market order's fill price (market orders fill at once, near the
 * quote; a limit order's fills are bounded by its limit instead).
 */
export function tradeUpdateProblems(
  update: TradeUpdate,
  placed: PlacedOrder | null,
  asset: OwningAsset,
  range: PriceRange | null = null,
): string[] {
  const o = update.order;
  const problems: string[] = [];
  if (!ORDER_STATUSES.has(o.status)) problems.push(`unknown order status ${JSON.stringify(o.status)}`);
  const expected = STATUS_OF_EVENT[update.event];
  if (expected !== undefined && o.status !== expected) {
    problems.push(`event ${update.event} with order status ${JSON.stringify(o.status)}`);
  }
  if (o.filledQty.lt(0)) problems.push(`negative filled_qty ${o.filledQty.toFixed()}`);
  if (update.event === 'fill' && o.filledQty.lte(0)) problems.push('a fill with nothing filled');
  if (o.filledQty.gt(0) && (o.filledAvgPrice === null || o.filledAvgPrice.lte(0))) {
    problems.push(`filled ${o.filledQty.toFixed()} without a positive filled_avg_price`);
  }
  if (o.symbol !== asset.symbol) problems.push(`symbol ${o.symbol}, placed for ${asset.symbol}`);
  if (placed === null) {
    problems.push(`no order with client order id ${o.clientOrderId} was placed`);
    return problems;
  }
  if (placed.assetId !== asset.id) problems.push(`placed for asset ${placed.assetId}, not ${asset.symbol}`);
  if (placed.alpacaOrderId !== null && placed.alpacaOrderId !== o.id) {
    problems.push(`order id ${o.id}, placed as ${placed.alpacaOrderId}`);
  }
  if (o.side !== placed.side) problems.push(`side ${o.side}, placed as ${placed.side}`);
  if (o.type !== placed.orderType) problems.push(`type ${o.type}, placed as ${placed.orderType}`);
  if (o.qty !== null && !o.qty.eq(placed.qty)) {
    problems.push(`qty ${o.qty.toFixed()}, placed as ${placed.qty.toFixed()}`);
  }
  if (o.filledQty.gt(placed.qty)) {
    problems.push(`filled_qty ${o.filledQty.toFixed()} exceeds the ${placed.qty.toFixed()} placed`);
  }
  if (update.event === 'fill' && !o.filledQty.eq(placed.qty) && o.filledQty.lte(placed.qty)) {
    problems.push(`a fill of ${o.filledQty.toFixed()} on an order of ${placed.qty.toFixed()}`);
  }
  const limit = placed.limitPrice;
  const avg = o.filledAvgPrice;
  if (limit !== null && avg !== null && o.filledQty.gt(0)) {
    // A limit order never fills beyond its limit: buys at or below it, sells at or above it.
    if (placed.side === 'buy' ? avg.gt(limit) : avg.lt(limit)) {
      problems.push(`filled at ${avg.toFixed()} beyond the ${placed.side} limit ${limit.toFixed()}`);
    }
  }
  if (limit === null && range !== null && avg !== null && o.filledQty.gt(0)) {
    if (avg.lt(range.low) || avg.gt(range.high)) {
      problems.push(
        `filled at ${avg.toFixed()}, outside the plausible ${range.low.toFixed()}–${range.high.toFixed()}`,
      );
    }
  }
  return problems;
}
