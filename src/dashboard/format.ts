/** How the page's numbers are written: every one a string formatted from a Decimal. */
import type { AssetRules } from '../domain.js';
import type { Decimal } from '../money.js';

const USD_DP = 4;

/** Prices to the asset's price increment (at least cents). */
export function formatPrice(value: Decimal, rules: AssetRules | null): string {
  const dp = Math.max(2, rules ? rules.priceIncrement.decimalPlaces() : 2);
  return value.toFixed(dp);
}

/** Quantities to the asset's trade increment, without trailing zeros. */
export function formatQty(value: Decimal, rules: AssetRules | null): string {
  const dp = rules ? rules.minTradeIncrement.decimalPlaces() : 9;
  return value.toDecimalPlaces(dp).toFixed();
}

export function usd(value: Decimal): string {
  return value.toFixed(USD_DP);
}

/** Dollars and cents, for amounts a trader reads at a glance. */
export function usd2(value: Decimal): string {
  return value.toFixed(2);
}
