/**
 * The CLI's side of `dca_assets` writes (the SQL is in src/store/assets.ts). A candidate row is
 * checked by the bot's own loader (`parseAssetRow`), so the CLI can never store a row the bot would
 * skip, then against the column types, so MySQL never silently rounds or rejects a typed value.
 */
import type { AssetConfig } from '../domain.js';
import type { Decimal } from '../money.js';
import { assetColumnProblems, findAssetRow, insertAsset, parseOrReason } from '../store/assets.js';
import type { Queryable } from '../store/db.js';
import type { Row } from '../store/rows.js';
import { RefusedError } from './io.js';

export type { Row } from '../store/rows.js';

/** Command-line flag → `dca_assets` column. */
export const ASSET_FLAGS = {
  base: 'base_order_amount',
  safety: 'safety_order_amount',
  'max-safety': 'max_safety_orders',
  deviation: 'safety_order_deviation',
  'take-profit': 'take_profit_percent',
  cooldown: 'cooldown_period',
  'restart-drop': 'buy_order_price_deviation_percent',
} as const;
export type AssetFlag = keyof typeof ASSET_FLAGS;

/** USD the asset can have committed at once: the base order plus every safety order. */
export function worstCaseCapital(asset: AssetConfig): Decimal {
  return asset.baseOrderAmount.plus(asset.safetyOrderAmount.mul(asset.maxSafetyOrders));
}

/** Validates a candidate row as the bot will when it loads it; RefusedError lists every reason. */
export function validateAssetRow(row: Row): AssetConfig {
  const asset = parseOrReason(row);
  if (typeof asset === 'string') throw new RefusedError(`refused: ${asset}`);
  const problems = assetColumnProblems(asset);
  if (problems.length > 0) throw new RefusedError(`refused: ${problems.join('; ')}`);
  return asset;
}

export async function requireAssetRow(db: Queryable, symbol: string): Promise<Row> {
  const row = await findAssetRow(db, symbol);
  if (row === null)
    throw new RefusedError(`no asset ${JSON.stringify(symbol)} (see \`dca-bot assets list\`)`);
  return row;
}

/** Inserts a validated asset; a duplicate symbol (even one added concurrently) is refused. */
export async function insertAssetRow(db: Queryable, asset: AssetConfig): Promise<number> {
  try {
    return await insertAsset(db, asset);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ER_DUP_ENTRY') throw duplicate(asset.symbol);
    throw err;
  }
}

export function duplicate(symbol: string): RefusedError {
  return new RefusedError(
    `refused: asset ${symbol} already exists (change it with \`dca-bot assets set ${symbol} ...\`)`,
  );
}
