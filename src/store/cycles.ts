/**
 * `dca_cycles`: one writer per cycle (its asset actor), and every update names the version it
 * read, so an older actor or a stray writer fails loudly (StaleWriteError) instead of overwriting.
 */
import { CYCLE_STATUSES, type CycleRow, type CycleStatus, TERMINAL_STATUSES } from '../domain.js';
import { DcaError, StaleWriteError } from '../errors.js';
import { Decimal, toPlain, ZERO } from '../money.js';
import { setLastSellPrice } from './assets.js';
import { checkFits, DECIMAL_COLUMNS } from './columns.js';
import { execute, type Pool, type Queryable, selectRows, withTransaction } from './db.js';
import { date, dateOrNull, decimal, decimalOrNull, num, type Row, text, textOrNull } from './rows.js';

export type CyclePatch = Partial<Omit<CycleRow, 'id' | 'assetId' | 'createdAt' | 'updatedAt' | 'version'>>;

/** CyclePatch field → column. */
const PATCH_COLUMNS: { readonly [K in keyof Required<CyclePatch>]: string } = {
  status: 'status',
  quantity: 'quantity',
  averagePurchasePrice: 'average_purchase_price',
  safetyOrders: 'safety_orders',
  latestOrderId: 'latest_order_id',
  lastOrderFillPrice: 'last_order_fill_price',
  ttpPeakPrice: 'ttp_peak_price',
  completedAt: 'completed_at',
  clientOrderId: 'client_order_id',
  boughtQuantity: 'bought_quantity',
  positionBaseline: 'position_baseline',
  costBasis: 'cost_basis',
  sellProceeds: 'sell_proceeds',
  realizedPnl: 'realized_pnl',
  backoffUntil: 'backoff_until',
  backoffReason: 'backoff_reason',
  givenUpClientOrderId: 'given_up_client_order_id',
};

const COLUMNS = `id, asset_id, status, quantity, average_purchase_price, safety_orders, latest_order_id,
  last_order_fill_price, completed_at, created_at, updated_at, client_order_id, bought_quantity, cost_basis,
  sell_proceeds, realized_pnl, backoff_until, backoff_reason, version, position_baseline, ttp_peak_price,
  given_up_client_order_id`;

export function parseCycleRow(row: Row): CycleRow {
  const status = String(row['status']);
  if (!(CYCLE_STATUSES as readonly string[]).includes(status)) {
    throw new DcaError(
      'INVARIANT',
      `cycle ${String(row['id'])} has unknown status ${JSON.stringify(status)}`,
    );
  }
  return {
    id: num(row, 'id'),
    assetId: num(row, 'asset_id'),
    status: status as CycleStatus,
    quantity: decimal(row, 'quantity'),
    averagePurchasePrice: decimal(row, 'average_purchase_price'),
    safetyOrders: num(row, 'safety_orders'),
    latestOrderId: textOrNull(row, 'latest_order_id'),
    lastOrderFillPrice: decimalOrNull(row, 'last_order_fill_price'),
    ttpPeakPrice: decimalOrNull(row, 'ttp_peak_price'),
    completedAt: dateOrNull(row, 'completed_at'),
    createdAt: date(row, 'created_at'),
    updatedAt: date(row, 'updated_at'),
    clientOrderId: textOrNull(row, 'client_order_id'),
    boughtQuantity: decimal(row, 'bought_quantity'),
    positionBaseline: decimal(row, 'position_baseline'),
    costBasis: decimal(row, 'cost_basis'),
    sellProceeds: decimal(row, 'sell_proceeds'),
    realizedPnl: decimalOrNull(row, 'realized_pnl'),
    backoffUntil: dateOrNull(row, 'backoff_until'),
    backoffReason: textOrNull(row, 'backoff_reason'),
    givenUpClientOrderId: textOrNull(row, 'given_up_client_order_id'),
    version: num(row, 'version'),
  };
}

