/**
 * How each named action changes the context, as pure functions of (context, event). The machine's
 * `assign`s call these, so the machine file keeps to states and transitions.
 */
import { nextClientOrderId, type OrderStep, readClientOrderId } from '../clientOrderId.js';
import type { OrderSnapshot } from '../domain.js';
import { type Decimal, ZERO } from '../money.js';
import type {
  CycleContext,
  CycleEvent,
  InFlightOrder,
  PositionCheck,
  VanishedPosition,
} from './cycleTypes.js';
import {
  applySellFill,
  bookBuy,
  buyOrderSize,
  type CycleLedger,
  type Fill,
  nextPeak,
  realizedPnl,
  safetyOrderAmountOf,
  sellFee,
  takeProfitQty,
} from './decisions.js';

type Update = Partial<CycleContext>;

function later(a: Date, b: Date): Date {
  return b.getTime() > a.getTime() ? b : a;
}

export function recordQuote(context: CycleContext, event: CycleEvent): Update {
  if (event.type !== 'QUOTE') return {};
  return { quote: { bid: event.bid, ask: event.ask, at: event.at }, now: later(context.now, event.at) };
}

/** What a TICK tells: the time, and whether the order gate is open when it says so. */
export function recordNow(context: CycleContext, event: CycleEvent): Update {
  if (event.type !== 'TICK') return {};
  const now = later(context.now, event.now);
  return event.ordersOpen === undefined ? { now } : { now, gateClosed: !event.ordersOpen };
}

export function positionCheck(context: CycleContext, check: Omit<PositionCheck, 'since'>): Update {
  return { positionCheck: { ...check, since: context.now } };
}

type NewOrder = Omit<InFlightOrder, 'clientOrderId' | 'postEnded' | 'notFoundSince' | 'recheckAsked'>;

/** A new order: the next id, or the given-up one when it is of the same step (nextClientOrderId). */
function placed(context: CycleContext, order: NewOrder): Update {
  const clientOrderId = nextClientOrderId(
    context.installationId,
    context.cycleId,
    order.step,
    context.clientOrderId,
    context.givenUp,
  );
  const inFlight: InFlightOrder = {
    ...order,
    clientOrderId,
    postEnded: false,
    notFoundSince: null,
    recheckAsked: false,
  };
  return { inFlight, clientOrderId, positionCheck: null, givenUp: null };
}

function placeBuy(
  context: CycleContext,
  step: OrderStep,
  amount: CycleContext['asset']['baseOrderAmount'],
): Update {
  const { limitPrice, qty } = buyOrderSize(amount, context.quote!.ask, context.rules);
  return placed(context, {
    orderId: null,
    step,
    side: 'buy',
    qty,
    limitPrice,
    submittedAt: context.now,
    filledQty: ZERO,
  });
}

/**
 * The base order at the latest quote (guards made sure there is one and it is large enough). The
 * position answer that allowed it (none, or dust) is the cycle's baseline: coin the account held
 * before the cycle bought anything is never the cycle's to sell.
 */
export function placeBaseOrder(context: CycleContext, event?: CycleEvent): Update {
  const update = placeBuy(context, 'base', context.asset.baseOrderAmount);
  if (event?.type !== 'POSITION_FOUND' && event?.type !== 'POSITION_NONE') return update;
  const positionBaseline = event.type === 'POSITION_FOUND' ? event.qty : ZERO;
  if (positionBaseline.eq(context.ledger.positionBaseline)) return update;
  return { ...update, ledger: { ...context.ledger, positionBaseline } };
}

/** Safety order n is sized from its own (volume-scaled) amount. */
export function placeSafetyOrder(context: CycleContext): Update {
  const n = context.ledger.safetyOrders + 1;
  return placeBuy(context, `so${n}`, safetyOrderAmountOf(context.asset, n));
}

/** The trailing take-profit's peak follows the bid up (its first bid starts it). */
export function trackTrailingPeak(context: CycleContext, event: CycleEvent): Update {
  if (event.type !== 'QUOTE') return {};
  const peak = nextPeak(context.ledger.ttpPeakPrice, event.bid);
  return peak === context.ledger.ttpPeakPrice ? {} : { ledger: { ...context.ledger, ttpPeakPrice: peak } };
}

