/**
 * The cycle machine's named guards: each answers one question about the context and the event, and
 * leaves the arithmetic to decisions.ts.
 */
import { isSellStep, readClientOrderId } from '../clientOrderId.js';
import type { AssetConfig, CycleStatus, OrderSnapshot } from '../domain.js';
import type { Decimal } from '../money.js';
import type { CycleContext, CycleEvent, InFlightOrder, LatestQuote, PositionPurpose } from './cycleTypes.js';
import {
  buyProblem,
  cooldownExpired,
  earlyRestartPrice,
  isStopLossArmed,
  isValidQuote,
  type SellReason,
  safetyOrderAmountOf,
  safetyOrderDeviationOf,
  safetyTriggerPrice,
  sellProblem,
  stopLossPrice,
  takeProfitPrice,
  takeProfitQty,
  trailingStopPrice,
} from './decisions.js';

/** A blocked or unanswered position question is asked again after this long (seed phase 10's 5 min). */
export const POSITION_RECHECK_MS = 5 * 60 * 1000;

type Args = { context: CycleContext; event: CycleEvent };

/**
 * Trigger prices depend only on a price and a percentage that change with a fill or a settings edit,
 * not with a quote; Decimals are immutable, so the result is cached per (price, percent) pair and a
 * quote that triggers nothing allocates nothing.
 */
function cachedTrigger(
  fn: (price: Decimal, pct: Decimal) => Decimal,
): (price: Decimal, pct: Decimal) => Decimal {
  const cache = new WeakMap<Decimal, WeakMap<Decimal, Decimal>>();
  return (price, pct) => {
    let byPct = cache.get(price);
    if (!byPct) {
      byPct = new WeakMap();
      cache.set(price, byPct);
    }
    let trigger = byPct.get(pct);
    if (!trigger) {
      trigger = fn(price, pct);
      byPct.set(pct, trigger);
    }
    return trigger;
  };
}
const safetyTrigger = cachedTrigger(safetyTriggerPrice);
const takeProfitTrigger = cachedTrigger(takeProfitPrice);
const earlyRestartTrigger = cachedTrigger(earlyRestartPrice);
const trailingTrigger = cachedTrigger(trailingStopPrice);
const stopLossTrigger = cachedTrigger(stopLossPrice);

/**
 * The scaled deviation and amount of safety order `n`, cached per asset config (a settings edit is a
 * new object) so the trigger cache above keeps hitting: a quote that triggers nothing allocates nothing.
 */
const ladders = new WeakMap<AssetConfig, { deviation: Decimal[]; amount: Decimal[] }>();
function ladderOf(asset: AssetConfig) {
  let ladder = ladders.get(asset);
  if (!ladder) {
    ladder = { deviation: [], amount: [] };
    ladders.set(asset, ladder);
  }
  return ladder;
}
function nextSafetyDeviation(context: CycleContext): Decimal {
  const n = context.ledger.safetyOrders + 1;
  const ladder = ladderOf(context.asset);
  ladder.deviation[n] ??= safetyOrderDeviationOf(context.asset, n);
  return ladder.deviation[n]!;
}
function nextSafetyAmount(context: CycleContext): Decimal {
  const n = context.ledger.safetyOrders + 1;
  const ladder = ladderOf(context.asset);
  ladder.amount[n] ??= safetyOrderAmountOf(context.asset, n);
  return ladder.amount[n]!;
}

/** The event's quote, if it is a usable one. */
function validQuote(event: CycleEvent): LatestQuote | null {
  if (event.type !== 'QUOTE' || !isValidQuote(event.bid, event.ask)) return null;
  return event;
}

function orderOf(event: CycleEvent): OrderSnapshot | null {
  return 'order' in event ? event.order : null;
}

/** An order event belongs to the cycle only if it is about the order the cycle waits on. */
export function isOrderOf(inFlight: InFlightOrder | null, order: OrderSnapshot | null): boolean {
  if (inFlight === null || order === null) return false;
  return (
    order.clientOrderId === inFlight.clientOrderId ||
    (inFlight.orderId !== null && order.id === inFlight.orderId)
  );
}

/** Terminal exchange statuses other than `filled`: the order is dead, possibly partly filled. */
const DEAD_UNFILLED = new Set(['canceled', 'expired', 'rejected', 'replaced', 'done_for_day']);

