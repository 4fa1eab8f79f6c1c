/**
 * The baseline for the tree benchmark: what the seed's design did on every quote — read the asset
 * row and the asset's latest cycle row from MySQL, then decide with the same decision math. Each
 * asset gets its own serial worker (the reads for different assets overlap on the pool), which is
 * kinder to the baseline than one handler for every symbol would be.
 */
import type { Quote } from '../src/domain.js';
import { isValidQuote, safetyTriggerPrice, takeProfitPrice } from '../src/machines/decisions.js';
import { getAsset } from '../src/store/assets.js';
import { getLatestCycle } from '../src/store/cycles.js';
import type { Pool } from '../src/store/db.js';
import type { BenchAsset } from './treeFixture.js';

export type BaselineDecision = 'none' | 'base' | 'safety' | 'take-profit';

/** One quote, the seed's way: two reads, then the decision. */
export async function decideFromDatabase(
  pool: Pool,
  asset: BenchAsset,
  quote: Quote,
): Promise<BaselineDecision> {
  const config = await getAsset(pool, asset.id);
  const cycle = await getLatestCycle(pool, asset.id);
  if (!config || !cycle || !config.enabled || !isValidQuote(quote.bid, quote.ask)) return 'none';
  if (cycle.status !== 'watching') return 'none';
  if (cycle.quantity.isZero()) return 'base';
  const lastFill = cycle.lastOrderFillPrice;
  if (
    lastFill &&
    cycle.safetyOrders < config.maxSafetyOrders &&
    quote.ask.lte(safetyTriggerPrice(lastFill, config.safetyOrderDeviation))
  ) {
    return 'safety';
  }
  if (quote.bid.gte(takeProfitPrice(cycle.averagePurchasePrice, config.takeProfitPercent)))
    return 'take-profit';
  return 'none';
}

export interface BaselineRun {
  readonly perSecond: number;
  /** Quote → decision, in ms, for every quote. */
  readonly latencies: number[];
  /** Decisions other than 'none' (should be 0 for in-band quotes). */
  readonly orders: number;
}

/** One serial worker per asset for `sliceMs`, each deciding on its own quotes in turn. */
export async function runBaseline(
  pool: Pool,
  assets: readonly BenchAsset[],
  quotes: ReadonlyMap<string, readonly Quote[]>,
  sliceMs: number,
): Promise<BaselineRun> {
  const latencies: number[] = [];
  let orders = 0;
  const start = performance.now();
  const worker = async (asset: BenchAsset) => {
    const own = quotes.get(asset.symbol) ?? [];
    for (let i = 0; performance.now() - start < sliceMs; i++) {
      const quote = own[i % own.length] as Quote;
      const t0 = performance.now();
      if ((await decideFromDatabase(pool, asset, quote)) !== 'none') orders++;
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(assets.map(worker));
  return { perSecond: latencies.length / ((performance.now() - start) / 1000), latencies, orders };
}
