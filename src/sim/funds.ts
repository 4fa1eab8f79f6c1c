/**
 * The refusals Alpaca answers with 403 code 40310000 before an order exists: below the minimum
 * order value, or beyond the available balance. Bodies carry `available`, `balance` and `symbol`
 * as Alpaca's do, so a client can say which asset ran short.
 */
import { type Decimal, ZERO } from '../money.js';
import { SimApiError } from './errors.js';
import type { SimAsset, SimQuote, SimSide } from './types.js';

export interface FundsRequest {
  readonly asset: SimAsset;
  readonly side: SimSide;
  readonly qty: Decimal | null;
  readonly notional: Decimal | null;
  readonly limitPrice: Decimal | null;
  readonly quote: SimQuote | undefined;
}

export interface Holdings {
  /** USD cash. */
  readonly cash: Decimal;
  /** USD that open buy orders reserve. */
  readonly reservedCash: Decimal;
  /** Coin of the asset held. */
  readonly coin: Decimal;
  /** Coin that open sell orders of the asset claim. */
  readonly reservedCoin: Decimal;
}

/**
 * What the order is worth in USD at the price it would trade at: its notional, or qty × the limit
 * (or the quote side it would take). Null when there is no price to value it at yet.
 */
export function costBasis(r: FundsRequest): Decimal | null {
  if (r.notional) return r.notional;
  const price = r.limitPrice ?? (r.side === 'buy' ? r.quote?.ask : r.quote?.bid) ?? null;
  return price && r.qty ? r.qty.mul(price) : null;
}

/** Alpaca refuses a crypto order worth less than its minimum (10 USD at the time of writing). */
export function checkMinimumValue(r: FundsRequest, minimum: Decimal): void {
  const cost = costBasis(r);
  if (cost?.lt(minimum) && minimum.gt(0)) {
    throw new SimApiError(
      403,
      40310000,
      `cost basis must be >= minimal amount of order ${minimum.toFixed()}`,
    );
  }
}

export function checkBalance(r: FundsRequest, h: Holdings): void {
  const base = r.asset.symbol.split('/')[0]!;
  if (r.side === 'buy') {
    const cost = costBasis(r) ?? ZERO;
    const available = h.cash.minus(h.reservedCash);
    if (cost.gt(available)) {
      throw refusal(
        `insufficient balance for USD (requested: ${cost.toFixed()}, available: ${available.toFixed()})`,
        { available, balance: h.cash, symbol: 'USD' },
      );
    }
    return;
  }
  const available = h.coin.minus(h.reservedCoin);
  const bid = r.quote?.bid;
  const wanted = r.qty ?? (bid?.gt(0) ? r.notional!.div(bid) : ZERO);
  if (wanted.gt(available)) {
    throw refusal(
      `insufficient balance for ${base} (requested: ${wanted.toFixed()}, available: ${available.toFixed()})`,
      { available, balance: h.coin, symbol: base },
    );
  }
}

function refusal(message: string, f: { available: Decimal; balance: Decimal; symbol: string }): SimApiError {
  return new SimApiError(403, 40310000, message, {
    available: f.available.toFixed(),
    balance: f.balance.toFixed(),
    symbol: f.symbol,
  });
}
