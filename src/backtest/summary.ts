/**
 * The numbers a backtest is judged by, from a run (recorder.ts). Money is Decimal; percentages are
 * rounded to 2 places; durations in milliseconds.
 *
 * - realized P&L: the machine's own `realized_pnl` of each completed cycle (what dca_cycles records);
 * - unrealized: the open cycle's coin at the last bid, minus what it cost;
 * - return on max capital: total P&L over the worst case, base + every safety order at its scaled
 *   amount (worstCaseCapital: what the settings can commit);
 *   on capital used: over the largest cost basis any cycle reached;
 * - buy-and-hold: the max capital bought at the first ask (maker fee) and valued at the last bid.
 */
import { Decimal, ZERO } from '../money.js';
import type { CycleRecord, RunResult } from './recorder.js';

export interface Summary {
  readonly symbol: string;
  readonly from: Date | null;
  readonly to: Date | null;
  readonly bars: number;
  readonly maxCapital: Decimal;
  readonly capitalUsed: Decimal;
  readonly realizedPnl: Decimal;
  readonly unrealizedPnl: Decimal;
  readonly totalPnl: Decimal;
  readonly fees: Decimal;
  readonly returnOnMaxCapitalPercent: Decimal;
  readonly returnOnCapitalUsedPercent: Decimal;
  readonly maxDrawdownUsd: Decimal;
  readonly maxDrawdownPercent: Decimal;
  readonly cyclesCompleted: number;
  readonly cyclesFailed: number;
  readonly cycleOpen: boolean;
  readonly averageCycleMs: number | null;
  readonly longestCycleMs: number | null;
  /** Index = safety orders used, value = cycles (completed or open) that used that many. */
  readonly safetyOrdersHistogram: readonly number[];
  readonly stuckMs: number;
  readonly stuckPercent: Decimal;
  readonly orders: number;
  readonly buyAndHoldPnl: Decimal;
  readonly buyAndHoldReturnPercent: Decimal;
}

function pct(part: Decimal, whole: Decimal): Decimal {
  return whole.gt(0) ? part.div(whole).mul(100).toDecimalPlaces(2) : ZERO;
}

function duration(c: CycleRecord): number | null {
  return c.firstBuyAt !== null && c.endedAt !== null ? c.endedAt.getTime() - c.firstBuyAt.getTime() : null;
}

export function summarize(run: RunResult, makerFeeBps: number, takerFeeBps: number): Summary {
  const completed = run.cycles.filter((c) => c.status === 'complete');
  const open = run.cycles.find((c) => c.status === 'open') ?? null;
  const realizedPnl = completed.reduce((sum, c) => sum.plus(c.realizedPnl ?? ZERO), ZERO);
  const unrealizedPnl =
    open !== null && run.lastBid !== null ? open.quantity.mul(run.lastBid).minus(open.costBasis) : ZERO;
  const totalPnl = realizedPnl.plus(unrealizedPnl);
  const capitalUsed = run.cycles.reduce((max, c) => Decimal.max(max, c.costBasis), ZERO);
  const durations = completed.map(duration).filter((d): d is number => d !== null);
  const histogram = new Array<number>(run.asset.maxSafetyOrders + 1).fill(0);
  for (const c of run.cycles) {
    if (c.buys > 0 && c.status !== 'error') histogram[c.safetyOrders] = (histogram[c.safetyOrders] ?? 0) + 1;
  }
  const periodMs = run.from && run.to ? run.to.getTime() - run.from.getTime() : 0;
  let buyAndHoldPnl = ZERO;
  if (run.firstAsk !== null && run.lastBid !== null && run.firstAsk.gt(0)) {
    const coin = run.maxCapital
      .div(run.firstAsk)
      .mul(new Decimal(1).minus(new Decimal(makerFeeBps).div(10_000)));
    const value = coin.mul(run.lastBid).mul(new Decimal(1).minus(new Decimal(takerFeeBps).div(10_000)));
    buyAndHoldPnl = value.minus(run.maxCapital).toDecimalPlaces(2);
  }
  return {
    symbol: run.symbol,
    from: run.from,
    to: run.to,
    bars: run.bars,
    maxCapital: run.maxCapital,
    capitalUsed,
    realizedPnl,
    unrealizedPnl,
    totalPnl,
    fees: run.orders.reduce((sum, o) => sum.plus(o.feeUsd), ZERO),
    returnOnMaxCapitalPercent: pct(totalPnl, run.maxCapital),
    returnOnCapitalUsedPercent: pct(totalPnl, capitalUsed),
    maxDrawdownUsd: new Decimal(run.maxDrawdownUsd.toFixed(2)),
    maxDrawdownPercent: new Decimal(run.maxDrawdownPercent.toFixed(2)),
    cyclesCompleted: completed.length,
    cyclesFailed: run.cycles.filter((c) => c.status === 'error').length,
    cycleOpen: open !== null,
    averageCycleMs: durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : null,
    longestCycleMs: durations.length > 0 ? Math.max(...durations) : null,
    safetyOrdersHistogram: histogram,
    stuckMs: run.stuckMs,
    stuckPercent: periodMs > 0 ? new Decimal(((run.stuckMs / periodMs) * 100).toFixed(2)) : ZERO,
    orders: run.orders.length,
    buyAndHoldPnl,
    buyAndHoldReturnPercent: pct(buyAndHoldPnl, run.maxCapital),
  };
}
