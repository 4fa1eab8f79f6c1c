/**
 * Builders for cycle machine tests: an asset like the seed's README example (BTC/USD, $20 orders,
 * 1.5% safety deviation, 1% take profit), its rules, a fresh cycle row, order snapshots, and a
 * started actor that records every emitted intent.
 */
import { createActor } from 'xstate';
import type { AssetConfig, AssetRules, CycleRow, OrderSnapshot } from '../../src/domain.js';
import { type CycleInput, type CycleIntent, cycleMachine } from '../../src/machines/cycle.js';
import { type Decimal, dec, ZERO } from '../../src/money.js';

export const T0 = new Date('2026-01-01T00:00:00.000Z');

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
    ...overrides,
  };
}

export function aCycleRow(overrides: Partial<CycleRow> = {}): CycleRow {
  return {
    id: 7,
    assetId: 1,
    status: 'watching',
    quantity: ZERO,
    averagePurchasePrice: ZERO,
    safetyOrders: 0,
    latestOrderId: null,
    lastOrderFillPrice: null,
    completedAt: null,
    createdAt: T0,
    updatedAt: T0,
    clientOrderId: null,
    boughtQuantity: ZERO,
    costBasis: ZERO,
    sellProceeds: ZERO,
    realizedPnl: null,
    version: 0,
    ...overrides,
  };
}

export function aCycleInput(overrides: Partial<CycleInput> = {}): CycleInput {
  return {
    asset: anAsset(),
    rules: someRules(),
    cycle: aCycleRow(),
    previousCompletedAt: null,
    feeRate: dec('0.0025'),
    now: T0,
    ...overrides,
  };
}

export function anOrder(overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    id: 'order-1',
    clientOrderId: 'dca-7-base-1',
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
