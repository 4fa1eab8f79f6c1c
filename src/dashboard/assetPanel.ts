/**
 * One asset's card on the page: its cycle (from the actor's view and the machine's newest snapshot),
 * the trigger prices against the right side of the quote, unrealized P&L, capital in use, the
 * chart's bars and fills, and which controls apply now.
 */
import type { AssetView } from '../actors/asset.js';
import { worstCaseCapital } from '../cli/assetRows.js';
import type { AssetConfig, AssetRules, CycleStatus } from '../domain.js';
import type { CycleContext } from '../machines/cycleTypes.js';
import { cooldownEndsAt, earlyRestartPrice, triggerPrices } from '../machines/decisions.js';
import { type Decimal, HUNDRED, ONE, ZERO } from '../money.js';
import type { LedgerOrder } from '../store/orders.js';
import type { Bar } from './bars.js';
import { formatPrice, formatQty, usd2 } from './format.js';

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

/** A fill of the open cycle, for the chart's markers. */
export interface FillMarker {
  /** Seconds since the epoch. */
  readonly time: number;
  readonly side: string;
  readonly step: string;
  readonly price: string;
  readonly qty: string;
}

/** The asset's settings as the edit form shows them (the `dca-bot assets set` flags). */
export interface SettingsView {
  readonly base: string;
  readonly safety: string;
  readonly maxSafety: number;
  readonly deviation: string;
  readonly takeProfit: string;
  readonly cooldown: number;
  readonly restartDrop: string;
}

export interface AssetPanel {
  readonly symbol: string;
  /** False for an asset without an actor (disabled and holding nothing): only enabling it is offered. */
  readonly running: boolean;
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
  /** Why there is no next safety trigger while holding, e.g. every safety order is used. */
  readonly nextSafetyNote: string | null;
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
  /** What the open cycle would bring if sold at the bid now (after the sell fee), less what it cost. */
  readonly unrealizedPnl: string | null;
  /** USD the open cycle has committed (cost less proceeds) against the settings' maximum. */
  readonly capitalInUse: string;
  readonly capitalMax: string;
  readonly settings: SettingsView | null;
  readonly bars: readonly Bar[];
  readonly fills: readonly FillMarker[];
  /** Null when the control applies now, else why not (the page greys the button out with it). */
  readonly takeProfitNowBlocked: string | null;
  readonly cancelBlocked: string | null;
}

/** What a card needs besides its asset's view and machine. */
export interface PanelInput {
  readonly now: Date;
  readonly feeRate: Decimal;
  readonly bars: (symbol: string) => readonly Bar[];
}

const NOT_RUNNING = 'the asset is disabled and holds nothing: no actor runs for it';

/** An asset row without an actor: disabled with nothing held (the assets supervisor stopped it). */
export function restingPanel(symbol: string, enabled: boolean): AssetPanel {
  return {
    symbol,
    running: false,
    enabled,
    tradable: false,
    cycleId: null,
    state: enabled ? 'starting' : 'disabled',
    bid: null,
    ask: null,
    quoteAt: null,
    quantity: '0',
    averagePrice: null,
    lastFillPrice: null,
    safetyOrdersUsed: 0,
    safetyOrdersMax: 0,
    nextSafetyNote: null,
    nextSafety: null,
    takeProfit: null,
    trailing: null,
    stopLoss: null,
    earlyRestart: null,
    inFlight: null,
    cooldownEndsAt: null,
    cooldownRemainingSeconds: null,
    unrealizedPnl: null,
    capitalInUse: usd2(ZERO),
    capitalMax: usd2(ZERO),
    settings: null,
    bars: [],
    fills: [],
    takeProfitNowBlocked: NOT_RUNNING,
    cancelBlocked: NOT_RUNNING,
  };
}

function settingsOf(asset: AssetConfig): SettingsView {
  return {
    base: asset.baseOrderAmount.toFixed(),
    safety: asset.safetyOrderAmount.toFixed(),
    maxSafety: asset.maxSafetyOrders,
    deviation: asset.safetyOrderDeviation.toFixed(),
    takeProfit: asset.takeProfitPercent.toFixed(),
    cooldown: asset.cooldownPeriod,
    restartDrop: asset.buyOrderPriceDeviationPercent.toFixed(),
  };
}

