/**
 * The issue-17 strategy controls in a backtest, on constructed bars with exact expected values:
 * each bar is open → low → high → close (up bar) or open → high → low → close (down bar), quoted
 * without spread or fees, so every quote is the bar's price and every fill is exact.
 */
import { describe, expect, it } from 'vitest';
import type { Bars } from '../../src/backtest/bars.js';
import { type BacktestInput, runBacktest } from '../../src/backtest/engine.js';
import { summarize } from '../../src/backtest/summary.js';
import { dec } from '../../src/money.js';
import { BAR_T0, barsOf, btAsset, btInput } from '../helpers/backtest.js';

const NO_FEES = { spreadBps: 0, slippageBps: 0, makerFeeBps: 0, takerFeeBps: 0, feeBps: 0 };

/** Both replays, which must agree; the shortcut's result is returned. */
function run(bars: Bars, input: BacktestInput) {
  const fast = runBacktest(bars, { ...input, mode: 'fast' });
  const naive = runBacktest(bars, { ...input, mode: 'naive' });
  const orders = (r: typeof fast) =>
    r.orders.map((o) => `${o.step} ${o.qty} @ ${o.price} ${o.at.toISOString()}`);
  expect(orders(fast)).toEqual(orders(naive));
  expect(fast.endCash.toFixed()).toBe(naive.endCash.toFixed());
  return fast;
}

const rows = (r: ReturnType<typeof run>) =>
  r.orders.map((o) => [o.step, o.side, o.qty.toFixed(), o.price.toFixed(), o.at.getTime() - BAR_T0]);

/** The k-th quote (0…3) of bar i, ms after BAR_T0. */
const at = (i: number, k: number) => i * 60_000 + k * 15_000;

describe('a backtest with a trailing take-profit', () => {
  const asset = btAsset({
    maxSafetyOrders: 0,
    takeProfitPercent: dec(1),
    cooldownPeriod: 3600,
    ttpEnabled: true,
    ttpDeviationPercent: dec('0.5'),
  });

  it('rides the rise past the take-profit price and sells on the pullback below the peak', () => {
    const bars = barsOf([
      [100, 100, 100, 100], // base: 0.2 at 100
      [100, 101, 100, 101], // 101 = the take-profit price: trailing starts, peak 101
      [101, 103, 101, 103], // peak 103
      [103, 104, 103, 104], // peak 104: the trailing stop is 104 × 0.995 = 103.48
      [104, 104, 103.5, 103.9], // 103.5 is above the stop: holds
      [103.9, 103.9, 103.48, 103.7], // 103.48: sells everything at the bid
    ]);
    const r = run(bars, btInput({ asset, market: NO_FEES }));
    expect(rows(r)).toEqual([
      ['base', 'buy', '0.2', '100', at(0, 0)],
      ['tp', 'sell', '0.2', '103.48', at(5, 2)],
    ]);
    expect(r.cycles[0]).toMatchObject({ status: 'complete', safetyOrders: 0 });
    // 0.2 × 103.48 − 20; a plain take-profit would have sold at 101 for 0.2.
    expect(r.cycles[0]!.realizedPnl!.toFixed()).toBe('0.696');
    expect(r.alerts['TRAILING_STARTED']).toEqual({
      count: 1,
      first:
        'BTC/USD: bid 101 reached the take-profit price 101; trailing: sells when the bid falls 0.5 % below its highest (now at 100.495 or below)',
    });
    const plain = run(bars, btInput({ asset: btAsset({ ...asset, ttpEnabled: false }), market: NO_FEES }));
    expect(rows(plain).at(-1)).toEqual(['tp', 'sell', '0.2', '101', at(1, 2)]);
  });
});

