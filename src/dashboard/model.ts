/**
 * The page's data: one plain JSON object built from the asset actors' views, the cycle machines'
 * latest snapshots (from the inspect events), the ledger and the supervisor. Every number is a
 * string formatted here from a Decimal, and only named fields are copied, so nothing the page was
 * not meant to see (config, keys) can reach it.
 */
import type { AssetView } from '../actors/asset.js';
import type { AssetRules, CycleStatus } from '../domain.js';
import type { CycleContext } from '../machines/cycleTypes.js';
import {
  cooldownEndsAt,
  earlyRestartPrice,
  isStopLossArmed,
  safetyOrderDeviationOf,
  safetyTriggerPrice,
  stopLossPrice,
  takeProfitPrice,
  trailingStopPrice,
} from '../machines/decisions.js';
import { type Decimal, HUNDRED } from '../money.js';
import type { ChildStatus } from '../supervisor.js';
import type { LedgerSnapshot } from './queries.js';

/** The live part of a cycle machine's snapshot: its state and context. */
export interface MachineState {
  readonly value: string;
  readonly context: CycleContext;
}

export interface TriggerView {
  readonly price: string;
  /** Which side of the quote it is compared with. */
  readonly against: 'bid' | 'ask';
  /** How far the quote still has to move, in percent (negative once it has crossed). */
  readonly distancePercent: string | null;
}

export interface InFlightView {
  readonly clientOrderId: string;
  readonly orderId: string | null;
  readonly step: string;
  readonly side: string;
  readonly qty: string | null;
  readonly limitPrice: string | null;
  readonly filledQty: string;
  readonly submittedAt: string;
}

export interface AssetPanel {
  readonly symbol: string;
  readonly enabled: boolean;
  readonly tradable: boolean;
  readonly cycleId: number | null;
  readonly state: string;
  readonly bid: string | null;
  readonly ask: string | null;
  readonly quoteAt: string | null;
  readonly quantity: string;
  readonly averagePrice: string | null;
  readonly lastFillPrice: string | null;
  readonly safetyOrdersUsed: number;
  readonly safetyOrdersMax: number;
  readonly nextSafety: TriggerView | null;
  readonly takeProfit: TriggerView | null;
  /** With a trailing take-profit: its deviation (%), and once under way its peak bid and sell price. */
  readonly trailing: {
    readonly deviationPercent: string;
    readonly peak: string | null;
    readonly sellAt: TriggerView | null;
  } | null;
  /** The bid at or below which an armed stop-loss sells. */
  readonly stopLoss: TriggerView | null;
  readonly earlyRestart: TriggerView | null;
  readonly inFlight: InFlightView | null;
  /** ISO time the cooldown ends, or null outside cooldown (the page shows the seconds below, refreshed each second). */
  readonly cooldownEndsAt: string | null;
  readonly cooldownRemainingSeconds: number | null;
}

export interface OrderView {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly step: string;
  readonly side: string;
  readonly type: string;
  readonly status: string;
  readonly qty: string;
  readonly limitPrice: string | null;
  readonly filledQty: string;
  readonly filledAvgPrice: string | null;
  readonly at: string;
}

export interface CyclePnlView {
  readonly cycleId: number;
  readonly symbol: string;
  readonly completedAt: string | null;
  readonly cost: string;
  readonly proceeds: string;
  readonly realizedPnl: string;
}

export interface DashboardState {
  readonly at: string;
  readonly mode: string;
  readonly assets: readonly AssetPanel[];
  readonly orders: readonly OrderView[];
  readonly pnl: {
    readonly cycles: readonly CyclePnlView[];
    readonly assets: readonly { symbol: string; cycles: number; realizedPnl: string }[];
    readonly total: string;
  };
  readonly supervisor: readonly {
    id: string;
    state: string;
    restarts: number;
    since: string;
    lastError: string | null;
    /** Why a child is parked or idle, and when it is tried again. */
    reason: string | null;
    nextRetryAt: string | null;
  }[];
  /** The ledger part is from this time; null until the first read succeeded. */
  readonly ledgerAt: string | null;
  readonly ledgerError: string | null;
}

