/** The backtest report for people (a few aligned tables) and for scripts (one JSON document). */
import { formatTable } from '../cli/io.js';
import type { Decimal } from '../money.js';
import type { RunResult } from './recorder.js';
import type { Summary } from './summary.js';

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

const usd = (d: Decimal) => d.toDecimalPlaces(2).toFixed(2);
const iso = (d: Date | null) => (d === null ? '-' : `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`);

export function summaryText(s: Summary, settings: string, cyclesShown = 10, run?: RunResult): string {
  const rows: [string, string][] = [
    ['period', `${iso(s.from)} → ${iso(s.to)} (${s.bars} bars)`],
    ['settings', settings],
    ['max capital', `${usd(s.maxCapital)} USD (base + every safety order, scaled: the worst case)`],
    ['capital used', `${usd(s.capitalUsed)} USD (largest cycle cost)`],
    ['realized P&L', `${usd(s.realizedPnl)} USD`],
    ['unrealized at end', `${usd(s.unrealizedPnl)} USD${s.cycleOpen ? ' (cycle open)' : ''}`],
    ['fees', `${usd(s.fees)} USD`],
    ['return on max capital', `${s.returnOnMaxCapitalPercent.toFixed(2)} %`],
    ['return on capital used', `${s.returnOnCapitalUsedPercent.toFixed(2)} %`],
    ['max drawdown', `${usd(s.maxDrawdownUsd)} USD (${s.maxDrawdownPercent.toFixed(2)} %, mark-to-market)`],
    ['cycles', `${s.cyclesCompleted} completed${s.cyclesFailed > 0 ? `, ${s.cyclesFailed} failed` : ''}`],
    [
      'cycle length',
      `average ${formatDuration(s.averageCycleMs)}, longest ${formatDuration(s.longestCycleMs)}`,
    ],
    ['safety orders used', s.safetyOrdersHistogram.map((n, i) => `${i}:${n}`).join('  ')],
    ['stuck (all SOs used)', `${formatDuration(s.stuckMs)} (${s.stuckPercent.toFixed(2)} % of the period)`],
    ['orders', String(s.orders)],
    ['buy and hold', `${usd(s.buyAndHoldPnl)} USD (${s.buyAndHoldReturnPercent.toFixed(2)} %)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`backtest ${s.symbol}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  if (run && run.cycles.length > 0) {
    const shown = run.cycles.slice(-cyclesShown);
    lines.push('', `last ${shown.length} of ${run.cycles.length} cycles:`);
    lines.push(
      formatTable(
        ['CYCLE', 'STATUS', 'FIRST BUY', 'ENDED', 'LENGTH', 'SO', 'COST USD', 'P&L USD', 'FEES USD'],
        shown.map((c) => [
          String(c.id),
          c.status,
          iso(c.firstBuyAt),
          iso(c.endedAt),
          formatDuration(c.firstBuyAt && c.endedAt ? c.endedAt.getTime() - c.firstBuyAt.getTime() : null),
          String(c.safetyOrders),
          usd(c.costBasis),
          c.realizedPnl === null ? '-' : usd(c.realizedPnl),
          usd(c.feesUsd),
        ]),
        ['right', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
  }
  const alerts = run ? Object.entries(run.alerts) : [];
  if (alerts.length > 0) {
    lines.push('', 'alerts the bot would have raised:');
    for (const [code, a] of alerts) lines.push(`  ${code} ×${a.count}: ${a.first}`);
  }
  return lines.join('\n');
}

/** One JSON document: the summary, every cycle and every order. */
export function reportJson(s: Summary, settings: string, run: RunResult) {
  return {
    summary: { ...s, settings },
    cycles: run.cycles,
    orders: run.orders.map(({ cash: _c, positionQty: _p, ...o }) => o),
    alerts: run.alerts,
  };
}