/** Sells everything the position holds for the cycle, at market: `tp` for a take-profit, `sl` for a stop-loss. */
export function placeSell(context: CycleContext, event: CycleEvent, step: 'tp' | 'sl'): Update {
  if (event.type !== 'POSITION_FOUND') return {};
  return placed(context, {
    orderId: null,
    step,
    side: 'sell',
    qty: takeProfitQty(context.ledger, event, context.rules, context.feeRate),
    limitPrice: null,
    submittedAt: context.now,
    filledQty: ZERO,
  });
}

export function recordOrderId(context: CycleContext, event: CycleEvent): Update {
  if (event.type !== 'ORDER_SUBMITTED' || context.inFlight === null) return {};
  return { inFlight: { ...context.inFlight, orderId: event.orderId, postEnded: true, notFoundSince: null } };
}

/** The POST ended without an answer (timeout, reset): from now on a look-up may conclude. */
export function markPostEnded(context: CycleContext): Update {
  return context.inFlight === null ? {} : { inFlight: { ...context.inFlight, postEnded: true } };
}

/** The first look-up after the POST ended found nothing: the grace period starts now. */
export function noteNotFound(context: CycleContext): Update {
  return context.inFlight === null ? {} : { inFlight: { ...context.inFlight, notFoundSince: context.now } };
}

export function markRecheckAsked(context: CycleContext): Update {
  return context.inFlight === null ? {} : { inFlight: { ...context.inFlight, recheckAsked: true } };
}

/**
 * Not found twice a grace period apart: the order counts as never accepted and is no longer waited
 * on, but its id is kept for the next order of its step (a late creation then collides with it).
 */
export function giveUpOrder(context: CycleContext): Update {
  return { givenUp: context.inFlight?.clientOrderId ?? null, inFlight: null };
}

/** Why a cycle fails when its position is gone, by who found it gone. */
export const POSITION_VANISHED: Readonly<Record<VanishedPosition, string>> = {
  sell: 'position vanished before the take-profit',
  sellNow: 'position vanished before the sell now',
  missing: 'the exchange has no position for this cycle',
};

function vanishedPositionOf(context: CycleContext, event: CycleEvent): VanishedPosition | null {
  if (event.type === 'POSITION_MISSING') return 'missing';
  const purpose = context.positionCheck?.purpose;
  return purpose === 'sell' || purpose === 'sellNow' ? purpose : null;
}

/**
 * The cycle's position is gone, and its last sell was given up as never accepted: the exchange may
 * have created it late and sold the position. It is waited on again, as an order whose POST has
 * ended, for one more look-up (`lastLookFor`).
 */
export function lookUpGivenUpSell(context: CycleContext, event: CycleEvent): Update {
  const clientOrderId = context.givenUp;
  const step = readClientOrderId(clientOrderId)?.step;
  const purpose = vanishedPositionOf(context, event);
  if (clientOrderId === null || step === undefined || purpose === null) return {};
  const inFlight: InFlightOrder = {
    clientOrderId,
    orderId: null,
    step,
    side: 'sell',
    qty: null,
    limitPrice: null,
    submittedAt: context.now,
    filledQty: ZERO,
    postEnded: true,
    notFoundSince: null,
    recheckAsked: false,
    lastLookFor: purpose,
  };
  return { inFlight, givenUp: null, positionCheck: null };
}

/** The one more look-up found nothing: the position vanished, as the position question said. */
export function failAfterLastLook(context: CycleContext): Update {
  return failCycle(context, POSITION_VANISHED[context.inFlight?.lastLookFor ?? 'sell']);
}

/** An open order seen over REST or as a partial fill: remember its id and progress, nothing else. */
/**
 * The exchange shows the order a restored row may have sent unrecorded: it is the cycle's order now,
 * and its id the cycle's latest (the next order's attempt follows it). Nothing for any other order.
 */
export function adoptUnrecordedOrder(context: CycleContext): Update {
  const { inFlight } = context;
  if (inFlight?.unrecorded !== true) return {};
  return {
    clientOrderId: inFlight.clientOrderId,
    givenUp: null,
    inFlight: { ...inFlight, unrecorded: false },
  };
}

export function recordOpenOrder(context: CycleContext, event: CycleEvent): Update {
  if (!('order' in event) || event.order === null || context.inFlight === null) return {};
  return {
    inFlight: {
      ...context.inFlight,
      orderId: event.order.id,
      filledQty: event.order.filledQty,
      notFoundSince: null,
    },
  };
}

const REASON_MAX = 255;

