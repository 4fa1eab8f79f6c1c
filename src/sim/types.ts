/**
 * The simulator's own records. Amounts are Decimal; symbols use the order form `BTC/USD` (positions
 * are rendered as `BTCUSD` only on the wire, as Alpaca does).
 */
import type { Decimal, DecimalInput } from '../money.js';

export type SimSide = 'buy' | 'sell';
export type SimOrderType = 'market' | 'limit';

/** Alpaca order statuses the simulator produces. */
export type SimOrderStatus =
  | 'pending_new'
  | 'new'
  | 'partially_filled'
  | 'pending_cancel'
  | 'filled'
  | 'canceled'
  | 'expired'
  | 'rejected';

/** Statuses of an order that is not final (it reserves cash or coin; `status=open` lists it). */
export const OPEN_STATUSES: readonly SimOrderStatus[] = [
  'pending_new',
  'new',
  'partially_filled',
  'pending_cancel',
];

export interface SimAsset {
  readonly id: string;
  /** `BTC/USD` */
  readonly symbol: string;
  readonly name: string;
  readonly minOrderSize: Decimal;
  readonly minTradeIncrement: Decimal;
  readonly priceIncrement: Decimal;
  readonly tradable: boolean;
}

export interface SimOrder {
  readonly id: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly assetId: string;
  readonly side: SimSide;
  readonly type: SimOrderType;
  readonly timeInForce: 'gtc' | 'ioc';
  readonly qty: Decimal | null;
  readonly notional: Decimal | null;
  readonly limitPrice: Decimal | null;
  status: SimOrderStatus;
  filledQty: Decimal;
  /** USD value of the fills so far (filledQty × prices); filled_avg_price = filledValue / filledQty. */
  filledValue: Decimal;
  readonly createdAt: Date;
  updatedAt: Date;
  filledAt: Date | null;
  canceledAt: Date | null;
  expiredAt: Date | null;
  failedAt: Date | null;
  /** The quote side the collar is measured from (set by the first quote the order sees). */
  collarReference: Decimal | null;
  /** Per-order partial fill ratio (0 < r ≤ 1); null: the simulator-wide setting. */
  readonly fillRatio: Decimal | null;
  /** Placed through the control API or `placeOrder` (by hand), not through REST. */
  readonly external: boolean;
}

export interface SimPosition {
  /** `BTC/USD` */
  readonly symbol: string;
  readonly assetId: string;
  qty: Decimal;
  avgEntryPrice: Decimal;
}

export interface SimAccount {
  readonly id: string;
  readonly accountNumber: string;
  readonly cash: Decimal;
  /** Cash minus what open buy orders reserve. */
  readonly buyingPower: Decimal;
  readonly longMarketValue: Decimal;
  readonly equity: Decimal;
  readonly createdAt: Date;
}

export interface SimQuote {
  readonly symbol: string;
  readonly bid: Decimal;
  readonly ask: Decimal;
  readonly bidSize: Decimal;
  readonly askSize: Decimal;
  readonly at: Date;
}

export interface SimTrade {
  readonly symbol: string;
  readonly id: number;
  readonly price: Decimal;
  readonly size: Decimal;
  readonly takerSide: 'B' | 'S';
  readonly at: Date;
}

/** One trade_updates event, ready to render. */
export interface SimTradeUpdate {
  readonly event:
    | 'pending_new'
    | 'new'
    | 'partial_fill'
    | 'fill'
    | 'pending_cancel'
    | 'canceled'
    | 'expired'
    | 'rejected';
  /** A snapshot of the order at the time of the event. */
  readonly order: SimOrder;
  readonly at: Date;
  readonly executionId: string | null;
  readonly price: Decimal | null;
  readonly qty: Decimal | null;
  readonly positionQty: Decimal | null;
}

/** What a client (REST, control API or test) asks for. */
export interface SimOrderRequest {
  readonly symbol: string;
  readonly side: SimSide;
  readonly type: SimOrderType;
  readonly timeInForce?: string;
  readonly qty?: DecimalInput | null;
  readonly notional?: DecimalInput | null;
  readonly limitPrice?: DecimalInput | null;
  readonly clientOrderId?: string | null;
  /** Per-order partial fill ratio, e.g. 0.5 fills half the order per matching quote. */
  readonly fillRatio?: DecimalInput | null;
}
