/**
 * Deterministic client order ids: `dca-<installation>-<cycleId>-<step>-<attempt>`. Alpaca refuses a
 * reused client_order_id, so resubmitting with the persisted id after a crash or timeout cannot
 * double-buy.
 *
 * The installation id (created once per database by sql/004_installation.sql) is what makes an id
 * this bot's: cycle ids restart when an operator drops and re-creates the database on the same
 * account, so without it the new cycle 1 would reuse `dca-1-base-1`, collide with the old order, and
 * a look-up by client id could adopt the old order's fill. Ids are read against one installation:
 *
 * - `own`: this installation's prefix, or a pre-installation id (`dca-<cycleId>-<step>-<attempt>`,
 *   written before the migration) of a cycle that existed when this database was upgraded in place
 *   (cycle id ≤ `legacyCycleMax`). A database created with the migration has no such cycles, so it
 *   never takes an old pre-installation order for its own.
 * - `foreign`: a dca-bot id that is not ours (another installation's, or a pre-installation id this
 *   database cannot claim). Never adopted, routed, or canceled.
 * - `manual`: anything else; a person placed it. Never touched either.
 */
export const CLIENT_ORDER_ID_PREFIX = 'dca-';

/** `tp` sells at a take-profit (trailing or not), `sl` at a stop-loss. */
export type OrderStep = 'base' | `so${number}` | 'tp' | 'sl';

/** The steps that sell what the cycle holds. */
export function isSellStep(step: OrderStep): boolean {
  return step === 'tp' || step === 'sl';
}

/** Lowercase letters and digits: URL-safe, and never a `-`, which separates the id's parts. */
export const INSTALLATION_ID_PATTERN = /^[0-9a-z]{6,16}$/;

export interface Installation {
  /** The short random id stored in `dca_installation`. */
  readonly id: string;
  /**
   * The highest cycle id that existed when the database was upgraded to installation ids (its
   * pre-installation orders stay its own); null for a database that never had such orders.
   */
  readonly legacyCycleMax: number | null;
}

export interface ClientOrderIdParts {
  readonly cycleId: number;
  readonly step: OrderStep;
  readonly attempt: number;
}

/** The parts of any dca-bot id; `installationId` is null for a pre-installation id. */
export interface AnyClientOrderIdParts extends ClientOrderIdParts {
  readonly installationId: string | null;
}

export type OrderOwner = 'own' | 'foreign' | 'manual';

const PATTERN = /^dca-([0-9a-z]{6,16})-(\d+)-(base|so[1-9]\d*|tp|sl)-([1-9]\d*)$/;
const LEGACY_PATTERN = /^dca-(\d+)-(base|so[1-9]\d*|tp)-([1-9]\d*)$/;

export function formatClientOrderId(installationId: string, parts: ClientOrderIdParts): string {
  return `${CLIENT_ORDER_ID_PREFIX}${installationId}-${parts.cycleId}-${parts.step}-${parts.attempt}`;
}

/**
 * The parts of a dca-bot id whoever placed it; null for an id no dca-bot writes. Only for ids this
 * database itself stored (a cycle row's own id); anything from the exchange goes through
 * `parseClientOrderId` or `orderOwner`.
 */
export function readClientOrderId(id: string | null | undefined): AnyClientOrderIdParts | null {
  if (!id) return null;
  const m = PATTERN.exec(id);
  if (m) {
    return { installationId: m[1]!, cycleId: Number(m[2]), step: m[3] as OrderStep, attempt: Number(m[4]) };
  }
  const legacy = LEGACY_PATTERN.exec(id);
  if (!legacy) return null;
  return {
    installationId: null,
    cycleId: Number(legacy[1]),
    step: legacy[2] as OrderStep,
    attempt: Number(legacy[3]),
  };
}

/** Whose order this is, read against `installation` (see the file comment). */
export function orderOwner(id: string | null | undefined, installation: Installation): OrderOwner {
  const parts = readClientOrderId(id);
  if (parts === null) return 'manual';
  if (parts.installationId !== null) return parts.installationId === installation.id ? 'own' : 'foreign';
  const max = installation.legacyCycleMax;
  return max !== null && parts.cycleId <= max ? 'own' : 'foreign';
}

/** Parses one of this installation's ids; null for another installation's orders and for manual ones. */
export function parseClientOrderId(
  id: string | null | undefined,
  installation: Installation,
): ClientOrderIdParts | null {
  if (orderOwner(id, installation) !== 'own') return null;
  const { installationId: _, ...parts } = readClientOrderId(id)!;
  return parts;
}

/** True for this installation's orders: the only ones the bot adopts, routes or cancels. */
export function isBotOrder(clientOrderId: string | null | undefined, installation: Installation): boolean {
  return orderOwner(clientOrderId, installation) === 'own';
}

/** A dca-bot order placed by another installation (or one this database cannot claim): never touched. */
export function isForeignBotOrder(
  clientOrderId: string | null | undefined,
  installation: Installation,
): boolean {
  return orderOwner(clientOrderId, installation) === 'foreign';
}

/** A pre-installation id (`dca-<cycleId>-<step>-<attempt>`), whoever placed it. */
export function isLegacyClientOrderId(clientOrderId: string | null | undefined): boolean {
  return readClientOrderId(clientOrderId)?.installationId === null;
}

/**
 * The id for the next order of `step`: one past the previous order's attempt when that order belongs
 * to the same cycle, whatever its step; otherwise attempt 1. The counter runs per cycle, not per step,
 * because a step can come back after another one (a canceled `tp`, then `so2`, then `tp` again) and
 * only the cycle's most recent id is persisted: a per-step counter would reissue `tp-1`, which Alpaca
 * and the unique index on client_order_id both refuse. A cycle upgraded mid-way from a
 * pre-installation id continues its counter under the installation prefix.
 *
 * `givenUp` is the cycle's order given up as never accepted (looked up twice a grace period apart,
 * architecture §4): the exchange may still create it late, so the next order of *its* step reuses
 * that exact id and Alpaca refuses the second one as a duplicate instead of taking both. An order of
 * another step moves the counter past it.
 */
export function nextClientOrderId(
  installationId: string,
  cycleId: number,
  step: OrderStep,
  previous: string | null,
  givenUp: string | null = null,
): string {
  const given = readClientOrderId(givenUp);
  if (given && given.cycleId === cycleId && given.step === step) return givenUp!;
  const attempts = [readClientOrderId(previous), given]
    .filter((p): p is AnyClientOrderIdParts => p !== null && p.cycleId === cycleId)
    .map((p) => p.attempt);
  const attempt = attempts.length === 0 ? 1 : Math.max(...attempts) + 1;
  return formatClientOrderId(installationId, { cycleId, step, attempt });
}
