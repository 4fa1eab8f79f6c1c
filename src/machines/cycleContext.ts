/**
 * From a persisted dca_cycles row to the machine's context, and back to the columns the host writes.
 */
import { isSellStep, nextClientOrderId, type OrderStep, readClientOrderId } from '../clientOrderId.js';
import type { CycleRow, CycleStatus } from '../domain.js';
import { ZERO } from '../money.js';
import {
  type Backoff,
  type CycleContext,
  type CycleInput,
  type CycleOutput,
  type CyclePatchFromMachine,
  type InFlightOrder,
  ORDER_POLICY_DEFAULTS,
  type OrderPolicy,
  type ResumePlan,
} from './cycleTypes.js';
import type { CycleLedger } from './decisions.js';

/** A cycle row that holds nothing and has ordered nothing yet, as a new dca_cycles row starts. */
export function newCycleRow(fields: {
  readonly id: number;
  readonly assetId: number;
  readonly status: CycleStatus;
  readonly at: Date;
}): CycleRow {
  return {
    id: fields.id,
    assetId: fields.assetId,
    status: fields.status,
    quantity: ZERO,
    averagePurchasePrice: ZERO,
    safetyOrders: 0,
    latestOrderId: null,
    lastOrderFillPrice: null,
    ttpPeakPrice: null,
    completedAt: null,
    createdAt: fields.at,
    updatedAt: fields.at,
    clientOrderId: null,
    boughtQuantity: ZERO,
    positionBaseline: ZERO,
    costBasis: ZERO,
    sellProceeds: ZERO,
    realizedPnl: null,
    backoffUntil: null,
    backoffReason: null,
    givenUpClientOrderId: null,
    version: 0,
  };
}

export function ledgerOf(row: CycleRow): CycleLedger {
  return {
    quantity: row.quantity,
    averagePurchasePrice: row.averagePurchasePrice,
    boughtQuantity: row.boughtQuantity,
    costBasis: row.costBasis,
    sellProceeds: row.sellProceeds,
    realizedPnl: row.realizedPnl,
    safetyOrders: row.safetyOrders,
    lastOrderFillPrice: row.lastOrderFillPrice,
    ttpPeakPrice: row.ttpPeakPrice,
    positionBaseline: row.positionBaseline,
  };
}

/**
 * A row persisted in buying/selling was written ahead of its POST, so its client order id names the
 * order (and its step); the Alpaca id is there only if the POST answered. The host reconciles it.
 */
export function inFlightFromRow(row: CycleRow): InFlightOrder | null {
  if (row.status !== 'buying' && row.status !== 'selling') return null;
  // The row's own id (this database wrote it), in either format: a cycle upgraded in place mid-order
  // still has its pre-installation id in flight.
  const parts = readClientOrderId(row.clientOrderId);
  if (parts === null || parts.cycleId !== row.id) return null;
  const step: OrderStep = parts.step;
  return {
    clientOrderId: row.clientOrderId!,
    orderId: row.latestOrderId,
    step,
    side: isSellStep(step) ? 'sell' : 'buy',
    qty: null,
    limitPrice: null,
    submittedAt: row.updatedAt,
    filledQty: ZERO,
    // The POST that wrote this row belongs to an instance that has ended: a look-up may conclude.
    postEnded: true,
    notFoundSince: null,
    recheckAsked: false,
  };
}

/**
 * The one order a restored row may have sent unrecorded: a safety order POSTs while its write-ahead
 * commits, so a row in watching that holds coin may have decided `so<k+1>` (k its safety orders) with
 * the id that follows its own (or the given-up id it reuses), and lost the COMMIT (architecture §4).
 * Rebuilt exactly as that write-ahead would have stored it, marked unrecorded; its POST has ended
 * with its process or actor.
 */
