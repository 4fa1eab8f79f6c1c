/**
 * What the dashboard reads from MySQL: the recent ledger (dca_orders) and realized P&L per cycle,
 * per asset and in total. Read-only; sums are done by MySQL on DECIMAL columns (exact) and parsed
 * into Decimals here.
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
  readonly cycles: number;
  readonly realizedPnl: Decimal;
}

export interface LedgerSnapshot {
  readonly orders: readonly LedgerOrder[];
  /** Finished cycles with a realized P&L, newest first. */
  readonly cycles: readonly CycleRow[];
  readonly perAsset: readonly AssetPnl[];
  readonly total: Decimal;
  /** asset id → symbol, for rows whose asset has no live actor. */
  readonly symbols: ReadonlyMap<number, string>;
}

export async function readLedger(
  db: Queryable,
  opts: { orders?: number; cycles?: number } = {},
): Promise<LedgerSnapshot> {
  const [orders, cycles, sums] = await Promise.all([
    listLedgerOrders(db, { limit: opts.orders ?? 25 }),
    listCycles(db, { statuses: ['complete'], limit: opts.cycles ?? 15 }),
    selectRows(
      db,
      `SELECT a.id AS asset_id, a.asset_symbol, COUNT(c.id) AS cycles,
              COALESCE(SUM(c.realized_pnl), 0) AS realized_pnl
         FROM dca_assets a
         LEFT JOIN dca_cycles c ON c.asset_id = a.id AND c.realized_pnl IS NOT NULL
        GROUP BY a.id, a.asset_symbol
        ORDER BY a.asset_symbol`,
    ),
  ]);
  const perAsset = sums.map((row) => ({
    assetId: num(row, 'asset_id'),
    symbol: text(row, 'asset_symbol'),
    cycles: num(row, 'cycles'),
    realizedPnl: dec(String(row['realized_pnl']), 'realized_pnl'),
  }));
  const total = perAsset.reduce((sum, a) => sum.plus(a.realizedPnl), ZERO);
  const symbols = new Map(perAsset.map((a) => [a.assetId, a.symbol]));
  return { orders, cycles, perAsset, total, symbols };
}