export async function getCycle(db: Queryable, id: number): Promise<CycleRow | null> {
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_cycles WHERE id = ?`, [id]);
  return rows[0] ? parseCycleRow(rows[0]) : null;
}

export async function getLatestCycle(db: Queryable, assetId: number): Promise<CycleRow | null> {
  const rows = await selectRows(
    db,
    `SELECT ${COLUMNS} FROM dca_cycles WHERE asset_id = ? ORDER BY id DESC LIMIT 1`,
    [assetId],
  );
  return rows[0] ? parseCycleRow(rows[0]) : null;
}

/**
 * What a new cycle needs of the asset's last terminal cycle before `beforeCycleId`, in one read:
 * - `completedAt`: its completed_at, a cooldown's start (null when there is none);
 * - `leftover`: the coin it knowingly left when it completed: the baseline it started with plus
 *   what its books still held after the take-profit (the sell's rounding). Zero when there is
 *   none, or when it ended in error (what it left is then not known).
 */
export async function getPreviousCycleEnd(
  db: Queryable,
  assetId: number,
  beforeCycleId: number,
): Promise<{ completedAt: Date | null; leftover: Decimal }> {
  const rows = await selectRows(
    db,
    `SELECT status, completed_at, quantity, position_baseline FROM dca_cycles
      WHERE asset_id = ? AND id < ? AND status IN (?)
      ORDER BY id DESC LIMIT 1`,
    [assetId, beforeCycleId, [...TERMINAL_STATUSES]],
  );
  const row = rows[0];
  if (!row) return { completedAt: null, leftover: ZERO };
  return {
    completedAt: dateOrNull(row, 'completed_at'),
    leftover:
      row['status'] === 'complete' ? decimal(row, 'quantity').plus(decimal(row, 'position_baseline')) : ZERO,
  };
}

/** completed_at of the asset's last terminal cycle before `beforeCycleId`: a cooldown's start. */
export async function getPreviousCompletedAt(
  db: Queryable,
  assetId: number,
  beforeCycleId: number,
): Promise<Date | null> {
  return (await getPreviousCycleEnd(db, assetId, beforeCycleId)).completedAt;
}

/** Newest first. */
export async function listCycles(
  db: Queryable,
  opts: { assetId?: number; statuses?: CycleStatus[]; limit?: number },
): Promise<CycleRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (opts.assetId !== undefined) {
    where.push('asset_id = ?');
    params.push(opts.assetId);
  }
  if (opts.statuses !== undefined) {
    if (opts.statuses.length === 0) return [];
    where.push('status IN (?)');
    params.push(opts.statuses);
  }
  let sql = `SELECT ${COLUMNS} FROM dca_cycles ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
  if (opts.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(Math.max(0, Math.floor(opts.limit)));
  }
  return (await selectRows(db, sql, params)).map(parseCycleRow);
}

export interface RealizedPnl {
  readonly symbol: string;
  readonly cycles: number;
  readonly realizedPnl: Decimal;
}

/**
 * Realized P&L of the cycles completed in [since, until) (either bound optional), per asset symbol,
 * summed by MySQL on the DECIMAL column (exact). Assets without such a cycle are left out.
 */
export async function realizedPnlBySymbol(
  db: Queryable,
  period: { since: Date | null; until: Date | null },
): Promise<RealizedPnl[]> {
  const where = ["c.status = 'complete'", 'c.realized_pnl IS NOT NULL'];
  const params: unknown[] = [];
  if (period.since) {
    where.push('c.completed_at >= ?');
    params.push(period.since);
  }
  if (period.until) {
    where.push('c.completed_at < ?');
    params.push(period.until);
  }
  const rows = await selectRows(
    db,
    `SELECT a.asset_symbol, COUNT(*) AS cycles, SUM(c.realized_pnl) AS realized_pnl
       FROM dca_cycles c JOIN dca_assets a ON a.id = c.asset_id
      WHERE ${where.join(' AND ')}
      GROUP BY a.asset_symbol ORDER BY a.asset_symbol`,
    params,
  );
  return rows.map((row) => ({
    symbol: text(row, 'asset_symbol'),
    cycles: num(row, 'cycles'),
    realizedPnl: decimal(row, 'realized_pnl'),
  }));
}

/** A fresh cycle: nothing held, the columns' defaults for everything else. */
export async function createCycle(db: Queryable, assetId: number, status: CycleStatus): Promise<CycleRow> {
  const { insertId } = await execute(db, 'INSERT INTO dca_cycles (asset_id, status) VALUES (?, ?)', [
    assetId,
    status,
  ]);
  return mustGet(db, insertId);
}

/** Applies `patch` if the row is still at `expectedVersion` (then version + 1); else StaleWriteError. */
export async function updateCycle(
  db: Queryable,
  id: number,
  expectedVersion: number,
  patch: CyclePatch,
): Promise<CycleRow> {
  const update = guardedUpdate(id, expectedVersion, patch);
  const { affectedRows } = await execute(db, update.sql, update.params);
  if (affectedRows === 0) throw new StaleWriteError(id, expectedVersion);
  return mustGet(db, id);
}

/**
 * `updateCycle` for a caller that holds the row as last stored: one round trip, the stored row
 * projected (`projectCycle`) instead of read back. The cycle host's per-step write (a new trailing
 * peak is one per new high bid).
 */
