/**
 * Sim mode's demo: an asset to trade when `dca_assets` is empty, and a lively random-walk feed so a
 * newcomer sees full cycles (base, safety orders, take-profit, cooldown) within a minute or two.
 */
import { type AssetConfig, STRATEGY_DEFAULTS } from './domain.js';
import { dec } from './money.js';
import { clearSimAccount, type Simulator } from './sim/index.js';
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

/** The bot's tables `--sim --fresh` empties (children first), beside the simulator's `sim_*` tables. */
export const FRESH_BOT_TABLES = ['dca_orders', 'dca_cycles', 'dca_asset_supervision'] as const;

/**
 * `--sim --fresh`: the demo starts over. Empties the simulator's account (the `sim_*` tables) and
 * the bot's sim cycles and orders (FRESH_BOT_TABLES) and forgets each asset's last sell price; the
 * configured assets (`dca_assets`) and the installation id stay. Returns the line to log.
 */
export async function freshDemo(pool: Pool): Promise<string> {
  const simTables = await clearSimAccount(pool);
  for (const table of FRESH_BOT_TABLES) await pool.query(`DELETE FROM ${table}`);
  await pool.query('UPDATE dca_assets SET last_sell_price = NULL');
  const sim = simTables.length > 0 ? simTables.join(', ') : 'none stored yet';
  return `--fresh: emptied the simulator's account (${sim}) and the bot's sim cycles and orders (${FRESH_BOT_TABLES.join(', ')}), and cleared dca_assets.last_sell_price; kept the assets (dca_assets) and the installation id`;
}

/**
 * A warning when the simulator has no stored account but sim cycles hold coin: a sim database from
 * before the simulator kept its account (or whose `sim_*` tables were emptied by hand). Those
 * cycles will end in error once the bot finds no position; `--fresh` starts the demo over instead.
 */
export async function demoWithoutAccount(pool: Pool): Promise<string | null> {
  const [accounts] = await pool.query('SELECT COUNT(*) AS n FROM sim_account');
  if (Number((accounts as { n: number | string }[])[0]?.n ?? 0) > 0) return null;
  const [cycles] = await pool.query(
    "SELECT COUNT(*) AS n FROM dca_cycles WHERE status NOT IN ('complete', 'error') AND quantity > 0",
  );
  const holding = Number((cycles as { n: number | string }[])[0]?.n ?? 0);
  if (holding === 0) return null;
  return `the simulator has no stored account yet, but ${holding} sim cycle(s) hold coin from an earlier run: they will end in error (position vanished); \`npm start -- --sim --fresh\` starts the demo over`;
}

/**
 * Starts a seeded random walk over the given symbols, each from its latest quote (the stored one
 * after a restart, so the demo goes on where it stopped) or a start price; returns stop.
 */
export function startDemoFeed(sim: Simulator, symbols: readonly string[]): () => void {
  const start: Record<string, string> = {};
  for (const s of symbols) {
    const q = sim.latestQuote(s);
    start[s] = q ? q.bid.plus(q.ask).div(2).toFixed() : (START_PRICES[s] ?? '100');
  }
  if (Object.keys(start).length === 0) start['BTC/USD'] = START_PRICES['BTC/USD'] ?? '60000';
  return sim.startRandomWalk({
    start,
    seed: Date.now() % 100_000,
    volatility: 0.0015,
    spreadBps: 4,
    intervalMs: 250,
  });
}
