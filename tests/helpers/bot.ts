/**
 * What tests read from a running bot: its cycles and ledger rows as MySQL returns them, and quotes
 * published until they take effect. The bot as a child process lives in testkit/botProcess.ts (the
 * benchmarks start it too); it is re-exported here for the tests.
 */
import type { Simulator } from '../../src/sim/index.js';
import type { Queryable } from '../../src/store/db.js';
import { type WaitOptions, waitUntil } from './wait.js';

export * from '../../testkit/botProcess.js';

/** A `dca_cycles` row as MySQL returns it (DECIMALs as strings), for comparing with the seed's spec. */
export interface CycleRecord {
  readonly id: number;
  readonly asset_id: number;
  readonly status: string;
  readonly quantity: string;
  readonly average_purchase_price: string;
  readonly safety_orders: number;
  readonly latest_order_id: string | null;
  readonly client_order_id: string | null;
  readonly last_order_fill_price: string | null;
  readonly completed_at: Date | null;
  readonly bought_quantity: string;
  readonly cost_basis: string;
  readonly sell_proceeds: string;
  readonly realized_pnl: string | null;
}

/** Every cycle of an asset, oldest first. */
export async function cyclesOf(db: Queryable, assetId: number): Promise<CycleRecord[]> {
  const [rows] = await db.query('SELECT * FROM dca_cycles WHERE asset_id = ? ORDER BY id', [assetId]);
  return rows as CycleRecord[];
}

/** The asset's current (newest) cycle. */
export async function currentCycle(db: Queryable, assetId: number): Promise<CycleRecord | undefined> {
  return (await cyclesOf(db, assetId)).at(-1);
}

/** A `dca_orders` ledger row as MySQL returns it. */
export interface LedgerRecord {
  readonly cycle_id: number;
  readonly client_order_id: string;
  readonly alpaca_order_id: string | null;
  readonly step: string;
  readonly side: string;
  readonly status: string;
  readonly qty: string;
  readonly filled_qty: string;
  readonly filled_avg_price: string | null;
  readonly fee: string;
}

export async function ledgerOf(db: Queryable, assetId: number): Promise<LedgerRecord[]> {
  const [rows] = await db.query('SELECT * FROM dca_orders WHERE asset_id = ? ORDER BY id', [assetId]);
  return rows as LedgerRecord[];
}

/**
 * Publishes a quote, then waits for `done`; publishes it again only after `republishMs` without
 * effect (the bot's quote subscription may not be up yet: such a quote is never delivered). Waiting
 * between repeats keeps a stale repeat from reaching the bot after the test has moved on.
 */
export async function quoteUntil(
  sim: Pick<Simulator, 'publishQuote'>,
  symbol: string,
  bid: string,
  ask: string,
  done: () => boolean | Promise<boolean>,
  opts: WaitOptions & { readonly republishMs?: number } = {},
): Promise<void> {
  const republishMs = opts.republishMs ?? 1_000;
  let lastPublish = 0;
  await waitUntil(
    async () => {
      if (Date.now() - lastPublish >= republishMs) {
        sim.publishQuote(symbol, bid, ask);
        lastPublish = Date.now();
      }
      return done();
    },
    (ok) => ok,
    { intervalMs: 25, what: `${symbol} ${bid}/${ask} to take effect`, ...opts },
  );
}
