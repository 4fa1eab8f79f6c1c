/**
 * SDK models → the bot's domain types. Every amount becomes a Decimal here, once.
 *
 * Precision: the trading REST models and trade_updates keep Alpaca's decimal strings untouched
 * (the generated `FromJSON` copies them), so orders, positions, assets and account amounts are exact.
 * Quotes are not: Alpaca sends quote prices as JSON numbers (REST) and msgpack float64 (stream), so
 * we get binary floats and no lossless path exists. We parse the number's shortest
 * round-trip string (what `decimal.js` does for a number), which reproduces the price Alpaca
 * printed whenever it has at most 15 significant digits — true for every crypto quote we trade.
 *
 * A malformed model throws a TypeError naming the field; callers decide whether that is a bug
 * (REST) or a bad frame to report (streams).
 */
import type { marketData, streaming, trading } from '@alpacahq/alpaca-trade-api';
import type {
  Account,
  AssetRules,
  OrderSide,
  OrderSnapshot,
  OrderType,
  Position,
  Quote,
  TradeUpdate,
} from '../domain.js';
import { type Decimal, dec } from '../money.js';
import { toSlashSymbol } from './symbols.js';
import type { QuoteTick } from './types.js';

/** The SDK types amounts as strings, but a server may send numbers; both parse exactly as given. */
type Amount = string | number | null | undefined;

function amount(value: Amount, field: string): Decimal {
  if (value === null || value === undefined || value === '') throw new TypeError(`${field}: missing`);
  return dec(value, field);
}

function amountOrNull(value: Amount, field: string): Decimal | null {
  return value === null || value === undefined || value === '' ? null : dec(value, field);
}

/** A price or size that can only be above zero (a quote side, an order's qty or limit). */
function positive(d: Decimal, field: string): Decimal {
  if (!d.gt(0)) throw new TypeError(`${field}: ${d.toFixed()} is not above zero`);
  return d;
}

