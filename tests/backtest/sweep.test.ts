import { describe, expect, it } from 'vitest';
import { MARKET_DEFAULTS, runBacktest } from '../../src/backtest/engine.js';
import { addFlags, assetOfRow, pairRules, withOverrides } from '../../src/backtest/settings.js';
import { summarize } from '../../src/backtest/summary.js';
import { grid, parseSweep, rank, runSweep } from '../../src/backtest/sweep.js';
import { syntheticBars } from '../../src/backtest/synthetic.js';
import { dec } from '../../src/money.js';
import { SWEEP_ROW } from '../../testkit/backtestRow.js';

const ROW = SWEEP_ROW;

describe('the parameter sweep', () => {
  it('reads start:end:step (end included), lists, and flag names for columns', () => {
    expect(parseSweep('take_profit_percent=0.5:3:0.5')).toEqual({
      column: 'take_profit_percent',
      values: ['0.5', '1', '1.5', '2', '2.5', '3'],
    });
    expect(parseSweep('deviation=1,2.5')).toEqual({ column: 'safety_order_deviation', values: ['1', '2.5'] });
    expect(() => parseSweep('take_profit=1:2:0.5')).toThrow(/setting is one of/);
    expect(() => parseSweep('take_profit_percent=3:1:0.5')).toThrow(/start ≤ end/);
    expect(grid([parseSweep('take-profit=1,2'), parseSweep('max-safety=1,2,3')])).toHaveLength(6);
  });

  it('gives each point on the worker threads exactly what a single run gives, with paste-able settings', async () => {
    const bars = syntheticBars({ count: 4000, seed: 5, annualVol: 1.5 });
    const rules = pairRules('BTC/USD', {}, dec(10));
    const axes = [parseSweep('take_profit_percent=0.5:1.5:0.5'), parseSweep('safety_order_deviation=1,2')];
    const progress: number[] = [];
    const { results, invalid } = await runSweep({
      bars,
      row: ROW,
      axes,
      rules,
      market: MARKET_DEFAULTS,
      threads: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(invalid).toEqual([]);
    expect(results).toHaveLength(6);
    expect(progress.at(-1)).toBe(6);
    for (const r of results) {
      const single = summarize(
        runBacktest(bars, { asset: assetOfRow({ ...ROW, ...r.overrides }), rules, market: MARKET_DEFAULTS }),
        MARKET_DEFAULTS.makerFeeBps,
        MARKET_DEFAULTS.takerFeeBps,
      );
      expect(r.totalPnl).toBe(single.totalPnl.toDecimalPlaces(2).toFixed(2));
      expect(r.cyclesCompleted).toBe(single.cyclesCompleted);
      expect(r.settings).toContain(`--take-profit ${r.overrides['take_profit_percent']}`);
      expect(r.settings).toContain(`--deviation ${r.overrides['safety_order_deviation']}`);
    }
    const byPnl = rank(results, 'pnl');
    expect(Number(byPnl[0]!.totalPnl)).toBeGreaterThanOrEqual(Number(byPnl.at(-1)!.totalPnl));
    const byDrawdown = rank(results, 'drawdown');
    expect(Number(byDrawdown[0]!.maxDrawdownPercent)).toBeLessThanOrEqual(
      Number(byDrawdown.at(-1)!.maxDrawdownPercent),
    );
  }, 120_000);

  it('reports a point the bot would refuse instead of running it', async () => {
    const bars = syntheticBars({ count: 100, seed: 5 });
    const { results, invalid } = await runSweep({
      bars,
      row: ROW,
      axes: [parseSweep('take_profit_percent=50,100')],
      rules: pairRules('BTC/USD', {}, dec(10)),
      market: MARKET_DEFAULTS,
      threads: 1,
    });
    expect(results).toHaveLength(1);
    expect(invalid[0]!.error).toContain('take_profit_percent must be between 0 and 100');
  }, 60_000);

  it('sweeps the strategy controls: a trailing deviation switches trailing on, off switches it off', () => {
    expect(parseSweep('ttp_deviation_percent=off,0.2,0.4')).toEqual({
      column: 'ttp_deviation_percent',
      values: ['off', '0.2', '0.4'],
    });
    expect(parseSweep('stop-loss=5:15:5')).toEqual({
      column: 'stop_loss_percent',
      values: ['5', '10', '15'],
    });
    expect(parseSweep('stop_loss_after_safety_orders=yes,no').values).toEqual(['yes', 'no']);
    expect(parseSweep('safety_order_volume_scale=1:2:0.5').values).toEqual(['1', '1.5', '2']);
    expect(parseSweep('step-scale=1.1,1.3').column).toBe('safety_order_step_scale');
    expect(() => parseSweep('stop_loss_after_safety_orders=maybe')).toThrow(/list of yes and no/);
    expect(() => parseSweep('safety_order_step_scale=off,1')).toThrow(/"off" is not a number/);

    const on = withOverrides(ROW, {
      ttp_deviation_percent: '0.4',
      stop_loss_percent: '10',
      stop_loss_after_safety_orders: 'no',
      safety_order_volume_scale: '1.5',
      safety_order_step_scale: '1.2',
    });
    expect(assetOfRow(on)).toMatchObject({
      ttpEnabled: true,
      stopLossAfterSafetyOrders: false,
    });
    expect(assetOfRow(on).ttpDeviationPercent!.toFixed()).toBe('0.4');
    expect(addFlags(on)).toBe(
      '--base 20 --safety 20 --max-safety 5 --deviation 1.5 --take-profit 1 --cooldown 300 --restart-drop 2 ' +
        '--ttp-deviation 0.4 --stop-loss 10 --stop-loss-after-safety no --volume-scale 1.5 --step-scale 1.2',
    );
    const off = withOverrides(on, { ttp_deviation_percent: 'off', stop_loss_percent: 'off' });
    expect(assetOfRow(off)).toMatchObject({
      ttpEnabled: false,
      ttpDeviationPercent: null,
      stopLossPercent: null,
    });
    expect(addFlags(off)).toBe(
      '--base 20 --safety 20 --max-safety 5 --deviation 1.5 --take-profit 1 --cooldown 300 --restart-drop 2 ' +
        '--stop-loss-after-safety no --volume-scale 1.5 --step-scale 1.2',
    );
    // A stored row's defaults (trailing off with a kept deviation, after-safety yes, scales 1.0000) add nothing.
    const stored = {
      ...ROW,
      ttp_enabled: 0,
      ttp_deviation_percent: '0.5000',
      stop_loss_after_safety_orders: 1,
      safety_order_volume_scale: '1.0000',
      safety_order_step_scale: '1.0000',
    };
    expect(addFlags(stored)).toBe(addFlags(ROW));
  });

  it('runs a strategy sweep point exactly as a single run, an invalid trailing deviation reported', async () => {
    const bars = syntheticBars({ count: 3000, seed: 6, annualVol: 2 });
    const rules = pairRules('BTC/USD', {}, dec(10));
    const axes = [parseSweep('ttp_deviation_percent=off,0.3,1'), parseSweep('stop_loss_percent=off,3')];
    const { results, invalid } = await runSweep({
      bars,
      row: ROW,
      axes,
      rules,
      market: MARKET_DEFAULTS,
      threads: 2,
    });
    expect(results).toHaveLength(4);
    expect(invalid.map((p) => p.overrides['ttp_deviation_percent'])).toEqual(['1', '1']);
    expect(invalid[0]!.error).toContain('ttp_deviation_percent (1) must be less than take_profit_percent');
    for (const r of results) {
      const single = summarize(
        runBacktest(bars, {
          asset: assetOfRow(withOverrides(ROW, r.overrides)),
          rules,
          market: MARKET_DEFAULTS,
        }),
        MARKET_DEFAULTS.makerFeeBps,
        MARKET_DEFAULTS.takerFeeBps,
      );
      expect(r.totalPnl).toBe(single.totalPnl.toDecimalPlaces(2).toFixed(2));
      expect(r.settings.includes('--ttp-deviation 0.3')).toBe(r.overrides['ttp_deviation_percent'] === '0.3');
      expect(r.settings.includes('--stop-loss 3')).toBe(r.overrides['stop_loss_percent'] === '3');
    }
    // The trailing take-profit changes the result: the settings are not silently dropped.
    const pnl = (ttp: string) =>
      results.find(
        (r) => r.overrides['ttp_deviation_percent'] === ttp && r.overrides['stop_loss_percent'] === 'off',
      )!.totalPnl;
    expect(pnl('0.3')).not.toBe(pnl('off'));
  }, 120_000);
});
