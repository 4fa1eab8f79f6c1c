/**
 * What the dashboard reads from MySQL: the recent ledger (dca_orders), realized P&L per cycle, per
 * asset, per day (UTC) and in total, what error cycles cost, and every asset row (a disabled asset
 * has no actor but is still shown, to be enabled again). Read-only; sums are done by MySQL on
 * DECIMAL columns (exact) and parsed into Decimals here.
 */
import type { CycleRow } from '../domain.js';
import { type Decimal, dec, ZERO } from '../money.js';
import { listCycles } from '../store/cycles.js';
import { type Queryable, selectRows } from '../store/db.js';
import { type LedgerOrder, listLedgerOrders } from '../store/orders.js';
import { num, text } from '../store/rows.js';

export interface AssetPnl {
  readonly assetId: number;
  readonly symbol: string;
  readonly enabled: boolean;
  readonly cycles: number;
  readonly realizedPnl: Decimal;
  readonly errorCycles: number;
  /** Cost basis less sell proceeds of its error cycles: spent and not recovered by the bot. */
  readonly errorCost: Decimal;
}

export interface DayPnl {
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly cycles: number;
  readonly realizedPnl: Decimal;
  readonly errorCycles: number;
  readonly errorCost: Decimal;
}

export interface LedgerSnapshot {
  readonly orders: readonly LedgerOrder[];
  /** Finished cycles (complete or error), newest first. */
  readonly cycles: readonly CycleRow[];
  readonly perAsset: readonly AssetPnl[];
  /** The last 30 days with a finished cycle, newest first. */
  readonly perDay: readonly DayPnl[];
  readonly total: Decimal;
  readonly errorCost: Decimal;
  /** Every order of the open cycles asked for (`cycleIds`): the chart's fill markers. */
  readonly cycleOrders: readonly LedgerOrder[];
  /** asset id → symbol, for rows whose asset has no live actor. */
  readonly symbols: ReadonlyMap<number, string>;
}

/** Error cycles have no realized P&L: what they cost is what they spent and did not sell back. */
const ERROR_SUMS = `COUNT(CASE WHEN c.status = 'error' THEN 1 END) AS error_cycles,
              COALESCE(SUM(CASE WHEN c.status = 'error' THEN c.cost_basis - c.sell_proceeds END), 0) AS error_cost`;

export async function readLedger(
  db: Queryable,
  opts: { orders?: number; cycles?: number; cycleIds?: readonly number[] } = {},
): Promise<LedgerSnapshot> {
  const [orders, cycles, sums, days, cycleOrders] = await Promise.all([
    listLedgerOrders(db, { limit: opts.orders ?? 25 }),
    listCycles(db, { statuses: ['complete', 'error'], limit: opts.cycles ?? 15 }),
    selectRows(
      db,
      `SELECT a.id AS asset_id, a.asset_symbol, a.is_enabled,
              COUNT(c.realized_pnl) AS cycles, COALESCE(SUM(c.realized_pnl), 0) AS realized_pnl,
              ${ERROR_SUMS}
         FROM dca_assets a
         LEFT JOIN dca_cycles c ON c.asset_id = a.id AND c.status IN ('complete', 'error')
        GROUP BY a.id, a.asset_symbol, a.is_enabled
        ORDER BY a.asset_symbol`,
    ),
    selectRows(
      db,
      `SELECT DATE_FORMAT(c.completed_at, '%Y-%m-%d') AS day,
              COUNT(c.realized_pnl) AS cycles, COALESCE(SUM(c.realized_pnl), 0) AS realized_pnl,
              ${ERROR_SUMS}
         FROM dca_cycles c
        WHERE c.status IN ('complete', 'error') AND c.completed_at IS NOT NULL
        GROUP BY day
        ORDER BY day DESC
        LIMIT 30`,
    ),
    Promise.all((opts.cycleIds ?? []).map((cycleId) => listLedgerOrders(db, { cycleId, limit: 200 }))),
  ]);
  const sumsOf = (row: Record<string, unknown>) => ({
    cycles: num(row, 'cycles'),
    realizedPnl: dec(String(row['realized_pnl']), 'realized_pnl'),
    errorCycles: num(row, 'error_cycles'),
    errorCost: dec(String(row['error_cost']), 'error_cost'),
  });
  const perAsset = sums.map((row) => ({
    assetId: num(row, 'asset_id'),
    symbol: text(row, 'asset_symbol'),
    enabled: Boolean(Number(row['is_enabled'])),
    ...sumsOf(row),
  }));
  const perDay = days.map((row) => ({ day: text(row, 'day'), ...sumsOf(row) }));
  const total = perAsset.reduce((sum, a) => sum.plus(a.realizedPnl), ZERO);
  const errorCost = perAsset.reduce((sum, a) => sum.plus(a.errorCost), ZERO);
  const symbols = new Map(perAsset.map((a) => [a.assetId, a.symbol]));
  return { orders, cycles, perAsset, perDay, total, errorCost, symbols, cycleOrders: cycleOrders.flat() };
}
