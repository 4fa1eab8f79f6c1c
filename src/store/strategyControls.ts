/**
 * The strategy controls of sql/008 on a `dca_assets` row: trailing take-profit, stop-loss, safety
 * order scaling. Checked like the seed's columns (every problem named), and against those columns:
 * a trailing deviation below the take-profit, a last scaled safety order that can still buy.
 */
import { type AssetConfig, STRATEGY_DEFAULTS, type StrategyControls } from '../domain.js';
import { safetyOrderAmountOf, safetyOrderDeviationOf } from '../machines/decisions.js';
import { type Decimal, dec } from '../money.js';
import { DECIMAL_COLUMNS } from './columns.js';
import type { Row } from './rows.js';

/** The largest safety order volume or step scale. */
const MAX_SCALE = 10;

/**
 * The sql/008 strategy controls of a row, checked against each other and the seed's settings; every
 * problem is added to `reasons`. A NULL or missing column means its default (the seed's behaviour).
 */
export function parseStrategyControls(
  row: Row,
  reasons: string[],
  seed: Pick<AssetConfig, 'maxSafetyOrders' | 'safetyOrderDeviation' | 'takeProfitPercent'>,
): StrategyControls {
  const present = (column: string) => row[column] !== null && row[column] !== undefined;
  const flag = (column: string, fallback: boolean) =>
    present(column) ? Boolean(Number(row[column])) : fallback;
  const decimal = (column: string): Decimal | null => {
    if (!present(column)) return null;
    try {
      return dec(String(row[column]), column);
    } catch {
      reasons.push(`${column} is not a number (${JSON.stringify(row[column])})`);
      return null;
    }
  };
  const percentOrNull = (column: string): Decimal | null => {
    const d = decimal(column);
    if (d && (d.lte(0) || d.gte(100))) {
      reasons.push(`${column} must be between 0 and 100 (exclusive), got ${d.toFixed()}`);
    }
    return d;
  };
  const scale = (column: string): Decimal | null => {
    const d = decimal(column) ?? (present(column) ? null : STRATEGY_DEFAULTS.safetyOrderVolumeScale);
    if (d && (d.lte(0) || d.gt(MAX_SCALE))) {
      reasons.push(`${column} must be greater than 0 and at most ${MAX_SCALE}, got ${d.toFixed()}`);
      return null;
    }
    return d;
  };

  const ttpEnabled = flag('ttp_enabled', STRATEGY_DEFAULTS.ttpEnabled);
  const ttpDeviationPercent = percentOrNull('ttp_deviation_percent');
  if (ttpEnabled && ttpDeviationPercent === null && !reasons.some((r) => r.startsWith('ttp_deviation'))) {
    reasons.push('ttp_enabled needs ttp_deviation_percent (the % below the peak bid that sells)');
  }
  if (ttpEnabled && ttpDeviationPercent?.gte(seed.takeProfitPercent)) {
    reasons.push(
      `ttp_deviation_percent (${ttpDeviationPercent.toFixed()}) must be less than take_profit_percent ` +
        `(${seed.takeProfitPercent.toFixed()}), or the trailing take-profit could sell below its target`,
    );
  }
  const stopLossPercent = percentOrNull('stop_loss_percent');
  const safetyOrderVolumeScale = scale('safety_order_volume_scale');
  const safetyOrderStepScale = scale('safety_order_step_scale');
  // The deviation of the last safety order grows with the step scale; at 100 % it could never buy.
  if (safetyOrderStepScale !== null && Number.isInteger(seed.maxSafetyOrders) && seed.maxSafetyOrders > 1) {
    const steps = { safetyOrderDeviation: seed.safetyOrderDeviation, safetyOrderStepScale };
    const last = safetyOrderDeviationOf(steps, seed.maxSafetyOrders);
    if (last.gte(100)) {
      reasons.push(
        `safety order ${seed.maxSafetyOrders}'s deviation would be ${last.toDecimalPlaces(4).toFixed()} % ` +
          `(safety_order_deviation × safety_order_step_scale^${seed.maxSafetyOrders - 1}); it must stay below 100`,
      );
    }
  }
  return {
    ttpEnabled,
    ttpDeviationPercent,
    stopLossPercent,
    stopLossAfterSafetyOrders: flag(
      'stop_loss_after_safety_orders',
      STRATEGY_DEFAULTS.stopLossAfterSafetyOrders,
    ),
    // A bad scale has its reason already: the row is refused, the value never used.
    safetyOrderVolumeScale: safetyOrderVolumeScale ?? STRATEGY_DEFAULTS.safetyOrderVolumeScale,
    safetyOrderStepScale: safetyOrderStepScale ?? STRATEGY_DEFAULTS.safetyOrderStepScale,
  };
}

/** Where a valid asset's controls would not survive their columns (DECIMAL(10, 4) percents and scales). */
export function strategyColumnProblems(asset: AssetConfig): string[] {
  const problems: string[] = [];
  const columns = DECIMAL_COLUMNS.dca_assets;
  const fits = (column: keyof typeof columns, value: Decimal | null) => {
    if (value === null) return;
    const { precision, scale } = columns[column];
    if (value.decimalPlaces() > scale) problems.push(`${column} allows at most ${scale} decimal places`);
    if (value.abs().gte(`1e${precision - scale}`))
      problems.push(`${column} must be less than 1e${precision - scale}`);
  };
  fits('ttp_deviation_percent', asset.ttpDeviationPercent);
  fits('stop_loss_percent', asset.stopLossPercent);
  fits('safety_order_volume_scale', asset.safetyOrderVolumeScale);
  fits('safety_order_step_scale', asset.safetyOrderStepScale);
  // Every scaled safety order must be storable and printable as an amount (DECIMAL(20, 10)).
  const last = safetyOrderAmountOf(asset, asset.maxSafetyOrders);
  const amount = columns.safety_order_amount;
  if (last.gte(`1e${amount.precision - amount.scale}`)) {
    problems.push(
      `safety order ${asset.maxSafetyOrders} would be ${last.toSignificantDigits(6).toString()} USD ` +
        `(safety_order_amount × safety_order_volume_scale^(n − 1)); an amount must be less than 1e${amount.precision - amount.scale}`,
    );
  }
  return problems;
}
