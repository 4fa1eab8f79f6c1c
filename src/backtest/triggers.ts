/**
 * Which quotes can change the cycle machine's state, read off its snapshot. The engine feeds the
 * machine only those quotes (and a TICK once the cooldown is over); every other quote would only be
 * recorded as "the latest quote", which the next fed quote replaces anyway. The thresholds are the
 * machine's own trigger functions (decisions.ts), widened by EPS so that the double comparison can
 * only let through more quotes than needed, never fewer: the machine then decides on exact Decimals.
 *
 * Anything this file does not model (a back-off, a pending position question, an open market order,
 * an asset setting it does not know, or a strategy setting switched on) makes every quote a
 * candidate: slower, never different.
 */
import type { AssetConfig } from '../domain.js';
import type { CycleSnapshot } from '../machines/cycle.js';
import {
  cooldownEndsAt,
  earlyRestartPrice,
  safetyTriggerPrice,
  takeProfitPrice,
} from '../machines/decisions.js';
import { Decimal } from '../money.js';

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
]);

/**
 * Strategy settings the shortcut does not model yet, at the values where they change nothing (off,
 * or a scale of 1; `any` when they only qualify another setting): an asset with these values keeps
 * the shortcut, any other value makes every quote a candidate.
 */
const INERT_SETTINGS: Readonly<Record<string, { readonly equals: string | null | boolean } | 'any'>> = {
  ttpEnabled: { equals: false },
  ttpDeviationPercent: { equals: null },
  stopLossPercent: { equals: null },
  stopLossAfterSafetyOrders: 'any',
  safetyOrderVolumeScale: { equals: '1' },
  safetyOrderStepScale: { equals: '1' },
};

function isInert(key: string, value: unknown): boolean {
  const inert = INERT_SETTINGS[key];
  if (inert === undefined) return false;
  if (inert === 'any') return true;
  if (typeof inert.equals === 'string') {
    return value instanceof Decimal ? value.eq(inert.equals) : String(value) === inert.equals;
  }
  return value === inert.equals;
}

const EPS = 1e-9;

export interface Triggers {
  /** Every quote is a candidate. */
  always: boolean;
  /** A quote whose ask (estimate) is at or below this is a candidate. */
  askAtOrBelow: number;
  /** A quote whose bid (estimate) is at or above this is a candidate. */
  bidAtOrAbove: number;
  /** A TICK is due at the first bar opening at or after this time (epoch ms). */
  tickAt: number;
}

export function isShortcutModelled(asset: AssetConfig): boolean {
  return Object.entries(asset).every(([k, v]) => MODELLED_SETTINGS.has(k) || isInert(k, v));
}

export function triggersOf(snapshot: CycleSnapshot, openLimit: number | null, into: Triggers): Triggers {
  const ctx = snapshot.context;
  into.always = false;
  into.askAtOrBelow = Number.NEGATIVE_INFINITY;
  into.bidAtOrAbove = Number.POSITIVE_INFINITY;
  into.tickAt = Number.POSITIVE_INFINITY;
  if (ctx.backoff !== null || ctx.positionCheck !== null || ctx.resume !== null) {
    into.always = true;
    return into;
  }
  const { asset, ledger } = ctx;
  switch (snapshot.value) {
    case 'watching':
      if (ledger.quantity.lte(0)) {
        into.always = ctx.enabled;
        return into;
      }
      if (ledger.lastOrderFillPrice !== null && ledger.safetyOrders < asset.maxSafetyOrders) {
        into.askAtOrBelow =
          safetyTriggerPrice(ledger.lastOrderFillPrice, asset.safetyOrderDeviation).toNumber() * (1 + EPS);
      }
      if (ledger.averagePurchasePrice.gt(0)) {
        into.bidAtOrAbove =
          takeProfitPrice(ledger.averagePurchasePrice, asset.takeProfitPercent).toNumber() * (1 - EPS);
      }
      return into;
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
