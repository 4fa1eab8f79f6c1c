/**
 * `--html report.html`: one self-contained page (no network: TradingView's lightweight-charts is
 * inlined) with the price as candles, a marker per fill, each cycle's average price and take-profit
 * as step lines, the equity curve, the summary and the cycles. Long runs are drawn as coarser
 * candles (at most MAX_CANDLES); the numbers come from every bar.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Bars } from './bars.js';
import type { RunResult } from './recorder.js';
import type { Summary } from './summary.js';
import { summaryText } from './text.js';

const MAX_CANDLES = 1500;

let chartLibrary: string | null = null;
function library(): string {
  if (chartLibrary === null) {
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    chartLibrary = readFileSync(
      join(dirname(pkg), 'dist/lightweight-charts.standalone.production.js'),
      'utf8',
    );
  }
  return chartLibrary;
}

interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

function candles(bars: Bars): { candles: Candle[]; bucketMs: number } {
  const n = bars.t.length;
  const per = Math.max(1, Math.ceil(n / MAX_CANDLES));
  const out: Candle[] = [];
  for (let i = 0; i < n; i += per) {
    const end = Math.min(n, i + per);
    let high = bars.h[i]!;
    let low = bars.l[i]!;
    for (let j = i + 1; j < end; j++) {
      if (bars.h[j]! > high) high = bars.h[j]!;
      if (bars.l[j]! < low) low = bars.l[j]!;
    }
    out.push({ time: Math.floor(bars.t[i]! / 1000), open: bars.o[i]!, high, low, close: bars.c[end - 1]! });
  }
  return { candles: out, bucketMs: per * bars.timeframeMs };
}

/** The candle a moment falls in (markers must sit on a candle's time). */
function snap(ms: number, bars: Bars, bucketMs: number): number {
  const t0 = bars.t[0]!;
  return Math.floor((t0 + Math.floor((ms - t0) / bucketMs) * bucketMs) / 1000);
}

function chartData(bars: Bars, run: RunResult) {
  const { candles: cs, bucketMs } = candles(bars);
  const markers = run.orders.map((o) => ({
    time: snap(o.at.getTime(), bars, bucketMs),
    position: o.side === 'buy' ? 'belowBar' : 'aboveBar',
    color: o.side === 'buy' ? '#1e88e5' : '#e53935',
    shape: o.side === 'buy' ? 'arrowUp' : 'arrowDown',
    text: o.step === 'tp' ? 'TP' : o.step === 'base' ? 'B' : o.step.toUpperCase(),
  }));
  // Per cycle: the average and take-profit price from each buy until the cycle ends, then a gap.
  const avg: { time: number; value?: number }[] = [];
  const tp: { time: number; value?: number }[] = [];
  const pct = Number(run.asset.takeProfitPercent.toFixed()) / 100;
  const lastTime = cs.length > 0 ? cs[cs.length - 1]!.time : 0;
  const byCycle = new Map<number, typeof run.orders>();
  for (const o of run.orders) byCycle.set(o.cycle, [...(byCycle.get(o.cycle) ?? []), o]);
  for (const orders of byCycle.values()) {
    let cost = 0;
    let qty = 0;
    let endTime = lastTime;
    for (const o of orders) {
      const time = snap(o.at.getTime(), bars, bucketMs);
      if (o.side === 'sell') {
        endTime = time;
        break;
      }
      cost += o.qty.toNumber() * o.price.toNumber();
      qty += o.qty.toNumber();
      const a = cost / qty;
      const point = (arr: typeof avg, value: number) => {
        if (arr.length > 0 && arr[arr.length - 1]!.time >= time) arr[arr.length - 1] = { time, value };
        else arr.push({ time, value });
      };
      point(avg, a);
      point(tp, a * (1 + pct));
    }
    const a = avg[avg.length - 1];
    const t = tp[tp.length - 1];
    if (a?.value !== undefined && t?.value !== undefined && endTime > a.time) {
      avg.push({ time: endTime, value: a.value });
      tp.push({ time: endTime, value: t.value });
    }
    const gap = endTime + Math.floor(bucketMs / 1000);
    if (gap <= lastTime) {
      avg.push({ time: gap });
      tp.push({ time: gap });
    }
  }
  const dedupe = (arr: typeof avg) =>
    arr.filter((p, i) => i === arr.length - 1 || arr[i + 1]!.time > p.time).sort((x, y) => x.time - y.time);
  const equity = run.equity.t.map((t, i) => ({ time: Math.floor(t / 1000), value: run.equity.v[i]! }));
  return { candles: cs, markers, avg: dedupe(avg), tp: dedupe(tp), equity };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById('data').textContent);
const LC = window.LightweightCharts;
const common = { autoSize: true, layout: { background: { color: '#ffffff' }, textColor: '#222' },
  timeScale: { timeVisible: true, secondsVisible: false }, grid: { vertLines: { color: '#eee' }, horzLines: { color: '#eee' } } };
const price = LC.createChart(document.getElementById('price'), common);
const candles = price.addSeries(LC.CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350' });
candles.setData(data.candles);
LC.createSeriesMarkers(candles, data.markers);
const avg = price.addSeries(LC.LineSeries, { color: '#fb8c00', lineWidth: 2, lineType: LC.LineType.WithSteps, title: 'average', priceLineVisible: false, lastValueVisible: false });
avg.setData(data.avg);
const tp = price.addSeries(LC.LineSeries, { color: '#43a047', lineWidth: 1, lineStyle: LC.LineStyle.Dashed, lineType: LC.LineType.WithSteps, title: 'take-profit', priceLineVisible: false, lastValueVisible: false });
tp.setData(data.tp);
price.timeScale().fitContent();
const eq = LC.createChart(document.getElementById('equity'), common);
const eqLine = eq.addSeries(LC.AreaSeries, { lineColor: '#3949ab', topColor: 'rgba(57,73,171,0.3)', bottomColor: 'rgba(57,73,171,0.02)', title: 'equity USD' });
eqLine.setData(data.equity);
eq.timeScale().fitContent();
document.body.dataset.ready = 'yes';
`;

export function htmlReport(bars: Bars, run: RunResult, summary: Summary, settings: string): string {
  const title = `dca-bot backtest ${run.symbol}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
#price { height: 460px; } #equity { height: 220px; margin-top: 12px; }
pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12px; }
.legend span { margin-right: 16px; }
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="legend"><span style="color:#1e88e5">▲ buy</span><span style="color:#e53935">▼ take-profit</span><span style="color:#fb8c00">— average price</span><span style="color:#43a047">- - take-profit price</span></p>
<div id="price"></div>
<div id="equity"></div>
<pre>${escapeHtml(summaryText(summary, settings, 50, run))}</pre>
<script>${library().replace(/<\/script/gi, '<\\/script')}</script>
<script type="application/json" id="data">${scriptJson(chartData(bars, run))}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