export async function updateStoredCycle(
  db: Queryable,
  cycle: CycleRow,
  patch: CyclePatch,
): Promise<CycleRow> {
  const updatedAt = new Date();
  const update = guardedUpdate(cycle.id, cycle.version, patch, updatedAt);
  const { affectedRows } = await execute(db, update.sql, update.params);
  if (affectedRows === 0) throw new StaleWriteError(cycle.id, cycle.version);
  return projectCycle(cycle, patch, updatedAt);
}

/**
 * The guarded UPDATE of `updateCycle` as SQL and parameters, for callers that send it in a batch
 * with other statements. With `updatedAt`, the row's updated_at is set to it (instead of the
 * server's clock) so the caller knows the stored row without reading it back (projectCycle).
 */
export function guardedUpdate(
  id: number,
  expectedVersion: number,
  patch: CyclePatch,
  updatedAt?: Date,
): { sql: string; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const column = PATCH_COLUMNS[field as keyof CyclePatch];
    if (column === undefined) throw new DcaError('INVARIANT', `not a patchable cycle field: ${field}`);
    // Every value is checked before the statement runs: one that does not fit changes nothing.
    if (column in DECIMAL_COLUMNS.dca_cycles && Decimal.isDecimal(value)) {
      checkFits('dca_cycles', column as keyof typeof DECIMAL_COLUMNS.dca_cycles, value as Decimal);
    }
    sets.push(`${column} = ?`);
    params.push(toParam(column, value));
  }
  if (updatedAt !== undefined) {
    sets.push('updated_at = ?');
    params.push(toParam('updated_at', updatedAt));
  }
  sets.push('version = version + 1');
  return {
    sql: `UPDATE dca_cycles SET ${sets.join(', ')} WHERE id = ? AND version = ?`,
    params: [...params, id, expectedVersion],
  };
}

/**
 * The row `guardedUpdate(cycle.id, cycle.version, patch, updatedAt)` stores, as a read would
 * return it: DECIMALs rounded to their column's scale (half away from zero, as MySQL does),
 * TIMESTAMPs to whole seconds (toParam sends them so), the version one up.
 */
export function projectCycle(cycle: CycleRow, patch: CyclePatch, updatedAt: Date): CycleRow {
  const row: Record<string, unknown> = { ...cycle };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const column = PATCH_COLUMNS[field as keyof CyclePatch];
    const scale = (DECIMAL_COLUMNS.dca_cycles as Record<string, { scale: number }>)[column]?.scale;
    if (scale !== undefined && Decimal.isDecimal(value)) {
      row[field] = (value as Decimal).toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
    } else if (value instanceof Date) {
      row[field] = toParam(column, value);
    } else {
      row[field] = value;
    }
  }
  row['updatedAt'] = toParam('updated_at', updatedAt);
  row['version'] = cycle.version + 1;
  return row as unknown as CycleRow;
}

/**
 * Ends a cycle in ONE transaction: the guarded update (status `complete` and completed_at now
 * unless the patch says otherwise), the asset's last_sell_price when given, and the next cycle.
 * Either all of it is stored or none: a crash in between can never leave an asset without a cycle.
 */
export async function finishCycle(
  pool: Pool,
  args: {
    cycleId: number;
    expectedVersion: number;
    patch: CyclePatch;
    lastSellPrice: Decimal | null;
    nextStatus: 'cooldown' | 'watching';
  },
): Promise<{ finished: CycleRow; next: CycleRow }> {
  return withTransaction(pool, async (conn) => {
    const finished = await updateCycle(conn, args.cycleId, args.expectedVersion, {
      status: 'complete',
      completedAt: new Date(),
      ...args.patch,
    });
    if (args.lastSellPrice !== null) await setLastSellPrice(conn, finished.assetId, args.lastSellPrice);
    const next = await createCycle(conn, finished.assetId, args.nextStatus);
    return { finished, next };
  });
}

async function mustGet(db: Queryable, id: number): Promise<CycleRow> {
  const row = await getCycle(db, id);
  if (!row) throw new DcaError('INVARIANT', `cycle ${id} vanished right after it was written`);
  return row;
}

/** TIMESTAMP columns of dca_cycles: whole seconds (backoff_until is a DATETIME(3)). */
const SECOND_COLUMNS = new Set(['completed_at', 'updated_at']);

function toParam(column: string, value: unknown): unknown {
  // Sent in whole seconds, so the stored value is known exactly: MySQL rounds a fraction, MariaDB
  // truncates it.
  if (value instanceof Date && SECOND_COLUMNS.has(column))
    return new Date(Math.floor(value.getTime() / 1000) * 1000);
  if (value === null || value instanceof Date || typeof value !== 'object') return value;
  // Decimal (the only other object a patch holds): a plain string, never a float.
  return toPlain(value as Decimal);
}