export function unrecordedSafetyOrder(input: CycleInput): InFlightOrder | null {
  const { cycle } = input;
  if (!input.lookForUnrecordedOrder || cycle.status !== 'watching' || !cycle.quantity.gt(ZERO)) return null;
  const step: OrderStep = `so${cycle.safetyOrders + 1}`;
  return {
    clientOrderId: nextClientOrderId(
      input.installationId,
      cycle.id,
      step,
      cycle.clientOrderId,
      cycle.givenUpClientOrderId,
    ),
    orderId: null,
    step,
    side: 'buy',
    qty: null,
    limitPrice: null,
    submittedAt: cycle.updatedAt,
    filledQty: ZERO,
    postEnded: true,
    notFoundSince: null,
    recheckAsked: false,
    unrecorded: true,
  };
}

/** A persisted back-off resumes where it was; its delay restarts from the first step. */
function backoffFromRow(row: CycleRow, policy: OrderPolicy): Backoff | null {
  if (row.backoffUntil === null) return null;
  return {
    until: row.backoffUntil,
    reason: row.backoffReason ?? 'refused',
    delayMs: policy.backoff.initialMs,
  };
}

function resumePlan(row: CycleRow, inFlight: InFlightOrder | null): ResumePlan | null {
  const waitsOnOrder = row.status === 'buying' || row.status === 'selling';
  if (waitsOnOrder && inFlight === null) return { status: 'watching', orderLost: true };
  return row.status === 'watching' ? null : { status: row.status, orderLost: false };
}

export function initialContext(input: CycleInput): CycleContext {
  const { cycle } = input;
  const unrecorded = unrecordedSafetyOrder(input);
  const inFlight = unrecorded ?? inFlightFromRow(cycle);
  const policy = input.policy ?? ORDER_POLICY_DEFAULTS;
  return {
    cycleId: cycle.id,
    installationId: input.installationId,
    asset: input.asset,
    rules: input.rules,
    feeRate: input.feeRate,
    enabled: input.asset.enabled,
    now: input.now,
    previousCompletedAt: input.previousCompletedAt,
    previousLeftover: input.previousLeftover ?? ZERO,
    quote: null,
    ledger: ledgerOf(cycle),
    clientOrderId: cycle.clientOrderId,
    givenUp: cycle.givenUpClientOrderId,
    inFlight,
    positionCheck: null,
    lastFee: null,
    backoff: backoffFromRow(cycle, policy),
    gateClosed: false,
    policy,
    completedAt: cycle.completedAt,
    sellPrice: null,
    reason: null,
    resume: unrecorded ? { status: 'buying', orderLost: false } : resumePlan(cycle, inFlight),
  };
}

/**
 * The projection the host compares and persists; `latestOrderId` is the in-flight order's id. An
 * order only looked for (unrecorded) is not the row's yet: the row stays as stored, in watching.
 */
export function cyclePatchOf(status: CycleStatus, context: CycleContext): CyclePatchFromMachine {
  const { ledger } = context;
  const lookingFor = context.inFlight?.unrecorded === true;
  return {
    status: lookingFor ? 'watching' : status,
    quantity: ledger.quantity,
    averagePurchasePrice: ledger.averagePurchasePrice,
    boughtQuantity: ledger.boughtQuantity,
    costBasis: ledger.costBasis,
    sellProceeds: ledger.sellProceeds,
    realizedPnl: ledger.realizedPnl,
    safetyOrders: ledger.safetyOrders,
    latestOrderId: lookingFor ? null : (context.inFlight?.orderId ?? null),
    clientOrderId: context.clientOrderId,
    lastOrderFillPrice: ledger.lastOrderFillPrice,
    ttpPeakPrice: ledger.ttpPeakPrice,
    positionBaseline: ledger.positionBaseline,
    completedAt: context.completedAt,
    backoffUntil: context.backoff?.until ?? null,
    backoffReason: context.backoff?.reason ?? null,
    givenUpClientOrderId: context.givenUp,
  };
}

/** What a finished cycle tells the host: how it ended and which status the next cycle starts in. */
export function outputOf(status: 'complete' | 'error', context: CycleContext): CycleOutput {
  const output: CycleOutput = {
    status,
    completedAt: context.completedAt ?? context.now,
    sellPrice: status === 'complete' ? context.sellPrice : null,
    realizedPnl: status === 'complete' ? context.ledger.realizedPnl : null,
    nextStatus: status === 'complete' ? 'cooldown' : 'watching',
  };
  return context.reason === null ? output : { ...output, reason: context.reason };
}
