/**
 * What a replay leaves behind: every fill, every cycle's ledger as the machine booked it, the
 * alerts, and the mark-to-market equity (cash + the account's coin at each bar's closing bid), with
 * its maximum drawdown and the time spent with every safety order used. Money stays Decimal; the
 * equity curve and drawdown are doubles (a chart and a statistic, never an input to a decision).
 */
import type { OrderStep } from '../clientOrderId.js';
import type { AssetConfig, OrderSide } from '../domain.js';
import type { CycleOutput, CycleSnapshot } from '../machines/cycle.js';
import { type Decimal, ZERO } from '../money.js';
import type { BacktestAccount } from './account.js';
import type { Bars } from './bars.js';
import type { QuoteModel, QuotePoint } from './quoteModel.js';

export interface BacktestOrder {
  readonly cycle: number;
  readonly step: OrderStep;
  readonly side: OrderSide;
  readonly qty: Decimal;
  readonly price: Decimal;
  readonly at: Date;
  readonly feeUsd: Decimal;
  readonly clientOrderId: string;
  readonly cash: Decimal;
  readonly positionQty: Decimal;
}

export interface CycleRecord {
  readonly id: number;
  readonly status: 'complete' | 'error' | 'open';
  readonly firstBuyAt: Date | null;
  readonly endedAt: Date | null;
  readonly buys: number;
  readonly safetyOrders: number;
  readonly costBasis: Decimal;
  readonly sellProceeds: Decimal;
  readonly realizedPnl: Decimal | null;
  readonly feesUsd: Decimal;
  readonly averagePrice: Decimal;
  readonly takeProfitPrice: Decimal | null;
  readonly quantity: Decimal;
  readonly reason: string | null;
}

export interface RunResult {
  readonly symbol: string;
  readonly timeframeMs: number;
  readonly bars: number;
  readonly from: Date | null;
  /** End of the last bar. */
  readonly to: Date | null;
  readonly asset: AssetConfig;
  readonly maxCapital: Decimal;
  readonly orders: readonly BacktestOrder[];
  readonly cycles: readonly CycleRecord[];
  readonly alerts: Readonly<Record<string, { count: number; first: string }>>;
  /** Machine events sent (quotes, ticks, answers). */
  readonly steps: number;
  readonly equity: { readonly t: number[]; readonly v: number[] };
  readonly maxDrawdownUsd: number;
  readonly maxDrawdownPercent: number;
  readonly stuckMs: number;
  readonly endCash: Decimal;
  readonly endPositionQty: Decimal;
  readonly firstAsk: Decimal | null;
  readonly lastBid: Decimal | null;
}

interface Open {
  id: number;
  firstBuyAt: Date | null;
  buys: number;
  fees: Decimal;
}

export class Recorder {
  steps = 0;
  private readonly orders: BacktestOrder[] = [];
  private readonly cycles: CycleRecord[] = [];
  private readonly alerts: Record<string, { count: number; first: string }> = {};
  private open: Open = { id: 0, firstBuyAt: null, buys: 0, fees: ZERO };
  private cashF: number;
  private posF = 0;
  private peak: number;
  private maxDd = 0;
  private maxDdPct = 0;
  private stuckSince: number | null = null;
  private stuckMs = 0;
  private readonly every: number;
  private readonly eqT: number[] = [];
  private readonly eqV: number[] = [];
  private readonly closeBid: number;

  constructor(
    private readonly bars: Bars,
    private readonly asset: AssetConfig,
    private readonly capital: Decimal,
    model: QuoteModel,
    points: number,
  ) {
    this.cashF = capital.toNumber();
    this.peak = this.cashF;
    this.every = Math.max(1, Math.ceil(bars.t.length / Math.max(1, points)));
    this.closeBid = model.bidFactor;
  }

  cycleStarted(id: number): void {
    this.open = { id, firstBuyAt: null, buys: 0, fees: ZERO };
  }

