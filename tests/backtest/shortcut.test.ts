import { describe, expect, it } from 'vitest';
import type { Bars } from '../../src/backtest/bars.js';
import { type BacktestInput, runBacktest } from '../../src/backtest/engine.js';
import type { RunResult } from '../../src/backtest/recorder.js';
import { syntheticBars } from '../../src/backtest/synthetic.js';
import type { AssetConfig } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { mulberry32 } from '../../src/sim/feeds.js';
import { barsOf, btAsset, btInput } from '../helpers/backtest.js';

/** Everything a result says, as plain strings: two runs are identical when these are equal. */
function fingerprint(r: RunResult) {
  return {
    orders: r.orders.map(
      (o) => `${o.cycle} ${o.step} ${o.side} ${o.qty} @ ${o.price} ${o.at.toISOString()} fee ${o.feeUsd}`,
    ),
    cycles: r.cycles.map(
      (c) => `${c.id} ${c.status} so=${c.safetyOrders} cost=${c.costBasis} pnl=${c.realizedPnl}`,
    ),
    alerts: r.alerts,
    cash: r.endCash.toFixed(),
    position: r.endPositionQty.toFixed(),
    drawdown: r.maxDrawdownUsd,
    stuck: r.stuckMs,
    equity: r.equity,
  };
}

function both(bars: Bars, input: BacktestInput) {
  const fast = runBacktest(bars, { ...input, mode: 'fast' });
  const naive = runBacktest(bars, { ...input, mode: 'naive' });
  return { fast, naive };
}

/** A crash, a slow bleed, a V-shaped recovery and a pump: the shapes that decide a DCA run. */
function realShaped(): Bars {
  const ohlc: [number, number, number, number][] = [];
  let p = 64_000;
  const push = (next: number, wick: number) => {
    const o = p;
    const c = Math.round(next * 100) / 100;
    ohlc.push([o, Math.max(o, c) + wick, Math.min(o, c) - wick, c]);
    p = c;
  };
  for (let i = 0; i < 120; i++) push(p * (1 + 0.0004 * Math.sin(i / 3)), 12);
  for (let i = 0; i < 30; i++) push(p * 0.995, 90); // crash
  for (let i = 0; i < 300; i++) push(p * (1 - 0.0002 + 0.0006 * Math.sin(i / 7)), 25); // bleed
  for (let i = 0; i < 60; i++) push(p * 1.004, 60); // V recovery
  for (let i = 0; i < 200; i++) push(p * (1 + 0.001 * Math.sin(i / 5)), 40); // chop
  for (let i = 0; i < 40; i++) push(p * 1.006, 150); // pump
  return barsOf(ohlc);
}

describe('the trigger shortcut', () => {
  const settings = [
    btAsset(),
    btAsset({ takeProfitPercent: dec('0.3'), safetyOrderDeviation: dec('0.4'), cooldownPeriod: 60 }),
    btAsset({ maxSafetyOrders: 1, buyOrderPriceDeviationPercent: dec('0.2'), cooldownPeriod: 3600 }),
    btAsset({ maxSafetyOrders: 0, takeProfitPercent: dec('0.5'), cooldownPeriod: 0 }),
  ];

  it.each(settings.map((asset, i) => [i, asset] as const))(
    'gives the same orders, P&L and equity as feeding every quote (random walk, settings %i)',
    (_, asset) => {
      for (const seed of [1, 2, 3]) {
        const bars = syntheticBars({ count: 1500, seed, annualVol: 2.5, startPrice: 50_000 + seed });
        const { fast, naive } = both(bars, btInput({ asset }));
        expect(fast.orders.length).toBeGreaterThan(0);
        expect(fingerprint(fast)).toEqual(fingerprint(naive));
        expect(fast.steps).toBeLessThan(naive.steps / 2);
      }
    },
  );

  it('gives the same results on a crash, a bleed, a recovery and a pump', () => {
    const bars = realShaped();
    for (const asset of settings) {
      const { fast, naive } = both(bars, btInput({ asset }));
      expect(fast.cycles.some((c) => c.status === 'complete')).toBe(true);
      expect(fingerprint(fast)).toEqual(fingerprint(naive));
    }
  });

  it('gives the same results with a wide spread, slippage and a coarse price increment', () => {
    const bars = syntheticBars({ count: 1500, seed: 9, annualVol: 3 });
    const input = btInput({
      market: { spreadBps: 40, slippageBps: 10, makerFeeBps: 0, takerFeeBps: 60, feeBps: 40 },
      rules: { ...btInput().rules, priceIncrement: dec('5') },
    });
    const { fast, naive } = both(bars, input);
    expect(fast.orders.length).toBeGreaterThan(2);
    expect(fingerprint(fast)).toEqual(fingerprint(naive));
  });

  it('falls back to every quote for a setting it does not model, with the same result', () => {
    const bars = syntheticBars({ count: 300, seed: 4, annualVol: 2.5 });
    const asset = { ...btAsset(), trailingSomething: dec('1') } as ReturnType<typeof btAsset>;
    const fast = runBacktest(bars, btInput({ asset, mode: 'fast' }));
    const naive = runBacktest(bars, btInput({ mode: 'naive' }));
    expect(fast.steps).toBe(naive.steps);
    expect(fingerprint(fast)).toEqual(fingerprint(naive));
  });

  it('keeps the shortcut with the strategy controls on', () => {
    const bars = syntheticBars({ count: 300, seed: 4, annualVol: 2.5 });
    const asset = btAsset({
      ttpEnabled: true,
      ttpDeviationPercent: dec('0.3'),
      stopLossPercent: dec('2'),
      safetyOrderVolumeScale: dec('1.5'),
      safetyOrderStepScale: dec('1.2'),
    });
    const fast = runBacktest(bars, btInput({ asset }));
    const naive = runBacktest(bars, btInput({ asset, mode: 'naive' }));
    expect(fast.steps).toBeLessThan(naive.steps / 2);
    expect(fingerprint(fast)).toEqual(fingerprint(naive));
  });
});

