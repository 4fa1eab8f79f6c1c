/**
 * Builders for cycle machine tests: an asset like the seed's README example (BTC/USD, $20 orders,
 * 1.5% safety deviation, 1% take profit), its rules, a fresh cycle row, order snapshots, and a
 * started actor that records every emitted intent.
 */
import { createActor } from 'xstate';
import {
  type AssetConfig,
  type AssetRules,
  type CycleRow,
  type OrderSnapshot,
  STRATEGY_DEFAULTS,
} from '../../src/domain.js';
import {
  type CycleInput,
  type CycleIntent,
  type CycleSnapshot,
  cycleMachine,
} from '../../src/machines/cycle.js';
import { newCycleRow } from '../../src/machines/cycleContext.js';
import type { CycleEvent } from '../../src/machines/cycleTypes.js';
import {
  type CycleLedger,
  earlyRestartPrice,
  safetyOrderDeviationOf,
  safetyTriggerPrice,
  stopLossPrice,
  takeProfitPrice,
  trailingStopPrice,
} from '../../src/machines/decisions.js';
import { type Decimal, dec, ZERO } from '../../src/money.js';

export const T0 = new Date('2026-01-01T00:00:00.000Z');

/** A cycle's books before its first fill. */
export const EMPTY_LEDGER: CycleLedger = {
  quantity: ZERO,
  averagePurchasePrice: ZERO,
  boughtQuantity: ZERO,
  costBasis: ZERO,
  sellProceeds: ZERO,
  realizedPnl: null,
  safetyOrders: 0,
  lastOrderFillPrice: null,
  ttpPeakPrice: null,
  positionBaseline: ZERO,
};

/** The installation id the machine tests run under. */
export const INSTALLATION_ID = 'testinst';

/** A client order id of the test installation, e.g. `cid('7-base-1')` → `dca-testinst-7-base-1`. */
export function cid(rest: string): string {
  return `dca-${INSTALLATION_ID}-${rest}`;
}

/** The submit of `clientOrderId` failed without saying whether the exchange took the order. */
export function ambiguousSubmitFailure(clientOrderId: string, reason = 'timeout'): CycleEvent {
  return { type: 'ORDER_SUBMIT_FAILED', clientOrderId, ambiguous: true, reason };
}

export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

export function anAsset(overrides: Partial<AssetConfig> = {}): AssetConfig {
  return {
    id: 1,
    symbol: 'BTC/USD',
    enabled: true,
    baseOrderAmount: dec('20'),
    safetyOrderAmount: dec('20'),
    maxSafetyOrders: 5,
    safetyOrderDeviation: dec('1.5'),
    takeProfitPercent: dec('1'),
    cooldownPeriod: 300,
    buyOrderPriceDeviationPercent: dec('2'),
    lastSellPrice: null,
    ...STRATEGY_DEFAULTS,
    ...overrides,
  };
}

export function someRules(overrides: Partial<AssetRules> = {}): AssetRules {
  return {
    symbol: 'BTC/USD',
    tradable: true,
    minOrderSize: dec('0.0001'),
    minTradeIncrement: dec('0.000000001'),
    priceIncrement: dec('0.01'),
    minOrderValue: dec('10'),
    ...overrides,
  };
}

export function aCycleRow(overrides: Partial<CycleRow> = {}): CycleRow {
  return { ...newCycleRow({ id: 7, assetId: 1, status: 'watching', at: T0 }), ...overrides };
}

export function aCycleInput(overrides: Partial<CycleInput> = {}): CycleInput {
  return {
    asset: anAsset(),
    rules: someRules(),
    cycle: aCycleRow(),
    previousCompletedAt: null,
    feeRate: dec('0.0025'),
    now: T0,
    installationId: INSTALLATION_ID,
    ...overrides,
  };
}

export function anOrder(overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    id: 'order-1',
    clientOrderId: cid('7-base-1'),
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'limit',
    status: 'filled',
    qty: null,
    notional: null,
    limitPrice: null,
    filledQty: ZERO,
    filledAvgPrice: null,
    timeInForce: 'gtc',
    createdAt: T0,
    updatedAt: null,
    filledAt: null,
    ...overrides,
  };
}