/** Why the asset backs off, from the refusal that started or extended the episode. */
function backoffReason(event: CycleEvent): string {
  if (event.type === 'ORDER_SUBMIT_FAILED') {
    return event.rateLimited ? 'rate limited by the exchange (429)' : event.reason.slice(0, REASON_MAX);
  }
  return 'take-profit below the min order size';
}

/** Starts a refusal episode (the first delay) or extends it (twice the last delay, up to the max). */
export function backOff(context: CycleContext, event: CycleEvent): Update {
  const { initialMs, maxMs } = context.policy.backoff;
  const delayMs = context.backoff === null ? initialMs : Math.min(context.backoff.delayMs * 2, maxMs);
  return {
    backoff: {
      until: new Date(context.now.getTime() + delayMs),
      reason: backoffReason(event),
      delayMs,
    },
  };
}

/** The cumulative fill of an order; a fill without any known price cannot be booked and counts as none. */
export function fillOf(order: OrderSnapshot): Fill {
  const avgPrice = order.filledAvgPrice ?? order.limitPrice;
  return avgPrice === null ? { qty: ZERO, avgPrice: ZERO } : { qty: order.filledQty, avgPrice };
}

function eventOrder(event: CycleEvent): OrderSnapshot | null {
  return 'order' in event ? event.order : null;
}

/** The position the exchange reported with a fill's trade update; null when the event has none. */
function positionQtyOf(event: CycleEvent): Decimal | null {
  return 'positionQty' in event && event.positionQty !== undefined ? event.positionQty : null;
}

/** A buy order's final state: booked with the position the exchange reported, when it did (bookBuy). */
export function bookBuyFill(context: CycleContext, event: CycleEvent): Update {
  const order = eventOrder(event);
  if (order === null || context.inFlight === null) return {};
  const isSafety = context.inFlight.step.startsWith('so');
  const fill = fillOf(order);
  const booked = bookBuy(context.ledger, fill, context.feeRate, isSafety, positionQtyOf(event));
  // A buy moves the average, and the take-profit price with it: a trailing take-profit starts over.
  const ledger =
    fill.qty.gt(0) && booked.ledger.ttpPeakPrice !== null
      ? { ...booked.ledger, ttpPeakPrice: null }
      : booked.ledger;
  return {
    ledger,
    inFlight: null,
    lastFee: fill.qty.gt(0) ? { clientOrderId: order.clientOrderId, fee: booked.fee } : context.lastFee,
  };
}

function sellFeeUpdate(context: CycleContext, order: OrderSnapshot, fill: Fill): Update {
  return fill.qty.gt(0)
    ? { lastFee: { clientOrderId: order.clientOrderId, fee: sellFee(fill, context.feeRate) } }
    : {};
}

export function bookSellFill(context: CycleContext, event: CycleEvent): Update {
  const order = eventOrder(event);
  if (order === null) return {};
  const fill = fillOf(order);
  return {
    ledger: applySellFill(context.ledger, fill, context.feeRate),
    inFlight: null,
    ...sellFeeUpdate(context, order, fill),
  };
}

/** The take-profit filled: the cycle is done and its P&L final. */
export function completeCycle(context: CycleContext, event: CycleEvent): Update {
  const order = eventOrder(event);
  if (order === null) return {};
  const fill = fillOf(order);
  const ledger: CycleLedger = applySellFill(context.ledger, fill, context.feeRate);
  return {
    ...sellFeeUpdate(context, order, fill),
    ledger: { ...ledger, realizedPnl: realizedPnl(ledger) },
    inFlight: null,
    sellPrice: order.filledAvgPrice,
    completedAt: order.filledAt ?? order.updatedAt ?? context.now,
  };
}

export function failCycle(context: CycleContext, reason: string): Update {
  return { completedAt: context.now, reason, inFlight: null };
}

/** New settings; switching the trailing take-profit off drops a peak it was following. */
export function applyConfig(context: CycleContext, event: CycleEvent): Update {
  if (event.type !== 'CONFIG_CHANGED') return {};
  const update: Update =
    event.rules === undefined
      ? { asset: event.asset, enabled: event.asset.enabled }
      : { asset: event.asset, rules: event.rules, enabled: event.asset.enabled };
  if (event.asset.ttpEnabled || context.ledger.ttpPeakPrice === null) return update;
  return { ...update, ledger: { ...context.ledger, ttpPeakPrice: null } };
}