/** Random settings with trailing take-profit, stop-loss and scaling each on or off, as the row parser allows. */
function strategyAsset(seed: number): AssetConfig {
  const r = mulberry32(seed);
  const pick = (lo: number, hi: number, places = 2) => dec((lo + r() * (hi - lo)).toFixed(places));
  const takeProfitPercent = pick(0.3, 2);
  const maxSafetyOrders = Math.floor(r() * 6);
  const ttp = r() < 0.7;
  const stop = r() < 0.7;
  return btAsset({
    baseOrderAmount: pick(15, 40),
    safetyOrderAmount: pick(12, 40),
    maxSafetyOrders,
    safetyOrderDeviation: pick(0.2, 1.5),
    takeProfitPercent,
    cooldownPeriod: [0, 60, 600][Math.floor(r() * 3)]!,
    buyOrderPriceDeviationPercent: pick(0.1, 1),
    ttpEnabled: ttp,
    ttpDeviationPercent: ttp ? takeProfitPercent.mul(pick(0.1, 0.9)).toDecimalPlaces(4) : null,
    stopLossPercent: stop ? pick(0.5, 4) : null,
    stopLossAfterSafetyOrders: r() < 0.5,
    safetyOrderVolumeScale: r() < 0.3 ? dec(1) : pick(0.5, 2.5),
    safetyOrderStepScale: r() < 0.3 ? dec(1) : pick(0.7, 1.8),
  });
}

describe('the trigger shortcut with the strategy controls on', () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);

  it('gives the same orders, P&L and equity as feeding every quote (random settings)', () => {
    const steps = new Set<string>();
    const alerts = new Set<string>();
    for (const seed of seeds) {
      const asset = strategyAsset(seed);
      const bars = syntheticBars({
        count: 1000,
        seed: 100 + seed,
        annualVol: 2.5,
        startPrice: 40_000 + seed,
      });
      const { fast, naive } = both(bars, btInput({ asset }));
      expect({ seed, ...fingerprint(fast) }).toEqual({ seed, ...fingerprint(naive) });
      expect(fast.steps).toBeLessThan(naive.steps);
      for (const o of fast.orders) steps.add(o.step);
      for (const code of Object.keys(fast.alerts)) alerts.add(code);
    }
    // The triggers under test did fire: stop-loss sells, take-profit sells (plain and trailing), scaled ladders.
    expect([...steps]).toEqual(expect.arrayContaining(['base', 'so1', 'so2', 'tp', 'sl']));
    expect([...alerts]).toEqual(expect.arrayContaining(['TRAILING_STARTED', 'STOP_LOSS']));
  }, 120_000);

  it('gives the same results on a crash, a bleed, a recovery and a pump (random settings)', () => {
    const bars = realShaped();
    for (const seed of seeds) {
      const { fast, naive } = both(bars, btInput({ asset: strategyAsset(seed) }));
      expect({ seed, ...fingerprint(fast) }).toEqual({ seed, ...fingerprint(naive) });
    }
  }, 120_000);

  it('gives the same results with a wide spread and a coarse price increment (random settings)', () => {
    const input = btInput({
      market: { spreadBps: 40, slippageBps: 10, makerFeeBps: 0, takerFeeBps: 60, feeBps: 40 },
      rules: { ...btInput().rules, priceIncrement: dec('5') },
    });
    for (const seed of seeds.slice(0, 8)) {
      const bars = syntheticBars({ count: 1200, seed: 200 + seed, annualVol: 3 });
      const { fast, naive } = both(bars, { ...input, asset: strategyAsset(seed) });
      expect({ seed, ...fingerprint(fast) }).toEqual({ seed, ...fingerprint(naive) });
    }
  }, 120_000);
});
