/**
 * Sim mode's demo: an asset to trade when `dca_assets` is empty, and a lively random-walk feed so a
 * newcomer sees full cycles (base, safety orders, take-profit, cooldown) within a minute or two.
 */
import type { Simulator } from './sim/index.js';
import type { Pool } from './store/db.js';

/** Settings tuned to the demo feed's volatility, not advice for real money. */
const DEMO_ASSETS = [
  {
    symbol: 'BTC/USD',
    base: '20',
    safety: '20',
    maxSafety: 5,
    deviation: '0.5',
    takeProfit: '0.5',
    cooldown: 20,
    restartDrop: '0.5',
  },
] as const;

const START_PRICES: Record<string, string> = {
  'BTC/USD': '60000',
  'ETH/USD': '3000',
  'SOL/USD': '150',
  'DOGE/USD': '0.15',
};

/** Inserts the demo assets (naming only the seed's columns) if the table is empty; returns their symbols. */
export async function seedDemoAssets(pool: Pool): Promise<string[]> {
  const [rows] = await pool.query('SELECT COUNT(*) AS n FROM dca_assets');
  const count = Number((rows as Array<{ n: number | string }>)[0]?.n ?? 0);
  if (count > 0) return [];
  for (const a of DEMO_ASSETS) {
    await pool.execute(
      `INSERT INTO dca_assets (asset_symbol, is_enabled, base_order_amount, safety_order_amount,
         max_safety_orders, safety_order_deviation, take_profit_percent, cooldown_period,
         buy_order_price_deviation_percent)
       VALUES (?, TRUE, ?, ?, ?, ?, ?, ?, ?)`,
      [a.symbol, a.base, a.safety, a.maxSafety, a.deviation, a.takeProfit, a.cooldown, a.restartDrop],
    );
  }
  return DEMO_ASSETS.map((a) => a.symbol);
}

/** Starts a seeded random walk over the given symbols; returns stop. */
export function startDemoFeed(sim: Simulator, symbols: readonly string[]): () => void {
  const start: Record<string, string> = {};
  for (const s of symbols) start[s] = START_PRICES[s] ?? '100';
  if (Object.keys(start).length === 0) start['BTC/USD'] = START_PRICES['BTC/USD'] ?? '60000';
  return sim.startRandomWalk({
    start,
    seed: Date.now() % 100_000,
    volatility: 0.0015,
    spreadBps: 4,
    intervalMs: 250,
  });
}