export function assetPanel(
  view: AssetView,
  machine: MachineState | undefined,
  input: PanelInput,
  cycleOrders: readonly LedgerOrder[],
): AssetPanel {
  const { now } = input;
  const { asset, rules } = view;
  const ctx = machine?.context;
  const ledger = ctx?.ledger ?? view.cycle;
  const state = machine?.value ?? view.state;
  const quote = view.lastQuote ?? ctx?.quote ?? null;
  const holding = ledger ? ledger.quantity.gt(0) : false;
  const price = (d: Decimal | null | undefined) => (d ? formatPrice(d, rules) : null);

  const safetyUsed = ledger?.safetyOrders ?? 0;
  const prices = holding && ledger ? triggerPrices(asset, ledger) : null;
  const safetyPrice = prices?.safety ?? null;
  const tpPrice = prices?.takeProfit ?? null;
  const peak = holding && asset.ttpEnabled ? (ledger?.ttpPeakPrice ?? null) : null;
  const trailing =
    asset.ttpEnabled && asset.ttpDeviationPercent !== null
      ? {
          deviationPercent: asset.ttpDeviationPercent.toFixed(),
          peak: price(peak),
          sellAt: prices?.trailingStop ? fallTrigger(prices.trailingStop, quote?.bid, rules) : null,
        }
      : null;
  const stopLoss = prices?.stopLoss ? fallTrigger(prices.stopLoss, quote?.bid, rules) : null;
  const inCooldown = (state as CycleStatus) === 'cooldown';
  const endsAt = inCooldown
    ? cooldownEndsAt(ctx?.previousCompletedAt ?? null, ctx?.asset.cooldownPeriod ?? asset.cooldownPeriod)
    : null;
  const lastSell = ctx?.asset.lastSellPrice ?? asset.lastSellPrice;
  const restartPrice =
    inCooldown && lastSell ? earlyRestartPrice(lastSell, asset.buyOrderPriceDeviationPercent) : null;
  const inFlight = ctx?.inFlight ?? null;
  const committed = ledger ? ledger.costBasis.minus(ledger.sellProceeds) : null;
  const unrealized =
    holding && ledger && quote?.bid.gt(0) && committed
      ? ledger.quantity.mul(quote.bid).mul(ONE.minus(input.feeRate)).minus(committed)
      : null;
  const cycleId = view.cycle?.id ?? null;
  const fills = cycleOrders
    .filter((o) => o.cycleId === cycleId && o.filledQty.gt(0) && o.filledAvgPrice !== null)
    .map((o) => ({
      time: Math.floor((o.closedAt ?? o.updatedAt).getTime() / 1000),
      side: o.side,
      step: o.step,
      price: price(o.filledAvgPrice)!,
      qty: formatQty(o.filledQty, rules),
    }))
    .sort((a, b) => a.time - b.time);

  return {
    symbol: asset.symbol,
    running: true,
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
    nextSafetyNote:
      holding && safetyUsed >= asset.maxSafetyOrders
        ? 'all safety orders used — waiting for take-profit'
        : null,
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
    unrealizedPnl: unrealized ? usd2(unrealized) : null,
    capitalInUse: usd2(committed ?? ZERO),
    capitalMax: usd2(worstCaseCapital(asset)),
    settings: settingsOf(asset),
    bars: input.bars(asset.symbol),
    fills,
    takeProfitNowBlocked: takeProfitNowBlocked(state, holding, ctx),
    cancelBlocked: inFlight
      ? inFlight.orderId
        ? null
        : 'the order is not acknowledged by the exchange yet'
      : 'no order in flight',
  };
}

/** Why "take profit now" does not apply (the machine's canTakeProfitNow, said in words), or null. */
function takeProfitNowBlocked(state: string, holding: boolean, ctx: CycleContext | undefined): string | null {
  if (!holding) return 'the cycle holds nothing to sell';
  if (state !== 'watching') return `the cycle is ${state}: cancel the order in flight first`;
  if (ctx?.positionCheck) return 'a position check is under way; try again in a moment';
  return null;
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
