/**
 * The bot's shared vocabulary: parsed rows, quotes, orders and positions. Every money or quantity
 * field is a Decimal; symbols are always in the order/market-data form `BTC/USD`.
 */
import { Decimal } from './money.js';

export const CYCLE_STATUSES = ['watching', 'buying', 'selling', 'cooldown', 'complete', 'error'] as const;
export type CycleStatus = (typeof CYCLE_STATUSES)[number];
export const TERMINAL_STATUSES: readonly CycleStatus[] = ['complete', 'error'];

/** A validated `dca_assets` row. */
export interface AssetConfig {
  readonly id: number;
  readonly symbol: string;
  readonly enabled: boolean;
  /** USD per base order. */
  readonly baseOrderAmount: Decimal;
  /** USD per safety order. */
  readonly safetyOrderAmount: Decimal;
  readonly maxSafetyOrders: number;
  /** Percent drop below the last buy fill price that triggers a safety order. */
  readonly safetyOrderDeviation: Decimal;
  /** Percent rise above the average purchase price that triggers the take-profit sell. */
  readonly takeProfitPercent: Decimal;
  /** Seconds after a take-profit before the next cycle may buy. */
  readonly cooldownPeriod: number;
  /** Percent drop below the last sell price that ends a cooldown early. */
  readonly buyOrderPriceDeviationPercent: Decimal;
  readonly lastSellPrice: Decimal | null;
  /** Trailing take-profit: from the take-profit price on, follow the highest bid instead of selling. */
  readonly ttpEnabled: boolean;
  /** Percent below the highest bid at which a trailing take-profit sells; set when ttpEnabled. */
  readonly ttpDeviationPercent: Decimal | null;
  /** Percent below the average purchase price that sells everything at market; null = no stop-loss. */
  readonly stopLossPercent: Decimal | null;
  /** The stop-loss fires only once every safety order is used. */
  readonly stopLossAfterSafetyOrders: boolean;
  /** Each next safety order's USD amount is the previous one's times this (1 = all equal). */
  readonly safetyOrderVolumeScale: Decimal;
  /** Each next safety order's deviation is the previous one's times this (1 = all equal). */
  readonly safetyOrderStepScale: Decimal;
}

/** The strategy controls of sql/008 at their column defaults: the seed's behaviour. */
export type StrategyControls = Pick<
  AssetConfig,
  | 'ttpEnabled'
  | 'ttpDeviationPercent'
  | 'stopLossPercent'
  | 'stopLossAfterSafetyOrders'
  | 'safetyOrderVolumeScale'
  | 'safetyOrderStepScale'
>;
export const STRATEGY_DEFAULTS: StrategyControls = Object.freeze({
  ttpEnabled: false,
  ttpDeviationPercent: null,
  stopLossPercent: null,
  stopLossAfterSafetyOrders: true,
  safetyOrderVolumeScale: new Decimal(1),
  safetyOrderStepScale: new Decimal(1),
});

/** A `dca_cycles` row: the seed's columns plus the bookkeeping the design adds. */
export interface CycleRow {
  readonly id: number;
  readonly assetId: number;
  readonly status: CycleStatus;
  /** Coin the cycle actually holds: buys net of the fee taken in the coin, minus sells. */
  readonly quantity: Decimal;
  readonly averagePurchasePrice: Decimal;
  readonly safetyOrders: number;
  /** Alpaca order id of the in-flight order (null when none, or before the POST answered). */
  readonly latestOrderId: string | null;
  /** filled_avg_price of the last buy order. */
  readonly lastOrderFillPrice: Decimal | null;
  /** The highest bid since the trailing take-profit started; null while not trailing. */
  readonly ttpPeakPrice: Decimal | null;
  readonly completedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Client order id of the most recent order (kept after it ends, so the next attempt is known). */
  readonly clientOrderId: string | null;
  /** Gross coin bought (filled qty before fees): the weight of averagePurchasePrice. */
  readonly boughtQuantity: Decimal;
  /** The position held before the cycle's first buy; the exchange's position minus it is the cycle's. */
  readonly positionBaseline: Decimal;
  /** USD spent on the cycle's buys. */
  readonly costBasis: Decimal;
  /** USD received from the cycle's sells, net of the sell fee. */
  readonly sellProceeds: Decimal;
  /** sellProceeds minus costBasis; set when the cycle completes. */
  readonly realizedPnl: Decimal | null;
  /** After a refusal: no new order for this asset before this time (null when not backing off). */
  readonly backoffUntil: Date | null;
  /** Why the asset is backing off, e.g. the exchange's refusal message. */
  readonly backoffReason: string | null;
  /**
   * The cycle's latest order when it was given up as never accepted (not found twice a grace period
   * apart): the next order of its step reuses this id, so a late creation collides instead of doubling.
   */
  readonly givenUpClientOrderId: string | null;
  /** Optimistic-concurrency version: every update must name the version it read. */
  readonly version: number;
}

