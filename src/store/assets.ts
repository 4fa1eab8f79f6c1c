/**
 * `dca_assets`: operator-written rows, so every one is validated. A bad row is reported (id and
 * reason) and skipped; it never stops the other assets from loading.
 */
import type { AssetConfig } from '../domain.js';
import { DcaError } from '../errors.js';
import { type Decimal, dec, decOrNull, toPlain } from '../money.js';
import { checkFits } from './columns.js';
import { execute, type Queryable, selectRows } from './db.js';
import type { Row } from './rows.js';
import { parseStrategyControls, strategyColumnProblems } from './strategyControls.js';

export interface InvalidAssetRow {
  id: number;
  symbol: string;
  reason: string;
}

/** `BTC/USD`: the order/market-data form with a quote currency Alpaca lists crypto pairs in. */
export const ASSET_SYMBOL_PATTERN = /^[A-Z0-9]{2,10}\/(USD|USDT|USDC|BTC)$/;

const COLUMNS = `id, asset_symbol, is_enabled, base_order_amount, safety_order_amount, max_safety_orders,
  safety_order_deviation, take_profit_percent, cooldown_period, buy_order_price_deviation_percent, last_sell_price,
  ttp_enabled, ttp_deviation_percent, stop_loss_percent, stop_loss_after_safety_orders, safety_order_volume_scale,
  safety_order_step_scale`;

export async function loadAssets(
  db: Queryable,
  opts: { enabledOnly?: boolean } = {},
): Promise<{ assets: AssetConfig[]; invalid: InvalidAssetRow[] }> {
  const where = opts.enabledOnly ? 'WHERE is_enabled = TRUE' : '';
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_assets ${where} ORDER BY id`);
  const assets: AssetConfig[] = [];
  const invalid: InvalidAssetRow[] = [];
  for (const row of rows) {
    const asset = parseOrReason(row);
    if (typeof asset !== 'string') assets.push(asset);
    else invalid.push({ id: Number(row['id']), symbol: String(row['asset_symbol']), reason: asset });
  }
  return { assets, invalid };
}

export async function getAsset(db: Queryable, id: number): Promise<AssetConfig | null> {
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_assets WHERE id = ?`, [id]);
  return rows[0] ? parseAssetRow(rows[0]) : null;
}

export async function getAssetBySymbol(db: Queryable, symbol: string): Promise<AssetConfig | null> {
  const row = await findAssetRow(db, symbol);
  return row ? parseAssetRow(row) : null;
}

/** Every row unparsed (invalid ones included), oldest first: for tools that show what the bot skips. */
export async function listAssetRows(db: Queryable): Promise<Row[]> {
  return selectRows(db, `SELECT ${COLUMNS} FROM dca_assets ORDER BY id`);
}

/** The unparsed row for a symbol, or null: an invalid row can still be found and fixed. */
export async function findAssetRow(db: Queryable, symbol: string): Promise<Row | null> {
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_assets WHERE asset_symbol = ?`, [symbol]);
  return rows[0] ?? null;
}

/** The operator's columns; settingValues() lists an asset's values in this order. */
const SETTINGS = [
  'is_enabled',
  'base_order_amount',
  'safety_order_amount',
  'max_safety_orders',
  'safety_order_deviation',
  'take_profit_percent',
  'cooldown_period',
  'buy_order_price_deviation_percent',
  'ttp_enabled',
  'ttp_deviation_percent',
  'stop_loss_percent',
  'stop_loss_after_safety_orders',
  'safety_order_volume_scale',
  'safety_order_step_scale',
] as const;

function settingValues(asset: AssetConfig): unknown[] {
  checkFits('dca_assets', 'base_order_amount', asset.baseOrderAmount);
  checkFits('dca_assets', 'safety_order_amount', asset.safetyOrderAmount);
  checkFits('dca_assets', 'safety_order_deviation', asset.safetyOrderDeviation);
  checkFits('dca_assets', 'take_profit_percent', asset.takeProfitPercent);
  checkFits('dca_assets', 'buy_order_price_deviation_percent', asset.buyOrderPriceDeviationPercent);
  checkFits('dca_assets', 'ttp_deviation_percent', asset.ttpDeviationPercent);
  checkFits('dca_assets', 'stop_loss_percent', asset.stopLossPercent);
  checkFits('dca_assets', 'safety_order_volume_scale', asset.safetyOrderVolumeScale);
  checkFits('dca_assets', 'safety_order_step_scale', asset.safetyOrderStepScale);
  const orNull = (d: Decimal | null) => (d === null ? null : toPlain(d));
  return [
    asset.enabled,
    toPlain(asset.baseOrderAmount),
    toPlain(asset.safetyOrderAmount),
    asset.maxSafetyOrders,
    toPlain(asset.safetyOrderDeviation),
    toPlain(asset.takeProfitPercent),
    asset.cooldownPeriod,
    toPlain(asset.buyOrderPriceDeviationPercent),
    asset.ttpEnabled,
    orNull(asset.ttpDeviationPercent),
    orNull(asset.stopLossPercent),
    asset.stopLossAfterSafetyOrders,
    toPlain(asset.safetyOrderVolumeScale),
    toPlain(asset.safetyOrderStepScale),
  ];
}

/** Inserts an asset's symbol and settings (its id and last sell price are the table's); returns the id. */
export async function insertAsset(db: Queryable, asset: AssetConfig): Promise<number> {
  const { insertId } = await execute(
    db,
    `INSERT INTO dca_assets (asset_symbol, ${SETTINGS.join(', ')}) VALUES (?, ${SETTINGS.map(() => '?').join(', ')})`,
    [asset.symbol, ...settingValues(asset)],
  );
  return insertId;
}

/** Rewrites the operator's settings of asset `asset.id`; last_sell_price belongs to the bot and is kept. */
export async function updateAssetSettings(db: Queryable, asset: AssetConfig): Promise<void> {
  await execute(db, `UPDATE dca_assets SET ${SETTINGS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [
    ...settingValues(asset),
    asset.id,
  ]);
}