function isHolding(context: CycleContext): boolean {
  return context.ledger.quantity.gt(0);
}

/** Sized as placeBuy sizes it; a base order must also leave a sellable net quantity (decisions.ts). */
function buyFits(amount: Decimal, ask: Decimal, context: CycleContext, role: 'base' | 'safety'): boolean {
  return buyProblem(amount, ask, context.rules, context.feeRate, role) === null;
}

/** The later of the machine's clock and the quote's own time: "now" as this quote sees it. */
function nowFor(context: CycleContext, quote: LatestQuote): number {
  return Math.max(context.now.getTime(), quote.at.getTime());
}

/**
 * Whether an order may be decided on this quote: it is not older than the stale limit, the order
 * gate is not closed, and the asset is not backing off after a refusal.
 */
function mayDecideOn(context: CycleContext, quote: LatestQuote | null): quote is LatestQuote {
  if (quote === null || context.gateClosed) return false;
  const now = nowFor(context, quote);
  if (now - quote.at.getTime() > context.policy.quoteStaleMs) return false;
  return context.backoff === null || now >= context.backoff.until.getTime();
}

/** Not older than the stale limit: a price that may move the trailing peak (a back-off does not matter). */
function isFresh(context: CycleContext, quote: LatestQuote | null): quote is LatestQuote {
  return quote !== null && nowFor(context, quote) - quote.at.getTime() <= context.policy.quoteStaleMs;
}

function isTakeProfitHit(context: CycleContext, quote: LatestQuote): boolean {
  const { ledger, asset } = context;
  return (
    ledger.averagePurchasePrice.gt(0) &&
    quote.bid.gte(takeProfitTrigger(ledger.averagePurchasePrice, asset.takeProfitPercent))
  );
}

/** The bid fell the trailing deviation below the peak of a trailing take-profit under way. */
function isTrailingStopHit(context: CycleContext, quote: LatestQuote): boolean {
  const { ledger, asset } = context;
  return (
    asset.ttpEnabled &&
    asset.ttpDeviationPercent !== null &&
    ledger.ttpPeakPrice !== null &&
    quote.bid.lte(trailingTrigger(ledger.ttpPeakPrice, asset.ttpDeviationPercent))
  );
}

/**
 * The bid fell stop_loss_percent below the average purchase price, and (by default) every safety
 * order is used.
 */
function isStopLossHit(context: CycleContext, quote: LatestQuote): boolean {
  const { ledger, asset } = context;
  if (!isStopLossArmed(asset, ledger) || asset.stopLossPercent === null) return false;
  return quote.bid.lte(stopLossTrigger(ledger.averagePurchasePrice, asset.stopLossPercent));
}

/**
 * Why the cycle should sell everything on this quote, or null: a stop-loss first (it protects the
 * capital), then a trailing take-profit's pullback, then a plain take-profit (only without trailing:
 * with it the take-profit price starts the trailing instead).
 */
export function sellReasonOf(context: CycleContext, quote: LatestQuote): SellReason | null {
  if (isStopLossHit(context, quote)) return 'stop-loss';
  if (isTrailingStopHit(context, quote)) return 'trailing-take-profit';
  if (!context.asset.ttpEnabled && isTakeProfitHit(context, quote)) return 'take-profit';
  return null;
}

/** No sell is being decided yet: an order may be asked for on this quote. */
function maySell(context: CycleContext, quote: LatestQuote | null): quote is LatestQuote {
  return mayDecideOn(context, quote) && isHolding(context) && context.positionCheck === null;
}

/** A look-up answered "no such order" for the order the cycle waits on. */
function notFound(context: CycleContext, event: CycleEvent): InFlightOrder | null {
  return event.type === 'RECONCILED' && event.order === null ? context.inFlight : null;
}

function graceOverAt(inFlight: InFlightOrder | null, now: Date, graceMs: number): boolean {
  return (
    inFlight !== null &&
    inFlight.notFoundSince !== null &&
    now.getTime() >= inFlight.notFoundSince.getTime() + graceMs
  );
}

function isAwaitingPosition(context: CycleContext, purpose: PositionPurpose): boolean {
  return context.positionCheck?.state === 'pending' && context.positionCheck.purpose === purpose;
}

