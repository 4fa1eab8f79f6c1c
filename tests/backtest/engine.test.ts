import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/engine.js';
import { QuoteModel } from '../../src/backtest/quoteModel.js';
import { summarize } from '../../src/backtest/summary.js';
import { dec, roundDownTo, roundUpTo } from '../../src/money.js';
import { BAR_T0, barsOf, btAsset, btInput, btRules } from '../helpers/backtest.js';

const NO_FEES = { spreadBps: 0, slippageBps: 0, makerFeeBps: 0, takerFeeBps: 0, feeBps: 0 };
const STEP = dec('0.000000001');

/** Base at 100, a safety order at 99 (1 % lower), the take-profit at 101 (1 % above the average). */
const BASE_SAFETY_PROFIT = barsOf([
  [100, 100, 100, 100],
  [100, 100, 99, 99.5],
  [99.5, 101, 99.5, 101],
]);
const ASSET = btAsset({
  maxSafetyOrders: 2,
  safetyOrderDeviation: dec(1),
  takeProfitPercent: dec(1),
  cooldownPeriod: 0,
});

describe('the bar → quote model', () => {
  it('walks open → low → high → close on an up bar and open → high → low → close on a down bar', () => {
    const bars = barsOf([
      [100, 110, 90, 105],
      [100, 110, 90, 95],
    ]);
    const model = new QuoteModel(0, dec('0.01'));
    expect(model.barQuotes(bars, 0).map((q) => q.ask.toNumber())).toEqual([100, 90, 110, 105]);
    expect(model.barQuotes(bars, 1).map((q) => q.ask.toNumber())).toEqual([100, 110, 90, 95]);
    expect(model.barQuotes(bars, 1).map((q) => q.at.getTime() - BAR_T0)).toEqual([
      60_000, 75_000, 90_000, 105_000,
    ]);
  });

  it('puts the spread around each price, bid rounded down and ask rounded up to the increment', () => {
    const q = new QuoteModel(10, dec('0.01')).quoteAt(60_000.005, 0);
    expect([q.bid.toFixed(), q.ask.toFixed()]).toEqual(['59970', '60030.01']);
  });
});

describe('a backtest run', () => {
  it('buys the base at the ask, a safety order through its trigger and takes the profit at the bid', () => {
    const run = runBacktest(BASE_SAFETY_PROFIT, btInput({ asset: ASSET, market: NO_FEES }));
    const so1 = roundDownTo(dec(20).div(99), STEP);
    expect(run.orders.map((o) => [o.step, o.side, o.qty.toFixed(), o.price.toFixed()])).toEqual([
      ['base', 'buy', '0.2', '100'],
      ['so1', 'buy', so1.toFixed(), '99'],
      ['tp', 'sell', so1.plus('0.2').toFixed(), '101'],
    ]);
    const [cycle] = run.cycles;
    const cost = dec(20).plus(so1.mul(99));
    expect(cycle).toMatchObject({ status: 'complete', safetyOrders: 1, buys: 2 });
    expect(cycle!.costBasis.toFixed()).toBe(cost.toFixed());
    expect(cycle!.realizedPnl!.toFixed()).toBe(so1.plus('0.2').mul(101).minus(cost).toFixed());
    // Without fees, the cash the account gained is exactly the P&L the machine booked.
    expect(run.endCash.minus(run.maxCapital).toFixed()).toBe(cycle!.realizedPnl!.toFixed());
    expect(run.cycles).toHaveLength(1);
  });

  it('takes the maker fee in the coin, the taker fee in USD rounded up to the cent, as the simulator does', () => {
    const market = { spreadBps: 0, slippageBps: 0, makerFeeBps: 15, takerFeeBps: 25, feeBps: 25 };
    const run = runBacktest(BASE_SAFETY_PROFIT, btInput({ asset: ASSET, market }));
    const base = run.orders[0]!;
    expect(base.positionQty.toFixed()).toBe('0.1997');
    expect(base.feeUsd.toFixed()).toBe('0.03');
    const sell = run.orders[2]!;
    const proceeds = sell.qty.mul(sell.price);
    expect(sell.feeUsd.toFixed()).toBe(roundUpTo(proceeds.mul('0.0025'), dec('0.01')).toFixed());
    // The take-profit sells what the account holds for the cycle, rounded down: only dust is left.
    expect(run.endPositionQty.lt(STEP.mul(2))).toBe(true);
    const s = summarize(run, 15, 25);
    expect(s.fees.toFixed()).toBe(run.orders.reduce((sum, o) => sum.plus(o.feeUsd), dec(0)).toFixed());
  });

  it('sells below the bid by the slippage, rounded down to the price increment', () => {
    const market = { ...NO_FEES, slippageBps: 33 };
    const run = runBacktest(BASE_SAFETY_PROFIT, btInput({ asset: ASSET, market, rules: btRules() }));
    expect(run.orders[2]!.price.toFixed()).toBe(
      roundDownTo(dec(101).mul(dec(1).minus('0.0033')), dec('0.01')).toFixed(),
    );
  });

  it('waits out the cooldown on bar time and starts the next cycle at the first bar after it', () => {
    const asset = btAsset({ ...ASSET, cooldownPeriod: 120, buyOrderPriceDeviationPercent: dec(50) });
    const flat: [number, number, number, number] = [101, 101, 101, 101];
    const bars = barsOf([
      [100, 100, 100, 100],
      [100, 100, 99, 99.5],
      [99.5, 101, 99.5, 101],
      flat,
      flat,
      flat,
      flat,
    ]);
    const run = runBacktest(bars, btInput({ asset, market: NO_FEES }));
    // The take-profit filled at bar 2's high (2 min 30 s); +120 s is 4 min 30 s: bar 5 buys.
    expect(run.orders.at(-1)).toMatchObject({ step: 'base', cycle: 2 });
    expect(run.orders.at(-1)!.at.getTime() - BAR_T0).toBe(5 * 60_000);
  });

  it('reports time stuck with every safety order used, the histogram and buy-and-hold', () => {
    const asset = btAsset({ ...ASSET, maxSafetyOrders: 1 });
    const bars = barsOf([
      [100, 100, 100, 100],
      [100, 100, 99, 99],
      [99, 99, 95, 95],
      [95, 95, 95, 95],
    ]);
    const run = runBacktest(bars, btInput({ asset, market: NO_FEES }));
    const s = summarize(run, 0, 0);
    // so1 at 99 (bar 1, the low at 1 min 30 s) until the end of the last bar (4 min).
    expect(s.stuckMs).toBe(150_000);
    expect(s.safetyOrdersHistogram).toEqual([0, 1]);
    expect(s.cycleOpen).toBe(true);
    expect(s.buyAndHoldPnl.toFixed()).toBe('-2'); // 40 USD of max capital, 100 → 95
    expect(s.unrealizedPnl.toFixed()).toBe(
      run.cycles[0]!.quantity.mul(95).minus(run.cycles[0]!.costBasis).toFixed(),
    );
    expect(s.maxDrawdownUsd.gt(0)).toBe(true);
  });
});