/** An order that ended with `filledQty` filled at `price` (a partial fill when status is not filled). */
export function filledOrder(
  clientOrderId: string,
  filledQty: Decimal | string,
  price: Decimal | string,
  overrides: Partial<OrderSnapshot> = {},
): OrderSnapshot {
  return anOrder({
    clientOrderId,
    id: `alpaca-${clientOrderId}`,
    filledQty: dec(filledQty),
    filledAvgPrice: dec(filledQty).gt(0) ? dec(price) : null,
    ...overrides,
  });
}

export function quote(bid: string | Decimal, ask: string | Decimal, when: Date = T0) {
  return { type: 'QUOTE' as const, bid: dec(bid), ask: dec(ask), at: when };
}

/** A started cycle actor and every intent it emitted, in order. */
export function startCycle(input: CycleInput = aCycleInput()) {
  const actor = createActor(cycleMachine, { input });
  const intents: CycleIntent[] = [];
  actor.on('*', (intent) => {
    intents.push(intent);
  });
  actor.start();
  const ofType = <T extends CycleIntent['type']>(type: T) =>
    intents.filter((i): i is Extract<CycleIntent, { type: T }> => i.type === type);
  return {
    actor,
    intents,
    ofType,
    context: () => actor.getSnapshot().context,
    state: () => actor.getSnapshot().value,
  };
}

/**
 * Named event variants for the model-based test. A variant is computed from a snapshot's context
 * (the quote that hits the safety trigger, a fill of the order in flight, a tick past the cooldown),
 * so the same variant means the same thing on the model's snapshot and on a live actor.
 */
export type Variant =
  | 'quote:bad'
  | 'quote:plain'
  | 'quote:safety'
  | 'quote:take-profit'
  | 'quote:stop-loss'
  | 'quote:new-peak'
  | 'quote:pullback'
  | 'quote:early-restart'
  | 'tick:soon'
  | 'tick:recheck'
  | 'tick:cooldown-early'
  | 'tick:cooldown-over'
  | 'position:found'
  | 'position:dust'
  | 'position:none'
  | 'position:missing'
  | 'submitted'
  | 'submitted:foreign'
  | 'submit-failed:ambiguous'
  | 'submit-failed:definitive'
  | 'submit-failed:rate-limited'
  | 'submit-failed:gate-closed'
  | 'tick:gate-open'
  | 'tick:grace'
  | 'tick:backoff-over'
  | 'partial'
  | 'filled'
  | 'filled:foreign'
  | 'canceled:unfilled'
  | 'canceled:partial'
  | 'rejected'
  | 'expired:partial'
  | 'reconciled:none'
  | 'reconciled:filled'
  | 'reconciled:canceled-partial'
  | 'reconciled:open'
  | 'config:strict'
  | 'config:normal'
  | 'disable'
  | 'enable'
  | 'take-profit-now';

const COMMON: Variant[] = ['quote:bad', 'quote:plain', 'tick:soon', 'disable', 'enable'];
const ORDER_VARIANTS: Variant[] = [
  'submitted',
  'submitted:foreign',
  'submit-failed:ambiguous',
  'submit-failed:definitive',
  'submit-failed:rate-limited',
  'submit-failed:gate-closed',
  'partial',
  'filled',
  'filled:foreign',
  'canceled:unfilled',
  'canceled:partial',
  'rejected',
  'expired:partial',
  'reconciled:none',
  'reconciled:filled',
  'reconciled:canceled-partial',
  'reconciled:open',
];

