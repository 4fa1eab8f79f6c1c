/**
 * Sim mode's demo: an asset to trade when `dca_assets` is empty, and a lively random-walk feed so a
 * newcomer sees full cycles (base, safety orders, take-profit, cooldown) within a minute or two.
 */
import { type AssetConfig, STRATEGY_DEFAULTS } from './domain.js';
import { dec } from './money.js';
import type { Simulator } from './sim/index.js';
import { insertAsset, listAssetRows } from './store/assets.js';
import type { Pool } from './store/db.js';

/** Settings tuned to the demo feed's volatility, not advice for real money. */
const DEMO_ASSETS: readonly AssetConfig[] = [
  {
    id: 0, // assigned by the database
    symbol: 'BTC/USD',
    enabled: true,
    baseOrderAmount: dec('20'),
    safetyOrderAmount: dec('20'),
    maxSafetyOrders: 5,
    safetyOrderDeviation: dec('0.5'),
    takeProfitPercent: dec('0.5'),
    cooldownPeriod: 20,
    buyOrderPriceDeviationPercent: dec('0.5'),
    lastSellPrice: null,
    ...STRATEGY_DEFAULTS,
  },
];

const START_PRICES: Record<string, string> = {
  'BTC/USD': '60000',
  'ETH/USD': '3000',
  'SOL/USD': '150',
  'DOGE/USD': '0.15',
};

/** Inserts the demo assets if `dca_assets` is empty; returns their symbols. */
export async function seedDemoAssets(pool: Pool): Promise<string[]> {
  if ((await listAssetRows(pool)).length > 0) return [];
  for (const asset of DEMO_ASSETS) await insertAsset(pool, asset);
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
