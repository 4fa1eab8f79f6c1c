/**
 * This database's installation (sql/004_installation.sql): the id every client order id carries,
 * and how far its pre-installation orders reach. Read once at start-up; it never changes.
 */
import { INSTALLATION_ID_PATTERN, type Installation } from '../clientOrderId.js';
import { DcaError } from '../errors.js';
import { execute, type Queryable, selectRows } from './db.js';

export async function loadInstallation(db: Queryable): Promise<Installation> {
  const rows = await selectRows(db, 'SELECT installation_id, legacy_cycle_max FROM dca_installation');
  const row = rows[0];
  if (rows.length !== 1 || !row) {
    throw new DcaError(
      'INVARIANT',
      `dca_installation must hold exactly one row (it has ${rows.length}); run \`npm run migrate\``,
    );
  }
  const id = String(row['installation_id']);
  if (!INSTALLATION_ID_PATTERN.test(id)) {
    throw new DcaError(
      'INVARIANT',
      `dca_installation.installation_id ${JSON.stringify(id)} is not 6-16 lowercase letters or digits`,
    );
  }
  const max = row['legacy_cycle_max'];
  return { id, legacyCycleMax: max === null || max === undefined ? null : Number(max) };
}

/**
 * Which of `orders` this database placed: its ledger (or, for an order older than the ledger, a
 * cycle row) names the client order id, and the Alpaca id too where it was recorded. Returns their
 * Alpaca ids. For pre-installation ids, whose cycle id alone cannot tell two databases apart.
 */
export async function recordedOrderIds(
  db: Queryable,
  orders: readonly { readonly id: string; readonly clientOrderId: string }[],
): Promise<Set<string>> {
  const ids = orders.map((o) => o.clientOrderId);
  if (ids.length === 0) return new Set();
  const marks = ids.map(() => '?').join(', ');
  const rows = await selectRows(
    db,
    `SELECT client_order_id, alpaca_order_id AS order_id FROM dca_orders WHERE client_order_id IN (${marks})
     UNION ALL
     SELECT client_order_id, latest_order_id AS order_id FROM dca_cycles WHERE client_order_id IN (${marks})`,
    [...ids, ...ids],
  );
  const known = new Map<string, Set<string | null>>();
  for (const r of rows) {
    const cid = String(r['client_order_id']);
    const set = known.get(cid) ?? new Set<string | null>();
    set.add(r['order_id'] === null || r['order_id'] === undefined ? null : String(r['order_id']));
    known.set(cid, set);
  }
  const claimed = new Set<string>();
  for (const o of orders) {
    const seen = known.get(o.clientOrderId);
    if (seen && (seen.has(o.id) || [...seen].every((id) => id === null))) claimed.add(o.id);
  }
  return claimed;
}

/**
 * Whether the previous process stopped cleanly (sql/010), and from now on: not, with `runId` as the
 * process trading now. The flag is cleared by the first statement, so a start that dies right after
 * it leaves the next start looking, never a stale "clean".
 */
export async function takeCleanStop(db: Queryable, runId: string): Promise<boolean> {
  const taken = await execute(
    db,
    'UPDATE dca_installation SET stopped_cleanly_at = NULL, run_id = ? WHERE stopped_cleanly_at IS NOT NULL',
    [runId],
  );
  if (taken.affectedRows > 0) return true;
  await execute(db, 'UPDATE dca_installation SET run_id = ?', [runId]);
  return false;
}

/**
 * A graceful stop that left no safety order unrecorded says so for the next start; only while
 * `runId` is still the process trading (another one may have taken over meanwhile).
 */
export async function markCleanStop(db: Queryable, runId: string): Promise<boolean> {
  const marked = await execute(
    db,
    'UPDATE dca_installation SET stopped_cleanly_at = CURRENT_TIMESTAMP(3) WHERE run_id = ?',
    [runId],
  );
  return marked.affectedRows > 0;
}