/** Per-asset trading rules from `/v2/assets/{symbol}`. */
export interface AssetRules {
  readonly symbol: string;
  readonly tradable: boolean;
  readonly minOrderSize: Decimal;
  readonly minTradeIncrement: Decimal;
  readonly priceIncrement: Decimal;
  /**
   * The smallest order value the exchange accepts, in USD (Alpaca refuses less with 403 "cost basis
   * must be >= minimal amount of order 10"). Not in /v2/assets: the adapter sets it (DCA_MIN_ORDER_USD).
   */
  readonly minOrderValue: Decimal;
}

export interface Quote {
  readonly symbol: string;
  readonly bid: Decimal;
  readonly ask: Decimal;
  readonly at: Date;
}

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';
export type TimeInForce = 'gtc' | 'ioc';

/** What the cycle machine asks the host to send. */
export interface OrderIntent {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly qty: Decimal;
  readonly limitPrice: Decimal | null;
  readonly timeInForce: TimeInForce;
}

/** Alpaca order statuses that can no longer fill. */
export const DEAD_ORDER_STATUSES = [
  'filled',
  'canceled',
  'expired',
  'rejected',
  'replaced',
  'done_for_day',
] as const;

/** An order as the exchange reports it (REST or trade_updates), normalised. */
export interface OrderSnapshot {
  readonly id: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  /** Alpaca status: new, accepted, pending_new, partially_filled, filled, canceled, expired, rejected, ... */
  readonly status: string;
  readonly qty: Decimal | null;
  readonly notional: Decimal | null;
  readonly limitPrice: Decimal | null;
  /** Cumulative filled quantity (gross, before the fee taken in the coin). */
  readonly filledQty: Decimal;
  readonly filledAvgPrice: Decimal | null;
  readonly timeInForce: string;
  readonly createdAt: Date;
  readonly updatedAt: Date | null;
  readonly filledAt: Date | null;
}

export type TradeUpdateEvent =
  | 'new'
  | 'fill'
  | 'partial_fill'
  | 'canceled'
  | 'expired'
  | 'rejected'
  | 'done_for_day'
  | 'replaced'
  | 'pending_new'
  | 'pending_cancel'
  | 'order_cancel_rejected'
  | 'calculated'
  | 'suspended'
  | 'stopped'
  | 'restated'
  | 'accepted';

export interface TradeUpdate {
  readonly event: TradeUpdateEvent | string;
  readonly order: OrderSnapshot;
  readonly at: Date;
  readonly executionId: string | null;
  readonly price: Decimal | null;
  readonly qty: Decimal | null;
  readonly positionQty: Decimal | null;
}

export interface Position {
  /** Normalised to `BTC/USD` (Alpaca reports crypto positions as `BTCUSD`). */
  readonly symbol: string;
  readonly qty: Decimal;
  readonly qtyAvailable: Decimal;
  readonly avgEntryPrice: Decimal;
}

export interface Account {
  readonly cash: Decimal;
  readonly buyingPower: Decimal;
  readonly currency: string;
  /** Alpaca's account status (`ACTIVE` trades); null when the server does not say. */
  readonly status?: string | null;
  /** Whether the account may trade crypto (`ACTIVE`); null when the server does not say. */
  readonly cryptoStatus?: string | null;
  /** True when Alpaca blocks trading or the whole account. */
  readonly blocked?: boolean;
}
