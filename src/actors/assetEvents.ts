/** Translation between the outside world and the cycle machine's events and intents. */
import type { EmittedFrom, EventFrom } from 'xstate';
import type { CycleRow, TradeUpdate } from '../domain.js';
import type { CycleSnapshot, cycleMachine } from '../machines/cycle.js';
import type { Decimal } from '../money.js';
import type { CyclePatch } from '../store/cycles.js';

export type CycleEvent = EventFrom<typeof cycleMachine>;
export type Intent = EmittedFrom<typeof cycleMachine>;

/** The machine event for a trade update, or null for updates that change nothing (new, accepted...). */
export function tradeUpdateToEvent(update: TradeUpdate): CycleEvent | null {
  const order = update.order;
  // The account's position after this execution: the cycle's quantity converges on it.
  const positionQty = update.positionQty;
  switch (update.event) {
    case 'fill':
      return { type: 'ORDER_FILLED', order, positionQty };
    case 'partial_fill':
      return { type: 'ORDER_PARTIALLY_FILLED', order, positionQty };
    case 'canceled':
      return { type: 'ORDER_CANCELED', order };
    case 'expired':
    case 'done_for_day':
      return { type: 'ORDER_EXPIRED', order };
    case 'rejected':
      return { type: 'ORDER_REJECTED', order };
    default:
      return null;
  }
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a === 'object' && typeof b === 'object' && 'eq' in a && typeof a.eq === 'function') {
    return (a as Decimal).eq(b as Decimal);
  }
  return false;
}

/** True when persisting `patch` would change the stored row. */
export function patchChanged(row: CycleRow, patch: CyclePatch): boolean {
  for (const [key, value] of Object.entries(patch)) {
    if (!same(row[key as keyof CycleRow], value)) return true;
  }
  return false;
}

/**
 * True when `b` projects to the same row as `a`: the fields `toCyclePatch` reads are the same
 * references. The machine's updates are pure and keep unchanged context fields by reference, so this
 * answers without building a patch or allocating anything — it runs on every quote.
 */
export function sameRowSources(a: CycleSnapshot | null, b: CycleSnapshot): boolean {
  if (a === null) return false;
  if (a === b) return true;
  const x = a.context;
  const y = b.context;
  return (
    a.value === b.value &&
    x.ledger === y.ledger &&
    x.inFlight === y.inFlight &&
    x.clientOrderId === y.clientOrderId &&
    x.givenUp === y.givenUp &&
    x.completedAt === y.completedAt
  );
}