function positiveOrNull(d: Decimal | null, field: string): Decimal | null {
  return d === null ? null : positive(d, field);
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${field}: missing`);
  return value;
}

function date(value: Date | string | null | undefined, field: string): Date {
  const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  if (d === null || Number.isNaN(d.getTime())) throw new TypeError(`${field}: not a timestamp`);
  return d;
}

function dateOrNull(value: Date | string | null | undefined, field: string): Date | null {
  return value === null || value === undefined ? null : date(value, field);
}

function side(value: unknown): OrderSide {
  if (value === 'buy' || value === 'sell') return value;
  throw new TypeError(`order.side: ${String(value)} is not buy or sell`);
}

/** Order types the bot places. Anything else (e.g. a person's stop_limit) is not an OrderSnapshot. */
export function isSupportedOrderType(value: unknown): value is OrderType {
  return value === 'market' || value === 'limit';
}

function orderType(value: unknown): OrderType {
  if (isSupportedOrderType(value)) return value;
  throw new TypeError(`order.type: ${String(value)} is not market or limit`);
}

export function mapOrder(o: trading.Order): OrderSnapshot {
  return {
    id: text(o.id, 'order.id'),
    clientOrderId: text(o.clientOrderId, 'order.client_order_id'),
    symbol: toSlashSymbol(text(o.symbol, 'order.symbol')),
    side: side(o.side),
    type: orderType(o.type ?? o.orderType),
    status: text(o.status, 'order.status'),
    qty: amountOrNull(o.qty, 'order.qty'),
    notional: amountOrNull(o.notional, 'order.notional'),
    limitPrice: amountOrNull(o.limitPrice, 'order.limit_price'),
    filledQty: amountOrNull(o.filledQty, 'order.filled_qty') ?? dec(0),
    filledAvgPrice: amountOrNull(o.filledAvgPrice, 'order.filled_avg_price'),
    timeInForce: text(o.timeInForce, 'order.time_in_force'),
    createdAt: date(o.createdAt, 'order.created_at'),
    updatedAt: dateOrNull(o.updatedAt, 'order.updated_at'),
    filledAt: dateOrNull(o.filledAt, 'order.filled_at'),
  };
}

export function mapPosition(p: trading.Position): Position {
  const qty = amount(p.qty, 'position.qty');
  return {
    symbol: toSlashSymbol(text(p.symbol, 'position.symbol')),
    qty,
    // Older responses omit qty_available; then nothing is held by open orders.
    qtyAvailable: amountOrNull(p.qtyAvailable, 'position.qty_available') ?? qty,
    avgEntryPrice: amount(p.avgEntryPrice, 'position.avg_entry_price'),
  };
}

/** `minOrderValue` is the exchange's minimum order value in USD; /v2/assets does not carry it. */
export function mapAssetRules(a: trading.Assets, minOrderValue: Decimal): AssetRules {
  return {
    symbol: toSlashSymbol(text(a.symbol, 'asset.symbol')),
    tradable: a.tradable === true,
    minOrderSize: amount(a.minOrderSize, 'asset.min_order_size'),
    minTradeIncrement: amount(a.minTradeIncrement, 'asset.min_trade_increment'),
    priceIncrement: amount(a.priceIncrement, 'asset.price_increment'),
    minOrderValue,
  };
}

export function mapAccount(a: trading.Account): Account {
  return {
    cash: amount(a.cash, 'account.cash'),
    // Crypto is bought with non-marginable buying power (Alpaca never lends for crypto); fall
    // back to buying_power for servers that do not report it.
    buyingPower: amount(a.nonMarginableBuyingPower ?? a.buyingPower, 'account.buying_power'),
    currency: a.currency ?? 'USD',
    status: a.status ?? null,
    cryptoStatus: a.cryptoStatus ?? null,
    blocked: Boolean(a.tradingBlocked || a.accountBlocked),
  };
}

/** A REST latest quote (`/v1beta3/crypto/{loc}/latest/quotes`). */
export function mapRestQuote(symbol: string, q: marketData.CryptoQuote): Quote {
  return {
    symbol: toSlashSymbol(symbol),
    bid: amount(q.bp, 'quote.bp'),
    ask: amount(q.ap, 'quote.ap'),
    at: date(q.t, 'quote.t'),
  };
}

/** A price on the quote stream: a finite number above zero (msgpack float64, or a JSON number). */
function tickPrice(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') throw new TypeError(`${field}: missing`);
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`${field}: ${String(value)} is not a finite number`);
  if (!(n > 0)) throw new TypeError(`${field}: ${n} is not above zero`);
  return n;
}

/** The stream's `t`: ms already (the msgpack timestamp, see quoteStream.ts) or RFC 3339 text (JSON). */
function tickTime(value: unknown): number {
  const ms =
    typeof value === 'number'
      ? value
      : typeof value === 'string'
        ? Date.parse(value)
        : value instanceof Date
          ? value.getTime()
          : Number.NaN;
  if (!Number.isFinite(ms)) throw new TypeError('quote.t: not a timestamp');
  return ms;
}

/**
 * A quote message of the crypto market-data stream (`{T: 'q', S, bp, ap, t, ...}`) as a QuoteTick:
 * numbers only, nothing allocated but the tick. A side at or below zero is malformed here; a crossed
 * book (bid above ask) is a real if brief market state, left to the market-data actor.
 */
export function quoteTickOf(m: Readonly<Record<string, unknown>>): QuoteTick {
  return {
    symbol: toSlashSymbol(text(m.S, 'quote.S')),
    bid: tickPrice(m.bp, 'quote.bp'),
    ask: tickPrice(m.ap, 'quote.ap'),
    at: tickTime(m.t),
  };
}

/**
 * The Decimals of a tick, made for the quote an asset actually processes. Alpaca sends quote prices
 * as binary floats, so no lossless path exists; the number's shortest round-trip string (what
 * decimal.js parses a number from) is the price Alpaca printed whenever it has at most 15
 * significant digits — true for every crypto quote we trade.
 */
export function toQuote(tick: QuoteTick): Quote {
  return {
    symbol: tick.symbol,
    bid: dec(tick.bid, 'quote.bp'),
    ask: dec(tick.ask, 'quote.ap'),
    at: new Date(tick.at),
  };
}

/**
 * A trade_updates frame. Amounts that cannot be (a negative filled qty, a zero limit) make the frame
 * malformed; whether a well-formed update fits the order the bot placed is the stream actor's check.
 */
export function mapTradeUpdate(u: streaming.TradeUpdate): TradeUpdate {
  const order = mapOrder(u.order);
  if (order.filledQty.lt(0))
    throw new TypeError(`order.filled_qty: ${order.filledQty.toFixed()} is negative`);
  positiveOrNull(order.qty, 'order.qty');
  positiveOrNull(order.limitPrice, 'order.limit_price');
  positiveOrNull(order.filledAvgPrice, 'order.filled_avg_price');
  return {
    event: text(u.event, 'trade_update.event'),
    order,
    // Alpaca stamps every update; an order's own updated_at is the closest stand-in otherwise.
    at: u.timestamp ?? order.updatedAt ?? date(undefined, 'trade_update.timestamp'),
    executionId: typeof u.executionId === 'string' && u.executionId !== '' ? u.executionId : null,
    price: amountOrNull(u.price, 'trade_update.price'),
    qty: amountOrNull(u.qty, 'trade_update.qty'),
    positionQty: amountOrNull(u.positionQty, 'trade_update.position_qty'),
  };
}
