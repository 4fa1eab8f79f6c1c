/**
 * The DECIMAL columns' ranges, so a value that cannot be stored is refused by name before any SQL
 * runs. A strict session (db.ts) would reject it too, but as a bare ER_WARN_DATA_OUT_OF_RANGE with
 * no column the caller can act on; a non-strict one would silently store the column's maximum. An
 * impossible fill price (1e300) must become one clear, named error that changes nothing.
 */
import { ValueOutOfRangeError } from '../errors.js';
import { Decimal } from '../money.js';

/** precision (all digits) and scale (digits after the point), as in the sql/ migrations. */
export interface DecimalColumn {
  readonly precision: number;
  readonly scale: number;
}

const QTY: DecimalColumn = { precision: 30, scale: 15 };
const PRICE: DecimalColumn = { precision: 20, scale: 10 };
const PERCENT: DecimalColumn = { precision: 10, scale: 4 };
const BAR: DecimalColumn = { precision: 30, scale: 12 };

/** Every DECIMAL column of the schema (a test compares this with information_schema). */
export const DECIMAL_COLUMNS = {
  dca_assets: {
    base_order_amount: PRICE,
    safety_order_amount: PRICE,
    safety_order_deviation: PERCENT,
    take_profit_percent: PERCENT,
    buy_order_price_deviation_percent: PERCENT,
    last_sell_price: PRICE,
    ttp_deviation_percent: PERCENT,
    stop_loss_percent: PERCENT,
    safety_order_volume_scale: PERCENT,
    safety_order_step_scale: PERCENT,
  },
  dca_cycles: {
    quantity: QTY,
    average_purchase_price: PRICE,
    last_order_fill_price: PRICE,
    ttp_peak_price: PRICE,
    bought_quantity: QTY,
    position_baseline: QTY,
    cost_basis: QTY,
    sell_proceeds: QTY,
    realized_pnl: QTY,
  },
  dca_orders: {
    qty: QTY,
    limit_price: PRICE,
    filled_qty: QTY,
    filled_avg_price: PRICE,
    fee: QTY,
  },
  dca_bars: {
    open: BAR,
    high: BAR,
    low: BAR,
    close: BAR,
    volume: BAR,
  },
} as const satisfies Record<string, Record<string, DecimalColumn>>;

export type DecimalTable = keyof typeof DECIMAL_COLUMNS;
export type DecimalColumnName<T extends DecimalTable> = keyof (typeof DECIMAL_COLUMNS)[T] & string;

/**
 * Whether `value` can be stored in a DECIMAL(precision, scale): finite, and below 10^(precision -
 * scale) in magnitude once rounded to `scale` places (MySQL rounds half away from zero first, so
 * 99999.999995 does not fit a DECIMAL(10, 5)).
 */
export function fits(value: Decimal, column: DecimalColumn): boolean {
  if (!value.isFinite()) return false;
  const rounded = value.toDecimalPlaces(column.scale, Decimal.ROUND_HALF_UP).abs();
  return rounded.lt(new Decimal(10).pow(column.precision - column.scale));
}

/** Throws ValueOutOfRangeError (code VALUE_OUT_OF_RANGE) unless `value` fits `table.column`. */
export function checkFits<T extends DecimalTable>(
  table: T,
  column: DecimalColumnName<T>,
  value: Decimal | null | undefined,
): void {
  if (value === null || value === undefined) return;
  const spec = (DECIMAL_COLUMNS[table] as Record<string, DecimalColumn>)[column];
  if (spec === undefined) return;
  if (!fits(value, spec)) throw new ValueOutOfRangeError(table, column, value.toString(), spec);
}
