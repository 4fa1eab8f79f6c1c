/**
 * The CLI's side of `dca_assets` writes (the SQL is in src/store/assets.ts). A candidate row is
 * checked by the bot's own loader (`parseAssetRow`), so the CLI can never store a row the bot would
 * skip, then against the column types, so MySQL never silently rounds or rejects a typed value.
 */
import type { AssetConfig } from '../domain.js';
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

/**
 * The strategy controls' flags (sql/008), all optional: a column not named keeps its value (its
 * default for a new asset). `--ttp-deviation <pct>` also switches the trailing take-profit on and
 * `--ttp-deviation off` switches it off; `--stop-loss off` removes the stop-loss.
 */
export const STRATEGY_FLAGS = {
  'ttp-deviation': 'ttp_deviation_percent',
  'stop-loss': 'stop_loss_percent',
  'stop-loss-after-safety': 'stop_loss_after_safety_orders',
  'volume-scale': 'safety_order_volume_scale',
  'step-scale': 'safety_order_step_scale',
} as const;
export type StrategyFlag = keyof typeof STRATEGY_FLAGS;

/** `yes`/`no` (or true/false, on/off) as a boolean column value; anything else is refused. */
function yesNo(flag: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['yes', 'true', 'on'].includes(v)) return true;
  if (['no', 'false', 'off'].includes(v)) return false;
  throw new RefusedError(`refused: --${flag} takes yes or no, got ${JSON.stringify(value)}`);
}

/** The strategy flags given, as `dca_assets` column values (`off` → NULL). */
export function strategyColumns(values: Readonly<Record<string, string | boolean | undefined>>): Row {
  const columns: Row = {};
  for (const [flag, column] of Object.entries(STRATEGY_FLAGS)) {
    const given = values[flag];
    if (typeof given !== 'string') continue;
    const value = given.trim();
    if (flag === 'stop-loss-after-safety') columns[column] = yesNo(flag, value);
    else if (flag === 'ttp-deviation' || flag === 'stop-loss') {
      columns[column] = value.toLowerCase() === 'off' ? null : value;
      if (flag === 'ttp-deviation') columns['ttp_enabled'] = columns[column] !== null;
    } else columns[column] = value;
  }
  return columns;
}

/** USD the asset can have committed at once: the base order plus every (scaled) safety order. */
export { worstCaseCapital } from '../machines/decisions.js';

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