describe('a backtest with a stop-loss after the last safety order', () => {
  const asset = btAsset({
    baseOrderAmount: dec(20),
    safetyOrderAmount: dec(20),
    maxSafetyOrders: 1,
    safetyOrderDeviation: dec(3),
    takeProfitPercent: dec(1),
    cooldownPeriod: 3600,
    stopLossPercent: dec(2),
    stopLossAfterSafetyOrders: true,
  });
  const bars = barsOf([
    [100, 100, 100, 100], // base: 0.2 at 100
    [100, 100, 97.5, 97.6], // 2.5 % down, below 100 × 0.98: not armed before the safety order
    [97.6, 97.6, 97, 97.2], // safety order 1 at 97 (3 % below 100); the stop is armed now
    [97.2, 97.2, 96.51, 96.6], // the stop is avg × 0.98 = 96.5076…: 96.51 holds
    [96.6, 96.6, 96.5, 96.55], // 96.5: sells everything at market
  ]);

  it('sells everything at the bid once the last safety order is used, booking the loss', () => {
    const r = run(bars, btInput({ asset, market: NO_FEES }));
    expect(rows(r)).toEqual([
      ['base', 'buy', '0.2', '100', at(0, 0)],
      ['so1', 'buy', '0.206185567', '97', at(2, 2)],
      ['sl', 'sell', '0.406185567', '96.5', at(4, 2)],
    ]);
    const [cycle] = r.cycles;
    expect(cycle).toMatchObject({ status: 'complete', safetyOrders: 1, buys: 2 });
    // cost 20 + 0.206185567 × 97 = 39.999999999; proceeds 0.406185567 × 96.5.
    expect(cycle!.costBasis.toFixed()).toBe('39.999999999');
    expect(cycle!.averagePrice.mul('0.98').toFixed(4)).toBe('96.5076');
    expect(cycle!.realizedPnl!.toFixed()).toBe('-0.8030927835');
    expect(r.alerts['STOP_LOSS']!.count).toBe(1);
    expect(r.alerts['STOP_LOSS']!.first).toContain('stop-loss: bid 96.5 is at or below 96.5076');
    const s = summarize(r, 0, 0);
    expect(s.realizedPnl.toFixed()).toBe('-0.8030927835');
    expect(s.cyclesCompleted).toBe(1);
    expect(r.endPositionQty.toFixed()).toBe('0');
  });

  it('sells on the first dip below the average when it does not wait for the safety orders', () => {
    const r = run(
      bars,
      btInput({ asset: btAsset({ ...asset, stopLossAfterSafetyOrders: false }), market: NO_FEES }),
    );
    // Armed from the base order on: 97.5 is below 100 × 0.98 = 98.
    expect(rows(r)).toEqual([
      ['base', 'buy', '0.2', '100', at(0, 0)],
      ['sl', 'sell', '0.2', '97.5', at(1, 2)],
    ]);
    expect(r.cycles[0]!.realizedPnl!.toFixed()).toBe('-0.5');
  });
});

describe('a backtest with a scaled safety-order ladder', () => {
  it('buys each safety order with its scaled amount at its scaled deviation from the last fill', () => {
    const asset = btAsset({
      baseOrderAmount: dec(20),
      safetyOrderAmount: dec(20),
      maxSafetyOrders: 3,
      safetyOrderDeviation: dec(1),
      takeProfitPercent: dec(5),
      cooldownPeriod: 3600,
      safetyOrderVolumeScale: dec(2),
      safetyOrderStepScale: dec('1.5'),
    });
    const bars = barsOf([
      [100, 100, 100, 100], // base 20 USD at 100
      [100, 100, 99, 99.2], // so1: 20 USD at 99 (1 % below 100)
      [99.2, 99.2, 98, 98.1], // 98 is below 99 × 0.99 but above so2's 99 × 0.985 = 97.515: no buy
      [98.1, 98.1, 97.51, 97.6], // so2: 40 USD at 97.51
      [97.6, 97.6, 95.32, 95.4], // so3's trigger is 97.51 × 0.9775 = 95.315975: 95.32 does not buy
      [95.4, 95.4, 95.31, 95.35], // so3: 80 USD at 95.31
      [95.35, 95.35, 80, 80], // no so4: max 3
    ]);
    const r = run(bars, btInput({ asset, market: NO_FEES }));
    expect(rows(r)).toEqual([
      ['base', 'buy', '0.2', '100', at(0, 0)],
      ['so1', 'buy', '0.202020202', '99', at(1, 2)],
      ['so2', 'buy', '0.410214336', '97.51', at(3, 2)],
      ['so3', 'buy', '0.839366278', '95.31', at(5, 2)],
    ]);
    // 20 / 99, 40 / 97.51 and 80 / 95.31, each rounded down to the trade increment.
    expect(r.maxCapital.toFixed()).toBe('160');
    expect(r.cycles[0]).toMatchObject({ status: 'open', safetyOrders: 3, buys: 4 });
    expect(r.cycles[0]!.costBasis.toFixed()).toBe(
      dec(20)
        .plus(dec('0.202020202').mul(99))
        .plus(dec('0.410214336').mul('97.51'))
        .plus(dec('0.839366278').mul('95.31'))
        .toFixed(),
    );
  });
});