export function variantsFor(snapshot: CycleSnapshot): Variant[] {
  const { ledger, positionCheck, asset, backoff, inFlight, gateClosed } = snapshot.context;
  switch (snapshot.value) {
    case 'watching':
      return [
        ...COMMON,
        ...(ledger.lastOrderFillPrice ? (['quote:safety'] as const) : []),
        ...(ledger.averagePurchasePrice.gt(0) ? (['quote:take-profit'] as const) : []),
        ...(ledger.averagePurchasePrice.gt(0) && asset.stopLossPercent ? (['quote:stop-loss'] as const) : []),
        ...(ledger.ttpPeakPrice ? (['quote:new-peak', 'quote:pullback'] as const) : []),
        ...(positionCheck ? (['tick:recheck'] as const) : []),
        ...(backoff ? (['tick:backoff-over'] as const) : []),
        ...(gateClosed ? (['tick:gate-open'] as const) : []),
        'position:found',
        'position:dust',
        'position:none',
        'position:missing',
        'config:strict',
        'config:normal',
        'take-profit-now',
      ];
    case 'cooldown':
      return [
        ...COMMON.filter((v) => v !== 'tick:soon'),
        ...(asset.lastSellPrice ? (['quote:early-restart'] as const) : []),
        ...(snapshot.context.previousCompletedAt ? (['tick:cooldown-early'] as const) : []),
        'tick:cooldown-over',
        'config:strict',
        'config:normal',
      ];
    case 'buying':
    case 'selling':
      return [...COMMON, ...ORDER_VARIANTS, ...(inFlight?.notFoundSince ? (['tick:grace'] as const) : [])];
    default:
      return [];
  }
}

const STRICT_RULES = someRules({ minOrderSize: dec('1') });

