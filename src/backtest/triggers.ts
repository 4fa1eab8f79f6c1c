/**
 * Which quotes can change the cycle machine's state, read off its snapshot. The engine feeds the
 * machine only those quotes (and a TICK once the cooldown is over); every other quote would only be
 * recorded as "the latest quote", which the next fed quote replaces anyway. The thresholds are the
 * machine's own trigger functions (decisions.ts), widened by EPS so that the double comparison can
 * only let through more quotes than needed, never fewer: the machine then decides on exact Decimals.
 *
 * Watching, with the strategy controls: the next (scaled) safety order's price (ask at or below);
 * the take-profit price (bid at or above), which sells or, with a trailing take-profit, starts the
 * trailing; while trailing, a bid above the peak (a new peak, bid at or above) and the trailing stop
 * below it (bid at or below); the stop-loss price once it is armed (bid at or below).
 *
 * Anything this file does not model (a back-off, a pending position question, an open market order,
 * or an asset setting it does not know) makes every quote a candidate: slower, never different.
 */
import type { AssetConfig } from '../domain.js';
import type { CycleSnapshot } from '../machines/cycle.js';
import { cooldownEndsAt, earlyRestartPrice, triggerPrices } from '../machines/decisions.js';

/** The asset settings whose triggers are modelled here; any other key turns the shortcut off. */
export const MODELLED_SETTINGS: ReadonlySet<string> = new Set<keyof AssetConfig>([
  'id',
  'symbol',
  'enabled',
  'baseOrderAmount',
  'safetyOrderAmount',
  'maxSafetyOrders',
  'safetyOrderDeviation',
  'takeProfitPercent',
  'cooldownPeriod',
  'buyOrderPriceDeviationPercent',
  'lastSellPrice',
  'ttpEnabled',
  'ttpDeviationPercent',
  'stopLossPercent',
  'stopLossAfterSafetyOrders',
  'safetyOrderVolumeScale',
  'safetyOrderStepScale',
]);

const EPS = 1e-9;

export interface Triggers {
  /** Every quote is a candidate. */
  always: boolean;
  /** A quote whose ask (estimate) is at or below this is a candidate. */
  askAtOrBelow: number;
  /** A quote whose bid (estimate) is at or above this is a candidate. */
  bidAtOrAbove: number;
  /**
   * A quote whose bid (estimate) is at or below this is a candidate. The estimate is above the exact
   * bid by up to one price increment (the bid is rounded down), so the threshold includes it.
   */
  bidAtOrBelow: number;
  /** A TICK is due at the first bar opening at or after this time (epoch ms). */
  tickAt: number;
}

export function isShortcutModelled(asset: AssetConfig): boolean {
  return Object.keys(asset).every((k) => MODELLED_SETTINGS.has(k));
}

export function triggersOf(snapshot: CycleSnapshot, openLimit: number | null, into: Triggers): Triggers {
  const ctx = snapshot.context;
  into.always = false;
  into.askAtOrBelow = Number.NEGATIVE_INFINITY;
  into.bidAtOrAbove = Number.POSITIVE_INFINITY;
  into.bidAtOrBelow = Number.NEGATIVE_INFINITY;
  into.tickAt = Number.POSITIVE_INFINITY;
  if (ctx.backoff !== null || ctx.positionCheck !== null || ctx.resume !== null) {
    into.always = true;
    return into;
  }
  const { asset, ledger } = ctx;
  switch (snapshot.value) {
    case 'watching': {
      if (ledger.quantity.lte(0)) {
        into.always = ctx.enabled;
        return into;
      }
      const prices = triggerPrices(asset, ledger);
      if (prices.safety !== null) into.askAtOrBelow = prices.safety.toNumber() * (1 + EPS);
      // No take-profit price: no average purchase price, so nothing below either.
      if (prices.takeProfit === null) return into;
      const peak = ledger.ttpPeakPrice;
      // Without trailing the take-profit price sells; with it, before a peak, it starts the trailing.
      if (!asset.ttpEnabled || peak === null) {
        into.bidAtOrAbove = prices.takeProfit.toNumber() * (1 - EPS);
      }
      const increment = ctx.rules.priceIncrement.toNumber();
      const below = (price: number) => {
        into.bidAtOrBelow = Math.max(into.bidAtOrBelow, price * (1 + EPS) + increment);
      };
      if (peak !== null) into.bidAtOrAbove = Math.min(into.bidAtOrAbove, peak.toNumber() * (1 - EPS));
      if (prices.trailingStop !== null) below(prices.trailingStop.toNumber());
      if (prices.stopLoss !== null) below(prices.stopLoss.toNumber());
      return into;
    }
    case 'cooldown': {
      const ends = cooldownEndsAt(ctx.previousCompletedAt, asset.cooldownPeriod);
      into.tickAt = ends === null ? Number.NEGATIVE_INFINITY : ends.getTime();
      if (asset.lastSellPrice !== null) {
        into.askAtOrBelow =
          earlyRestartPrice(asset.lastSellPrice, asset.buyOrderPriceDeviationPercent).toNumber() * (1 + EPS);
      }
      return into;
    }
    case 'buying':
      if (openLimit !== null) into.askAtOrBelow = openLimit * (1 + EPS);
      else into.always = true;
      return into;
    default:
      into.always = true;
      return into;
  }
}
