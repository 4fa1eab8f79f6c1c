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

/*
 * Comparing the stream's numbers with Decimals without making a Decimal. A quote price arrives as a
 * double `b`; its Decimal is `dec(b)`, the shortest decimal that reads back as `b`. That decimal lies
 * strictly above the double below `b` and strictly below the double above it, so it keeps every
 * strict order between doubles. `safelyAbove(d)` is a double far enough above `d` (a relative margin
 * of 2^-30, a billion times the error of `toNumber`, plus 2^-1000 for values near zero) that every
 * double `b >= safelyAbove(d)` has `dec(b) > d`; `safelyBelow` mirrors it. Between the two lies a thin
 * zone where only the Decimal comparison can tell: callers fall back to it there.
 */
const SAFE_MARGIN = 2 ** -30;
const SAFE_FLOOR = 2 ** -1000;

/** A double `x` such that every finite double `b >= x` has `dec(b) > d`. +Infinity for NaN. */
export function safelyAbove(d: Decimal): number {
  if (d.isNaN()) return Number.POSITIVE_INFINITY;
  const n = d.toNumber();
  if (!Number.isFinite(n)) return n;
  return n + Math.abs(n) * SAFE_MARGIN + SAFE_FLOOR;
}

/** A double `x` such that every finite double `b <= x` has `dec(b) < d`. -Infinity for NaN. */
export function safelyBelow(d: Decimal): number {
  if (d.isNaN()) return Number.NEGATIVE_INFINITY;
  const n = d.toNumber();
  if (!Number.isFinite(n)) return n;
  return n - Math.abs(n) * SAFE_MARGIN - SAFE_FLOOR;
}
