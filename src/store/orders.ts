/**
 * `dca_orders`: every order the bot sends, written ahead of the POST in the same transaction as the
 * cycle's move to buying/selling, then updated from the exchange's cumulative order state.
 */
import { type CycleRow, DEAD_ORDER_STATUSES, type OrderIntent, type OrderSnapshot } from '../domain.js';
import { StaleWriteError } from '../errors.js';
import type { Decimal } from '../money.js';
import { toPlain } from '../money.js';
import { checkFits } from './columns.js';
import { type CyclePatch, guardedUpdate, projectCycle } from './cycles.js';
import { batchPoolOf, execute, type Pool, type Queryable, type ResultSetHeader, selectRows } from './db.js';
import { date, dateOrNull, decimal, decimalOrNull, num, type Row, text, textOrNull } from './rows.js';

export interface LedgerOrder {
  id: number;
  cycleId: number;
  assetId: number;
  clientOrderId: string;
  alpacaOrderId: string | null;
  step: string;
  side: string;
  orderType: string;
  timeInForce: string;
  qty: Decimal;
  limitPrice: Decimal | null;
  /** 'pending' until the exchange acknowledges, then the exchange's status. */
  status: string;
  /** Cumulative, gross (before the fee taken in the coin). */
  filledQty: Decimal;
  filledAvgPrice: Decimal | null;
  /** Coin (buys) or USD (sells) taken as fee. */
  fee: Decimal;
  submittedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, cycle_id, asset_id, client_order_id, alpaca_order_id, step, side, order_type, time_in_force,
  qty, limit_price, status, filled_qty, filled_avg_price, fee, submitted_at, closed_at, created_at, updated_at`;

export function parseLedgerRow(row: Row): LedgerOrder {
  return {
    id: num(row, 'id'),
    cycleId: num(row, 'cycle_id'),
    assetId: num(row, 'asset_id'),
    clientOrderId: text(row, 'client_order_id'),
    alpacaOrderId: textOrNull(row, 'alpaca_order_id'),
    step: text(row, 'step'),
    side: text(row, 'side'),
    orderType: text(row, 'order_type'),
    timeInForce: text(row, 'time_in_force'),
    qty: decimal(row, 'qty'),
    limitPrice: decimalOrNull(row, 'limit_price'),
    status: text(row, 'status'),
    filledQty: decimal(row, 'filled_qty'),
    filledAvgPrice: decimalOrNull(row, 'filled_avg_price'),
    fee: decimal(row, 'fee'),
    submittedAt: dateOrNull(row, 'submitted_at'),
    closedAt: dateOrNull(row, 'closed_at'),
    createdAt: date(row, 'created_at'),
    updatedAt: date(row, 'updated_at'),
  };
}

/**
 * The write-ahead, in ONE transaction: the guarded cycle update (which also records the intent's
 * client order id unless the patch names one) and a 'pending' ledger row. Retrying after a crash
 * with the same client order id keeps the existing ledger row rather than adding a second. An id
 * reused after its order was given up as never accepted (architecture §4) reopens that row: a row
 * still `not_accepted` is pending again with the new intent's size; a row in any other status (the
 * order turned up after all) is left as it is.
 *
 * One round trip (architecture §4): START TRANSACTION, the UPDATE, the INSERT and COMMIT go as
 * one statement batch. The INSERT only inserts when the UPDATE matched (ROW_COUNT()), so a stale
 * version commits an empty transaction (nothing changed) and is a StaleWriteError, as before. A
 * failing statement stops the batch before COMMIT, and the transaction is rolled back. The stored
 * row is not read back: `projectCycle` knows it (updated_at is sent, not left to the server).
 */
/** The columns of a new 'pending' ledger row, in the order pendingLedgerValues gives their values. */
const LEDGER_COLUMNS =
  '(cycle_id, asset_id, client_order_id, step, side, order_type, time_in_force, qty, limit_price, status)';

/** An order as its ledger row records it when placed (an intent, or the exchange's snapshot). */
interface PlacedValues {
  readonly clientOrderId: string;
  readonly side: string;
  readonly type: string;
  readonly timeInForce: string;
  readonly qty: Decimal;
  readonly limitPrice: Decimal | null;
}

/** The values of LEDGER_COLUMNS but the status, each checked against its column first. */
function pendingLedgerValues(cycleId: number, assetId: number, step: string, order: PlacedValues): unknown[] {
  checkFits('dca_orders', 'qty', order.qty);
  checkFits('dca_orders', 'limit_price', order.limitPrice);
  return [
    cycleId,
    assetId,
    order.clientOrderId,
    step,
    order.side,
    order.type,
    order.timeInForce,
    toPlain(order.qty),
    order.limitPrice === null ? null : toPlain(order.limitPrice),
  ];
}

export interface WriteAheadArgs {
  /** The row as last stored; its version guards the update. */
  readonly cycle: CycleRow;
  readonly assetId: number;
  readonly patch: CyclePatch;
  readonly step: string;
  readonly intent: OrderIntent;
}

/** A write-ahead checked and built, not yet sent. */
export interface PreparedWriteAhead {
  readonly cycle: CycleRow;
  readonly patch: CyclePatch;
  readonly updatedAt: Date;
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * Everything the write-ahead checks, synchronously: a value that does not fit its column throws here,
 * before anything is sent (a safety order's POST leaves as soon as the batch is on its way).
 */
export function prepareWriteAhead(args: WriteAheadArgs): PreparedWriteAhead {
  const { intent, cycle } = args;
  const ledger = pendingLedgerValues(cycle.id, args.assetId, args.step, intent);
  const patch: CyclePatch = { clientOrderId: intent.clientOrderId, ...args.patch };
  const updatedAt = new Date();
  const update = guardedUpdate(cycle.id, cycle.version, patch, updatedAt);
  // ON DUPLICATE KEY (not INSERT IGNORE, which would also swallow a foreign-key failure). The
  // assignments run left to right, each seeing the ones before: status is assigned last, so every
  // condition reads the stored status.
  const sql = `START TRANSACTION;
       ${update.sql};
       INSERT INTO dca_orders ${LEDGER_COLUMNS}
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending' FROM DUAL WHERE ROW_COUNT() > 0
       ON DUPLICATE KEY UPDATE
         qty = IF(status = 'not_accepted', VALUES(qty), qty),
         limit_price = IF(status = 'not_accepted', VALUES(limit_price), limit_price),
         closed_at = IF(status = 'not_accepted', NULL, closed_at),
         status = IF(status = 'not_accepted', 'pending', status);
       COMMIT`;
  return { cycle, patch, updatedAt, sql, params: [...update.params, ...ledger] };
}

/** Sends a prepared write-ahead as one statement batch; the row as stored once it committed. */
export async function runWriteAhead(pool: Pool, prepared: PreparedWriteAhead): Promise<CycleRow> {
  const { cycle } = prepared;
  const conn = await batchPoolOf(pool).getConnection();
  try {
    const [results] = await conn.query(prepared.sql, prepared.params);
    const updated = (results as ResultSetHeader[])[1];
    if (!updated || updated.affectedRows === 0) throw new StaleWriteError(cycle.id, cycle.version);
    return projectCycle(cycle, prepared.patch, prepared.updatedAt);
  } catch (err) {
    // After a failed statement the transaction is still open; after a stale one, already committed.
    if (!(err instanceof StaleWriteError)) await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

export async function writeAheadOrder(pool: Pool, args: WriteAheadArgs): Promise<CycleRow> {
  return runWriteAhead(pool, prepareWriteAhead(args));
}

/**
 * The ledger row of an order the exchange has and the database never recorded (a safety order whose
 * write-ahead was lost, architecture §4), written from the exchange's snapshot, then brought to its
 * state. Idempotent: a row that exists is kept.
 */
export async function recordUnrecordedOrder(
  db: Queryable,
  args: {
    readonly cycleId: number;
    readonly assetId: number;
    readonly step: string;
    readonly order: OrderSnapshot;
  },
): Promise<void> {
  const { order } = args;
  const placed = { ...order, qty: order.qty ?? order.filledQty };
  await execute(
    db,
    `INSERT INTO dca_orders ${LEDGER_COLUMNS}
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
     ON DUPLICATE KEY UPDATE id = id`,
    pendingLedgerValues(args.cycleId, args.assetId, args.step, placed),
  );
  await recordOrderState(db, order);
}

const DEAD = [...DEAD_ORDER_STATUSES];

/**
 * Applies the exchange's view of an order (by client order id). Updates are cumulative and can
 * arrive duplicated or out of order, so one statement keeps the newest: a snapshot with less filled
 * than stored changes nothing, filled_qty never moves backwards, and a dead order stays dead.
 * No-op when the ledger has no row for the client order id.
 */
export async function recordOrderState(db: Queryable, order: OrderSnapshot, fee?: Decimal): Promise<void> {
  checkFits('dca_orders', 'filled_qty', order.filledQty);
  checkFits('dca_orders', 'filled_avg_price', order.filledAvgPrice);
  checkFits('dca_orders', 'fee', fee);
  const filled = toPlain(order.filledQty);
  const isDead = (DEAD as string[]).includes(order.status);
  const closedAt = isDead ? (order.filledAt ?? order.updatedAt ?? new Date()) : null;
  // MySQL evaluates SET assignments left to right, each seeing the previous ones: filled_qty is
  // assigned last so every CASE compares against the stored (older) quantity, and closed_at follows
  // the status just assigned (a row closed as not_accepted that turns up live is open again).
  await execute(
    db,
    `UPDATE dca_orders SET
       alpaca_order_id = COALESCE(alpaca_order_id, ?),
       status = CASE
         WHEN CAST(? AS DECIMAL(30, 15)) < filled_qty THEN status
         WHEN status IN (?) AND ? NOT IN (?) THEN status
         ELSE ? END,
       filled_avg_price = CASE
         WHEN CAST(? AS DECIMAL(30, 15)) < filled_qty THEN filled_avg_price
         ELSE COALESCE(?, filled_avg_price) END,
       fee = CASE
         WHEN CAST(? AS DECIMAL(30, 15)) < filled_qty THEN fee
         ELSE COALESCE(?, fee) END,
       submitted_at = COALESCE(submitted_at, ?),
       closed_at = CASE WHEN status IN (?) THEN COALESCE(closed_at, ?) ELSE NULL END,
       filled_qty = GREATEST(filled_qty, CAST(? AS DECIMAL(30, 15)))
     WHERE client_order_id = ?`,
    [
      order.id,
      filled,
      DEAD,
      order.status,
      DEAD,
      order.status,
      filled,
      order.filledAvgPrice === null ? null : toPlain(order.filledAvgPrice),
      filled,
      fee === undefined ? null : toPlain(fee),
      order.createdAt,
      DEAD,
      closedAt,
      filled,
      order.clientOrderId,
    ],
  );
}

/**
 * The fee an order was charged, as the cycle booked it: coin for a buy (measured from the position
 * the exchange reported after the fill, else the configured rate), USD for a sell (configured rate:
 * Alpaca's order carries no fee). Set once per booking; a replayed update writes the same value.
 */
export async function recordOrderFee(db: Queryable, clientOrderId: string, fee: Decimal): Promise<void> {
  checkFits('dca_orders', 'fee', fee);
  await execute(db, 'UPDATE dca_orders SET fee = ? WHERE client_order_id = ?', [toPlain(fee), clientOrderId]);
}

/**
 * Closes a ledger row whose order never reached the exchange's books: refused outright
 * (`rejected`), or looked up after an ambiguous submit and not found (`not_accepted`). Only a row
 * still `pending` changes; should the order turn up after all, recordOrderState overwrites it.
 */
export async function closeUnsentOrder(
  db: Queryable,
  clientOrderId: string,
  status: 'rejected' | 'not_accepted',
): Promise<void> {
  await execute(
    db,
    `UPDATE dca_orders SET status = ?, closed_at = COALESCE(closed_at, CURRENT_TIMESTAMP)
     WHERE client_order_id = ? AND status = 'pending'`,
    [status, clientOrderId],
  );
}

export async function getLedgerOrder(db: Queryable, clientOrderId: string): Promise<LedgerOrder | null> {
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_orders WHERE client_order_id = ?`, [
    clientOrderId,
  ]);
  return rows[0] ? parseLedgerRow(rows[0]) : null;
}

/** Newest first. */
export async function listLedgerOrders(
  db: Queryable,
  opts: { assetId?: number; cycleId?: number; limit?: number },
): Promise<LedgerOrder[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (opts.assetId !== undefined) {
    where.push('asset_id = ?');
    params.push(opts.assetId);
  }
  if (opts.cycleId !== undefined) {
    where.push('cycle_id = ?');
    params.push(opts.cycleId);
  }
  let sql = `SELECT ${COLUMNS} FROM dca_orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
  if (opts.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(Math.max(0, Math.floor(opts.limit)));
  }
  return (await selectRows(db, sql, params)).map(parseLedgerRow);
}
