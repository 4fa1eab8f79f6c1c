/**
 * Deterministic client order ids: `dca-<cycleId>-<step>-<attempt>`. Alpaca refuses a reused
 * client_order_id, so resubmitting with the persisted id after a crash or timeout cannot double-buy.
 * The `dca-` prefix is how the bot recognises its own orders; anything else was placed by a person.
 */
export const CLIENT_ORDER_ID_PREFIX = 'dca-';

export type OrderStep = 'base' | `so${number}` | 'tp';

export interface ClientOrderIdParts {
  readonly cycleId: number;
  readonly step: OrderStep;
  readonly attempt: number;
}

const PATTERN = /^dca-(\d+)-(base|so[1-9]\d*|tp)-([1-9]\d*)$/;

export function formatClientOrderId(parts: ClientOrderIdParts): string {
  return `${CLIENT_ORDER_ID_PREFIX}${parts.cycleId}-${parts.step}-${parts.attempt}`;
}

/** Parses a bot client order id; null for anything the bot did not place. */
export function parseClientOrderId(id: string | null | undefined): ClientOrderIdParts | null {
  if (!id) return null;
  const m = PATTERN.exec(id);
  if (!m) return null;
  return { cycleId: Number(m[1]), step: m[2] as OrderStep, attempt: Number(m[3]) };
}

export function isBotOrder(clientOrderId: string | null | undefined): boolean {
  return parseClientOrderId(clientOrderId) !== null;
}

/**
 * The id for the next order of `step`: one past the previous order's attempt when that order belongs
 * to the same cycle, whatever its step; otherwise attempt 1. The counter runs per cycle, not per step,
 * because a step can come back after another one (a canceled `tp`, then `so2`, then `tp` again) and
 * only the cycle's most recent id is persisted: a per-step counter would reissue `tp-1`, which Alpaca
 * and the unique index on client_order_id both refuse.
 */
export function nextClientOrderId(cycleId: number, step: OrderStep, previous: string | null): string {
  const prev = parseClientOrderId(previous);
  const attempt = prev && prev.cycleId === cycleId ? prev.attempt + 1 : 1;
  return formatClientOrderId({ cycleId, step, attempt });
}