function later(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

/** The concrete event a variant stands for in this snapshot. */
export function variantEvent(variant: Variant, snapshot: CycleSnapshot): CycleEvent {
  const c = snapshot.context;
  const { ledger, inFlight } = c;
  const since = c.positionCheck?.since ?? c.now;
  const cooldownEnd = c.previousCompletedAt ? later(c.previousCompletedAt, c.asset.cooldownPeriod) : c.now;
  const priceQuote = (bid: Decimal, ask: Decimal) => ({ type: 'QUOTE' as const, bid, ask, at: c.now });
  const orderQty = inFlight?.qty ?? (inFlight?.side === 'sell' ? ledger.quantity : dec('0.0003'));
  const price = inFlight?.limitPrice ?? c.quote?.bid ?? dec('60000');
  const ours = (filled: Decimal, status: string): OrderSnapshot =>
    filledOrder(inFlight?.clientOrderId ?? cid('7-base-1'), filled, price, {
      id: inFlight?.orderId ?? `alpaca-${inFlight?.clientOrderId}`,
      side: inFlight?.side ?? 'buy',
      status,
    });
  const half = orderQty.div(2);
  switch (variant) {
    case 'quote:bad':
      return priceQuote(dec('60010'), dec('60000'));
    case 'quote:plain':
      return priceQuote(dec('59990'), dec('60000'));
    case 'quote:safety': {
      const trigger = safetyTriggerPrice(
        ledger.lastOrderFillPrice ?? dec('60000'),
        safetyOrderDeviationOf(c.asset, ledger.safetyOrders + 1),
      );
      return priceQuote(trigger.minus(1), trigger);
    }
    case 'quote:take-profit': {
      const target = takeProfitPrice(ledger.averagePurchasePrice, c.asset.takeProfitPercent);
      return priceQuote(target, target.plus(10));
    }
    case 'quote:stop-loss': {
      const stop = stopLossPrice(ledger.averagePurchasePrice, c.asset.stopLossPercent ?? dec('5'));
      return priceQuote(stop, stop.plus(10));
    }
    case 'quote:new-peak': {
      const peak = (ledger.ttpPeakPrice ?? dec('60000')).plus(10);
      return priceQuote(peak, peak.plus(10));
    }
    case 'quote:pullback': {
      const trail = trailingStopPrice(
        ledger.ttpPeakPrice ?? dec('60000'),
        c.asset.ttpDeviationPercent ?? dec('0.5'),
      );
      return priceQuote(trail, trail.plus(10));
    }
    case 'quote:early-restart': {
      const restart = earlyRestartPrice(
        c.asset.lastSellPrice ?? dec('60600'),
        c.asset.buyOrderPriceDeviationPercent,
      );
      return priceQuote(restart.minus(10), restart);
    }
    case 'tick:soon':
      return { type: 'TICK', now: new Date(Math.max(c.now.getTime(), later(since, 60).getTime())) };
    case 'tick:recheck':
      return { type: 'TICK', now: new Date(Math.max(c.now.getTime(), later(since, 300).getTime())) };
    case 'tick:grace': {
      const since = inFlight?.notFoundSince ?? c.now;
      return {
        type: 'TICK',
        now: new Date(Math.max(c.now.getTime(), since.getTime() + c.policy.lookupGraceMs)),
      };
    }
    case 'tick:backoff-over': {
      const until = c.backoff?.until ?? c.now;
      return { type: 'TICK', now: new Date(Math.max(c.now.getTime(), until.getTime())) };
    }
    case 'tick:cooldown-early':
      return { type: 'TICK', now: new Date(Math.max(c.now.getTime(), later(cooldownEnd, -1).getTime())) };
    case 'tick:cooldown-over':
      return { type: 'TICK', now: new Date(Math.max(c.now.getTime(), cooldownEnd.getTime())) };
    case 'position:found':
      return { type: 'POSITION_FOUND', qty: dec('1'), qtyAvailable: dec('1') };
    case 'position:dust':
      return { type: 'POSITION_FOUND', qty: dec('0.00005'), qtyAvailable: dec('0.00005') };
    case 'position:none':
      return { type: 'POSITION_NONE' };
    case 'take-profit-now':
      return { type: 'TAKE_PROFIT_NOW' };
    case 'position:missing':
      return { type: 'POSITION_MISSING' };
    case 'submitted':
      return {
        type: 'ORDER_SUBMITTED',
        clientOrderId: inFlight?.clientOrderId ?? '',
        orderId: `alpaca-${inFlight?.clientOrderId}`,
      };
    case 'submitted:foreign':
      return { type: 'ORDER_SUBMITTED', clientOrderId: cid('99-base-1'), orderId: 'foreign' };
    case 'submit-failed:ambiguous':
    case 'submit-failed:definitive':
    case 'submit-failed:rate-limited':
    case 'submit-failed:gate-closed':
      return {
        type: 'ORDER_SUBMIT_FAILED',
        clientOrderId: inFlight?.clientOrderId ?? '',
        ambiguous: variant === 'submit-failed:ambiguous',
        reason: 'test',
        ...(variant === 'submit-failed:rate-limited' ? { rateLimited: true } : {}),
        ...(variant === 'submit-failed:gate-closed' ? { gateClosed: true } : {}),
      };
    case 'tick:gate-open':
      return { type: 'TICK', now: c.now, ordersOpen: true };
    case 'partial':
      return { type: 'ORDER_PARTIALLY_FILLED', order: ours(half, 'partially_filled') };
    case 'filled':
      return { type: 'ORDER_FILLED', order: ours(orderQty, 'filled') };
    case 'filled:foreign':
      return { type: 'ORDER_FILLED', order: filledOrder(cid('99-base-1'), '1', '60000', { id: 'foreign' }) };
    case 'canceled:unfilled':
      return { type: 'ORDER_CANCELED', order: ours(ZERO, 'canceled') };
    case 'canceled:partial':
      return { type: 'ORDER_CANCELED', order: ours(half, 'canceled') };
    case 'rejected':
      return { type: 'ORDER_REJECTED', order: ours(ZERO, 'rejected') };
    case 'expired:partial':
      return { type: 'ORDER_EXPIRED', order: ours(half, 'expired') };
    case 'reconciled:none':
      return { type: 'RECONCILED', order: null };
    case 'reconciled:filled':
      return { type: 'RECONCILED', order: ours(orderQty, 'filled') };
    case 'reconciled:canceled-partial':
      return { type: 'RECONCILED', order: ours(half, 'canceled') };
    case 'reconciled:open':
      return { type: 'RECONCILED', order: ours(ZERO, 'new') };
    case 'config:strict':
      return { type: 'CONFIG_CHANGED', asset: c.asset, rules: STRICT_RULES };
    case 'config:normal':
      return { type: 'CONFIG_CHANGED', asset: c.asset, rules: someRules() };
    case 'disable':
      return { type: 'DISABLE' };
    case 'enable':
      return { type: 'ENABLE' };
  }
}
