/**
 * The last look before an order leaves: is it plausible against the market-data actor's reference
 * price? A decision as a value, so the executor calls it right before the POST and refuses (alert,
 * no order) on `ok: false`. It catches an order sized or priced from a quote that should never have
 * reached the machine, whatever path it took.
 */
import type { OrderIntent } from '../domain.js';
import { type Decimal, HUNDRED, ONE } from '../money.js';

export type BandVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'NO_REFERENCE_PRICE' | 'LIMIT_OUT_OF_BAND' | 'QTY_ABOVE_CAP' | 'QTY_NOT_POSITIVE';
      readonly message: string;
    };

/**
 * `referencePrice`: the market-data actor's plausible price for the symbol (null: none yet).
 * `bandPercent`: the quote band (DCA_QUOTE_BAND_PERCENT). `usdAmount`: for a buy, the USD amount it
 * was sized from (the asset's base or safety order amount); its quantity may not exceed that amount
 * at the lowest plausible price. null for sells, whose quantity is bounded by the holding instead.
 */
export function orderWithinBand(
  intent: Pick<OrderIntent, 'side' | 'qty' | 'limitPrice'>,
  referencePrice: Decimal | null,
  bandPercent: Decimal,
  usdAmount: Decimal | null = null,
): BandVerdict {
  if (!intent.qty.isFinite() || intent.qty.lte(0)) {
    return {
      ok: false,
      code: 'QTY_NOT_POSITIVE',
      message: `quantity ${intent.qty.toFixed()} is not positive`,
    };
  }
  if (referencePrice === null || !referencePrice.isFinite() || referencePrice.lte(0)) {
    return { ok: false, code: 'NO_REFERENCE_PRICE', message: 'no plausible reference price yet' };
  }
  const fraction = bandPercent.div(HUNDRED);
  const low = referencePrice.mul(ONE.minus(fraction));
  const high = referencePrice.mul(ONE.plus(fraction));
  const limit = intent.limitPrice;
  if (limit !== null && (limit.lt(low) || limit.gt(high))) {
    return {
      ok: false,
      code: 'LIMIT_OUT_OF_BAND',
      message: `limit ${limit.toFixed()} is outside ${low.toFixed()}–${high.toFixed()} (reference ${referencePrice.toFixed()} ±${bandPercent.toFixed()} %)`,
    };
  }
  if (intent.side === 'buy' && usdAmount !== null) {
    const cap = usdAmount.div(low);
    if (intent.qty.gt(cap)) {
      return {
        ok: false,
        code: 'QTY_ABOVE_CAP',
        message: `quantity ${intent.qty.toFixed()} exceeds ${cap.toDecimalPlaces(12, 1).toFixed()}, what ${usdAmount.toFixed()} USD buys at the lowest plausible price ${low.toFixed()}`,
      };
    }
  }
  return { ok: true };
}