export interface ModelInput {
  readonly now: Date;
  readonly mode: string;
  readonly views: readonly AssetView[];
  /** Latest machine state per cycle id. */
  readonly machines: ReadonlyMap<number, MachineState>;
  readonly ledger: LedgerSnapshot | null;
  readonly ledgerAt: Date | null;
  readonly ledgerError: string | null;
  readonly supervisor: readonly ChildStatus[];
}

const USD_DP = 4;

export function buildState(input: ModelInput): DashboardState {
  const { ledger } = input;
  const symbolOf = (assetId: number) =>
    input.views.find((v) => v.asset.id === assetId)?.asset.symbol ?? ledger?.symbols.get(assetId) ?? '?';
  return {
    at: input.now.toISOString(),
    mode: input.mode,
    assets: [...input.views]
      .sort((a, b) => a.asset.symbol.localeCompare(b.asset.symbol))
      .map((v) => assetPanel(v, v.cycle ? input.machines.get(v.cycle.id) : undefined, input.now)),
    orders: (ledger?.orders ?? []).map((o) => ({
      clientOrderId: o.clientOrderId,
      symbol: symbolOf(o.assetId),
      step: o.step,
      side: o.side,
      type: o.orderType,
      status: o.status,
      qty: o.qty.toFixed(),
      limitPrice: o.limitPrice?.toFixed() ?? null,
      filledQty: o.filledQty.toFixed(),
      filledAvgPrice: o.filledAvgPrice?.toFixed() ?? null,
      at: (o.closedAt ?? o.submittedAt ?? o.createdAt).toISOString(),
    })),
    pnl: {
      cycles: (ledger?.cycles ?? []).map((c) => ({
        cycleId: c.id,
        symbol: symbolOf(c.assetId),
        completedAt: c.completedAt?.toISOString() ?? null,
        cost: usd(c.costBasis),
        proceeds: usd(c.sellProceeds),
        realizedPnl: usd(c.realizedPnl ?? c.sellProceeds.minus(c.costBasis)),
      })),
      assets: (ledger?.perAsset ?? []).map((a) => ({
        symbol: a.symbol,
        cycles: a.cycles,
        realizedPnl: usd(a.realizedPnl),
      })),
      total: ledger ? usd(ledger.total) : '—',
    },
    supervisor: input.supervisor.map((c) => ({
      id: c.id,
      state: c.state,
      restarts: c.restarts,
      since: c.since.toISOString(),
      lastError: c.lastError ? c.lastError.slice(0, 200) : null,
      reason: c.reason ? c.reason.slice(0, 200) : null,
      nextRetryAt: c.nextRetryAt?.toISOString() ?? null,
    })),
    ledgerAt: input.ledgerAt?.toISOString() ?? null,
    ledgerError: input.ledgerError,
  };
}

