/**
 * Money and quantities are decimals, never binary floats. Values from MySQL (DECIMAL as strings),
 * Alpaca (decimal strings) and the market-data stream (numbers) are parsed here, once, at the edge.
 */
import { Decimal as DecimalJs } from 'decimal.js';

/** A decimal constructor with enough precision for crypto quantities times prices. */
export const Decimal = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Decimal = DecimalJs;

export const ZERO: Decimal = new Decimal(0);
export const ONE: Decimal = new Decimal(1);
export const HUNDRED: Decimal = new Decimal(100);

export type DecimalInput = string | number | Decimal;

/** Parses a finite decimal or throws a TypeError naming the field. */
export function dec(value: DecimalInput, field = 'value'): Decimal {
  let d: Decimal;
  try {
    d = new Decimal(value);
  } catch {
    throw new TypeError(`${field}: ${JSON.stringify(String(value))} is not a decimal number`);
  }
  if (!d.isFinite()) throw new TypeError(`${field}: ${String(value)} is not a finite number`);
  return d;
}

/** Like dec(), but null and undefined pass through as null. */
export function decOrNull(value: DecimalInput | null | undefined, field = 'value'): Decimal | null {
  return value === null || value === undefined ? null : dec(value, field);
}

/** Rounds down (toward zero) to a whole multiple of `increment` (e.g. a min_trade_increment). */
export function roundDownTo(value: Decimal, increment: Decimal): Decimal {
  if (increment.lte(0)) return value;
  return value.div(increment).floor().mul(increment);
}

/** Rounds to the nearest whole multiple of `increment` (half up), e.g. a price_increment. */
export function roundTo(value: Decimal, increment: Decimal): Decimal {
  if (increment.lte(0)) return value;
  return value.div(increment).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).mul(increment);
}

/** Rounds up to a whole multiple of `increment`. */
export function roundUpTo(value: Decimal, increment: Decimal): Decimal {
  if (increment.lte(0)) return value;
  return value.div(increment).ceil().mul(increment);
}

/** Plain decimal string without exponent, as Alpaca and MySQL expect. */
export function toPlain(value: Decimal): string {
  return value.toFixed();
}
