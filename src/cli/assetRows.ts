/**
 * The operator's writes to `dca_assets`. A candidate row is checked by the bot's own loader
 * (`parseAssetRow`), so the CLI can never store a row the bot would skip, then against the column
 * types, so MySQL never silently rounds or rejects a value the operator typed.
 */
import type { AssetConfig } from '../domain.js';
import { DcaError } from '../errors.js';
import { type Decimal, toPlain } from '../money.js';
import { parseAssetRow } from '../store/assets.js';
import { execute, type Queryable, selectRows } from '../store/db.js';
import { RefusedError } from './io.js';

export type Row = Record<string, unknown>;

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

/** The row parsed as the bot's loader parses it, or the loader's reasons for skipping it. */
export function parseOrReason(row: Row): AssetConfig | string {
  try {
    return parseAssetRow(row);
  } catch (err) {
    if (!(err instanceof DcaError) || err.code !== 'ASSET_INVALID') throw err;
    const reasons = err.details['reasons'];
    return Array.isArray(reasons) ? reasons.join('; ') : err.message;
  }
}

/** Validates a candidate row as the bot will when it loads it; RefusedError lists every reason. */
export function validateAssetRow(row: Row): AssetConfig {
  const asset = parseOrReason(row);
  if (typeof asset === 'string') throw new RefusedError(`refused: ${asset}`);
  const problems = columnFitProblems(asset);
  if (problems.length > 0) throw new RefusedError(`refused: ${problems.join('; ')}`);
  return asset;
}

/** The column types of sql/001: DECIMAL(20,10) amounts, DECIMAL(10,4) percents, INT seconds. */
function columnFitProblems(asset: AssetConfig): string[] {
  const problems: string[] = [];
  const fits = (column: string, value: Decimal, intDigits: number, places: number) => {
    if (value.decimalPlaces() > places) problems.push(`${column} allows at most ${places} decimal places`);
    if (value.abs().gte(`1e${intDigits}`)) problems.push(`${column} must be less than 1e${intDigits}`);
  };
  fits('base_order_amount', asset.baseOrderAmount, 10, 10);
  fits('safety_order_amount', asset.safetyOrderAmount, 10, 10);
  fits('safety_order_deviation', asset.safetyOrderDeviation, 6, 4);
  fits('take_profit_percent', asset.takeProfitPercent, 6, 4);
  fits('buy_order_price_deviation_percent', asset.buyOrderPriceDeviationPercent, 6, 4);
  if (asset.cooldownPeriod > 2_147_483_647) problems.push('cooldown_period must fit a 32-bit INT');
  return problems;
}

/** Every row, raw (invalid ones included), oldest first. */
export async function listAssetRows(db: Queryable): Promise<Row[]> {
  return selectRows(db, 'SELECT * FROM dca_assets ORDER BY id');
}

/** The raw row for a symbol, or null. Raw, so an invalid row can still be found and fixed. */
export async function findAssetRow(db: Queryable, symbol: string): Promise<Row | null> {
  const rows = await selectRows(db, 'SELECT * FROM dca_assets WHERE asset_symbol = ?', [symbol]);
  return rows[0] ?? null;
}

export async function requireAssetRow(db: Queryable, symbol: string): Promise<Row> {
  const row = await findAssetRow(db, symbol);
  if (row === null)
    throw new RefusedError(`no asset ${JSON.stringify(symbol)} (see \`dca-bot assets list\`)`);
  return row;
}

function columnValues(asset: AssetConfig): unknown[] {
  return [
    asset.enabled,
    toPlain(asset.baseOrderAmount),
    toPlain(asset.safetyOrderAmount),
    asset.maxSafetyOrders,
    toPlain(asset.safetyOrderDeviation),
    toPlain(asset.takeProfitPercent),
    asset.cooldownPeriod,
    toPlain(asset.buyOrderPriceDeviationPercent),
  ];
}

const SETTINGS = `is_enabled, base_order_amount, safety_order_amount, max_safety_orders, safety_order_deviation,
  take_profit_percent, cooldown_period, buy_order_price_deviation_percent`;

/** Inserts a validated asset; a duplicate symbol (even one added concurrently) is refused. */
export async function insertAssetRow(db: Queryable, asset: AssetConfig): Promise<number> {
  try {
    const { insertId } = await execute(
      db,
      `INSERT INTO dca_assets (asset_symbol, ${SETTINGS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [asset.symbol, ...columnValues(asset)],
    );
    return insertId;
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

/** Rewrites the operator's settings of one asset; last_sell_price belongs to the bot and is kept. */
export async function updateAssetRow(db: Queryable, asset: AssetConfig): Promise<void> {
  const assignments = SETTINGS.split(',')
    .map((c) => `${c.trim()} = ?`)
    .join(', ');
  await execute(db, `UPDATE dca_assets SET ${assignments} WHERE id = ?`, [...columnValues(asset), asset.id]);
}

export async function setAssetEnabled(db: Queryable, id: number, enabled: boolean): Promise<void> {
  await execute(db, 'UPDATE dca_assets SET is_enabled = ? WHERE id = ?', [enabled, id]);
}