  order(o: BacktestOrder): void {
    this.orders.push(o);
    this.cashF = o.cash.toNumber();
    this.posF = o.positionQty.toNumber();
    this.open.fees = this.open.fees.plus(o.feeUsd);
    if (o.side === 'buy') {
      this.open.buys += 1;
      this.open.firstBuyAt ??= o.at;
    }
  }

  alert(code: string, message: string): void {
    const a = this.alerts[code];
    if (a) a.count += 1;
    else this.alerts[code] = { count: 1, first: message };
  }

  /** After each step: stuck is holding with every safety order used. */
  state(snapshot: CycleSnapshot, at: Date | null): void {
    const { ledger } = snapshot.context;
    const max = this.asset.maxSafetyOrders;
    this.stuck(max > 0 && ledger.quantity.gt(0) && ledger.safetyOrders >= max, at);
  }

  private stuck(stuck: boolean, at: Date | null): void {
    const now = at?.getTime() ?? this.bars.t[0]!;
    if (stuck && this.stuckSince === null) this.stuckSince = now;
    else if (!stuck && this.stuckSince !== null) {
      this.stuckMs += now - this.stuckSince;
      this.stuckSince = null;
    }
  }

  cycleEnded(snapshot: CycleSnapshot, output: CycleOutput): void {
    this.cycles.push(this.record(snapshot, output.status, output.completedAt, output.reason ?? null));
    this.stuck(false, output.completedAt);
  }

  private record(
    snapshot: CycleSnapshot,
    status: CycleRecord['status'],
    endedAt: Date | null,
    reason: string | null,
  ): CycleRecord {
    const { ledger, asset } = snapshot.context;
    const avg = ledger.averagePurchasePrice;
    return {
      id: this.open.id,
      status,
      firstBuyAt: this.open.firstBuyAt,
      endedAt,
      buys: this.open.buys,
      safetyOrders: ledger.safetyOrders,
      costBasis: ledger.costBasis,
      sellProceeds: ledger.sellProceeds,
      realizedPnl: status === 'complete' ? ledger.realizedPnl : null,
      feesUsd: this.open.fees,
      averagePrice: avg,
      takeProfitPrice: avg.gt(0) ? avg.mul(asset.takeProfitPercent.div(100).plus(1)) : null,
      quantity: ledger.quantity,
      reason,
    };
  }

  bar(i: number): void {
    const eq = this.cashF + this.posF * this.bars.c[i]! * this.closeBid;
    if (eq > this.peak) this.peak = eq;
    const dd = this.peak - eq;
    if (dd > this.maxDd) this.maxDd = dd;
    if (dd / this.peak > this.maxDdPct) this.maxDdPct = dd / this.peak;
    if (i % this.every === 0 || i === this.bars.t.length - 1) {
      this.eqT.push(this.bars.t[i]!);
      this.eqV.push(eq);
    }
  }

  finish(
    snapshot: CycleSnapshot | null,
    account: BacktestAccount,
    first: QuotePoint | null,
    last: QuotePoint | null,
  ): RunResult {
    const n = this.bars.t.length;
    const end = n > 0 ? this.bars.t[n - 1]! + this.bars.timeframeMs : null;
    if (this.stuckSince !== null && end !== null) this.stuckMs += end - this.stuckSince;
    const cycles = [...this.cycles];
    if (snapshot !== null && this.open.buys > 0) cycles.push(this.record(snapshot, 'open', null, null));
    return {
      symbol: this.bars.symbol,
      timeframeMs: this.bars.timeframeMs,
      bars: n,
      from: n > 0 ? new Date(this.bars.t[0]!) : null,
      to: end === null ? null : new Date(end),
      asset: this.asset,
      maxCapital: this.capital,
      orders: this.orders,
      cycles,
      alerts: this.alerts,
      steps: this.steps,
      equity: { t: this.eqT, v: this.eqV },
      maxDrawdownUsd: this.maxDd,
      maxDrawdownPercent: this.maxDdPct * 100,
      stuckMs: this.stuckMs,
      endCash: account.ledger.cash,
      endPositionQty: account.positionQty(),
      firstAsk: first?.ask ?? null,
      lastBid: last?.bid ?? null,
    };
  }
}