export const cycleGuards = {
  isResumingIn: ({ context }: Args, params: { status: CycleStatus }) =>
    context.resume !== null && !context.resume.orderLost && context.resume.status === params.status,
  isResumingWithLostOrder: ({ context }: Args) => context.resume?.orderLost === true,

  isBadQuote: ({ event }: Args) => event.type === 'QUOTE' && !isValidQuote(event.bid, event.ask),
  isSafetyOrderDue: ({ context, event }: Args) => {
    const quote = validQuote(event);
    const { ledger, asset } = context;
    if (!mayDecideOn(context, quote) || !isHolding(context) || ledger.lastOrderFillPrice === null)
      return false;
    if (ledger.safetyOrders >= asset.maxSafetyOrders) return false;
    return quote.ask.lte(safetyTrigger(ledger.lastOrderFillPrice, nextSafetyDeviation(context)));
  },
  safetyOrderFits: ({ context, event }: Args) =>
    event.type === 'QUOTE' && buyFits(nextSafetyAmount(context), event.ask, context, 'safety'),
  isTakeProfitDue: ({ context, event }: Args) => {
    const quote = validQuote(event);
    return maySell(context, quote) && !context.asset.ttpEnabled && isTakeProfitHit(context, quote);
  },
  isStopLossDue: ({ context, event }: Args) => {
    const quote = validQuote(event);
    return maySell(context, quote) && isStopLossHit(context, quote);
  },
  isTrailingTakeProfitDue: ({ context, event }: Args) => {
    const quote = validQuote(event);
    return maySell(context, quote) && isTrailingStopHit(context, quote);
  },
  /** The bid reached the take-profit price of a cycle that trails: the trailing starts here. */
  isTrailingStartDue: ({ context, event }: Args) => {
    const quote = validQuote(event);
    const { asset, ledger } = context;
    return (
      asset.ttpEnabled &&
      ledger.ttpPeakPrice === null &&
      isFresh(context, quote) &&
      isHolding(context) &&
      isTakeProfitHit(context, quote)
    );
  },
  /** A trailing take-profit under way and a bid above its peak: the peak follows it. */
  isNewTrailingPeak: ({ context, event }: Args) => {
    const quote = validQuote(event);
    const peak = context.ledger.ttpPeakPrice;
    return peak !== null && isFresh(context, quote) && isHolding(context) && quote.bid.gt(peak);
  },
  /**
   * Checked again when the position answer arrives, on the freshest quote the host has fed in: the
   * bid may have moved while the position was being read (back above the trailing or stop price, or
   * below the take-profit price).
   */
  isSellStillDue: ({ context }: Args) =>
    mayDecideOn(context, context.quote) && sellReasonOf(context, context.quote) !== null,
  /** The sell the position answer allows is a stop-loss (step `sl`, with its alert). */
  isStopLossStillDue: ({ context }: Args) =>
    mayDecideOn(context, context.quote) && sellReasonOf(context, context.quote) === 'stop-loss',
  isBaseOrderDue: ({ context, event }: Args) =>
    mayDecideOn(context, validQuote(event)) &&
    !isHolding(context) &&
    context.enabled &&
    context.positionCheck === null,
  baseOrderFitsQuote: ({ context, event }: Args) =>
    event.type === 'QUOTE' && buyFits(context.asset.baseOrderAmount, event.ask, context, 'base'),

  isAwaitingBasePosition: ({ context }: Args) => isAwaitingPosition(context, 'base'),
  isAwaitingSellPosition: ({ context }: Args) => isAwaitingPosition(context, 'sell'),
  isAwaitingSellNowPosition: ({ context }: Args) => isAwaitingPosition(context, 'sellNow'),
  /**
   * The cycle's last order was a sell given up as never accepted: created late, it may be what
   * emptied a position found gone.
   */
  isLastSellGivenUp: ({ context }: Args) => {
    const step = readClientOrderId(context.givenUp)?.step;
    return step !== undefined && isSellStep(step);
  },
  /**
   * A sell now needs coin to sell, no position question already out (it would answer both) and an
   * open order gate (no order is decided while it is closed).
   */
  canTakeProfitNow: ({ context }: Args) =>
    isHolding(context) && context.positionCheck === null && !context.gateClosed,
  isDustPosition: ({ context, event }: Args) =>
    event.type === 'POSITION_FOUND' && event.qty.lt(context.rules.minOrderSize),
  /**
   * Checked again when the position answer arrives: the asset may have been disabled meanwhile, and
   * the order is sized on the freshest quote, which must not be stale.
   */
  canPlaceBaseOrder: ({ context }: Args) =>
    context.enabled &&
    mayDecideOn(context, context.quote) &&
    buyFits(context.asset.baseOrderAmount, context.quote.ask, context, 'base'),
  sellFits: ({ context, event }: Args) =>
    event.type === 'POSITION_FOUND' &&
    sellProblem(
      takeProfitQty(context.ledger, event, context.rules, context.feeRate),
      context.quote?.bid ?? null,
      context.rules,
    ) === null,
  isHolding: ({ context }: Args) => isHolding(context),
  isPositionRecheckDue: ({ context, event }: Args) =>
    event.type === 'TICK' &&
    context.positionCheck !== null &&
    event.now.getTime() >= context.positionCheck.since.getTime() + POSITION_RECHECK_MS,

  hasCooldownExpired: ({ context, event }: Args) =>
    event.type === 'TICK' &&
    cooldownExpired(context.previousCompletedAt, context.asset.cooldownPeriod, event.now),
  isEarlyRestartDue: ({ context, event }: Args) => {
    const quote = validQuote(event);
    const { lastSellPrice, buyOrderPriceDeviationPercent } = context.asset;
    if (quote === null || lastSellPrice === null) return false;
    return quote.ask.lte(earlyRestartTrigger(lastSellPrice, buyOrderPriceDeviationPercent));
  },

  /** This incarnation's POST answered; an order only looked for was never POSTed by it. */
  isInFlightSubmission: ({ context, event }: Args) =>
    (event.type === 'ORDER_SUBMITTED' || event.type === 'ORDER_SUBMIT_FAILED') &&
    context.inFlight?.clientOrderId === event.clientOrderId &&
    context.inFlight.unrecorded !== true,
  isAmbiguousFailure: ({ event }: Args) => event.type === 'ORDER_SUBMIT_FAILED' && event.ambiguous,
  /** The closed order gate kept the order home: nothing was sent, so nothing was refused. */
  isGateRefusal: ({ event }: Args) => event.type === 'ORDER_SUBMIT_FAILED' && event.gateClosed === true,
  isInFlightOrder: ({ context, event }: Args) => isOrderOf(context.inFlight, orderOf(event)),
  /** The order in flight is only looked for: a restored row may have sent it unrecorded. */
  isLookingForUnrecordedOrder: ({ context }: Args) => context.inFlight?.unrecorded === true,
  /** The one more look-up of a given-up sell, made because the position vanished, found nothing. */
  isLastLookMiss: ({ context, event }: Args) => notFound(context, event)?.lastLookFor !== undefined,
  /** Nothing found while this incarnation's POST is unanswered: the exchange may not have it yet. */
  isLookupBeforePostEnded: ({ context, event }: Args) => notFound(context, event)?.postEnded === false,
  /** The first look-up after the POST ended found nothing: wait a grace period and look again. */
  isFirstNotFound: ({ context, event }: Args) => {
    const inFlight = notFound(context, event);
    return inFlight?.postEnded === true && inFlight.notFoundSince === null;
  },
  /** Found nothing again a grace period after the first miss: the order was never accepted. */
  isNotFoundAfterGrace: ({ context, event }: Args) =>
    graceOverAt(notFound(context, event), context.now, context.policy.lookupGraceMs),
  isLookupRecheckDue: ({ context, event }: Args) =>
    event.type === 'TICK' &&
    context.inFlight?.recheckAsked === false &&
    graceOverAt(context.inFlight, event.now, context.policy.lookupGraceMs),
  /** A refusal episode is under way: a further refusal extends it without another alert. */
  isInRefusalEpisode: ({ context }: Args) => context.backoff !== null,
  isReconciledOpen: ({ context, event }: Args) => {
    const order = orderOf(event);
    return (
      isOrderOf(context.inFlight, order) && order!.status !== 'filled' && !DEAD_UNFILLED.has(order!.status)
    );
  },
  isReconciledFilled: ({ context, event }: Args) => {
    const order = orderOf(event);
    return isOrderOf(context.inFlight, order) && order!.status === 'filled';
  },
  isReconciledDead: ({ context, event }: Args) => {
    const order = orderOf(event);
    return isOrderOf(context.inFlight, order) && DEAD_UNFILLED.has(order!.status);
  },
};
