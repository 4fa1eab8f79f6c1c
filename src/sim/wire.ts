/**
 * Alpaca's JSON shapes for orders, positions, the account and assets: decimal strings, nulls where
 * a field does not apply, ISO timestamps, snake_case keys. These are what the SDK's `*FromJSON`
 * mappers read.
 */
import { toCompactSymbol } from '../exchange/symbols.js';
import { Decimal, ZERO } from '../money.js';
import type { SimAccount, SimAsset, SimOrder, SimPosition, SimQuote, SimTradeUpdate } from './types.js';

const str = (d: Decimal | null): string | null => (d === null ? null : d.toFixed());
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function orderJson(o: SimOrder): Record<string, unknown> {
  return {
    id: o.id,
    client_order_id: o.clientOrderId,
    created_at: iso(o.createdAt),
    updated_at: iso(o.updatedAt),
    submitted_at: iso(o.createdAt),
    filled_at: iso(o.filledAt),
    expired_at: iso(o.expiredAt),
    expires_at: null,
    canceled_at: iso(o.canceledAt),
    failed_at: iso(o.failedAt),
    replaced_at: null,
    replaced_by: null,
    replaces: null,
    asset_id: o.assetId,
    symbol: o.symbol,
    asset_class: 'crypto',
    notional: str(o.notional),
    qty: str(o.qty),
    filled_qty: o.filledQty.toFixed(),
    filled_avg_price: o.filledQty.isZero() ? null : o.filledValue.div(o.filledQty).toFixed(),
    order_class: '',
    order_type: o.type,
    type: o.type,
    side: o.side,
    position_intent: o.side === 'buy' ? 'buy_to_open' : 'sell_to_close',
    time_in_force: o.timeInForce,
    limit_price: str(o.limitPrice),
    stop_price: null,
    status: o.status,
    extended_hours: false,
    legs: null,
    trail_percent: null,
    trail_price: null,
    hwm: null,
    subtag: null,
    source: o.external ? 'manual' : null,
    expires_after: null,
  };
}

/** `reserved`: coin that open sell orders hold, which `qty_available` leaves out (as Alpaca). */
export function positionJson(
  p: SimPosition,
  quote: SimQuote | undefined,
  reserved: Decimal = ZERO,
): Record<string, unknown> {
  const price = quote ? quote.bid : p.avgEntryPrice;
  const costBasis = p.qty.mul(p.avgEntryPrice);
  const marketValue = p.qty.mul(price);
  const pl = marketValue.minus(costBasis);
  const plpc = costBasis.isZero() ? ZERO : pl.div(costBasis);
  return {
    asset_id: p.assetId,
    symbol: toCompactSymbol(p.symbol),
    exchange: 'CRYPTO',
    asset_class: 'crypto',
    asset_marginable: false,
    qty: p.qty.toFixed(),
    qty_available: Decimal.max(p.qty.minus(reserved), ZERO).toFixed(),
    avg_entry_price: p.avgEntryPrice.toFixed(),
    side: 'long',
    market_value: marketValue.toFixed(),
    cost_basis: costBasis.toFixed(),
    unrealized_pl: pl.toFixed(),
    unrealized_plpc: plpc.toFixed(),
    unrealized_intraday_pl: pl.toFixed(),
    unrealized_intraday_plpc: plpc.toFixed(),
    current_price: price.toFixed(),
    lastday_price: price.toFixed(),
    change_today: '0',
  };
}

export function accountJson(a: SimAccount): Record<string, unknown> {
  return {
    id: a.id,
    account_number: a.accountNumber,
    status: 'ACTIVE',
    crypto_status: 'ACTIVE',
    currency: 'USD',
    cash: a.cash.toFixed(),
    buying_power: a.buyingPower.toFixed(),
    regt_buying_power: a.buyingPower.toFixed(),
    daytrading_buying_power: '0',
    non_marginable_buying_power: a.buyingPower.toFixed(),
    effective_buying_power: a.buyingPower.toFixed(),
    options_buying_power: '0',
    portfolio_value: a.equity.toFixed(),
    equity: a.equity.toFixed(),
    last_equity: a.equity.toFixed(),
    long_market_value: a.longMarketValue.toFixed(),
    short_market_value: '0',
    initial_margin: '0',
    maintenance_margin: '0',
    last_maintenance_margin: '0',
    sma: '0',
    multiplier: '1',
    accrued_fees: '0',
    pending_transfer_in: '0',
    pending_transfer_out: null,
    pattern_day_trader: false,
    trading_blocked: false,
    transfers_blocked: false,
    account_blocked: false,
    trade_suspended_by_user: false,
    shorting_enabled: false,
    daytrade_count: 0,
    balance_asof: a.createdAt.toISOString().slice(0, 10),
    created_at: a.createdAt.toISOString(),
    crypto_tier: 1,
    options_approved_level: 0,
    options_trading_level: 0,
  };
}

export function assetJson(a: SimAsset): Record<string, unknown> {
  return {
    id: a.id,
    class: 'crypto',
    exchange: 'CRYPTO',
    symbol: a.symbol,
    name: a.name,
    status: 'active',
    tradable: a.tradable,
    marginable: false,
    maintenance_margin_requirement: 100,
    margin_requirement_long: '100',
    margin_requirement_short: '100',
    shortable: false,
    easy_to_borrow: false,
    fractionable: true,
    attributes: [],
    min_order_size: a.minOrderSize.toFixed(),
    min_trade_increment: a.minTradeIncrement.toFixed(),
    price_increment: a.priceIncrement.toFixed(),
  };
}

/** The `data` of a trade_updates frame. */
export function tradeUpdateJson(u: SimTradeUpdate): Record<string, unknown> {
  const data: Record<string, unknown> = {
    event: u.event,
    timestamp: u.at.toISOString(),
    order: orderJson(u.order),
  };
  if (u.executionId !== null) {
    data.execution_id = u.executionId;
    data.price = str(u.price);
    data.qty = str(u.qty);
    data.position_qty = str(u.positionQty);
  }
  return data;
}
