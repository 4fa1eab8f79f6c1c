/**
 * `dca_assets`: operator-written rows, so every one is validated. A bad row is reported (id and
 * reason) and skipped; it never stops the other assets from loading.
 */
import type { AssetConfig } from '../domain.js';
import { DcaError } from '../errors.js';
import { type Decimal, dec, decOrNull, toPlain } from '../money.js';
import { execute, type Queryable, selectRows } from './db.js';

export interface InvalidAssetRow {
  id: number;
  symbol: string;
  reason: string;
}

/** `BTC/USD`: the order/market-data form with a quote currency Alpaca lists crypto pairs in. */
export const ASSET_SYMBOL_PATTERN = /^[A-Z0-9]{2,10}\/(USD|USDT|USDC|BTC)$/;

const COLUMNS = `id, asset_symbol, is_enabled, base_order_amount, safety_order_amount, max_safety_orders,
  safety_order_deviation, take_profit_percent, cooldown_period, buy_order_price_deviation_percent, last_sell_price`;

export async function loadAssets(
  db: Queryable,
  opts: { enabledOnly?: boolean } = {},
): Promise<{ assets: AssetConfig[]; invalid: InvalidAssetRow[] }> {
  const where = opts.enabledOnly ? 'WHERE is_enabled = TRUE' : '';
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_assets ${where} ORDER BY id`);
  const assets: AssetConfig[] = [];
  const invalid: InvalidAssetRow[] = [];
  for (const row of rows) {
    try {
      assets.push(parseAssetRow(row));
    } catch (err) {
      if (!(err instanceof DcaError) || err.code !== 'ASSET_INVALID') throw err;
      invalid.push({ id: Number(row['id']), symbol: String(row['asset_symbol']), reason: reasonOf(err) });
    }
  }
  return { assets, invalid };
}

export async function getAsset(db: Queryable, id: number): Promise<AssetConfig | null> {
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_assets WHERE id = ?`, [id]);
  return rows[0] ? parseAssetRow(rows[0]) : null;
}

export async function getAssetBySymbol(db: Queryable, symbol: string): Promise<AssetConfig | null> {
  const rows = await selectRows(db, `SELECT ${COLUMNS} FROM dca_assets WHERE asset_symbol = ?`, [symbol]);
  return rows[0] ? parseAssetRow(rows[0]) : null;
}

export async function setLastSellPrice(db: Queryable, assetId: number, price: Decimal): Promise<void> {
  await execute(db, 'UPDATE dca_assets SET last_sell_price = ? WHERE id = ?', [toPlain(price), assetId]);
}

/** Validates and maps one row; throws DcaError('ASSET_INVALID') listing every reason. */
export function parseAssetRow(row: Record<string, unknown>): AssetConfig {
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
  };
}

function reasonOf(err: DcaError): string {
  const reasons = err.details['reasons'];
  return Array.isArray(reasons) ? reasons.join('; ') : err.message;
}