function assetPanel(view: AssetView, machine: MachineState | undefined, now: Date): AssetPanel {
  const { asset, rules } = view;
  const ctx = machine?.context;
  const ledger = ctx?.ledger ?? view.cycle;
  const state = machine?.value ?? view.state;
  const quote = view.lastQuote ?? ctx?.quote ?? null;
  const holding = ledger ? ledger.quantity.gt(0) : false;
  const price = (d: Decimal | null | undefined) => (d ? formatPrice(d, rules) : null);

  const safetyUsed = ledger?.safetyOrders ?? 0;
  const safetyPrice =
    holding && ledger?.lastOrderFillPrice && safetyUsed < asset.maxSafetyOrders
      ? safetyTriggerPrice(ledger.lastOrderFillPrice, safetyOrderDeviationOf(asset, safetyUsed + 1))
      : null;
  const tpPrice =
    holding && ledger?.averagePurchasePrice.gt(0)
      ? takeProfitPrice(ledger.averagePurchasePrice, asset.takeProfitPercent)
      : null;
  const peak = holding && asset.ttpEnabled ? (ledger?.ttpPeakPrice ?? null) : null;
  const trailing =
    asset.ttpEnabled && asset.ttpDeviationPercent !== null
      ? {
          deviationPercent: asset.ttpDeviationPercent.toFixed(),
          peak: price(peak),
          sellAt: peak && fallTrigger(trailingStopPrice(peak, asset.ttpDeviationPercent), quote?.bid, rules),
        }
      : null;
  const stopLoss =
    holding && ledger && asset.stopLossPercent !== null && isStopLossArmed(asset, ledger)
      ? fallTrigger(stopLossPrice(ledger.averagePurchasePrice, asset.stopLossPercent), quote?.bid, rules)
      : null;
  const inCooldown = (state as CycleStatus) === 'cooldown';
  const endsAt = inCooldown
    ? cooldownEndsAt(ctx?.previousCompletedAt ?? null, ctx?.asset.cooldownPeriod ?? asset.cooldownPeriod)
    : null;
  const lastSell = ctx?.asset.lastSellPrice ?? asset.lastSellPrice;
  const restartPrice =
    inCooldown && lastSell ? earlyRestartPrice(lastSell, asset.buyOrderPriceDeviationPercent) : null;
  const inFlight = ctx?.inFlight ?? null;

  return {
    symbol: asset.symbol,
    enabled: ctx?.enabled ?? asset.enabled,
    tradable: rules?.tradable ?? false,
    cycleId: view.cycle?.id ?? null,
    state,
    bid: price(quote?.bid),
    ask: price(quote?.ask),
    quoteAt: quote?.at.toISOString() ?? null,
    quantity: ledger ? formatQty(ledger.quantity, rules) : '0',
    averagePrice: holding && ledger ? price(ledger.averagePurchasePrice) : null,
    lastFillPrice: price(ledger?.lastOrderFillPrice),
    safetyOrdersUsed: safetyUsed,
    safetyOrdersMax: asset.maxSafetyOrders,
    nextSafety: safetyPrice && trigger(safetyPrice, quote?.ask, 'ask', rules),
    takeProfit: tpPrice && trigger(tpPrice, quote?.bid, 'bid', rules),
    trailing,
    stopLoss,
    earlyRestart: restartPrice && trigger(restartPrice, quote?.ask, 'ask', rules),
    inFlight: inFlight && {
      clientOrderId: inFlight.clientOrderId,
      orderId: inFlight.orderId,
      step: inFlight.step,
      side: inFlight.side,
      qty: inFlight.qty ? formatQty(inFlight.qty, rules) : null,
      limitPrice: price(inFlight.limitPrice),
      filledQty: formatQty(inFlight.filledQty, rules),
      submittedAt: inFlight.submittedAt.toISOString(),
    },
    cooldownEndsAt: endsAt?.toISOString() ?? null,
    cooldownRemainingSeconds: endsAt
      ? Math.max(0, Math.ceil((endsAt.getTime() - now.getTime()) / 1000))
      : null,
  };
}

/**
 * The trigger and how far the quote is from it. A safety order (and an early restart) fires when
 * the ask falls to the price, a take-profit when the bid rises to it: distance is the move still
 * needed, as a percent of the quote.
 */
function trigger(
  price: Decimal,
  quote: Decimal | undefined,
  against: 'bid' | 'ask',
  rules: AssetRules | null,
): TriggerView {
  const distance = quote?.gt(0)
    ? (against === 'ask' ? quote.minus(price) : price.minus(quote)).div(quote).mul(HUNDRED).toFixed(2)
    : null;
  return { price: formatPrice(price, rules), against, distancePercent: distance };
}

/** A sell the bid sets off by falling to `price` (trailing stop, stop-loss): how far above it the bid is. */
function fallTrigger(price: Decimal, bid: Decimal | undefined, rules: AssetRules | null): TriggerView {
  const distance = bid?.gt(0) ? bid.minus(price).div(bid).mul(HUNDRED).toFixed(2) : null;
  return { price: formatPrice(price, rules), against: 'bid', distancePercent: distance };
}

/** Prices to the asset's price increment (at least cents). */
function formatPrice(value: Decimal, rules: AssetRules | null): string {
  const dp = Math.max(2, rules ? rules.priceIncrement.decimalPlaces() : 2);
  return value.toFixed(dp);
}

/** Quantities to the asset's trade increment, without trailing zeros. */
function formatQty(value: Decimal, rules: AssetRules | null): string {
  const dp = rules ? rules.minTradeIncrement.decimalPlaces() : 9;
  return value.toDecimalPlaces(dp).toFixed();
}

function usd(value: Decimal): string {
  return value.toFixed(USD_DP);
}