export async function setAssetEnabled(db: Queryable, id: number, enabled: boolean): Promise<void> {
  await execute(db, 'UPDATE dca_assets SET is_enabled = ? WHERE id = ?', [enabled, id]);
}

/**
 * Where a valid asset would not survive its columns (sql/001: DECIMAL(20,10) amounts, DECIMAL(10,4)
 * percents, INT seconds): MySQL would round or refuse the value instead of storing what was typed.
 */
export function assetColumnProblems(asset: AssetConfig): string[] {
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
  problems.push(...strategyColumnProblems(asset));
  if (asset.cooldownPeriod > 2_147_483_647) problems.push('cooldown_period must fit a 32-bit INT');
  return problems;
}

export async function setLastSellPrice(db: Queryable, assetId: number, price: Decimal): Promise<void> {
  checkFits('dca_assets', 'last_sell_price', price);
  await execute(db, 'UPDATE dca_assets SET last_sell_price = ? WHERE id = ?', [toPlain(price), assetId]);
}

/** Validates and maps one row; throws DcaError('ASSET_INVALID') listing every reason. */
export function parseAssetRow(row: Row): AssetConfig {
  const id = Number(row['id']);
  const symbol = String(row['asset_symbol'] ?? '');
  const reasons: string[] = [];
  const decimal = (column: string): Decimal | null => {
    try {
      return dec(String(row[column]), column);
    } catch {
      reasons.push(`${column} is not a number (${JSON.stringify(row[column])})`);
      return null;
    }
  };
  const positive = (column: string): Decimal => {
    const d = decimal(column);
    if (d?.lte(0)) reasons.push(`${column} must be greater than 0, got ${d.toFixed()}`);
    return d ?? dec(0);
  };
  const percent = (column: string): Decimal => {
    const d = decimal(column);
    if (d && (d.lte(0) || d.gte(100)))
      reasons.push(`${column} must be between 0 and 100 (exclusive), got ${d.toFixed()}`);
    return d ?? dec(0);
  };

  if (!ASSET_SYMBOL_PATTERN.test(symbol)) {
    reasons.push(`asset_symbol must look like BTC/USD, got ${JSON.stringify(symbol)}`);
  }
  const baseOrderAmount = positive('base_order_amount');
  const safetyOrderAmount = positive('safety_order_amount');
  const maxSafetyOrders = Number(row['max_safety_orders']);
  if (!Number.isInteger(maxSafetyOrders) || maxSafetyOrders < 0 || maxSafetyOrders > 100) {
    reasons.push(
      `max_safety_orders must be an integer from 0 to 100, got ${String(row['max_safety_orders'])}`,
    );
  }
  const safetyOrderDeviation = percent('safety_order_deviation');
  const takeProfitPercent = percent('take_profit_percent');
  const buyOrderPriceDeviationPercent = percent('buy_order_price_deviation_percent');
  const cooldownPeriod = Number(row['cooldown_period']);
  if (!Number.isInteger(cooldownPeriod) || cooldownPeriod < 0) {
    reasons.push(
      `cooldown_period must be a whole number of seconds ≥ 0, got ${String(row['cooldown_period'])}`,
    );
  }
  const controls = parseStrategyControls(row, reasons, {
    maxSafetyOrders,
    safetyOrderDeviation,
    takeProfitPercent,
  });
  let lastSellPrice: Decimal | null = null;
  try {
    lastSellPrice = decOrNull(row['last_sell_price'] as string | null, 'last_sell_price');
  } catch {
    reasons.push(`last_sell_price is not a number (${JSON.stringify(row['last_sell_price'])})`);
  }

  if (reasons.length > 0) {
    throw new DcaError('ASSET_INVALID', `asset ${id} (${symbol}) is invalid: ${reasons.join('; ')}`, {
      details: { id, symbol, reasons },
    });
  }
  return {
    id,
    symbol,
    enabled: Boolean(Number(row['is_enabled'])),
    baseOrderAmount,
    safetyOrderAmount,
    maxSafetyOrders,
    safetyOrderDeviation,
    takeProfitPercent,
    cooldownPeriod,
    buyOrderPriceDeviationPercent,
    lastSellPrice,
    ...controls,
  };
}

/** The row parsed as the bot loads it, or the reasons (joined) it would skip it. */
export function parseOrReason(row: Row): AssetConfig | string {
  try {
    return parseAssetRow(row);
  } catch (err) {
    if (!(err instanceof DcaError) || err.code !== 'ASSET_INVALID') throw err;
    const reasons = err.details['reasons'];
    return Array.isArray(reasons) ? reasons.join('; ') : err.message;
  }
}
