/**
 * Backtest speed on one core: a year of synthetic 1-minute bars (525,600) through the engine's
 * trigger shortcut, against the naive replay that feeds every bar's four quotes (and a TICK) through
 * the same machine, measured in the same run. The naive loop runs on a slice (it is ~1000× slower);
 * both are reported in bars per second, so the ratio is like for like; the same again with a
 * trailing take-profit, and with every strategy control on. A second group times a
 * 100-point sweep over the same year on every core (worker threads).
 */
import { availableParallelism } from 'node:os';
import { MARKET_DEFAULTS, runBacktest } from '../src/backtest/engine.js';
import { pairRules } from '../src/backtest/settings.js';
import { runSweep } from '../src/backtest/sweep.js';
import { syntheticBars } from '../src/backtest/synthetic.js';
import { type AssetConfig, STRATEGY_DEFAULTS } from '../src/domain.js';
import { dec } from '../src/money.js';
import { SWEEP_ROW } from '../testkit/backtestRow.js';
import type { Bench, BenchRow } from './table.js';

const YEAR = 525_600;
const NAIVE_SLICE = 5_000;

const ASSET: AssetConfig = {
  id: 1,
  symbol: 'BTC/USD',
  enabled: true,
  baseOrderAmount: dec(20),
  safetyOrderAmount: dec(20),
  maxSafetyOrders: 5,
  safetyOrderDeviation: dec('1.5'),
  takeProfitPercent: dec(1),
  cooldownPeriod: 300,
  buyOrderPriceDeviationPercent: dec(2),
  ...STRATEGY_DEFAULTS,
  lastSellPrice: null,
};

/** The same asset with a trailing take-profit, then with every strategy control on. */
const TRAILING_ASSET: AssetConfig = { ...ASSET, ttpEnabled: true, ttpDeviationPercent: dec('0.3') };
const STRATEGY_ASSET: AssetConfig = {
  ...TRAILING_ASSET,
  stopLossPercent: dec(10),
  stopLossAfterSafetyOrders: true,
  safetyOrderVolumeScale: dec('1.5'),
  safetyOrderStepScale: dec('1.2'),
};

function barsPerSecond(
  count: number,
  mode: 'fast' | 'naive',
  bars: ReturnType<typeof syntheticBars>,
  runs: number,
  asset: AssetConfig = ASSET,
) {
  const rules = pairRules('BTC/USD', {}, dec(10));
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let result: ReturnType<typeof runBacktest> | null = null;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    result = runBacktest(bars, { asset, rules, market: MARKET_DEFAULTS, mode, equityPoints: 2000 });
    const used = process.cpuUsage(cpu);
    best = Math.min(best, performance.now() - started);
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1000);
  }
  // CPU time is what one core spends, whatever else shares the machine; wall time is reported too.
  return {
    rate: (count / bestCpu) * 1000,
    wallRate: (count / best) * 1000,
    ms: best,
    cpuMs: bestCpu,
    result: result!,
  };
}

export const benchBacktest: Bench = async () => {
  const year = syntheticBars({ count: YEAR, seed: 7 });
  const slice = syntheticBars({ count: NAIVE_SLICE, seed: 7 });
  barsPerSecond(YEAR, 'fast', year, 2); // warm-up
  const fast = barsPerSecond(YEAR, 'fast', year, 5);
  const naive = barsPerSecond(NAIVE_SLICE, 'naive', slice, 1);
  const strategies = [
    { name: 'trailing take-profit 0.3 %', asset: TRAILING_ASSET },
    { name: 'trailing 0.3 %, stop-loss 10 %, volume/step scale 1.5/1.2', asset: STRATEGY_ASSET },
  ].map(({ name, asset }) => ({
    name,
    fast: barsPerSecond(YEAR, 'fast', year, 3, asset),
    naive: barsPerSecond(NAIVE_SLICE, 'naive', slice, 1, asset),
  }));
  const rows: BenchRow[] = [
    {
      group: 'backtest',
      name: `bars per CPU second, one asset, one core (a year of 1Min bars, ${fast.result.orders.length} orders)`,
      value: Math.round(fast.rate),
      unit: 'bars/s',
      baseline: Math.round(naive.rate),
      ratio: fast.rate / naive.rate,
      target: '>= 1000000 (naive: every quote)',
    },
    ...strategies.map(
      (st): BenchRow => ({
        group: 'backtest',
        name: `the same with ${st.name} (${st.fast.result.orders.length} orders, ${((st.fast.result.steps / YEAR) * 1000).toFixed(1)} steps per 1000 bars)`,
        value: Math.round(st.fast.rate),
        unit: 'bars/s',
        baseline: Math.round(st.naive.rate),
        ratio: st.fast.rate / st.naive.rate,
        target: '>= 1000000 (naive: every quote)',
      }),
    ),
    {
      group: 'backtest',
      name: 'bars per wall-clock second (slower when other processes share the core)',
      value: Math.round(fast.wallRate),
      unit: 'bars/s',
      baseline: Math.round(naive.wallRate),
      ratio: fast.wallRate / naive.wallRate,
    },
    {
      group: 'backtest',
      name: 'a year of 1Min bars, CPU time',
      value: Math.round(fast.cpuMs),
      unit: 'ms',
      target: '< 1000',
    },
    { group: 'backtest', name: 'a year of 1Min bars, wall time', value: Math.round(fast.ms), unit: 'ms' },
    {
      group: 'backtest',
      name: 'machine steps per 1000 bars (shortcut / every quote)',
      value: Number(((fast.result.steps / YEAR) * 1000).toFixed(2)),
      unit: 'steps',
      baseline: Math.round((naive.result.steps / NAIVE_SLICE) * 1000),
    },
  ];
  return rows;
};

/** 100 points (take-profit 0.5…3 × deviation 1…4.5) over the same year, on every core. */
export const benchSweep: Bench = async () => {
  const year = syntheticBars({ count: YEAR, seed: 7 });
  const row = SWEEP_ROW;
  const started = performance.now();
  const { results } = await runSweep({
    bars: year,
    row,
    axes: [
      {
        column: 'take_profit_percent',
        values: ['0.5', '0.75', '1', '1.25', '1.5', '1.75', '2', '2.5', '3', '3.5'],
      },
      {
        column: 'safety_order_deviation',
        values: ['1', '1.5', '2', '2.5', '3', '3.5', '4', '4.5', '5', '6'],
      },
    ],
    rules: pairRules('BTC/USD', {}, dec(10)),
    market: MARKET_DEFAULTS,
  });
  const ms = performance.now() - started;
  return [
    {
      group: 'backtest sweep',
      name: `${results.length} points × a year of 1Min bars, ${availableParallelism()} worker threads`,
      value: Math.round(ms),
      unit: 'ms wall',
    },
  ];
};
