/**
 * Turns an order request into a checked order, or the SimApiError Alpaca would answer with. As on
 * Alpaca, a missing or malformed field is 422 with code 40010001 (fieldError); a request whose
 * fields are well-formed but not allowed for crypto (time in force, order type, size rules) is
 * 422 with 42210000.
 */
import { type Decimal, dec } from '../money.js';
import { normalizeSymbol } from './assets.js';
import { fieldError, unprocessable } from './errors.js';
import type { SimAsset, SimOrderRequest } from './types.js';

export interface CheckedRequest {
  readonly asset: SimAsset;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly timeInForce: 'gtc' | 'ioc';
  readonly qty: Decimal | null;
  readonly notional: Decimal | null;
  readonly limitPrice: Decimal | null;
  readonly clientOrderId: string | null;
  readonly fillRatio: Decimal | null;
}

export function checkOrderRequest(
  req: SimOrderRequest,
  assets: ReadonlyMap<string, SimAsset>,
): CheckedRequest {
  const asset = assets.get(normalizeSymbol(String(req.symbol ?? '')));
  if (!asset) throw unprocessable(`asset ${String(req.symbol)} not found`);
  if (!asset.tradable) throw unprocessable(`asset ${asset.symbol} is not tradable`);
  if (req.side !== 'buy' && req.side !== 'sell') throw unprocessable('invalid side');
  if (req.type !== 'market' && req.type !== 'limit')
    throw unprocessable(`invalid order type for crypto order`);
  const tif = req.timeInForce ?? 'gtc';
  // Crypto accepts only gtc and ioc; `day` is the seed's mistake (architecture §5).
  if (tif !== 'gtc' && tif !== 'ioc') throw unprocessable(`invalid crypto time_in_force`);
  const qty = optionalDecimal(req.qty, 'qty');
  const notional = optionalDecimal(req.notional, 'notional');
  if (qty && notional) throw unprocessable('only one of qty or notional may be provided');
  if (!qty && !notional) throw fieldError('qty or notional is required');
  if (qty) {
    if (qty.lte(0)) throw unprocessable('qty must be > 0');
    if (qty.lt(asset.minOrderSize)) {
      throw unprocessable(
        `qty must be >= ${asset.minOrderSize.toFixed()} (min_order_size of ${asset.symbol})`,
      );
    }
    if (!qty.mod(asset.minTradeIncrement).isZero()) {
      throw unprocessable(
        `qty must be a multiple of ${asset.minTradeIncrement.toFixed()} (min_trade_increment)`,
      );
    }
  }
  if (notional?.lte(0)) throw unprocessable('notional must be > 0');
  let limitPrice: Decimal | null = null;
  if (req.type === 'limit') {
    limitPrice = optionalDecimal(req.limitPrice, 'limit_price');
    if (!limitPrice) throw fieldError('limit_price is required for limit orders');
    if (limitPrice.lte(0)) throw unprocessable('limit_price must be > 0');
    if (!limitPrice.mod(asset.priceIncrement).isZero()) {
      throw unprocessable(
        `limit_price must be a multiple of ${asset.priceIncrement.toFixed()} (price_increment)`,
      );
    }
  } else if (req.limitPrice !== undefined && req.limitPrice !== null) {
    throw unprocessable('limit_price is only allowed for limit orders');
  }
  const clientOrderId = req.clientOrderId ?? null;
  if (clientOrderId !== null && (typeof clientOrderId !== 'string' || clientOrderId.length > 128)) {
    throw fieldError('client_order_id must be no more than 128 characters');
  }
  const fillRatio = optionalDecimal(req.fillRatio, 'fill_ratio');
  if (fillRatio && (fillRatio.lte(0) || fillRatio.gt(1))) throw unprocessable('fill ratio must be in (0, 1]');
  return {
    asset,
    side: req.side,
    type: req.type,
    timeInForce: tif,
    qty,
    notional,
    limitPrice,
    clientOrderId,
    fillRatio,
  };
}

function optionalDecimal(value: unknown, field: string): Decimal | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'object') {
    throw fieldError(`invalid ${field}`);
  }
  try {
    return dec(value as string, field);
  } catch (err) {
    throw fieldError(`invalid ${field}: ${(err as Error).message}`);
  }
}
