/**
 * The page's data: one plain JSON object built from the asset actors' views, the cycle machines'
 * latest snapshots (from the inspect events), the ledger and the supervisor. Every number is a
 * string formatted here from a Decimal, and only named fields are copied, so nothing the page was
 * not meant to see (config, keys) can reach it.
 */
import type { RecordedAlert } from '../actors/alerts.js';
import type { AssetView } from '../actors/asset.js';
import type { Account } from '../domain.js';
import type { Decimal } from '../money.js';
import type { ChildStatus } from '../supervisor.js';
import { type AssetPanel, assetPanel, type MachineState, restingPanel } from './assetPanel.js';
import type { Bar } from './bars.js';
import { usd, usd2 } from './format.js';
import type { LedgerSnapshot } from './queries.js';

export type { AssetPanel, MachineState } from './assetPanel.js';

export interface AlertView {
  readonly at: string;
  readonly level: string;
  readonly code: string;
  readonly asset: string | null;
  readonly message: string;
}

export interface OrderView {
  readonly clientOrderId: string;
  readonly cycleId: number;
  readonly symbol: string;
  readonly step: string;
  readonly side: string;
  readonly type: string;
  readonly status: string;
  readonly qty: string;
  readonly limitPrice: string | null;
  readonly filledQty: string;
  readonly filledAvgPrice: string | null;
  readonly at: string;
}

export interface CyclePnlView {
  readonly cycleId: number;
  readonly symbol: string;
  readonly status: string;
  readonly completedAt: string | null;
  readonly cost: string;
  readonly proceeds: string;
  /** Realized P&L; for an error cycle, what it cost (proceeds less cost, never counted as realized). */
  readonly realizedPnl: string;
}

export interface SumView {
  readonly cycles: number;
  readonly realizedPnl: string;
  readonly errorCycles: number;
  readonly errorCost: string;
}

export interface DashboardState {
  readonly at: string;
  readonly mode: string;
  /** Whether the page may offer controls (DASHBOARD_TOKEN set), and if not why. */
  readonly controls: { readonly enabled: boolean; readonly reason: string | null };
  readonly account: {
    readonly cash: string;
    readonly buyingPower: string;
    readonly at: string;
  } | null;
  readonly assets: readonly AssetPanel[];
  readonly orders: readonly OrderView[];
  readonly alerts: readonly AlertView[];
  readonly pnl: {
    readonly cycles: readonly CyclePnlView[];
    readonly assets: readonly ({ symbol: string } & SumView)[];
    readonly days: readonly ({ day: string } & SumView)[];
    readonly total: string;
    readonly errorCost: string;
  };
  readonly supervisor: readonly {
    id: string;
    state: string;
    restarts: number;
    since: string;
    lastError: string | null;
    /** Why a child is parked or idle, and when it is tried again. */
    reason: string | null;
    nextRetryAt: string | null;
  }[];
  /** The ledger part is from this time; null until the first read succeeded. */
  readonly ledgerAt: string | null;
  readonly ledgerError: string | null;
}

export interface ModelInput {
  readonly now: Date;
  readonly mode: string;
  readonly views: readonly AssetView[];
  /** Latest machine state per cycle id. */
  readonly machines: ReadonlyMap<number, MachineState>;
  readonly ledger: LedgerSnapshot | null;
  readonly ledgerAt: Date | null;
  readonly ledgerError: string | null;
  readonly supervisor: readonly ChildStatus[];
  readonly feeRate: Decimal;
  readonly controls: DashboardState['controls'];
  readonly account: { readonly account: Account; readonly at: Date } | null;
  readonly alerts: readonly RecordedAlert[];
  readonly bars: (symbol: string) => readonly Bar[];
}

export function buildState(input: ModelInput): DashboardState {
  const { ledger } = input;
  const symbolOf = (assetId: number) =>
    input.views.find((v) => v.asset.id === assetId)?.asset.symbol ?? ledger?.symbols.get(assetId) ?? '?';
  const running = new Set(input.views.map((v) => v.asset.symbol));
  const resting = (ledger?.perAsset ?? []).filter((a) => !running.has(a.symbol));
  return {
    at: input.now.toISOString(),
    mode: input.mode,
    controls: input.controls,
    account: input.account && {
      cash: usd2(input.account.account.cash),
      buyingPower: usd2(input.account.account.buyingPower),
      at: input.account.at.toISOString(),
    },
    assets: [
      ...input.views.map((v) =>
        assetPanel(v, v.cycle ? input.machines.get(v.cycle.id) : undefined, input, ledger?.cycleOrders ?? []),
      ),
      ...resting.map((a) => restingPanel(a.symbol, a.enabled)),
    ].sort((a, b) => a.symbol.localeCompare(b.symbol)),
    alerts: input.alerts.map((a) => ({
      at: a.at.toISOString(),
      level: a.level,
      code: a.code,
      asset: a.asset ?? null,
      message: a.message.slice(0, 300),
    })),
    orders: (ledger?.orders ?? []).map((o) => ({
      clientOrderId: o.clientOrderId,
      cycleId: o.cycleId,
      symbol: symbolOf(o.assetId),
      step: o.step,
      side: o.side,
      type: o.orderType,
      status: o.status,
      qty: o.qty.toFixed(),
      limitPrice: o.limitPrice?.toFixed() ?? null,
      filledQty: o.filledQty.toFixed(),
      filledAvgPrice: o.filledAvgPrice?.toFixed() ?? null,
      at: (o.closedAt ?? o.submittedAt ?? o.createdAt).toISOString(),
    })),
    pnl: {
      cycles: (ledger?.cycles ?? []).map((c) => ({
        cycleId: c.id,
        symbol: symbolOf(c.assetId),
        status: c.status,
        completedAt: c.completedAt?.toISOString() ?? null,
        cost: usd(c.costBasis),
        proceeds: usd(c.sellProceeds),
        realizedPnl: usd(c.realizedPnl ?? c.sellProceeds.minus(c.costBasis)),
      })),
      assets: (ledger?.perAsset ?? []).map((a) => ({ symbol: a.symbol, ...sums(a) })),
      days: (ledger?.perDay ?? []).map((d) => ({ day: d.day, ...sums(d) })),
      total: ledger ? usd(ledger.total) : '—',
      errorCost: ledger ? usd(ledger.errorCost) : '—',
    },
    supervisor: input.supervisor.map((c) => ({
      id: c.id,
      state: c.state,
      restarts: c.restarts,
      since: c.since.toISOString(),
      lastError: c.lastError ? c.lastError.slice(0, 200) : null,
      reason: c.reason ? c.reason.slice(0, 200) : null,
      nextRetryAt: c.nextRetryAt?.toISOString() ?? null,
    })),
    ledgerAt: input.ledgerAt?.toISOString() ?? null,
    ledgerError: input.ledgerError,
  };
}

function sums(s: { cycles: number; realizedPnl: Decimal; errorCycles: number; errorCost: Decimal }): SumView {
  return {
    cycles: s.cycles,
    realizedPnl: usd(s.realizedPnl),
    errorCycles: s.errorCycles,
    errorCost: usd(s.errorCost),
  };
}
