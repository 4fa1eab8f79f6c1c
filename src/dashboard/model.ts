/**
 * The page's data: one plain JSON object built from the asset actors' views, the cycle machines'
 * latest snapshots (from the inspect events), the ledger and the supervisor. Every number is a
 * string formatted here from a Decimal, and only named fields are copied, so nothing the page was
 * not meant to see (config, keys) can reach it.
 */
import type { RecordedAlert } from '../actors/alerts.js';
import type { AssetView } from '../actors/asset.js';
import { worstCaseCapital } from '../cli/assetRows.js';
import type { Account, AssetConfig, AssetRules, CycleStatus } from '../domain.js';
import type { CycleContext } from '../machines/cycleTypes.js';
import {
  cooldownEndsAt,
  earlyRestartPrice,
  safetyTriggerPrice,
  takeProfitPrice,
} from '../machines/decisions.js';
import { type Decimal, HUNDRED, ONE, ZERO } from '../money.js';
import type { LedgerOrder } from '../store/orders.js';
import type { ChildStatus } from '../supervisor.js';
import type { Bar } from './bars.js';
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

export interface AlertView {
  readonly at: string;
  readonly level: string;
  readonly code: string;
  readonly asset: string | null;
  readonly message: string;
}

export interface OrderView {
  readonly clientOrderId: string;
  readonly cycleId: number;
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
  readonly status: string;
  readonly completedAt: string | null;
  readonly cost: string;
  readonly proceeds: string;
  /** Realized P&L; for an error cycle, what it cost (proceeds less cost, never counted as realized). */
  readonly realizedPnl: string;
}

export interface SumView {
  readonly cycles: number;
  readonly realizedPnl: string;
  readonly errorCycles: number;
  readonly errorCost: string;
}

export interface DashboardState {
  readonly at: string;
  readonly mode: string;
  /** Whether the page may offer controls (DASHBOARD_TOKEN set), and if not why. */
  readonly controls: { readonly enabled: boolean; readonly reason: string | null };
  readonly account: {
    readonly cash: string;
    readonly buyingPower: string;
    readonly at: string;
  } | null;
  readonly assets: readonly AssetPanel[];
  readonly orders: readonly OrderView[];
  readonly alerts: readonly AlertView[];
  readonly pnl: {
    readonly cycles: readonly CyclePnlView[];
    readonly assets: readonly ({ symbol: string } & SumView)[];
    readonly days: readonly ({ day: string } & SumView)[];
    readonly total: string;
    readonly errorCost: string;
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
  readonly feeRate: Decimal;
  readonly controls: DashboardState['controls'];
  readonly account: { readonly account: Account; readonly at: Date } | null;
  readonly alerts: readonly RecordedAlert[];
  readonly bars: (symbol: string) => readonly Bar[];
}

const USD_DP = 4;

export function buildState(input: ModelInput): DashboardState {
  const { ledger } = input;
  const symbolOf = (assetId: number) =>
    input.views.find((v) => v.asset.id === assetId)?.asset.symbol ?? ledger?.symbols.get(assetId) ?? '?';
  const running = new Set(input.views.map((v) => v.asset.symbol));
  const resting = (ledger?.perAsset ?? []).filter((a) => !running.has(a.symbol));
  return {
    at: input.now.toISOString(),
    mode: input.mode,
    controls: input.controls,
    account: input.account && {
      cash: usd2(input.account.account.cash),
      buyingPower: usd2(input.account.account.buyingPower),
      at: input.account.at.toISOString(),
    },
    assets: [
      ...input.views.map((v) =>
        assetPanel(v, v.cycle ? input.machines.get(v.cycle.id) : undefined, input, ledger?.cycleOrders ?? []),
      ),
      ...resting.map((a) => restingPanel(a.symbol, a.enabled)),
    ].sort((a, b) => a.symbol.localeCompare(b.symbol)),
    alerts: input.alerts.map((a) => ({
      at: a.at.toISOString(),
      level: a.level,
      code: a.code,
      asset: a.asset ?? null,
      message: a.message.slice(0, 300),
    })),
    orders: (ledger?.orders ?? []).map((o) => ({
      clientOrderId: o.clientOrderId,
      cycleId: o.cycleId,
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
        status: c.status,
        completedAt: c.completedAt?.toISOString() ?? null,
        cost: usd(c.costBasis),
        proceeds: usd(c.sellProceeds),
        realizedPnl: usd(c.realizedPnl ?? c.sellProceeds.minus(c.costBasis)),
      })),
      assets: (ledger?.perAsset ?? []).map((a) => ({ symbol: a.symbol, ...sums(a) })),
      days: (ledger?.perDay ?? []).map((d) => ({ day: d.day, ...sums(d) })),
      total: ledger ? usd(ledger.total) : '—',
      errorCost: ledger ? usd(ledger.errorCost) : '—',
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

function sums(s: { cycles: number; realizedPnl: Decimal; errorCycles: number; errorCost: Decimal }): SumView {
  return {
    cycles: s.cycles,
    realizedPnl: usd(s.realizedPnl),
    errorCycles: s.errorCycles,
    errorCost: usd(s.errorCost),
  };
}

const NOT_RUNNING = 'the asset is disabled and holds nothing: no actor runs for it';

/** An asset row without an actor: disabled with nothing held (the assets supervisor stopped it). */
function restingPanel(symbol: string, enabled: boolean): AssetPanel {
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

function assetPanel(
  view: AssetView,
  machine: MachineState | undefined,
  input: ModelInput,
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
  const safetyPrice =
    holding && ledger?.lastOrderFillPrice && safetyUsed < asset.maxSafetyOrders
      ? safetyTriggerPrice(ledger.lastOrderFillPrice, asset.safetyOrderDeviation)
      : null;
  const tpPrice =
    holding && ledger?.averagePurchasePrice.gt(0)
      ? takeProfitPrice(ledger.averagePurchasePrice, asset.takeProfitPercent)
      : null;
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

/** Dollars and cents, for amounts a trader reads at a glance. */
function usd2(value: Decimal): string {
  return value.toFixed(2);
}
