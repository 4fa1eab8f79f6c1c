/**
 * The quote gate (src/machines/quoteGate.ts) against the machine's own guards: a quote the gate holds
 * back must be one the machine would only have recorded. Property tests over seeded random cycles
 * and quotes placed around each trigger price — within a few ulps, inside the safety margin, and
 * far away — with the Decimal comparison of the real guards as the judge.
 */
import { describe, expect, it } from 'vitest';
import type { CycleRow } from '../../src/domain.js';
import type { CycleIntent } from '../../src/machines/cycle.js';
import {
  earlyRestartPrice,
  safetyOrderDeviationOf,
  safetyTriggerPrice,
  stopLossPrice,
  takeProfitPrice,
  trailingStopPrice,
} from '../../src/machines/decisions.js';
import { QuoteGate, quoteTriggers, unknownQuoteHandling } from '../../src/machines/quoteGate.js';
import { Decimal, dec, safelyAbove, safelyBelow } from '../../src/money.js';
import { mulberry32 } from '../../src/sim/feeds.js';
import { aCycleInput, aCycleRow, anAsset, cid, startCycle, T0 } from '../helpers/cycle.js';

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** The double `k` steps (ulps) from `x` (positive x). */
function ulps(x: number, k: number): number {
  f64[0] = x;
  u64[0] = u64[0]! + BigInt(k);
  return f64[0]!;
}

/** A random positive decimal with up to `digits` significant digits, 10^-7 .. 10^7. */
function randomDecimal(r: () => number, digits = 12): Decimal {
  const sig = 1 + Math.floor(r() * digits);
  let mantissa = String(1 + Math.floor(r() * 9));
  for (let i = 1; i < sig; i++) mantissa += String(Math.floor(r() * 10));
  const exp = Math.floor(r() * 15) - 7 - sig;
  return dec(`${mantissa}e${exp}`);
}

function randomPercent(r: () => number): Decimal {
  return dec((0.01 + r() * 20).toFixed(Math.floor(r() * 4)));
}

/** Doubles around `price`: ulps away, inside and just past the safe margin, and farther. */
function around(price: Decimal, r: () => number): number[] {
  const n = price.toNumber();
  const out: number[] = [];
  for (let k = -4; k <= 4; k++) out.push(ulps(n, k));
  for (const edge of [safelyAbove(price), safelyBelow(price)]) {
    for (let k = -2; k <= 2; k++) out.push(ulps(edge, k));
  }
  for (let i = 0; i < 6; i++) {
    const rel = 10 ** -(1 + r() * 14) * (r() < 0.5 ? -1 : 1);
    out.push(n * (1 + rel));
  }
  return out.filter((x) => Number.isFinite(x) && x > 0);
}

interface Case {
  readonly name: string;
  readonly row: Partial<CycleRow>;
  readonly asset: Parameters<typeof anAsset>[0];
  /** Trigger prices to place quotes around. */
  readonly prices: Decimal[];
  /** Sent before the quote: a TAKE_PROFIT_NOW leaves a position question out. */
  readonly positionQuestionOut?: boolean;
}

function randomCase(r: () => number): Case {
  const entry = randomDecimal(r);
  const avg = r() < 0.5 ? entry : randomDecimal(r);
  const deviation = randomPercent(r);
  const takeProfit = randomPercent(r);
  const restart = randomPercent(r);
  const maxSafetyOrders = Math.floor(r() * 4);
  const safetyOrders = Math.floor(r() * (maxSafetyOrders + 1));
  const asset = {
    safetyOrderDeviation: deviation,
    takeProfitPercent: takeProfit,
    buyOrderPriceDeviationPercent: restart,
    maxSafetyOrders,
    lastSellPrice: entry,
    cooldownPeriod: 1_000_000,
  };
  const kind = Math.floor(r() * 3);
  if (kind === 0) {
    return {
      name: 'cooldown',
      row: { status: 'cooldown' },
      asset,
      prices: [earlyRestartPrice(entry, restart), entry],
    };
  }
  if (kind === 1) {
    return {
      name: 'buying',
      row: {
        status: 'buying',
        clientOrderId: cid('7-so1-2'),
        quantity: dec('0.5'),
        averagePurchasePrice: avg,
      },
      asset,
      prices: [safetyTriggerPrice(entry, deviation), takeProfitPrice(avg, takeProfit)],
    };
  }
  return {
    name: 'watching, holding',
    row: holdingRow(avg, entry, safetyOrders),
    asset,
    prices: [safetyTriggerPrice(entry, deviation), takeProfitPrice(avg, takeProfit)],
  };
}

/** A watching cycle holding 0.5 coin bought at an average of `avg`, its last buy filled at `entry`. */
function holdingRow(avg: Decimal, entry: Decimal, safetyOrders: number) {
  return {
    status: 'watching' as const,
    quantity: dec('0.5'),
    boughtQuantity: dec('0.5'),
    averagePurchasePrice: avg,
    costBasis: avg.mul('0.5'),
    lastOrderFillPrice: entry,
    safetyOrders,
  };
}

/** A scale for the safety ladder: often the inert 1, else 0.5 .. 2.5 with up to two places. */
function randomScale(r: () => number): Decimal {
  return r() < 0.3 ? dec(1) : dec((0.5 + r() * 2).toFixed(Math.floor(r() * 3)));
}

/**
 * A holding cycle in watching with the strategy controls on at random: safety-order scaling, a
 * trailing take-profit (not started, or under way with a peak near the take-profit price), a
 * stop-loss armed after all safety orders or at once, and sometimes a position question out.
 */
function randomStrategyCase(r: () => number): Case {
  const entry = randomDecimal(r);
  const avg = r() < 0.5 ? entry : entry.mul(dec((0.9 + r() * 0.3).toFixed(6)));
  const deviation = randomPercent(r);
  const takeProfit = randomPercent(r);
  const maxSafetyOrders = Math.floor(r() * 5);
  const safetyOrders = Math.floor(r() * (maxSafetyOrders + 1));
  const ttpEnabled = r() < 0.7;
  const ttpDeviationPercent = ttpEnabled && r() < 0.9 ? randomPercent(r) : null;
  const tpPrice = takeProfitPrice(avg, takeProfit);
  // Under way: a peak at or above the take-profit price; now and then a peak left from trailing
  // that was switched off, which the machine still moves.
  const ttpPeakPrice = r() < (ttpEnabled ? 0.6 : 0.3) ? tpPrice.mul(dec((1 + r() * 0.05).toFixed(8))) : null;
  const stopLossPercent = r() < 0.7 ? randomPercent(r) : null;
  const asset = {
    safetyOrderDeviation: deviation,
    safetyOrderStepScale: randomScale(r),
    safetyOrderVolumeScale: randomScale(r),
    takeProfitPercent: takeProfit,
    buyOrderPriceDeviationPercent: randomPercent(r),
    maxSafetyOrders,
    lastSellPrice: entry,
    cooldownPeriod: 1_000_000,
    ttpEnabled,
    ttpDeviationPercent,
    stopLossPercent,
    stopLossAfterSafetyOrders: r() < 0.5,
  };
  const prices = [safetyTriggerPrice(entry, safetyOrderDeviationOf(asset, safetyOrders + 1)), tpPrice];
  if (ttpPeakPrice !== null) {
    prices.push(ttpPeakPrice);
    if (ttpDeviationPercent !== null) prices.push(trailingStopPrice(ttpPeakPrice, ttpDeviationPercent));
  }
  if (stopLossPercent !== null) prices.push(stopLossPrice(avg, stopLossPercent));
  return {
    name: `watching, strategy ${JSON.stringify({ ...asset, safetyOrders, ttpPeakPrice, avg, entry })}`,
    row: { ...holdingRow(avg, entry, safetyOrders), ttpPeakPrice },
    asset,
    prices,
    positionQuestionOut: r() < 0.3,
  };
}

/** Steps one quote through a fresh cycle of `c`; what changed besides the latest quote and clock. */
function stepOnce(c: Case, bid: number, ask: number) {
  const cycle = startCycle(
    aCycleInput({
      asset: anAsset(c.asset),
      cycle: aCycleRow(c.row),
      previousCompletedAt: T0,
      // Far more coin and cash than any price here needs: the sizing checks never decide.
      rules: {
        symbol: 'BTC/USD',
        tradable: true,
        minOrderSize: dec('1e-30'),
        minTradeIncrement: dec('1e-30'),
        priceIncrement: dec('1e-30'),
        minOrderValue: dec('0'),
      },
    }),
  );
  if (c.positionQuestionOut) cycle.actor.send({ type: 'TAKE_PROFIT_NOW' });
  const before = cycle.actor.getSnapshot();
  const gate = new QuoteGate();
  gate.set(quoteTriggers(String(before.value), before.context));
  const emittedBefore = cycle.intents.length;
  cycle.actor.send({ type: 'QUOTE', bid: dec(bid), ask: dec(ask), at: T0 });
  const after = cycle.actor.getSnapshot();
  const { quote: _q1, now: _n1, ...restBefore } = before.context;
  const { quote: _q2, now: _n2, ...restAfter } = after.context;
  const intents: CycleIntent[] = cycle.intents.slice(emittedBefore);
  cycle.actor.stop();
  return {
    mayTrigger: gate.mayTrigger(bid, ask),
    onlyRecorded: after.value === before.value && intents.length === 0 && sameContext(restBefore, restAfter),
  };
}

function sameContext(a: object, b: object): boolean {
  const ka = Object.keys(a);
  return (
    ka.length === Object.keys(b).length &&
    ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
  );
}

/**
 * Quotes around every trigger price of `count` random cases, the price on the ask side (safety,
 * early restart) and on the bid side (take-profit, peak, trailing stop, stop-loss): every quote the
 * gate holds back must be one the machine only records.
 */
function checkGate(r: () => number, count: number, make: (r: () => number) => Case) {
  let held = 0;
  let passed = 0;
  let acted = 0;
  for (let i = 0; i < count; i++) {
    const c = make(r);
    for (const price of c.prices) {
      for (const x of around(price, r)) {
        const spread = x * r() * 0.001;
        for (const [bid, ask] of [
          [x - spread, x],
          [x, x + spread],
        ] as const) {
          if (!(bid > 0)) continue;
          const { mayTrigger, onlyRecorded } = stepOnce(c, bid, ask);
          if (!mayTrigger) {
            held++;
            expect(onlyRecorded, `${c.name}: ${bid}/${ask} held back but the machine acts`).toBe(true);
          } else {
            passed++;
            if (!onlyRecorded) acted++;
          }
        }
      }
    }
  }
  return { held, passed, acted };
}

describe('safelyAbove / safelyBelow', () => {
  it('every double at or past the bound compares strictly beyond the decimal, as a Decimal', () => {
    const r = mulberry32(1);
    let checked = 0;
    for (let i = 0; i < 3_000; i++) {
      const d = randomDecimal(r, 20);
      const above = safelyAbove(d);
      const below = safelyBelow(d);
      for (let k = 0; k < 4; k++) {
        expect(dec(ulps(above, k)).gt(d), `${ulps(above, k)} vs ${d.toFixed()}`).toBe(true);
        expect(dec(ulps(below, -k)).lt(d), `${ulps(below, -k)} vs ${d.toFixed()}`).toBe(true);
        checked += 2;
      }
      // The zone left to the Decimal comparison is thin: about a billionth either side.
      expect(above / d.toNumber() - 1).toBeLessThan(1e-8);
      expect(1 - below / d.toNumber()).toBeLessThan(1e-8);
    }
    expect(checked).toBe(24_000);
  });

  it('handles zero, the extremes of the double range and NaN without ever deciding wrongly', () => {
    for (const d of [dec(0), dec('1e-400'), dec('-1e-400'), dec('1e400'), dec('-1e400'), dec('5e-324')]) {
      const above = safelyAbove(d);
      const below = safelyBelow(d);
      if (Number.isFinite(above)) expect(dec(above).gt(d)).toBe(true);
      if (Number.isFinite(below)) expect(dec(below).lt(d)).toBe(true);
    }
    expect(safelyAbove(new Decimal(Number.NaN))).toBe(Number.POSITIVE_INFINITY);
    expect(safelyBelow(new Decimal(Number.NaN))).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('QuoteGate', () => {
  it('knows every QUOTE transition of the cycle machine (teach quoteGate.ts a new one)', () => {
    expect(unknownQuoteHandling()).toEqual([]);
  });

  it('never holds back a quote the machine would act on (random cycles, quotes around each trigger)', () => {
    const { held, passed, acted } = checkGate(mulberry32(42), 150, randomCase);
    // Not vacuous: both sides of every boundary were exercised.
    expect(held).toBeGreaterThan(500);
    expect(passed).toBeGreaterThan(500);
    expect(acted).toBeGreaterThan(50);
  });

  it('never holds back a quote the machine would act on with trailing, stop-loss and scaling on', () => {
    const { held, passed, acted } = checkGate(mulberry32(4242), 150, randomStrategyCase);
    expect(held).toBeGreaterThan(1_000);
    expect(passed).toBeGreaterThan(1_000);
    expect(acted).toBeGreaterThan(500);
  });

  it('lets through a quote exactly at a trigger price, and holds one a hair beyond the margin', () => {
    const c = randomCase(mulberry32(7));
    const watching: Case = {
      name: 'watching',
      row: {
        status: 'watching',
        quantity: dec('0.5'),
        boughtQuantity: dec('0.5'),
        averagePurchasePrice: dec('60000'),
        costBasis: dec('30000'),
        lastOrderFillPrice: dec('60000'),
      },
      asset: {
        ...c.asset,
        safetyOrderDeviation: dec('1.5'),
        takeProfitPercent: dec('1'),
        maxSafetyOrders: 5,
      },
      prices: [],
    };
    // Safety trigger 59100, take-profit 60600.
    expect(stepOnce(watching, 59_090, 59_100)).toEqual({ mayTrigger: true, onlyRecorded: false });
    expect(stepOnce(watching, 60_600, 60_610)).toEqual({ mayTrigger: true, onlyRecorded: false });
    expect(stepOnce(watching, 59_090.001, 59_100.001)).toEqual({ mayTrigger: false, onlyRecorded: true });
    expect(stepOnce(watching, 60_599.999, 60_609)).toEqual({ mayTrigger: false, onlyRecorded: true });
  });

  it('lets through a quote at each new trigger (scaled safety, trailing start, peak, pullback, stop-loss)', () => {
    const base = randomCase(mulberry32(7));
    const holding = {
      status: 'watching',
      quantity: dec('0.5'),
      boughtQuantity: dec('0.5'),
      averagePurchasePrice: dec('60000'),
      costBasis: dec('30000'),
      lastOrderFillPrice: dec('60000'),
    } as const;
    const strategy = {
      ...base.asset,
      safetyOrderDeviation: dec('1.5'),
      safetyOrderStepScale: dec('2'),
      takeProfitPercent: dec('1'),
      maxSafetyOrders: 2,
      ttpEnabled: true,
      ttpDeviationPercent: dec('0.5'),
      stopLossPercent: dec('5'),
    };
    // One safety order used: the second buys 3 % below the last fill, at 58,200; the trailing
    // starts at the take-profit price, 60,600; the stop-loss waits for the last safety order.
    const scaled: Case = {
      name: 'scaled',
      row: { ...holding, safetyOrders: 1 },
      asset: strategy,
      prices: [],
    };
    expect(stepOnce(scaled, 58_190, 58_200)).toEqual({ mayTrigger: true, onlyRecorded: false });
    expect(stepOnce(scaled, 58_190.001, 58_200.001)).toEqual({ mayTrigger: false, onlyRecorded: true });
    expect(stepOnce(scaled, 60_600, 60_610)).toEqual({ mayTrigger: true, onlyRecorded: false });
    expect(stepOnce(scaled, 60_599.999, 60_609)).toEqual({ mayTrigger: false, onlyRecorded: true });
    // Every safety order used: the stop-loss is armed at 57,000.
    const armed: Case = { name: 'armed', row: { ...holding, safetyOrders: 2 }, asset: strategy, prices: [] };
    expect(stepOnce(armed, 57_000, 57_010)).toEqual({ mayTrigger: true, onlyRecorded: false });
    expect(stepOnce(armed, 57_000.001, 57_010)).toEqual({ mayTrigger: false, onlyRecorded: true });
    // Trailing under way at a peak of 61,000: any higher bid is the new peak; 60,695 sells.
    const trailing: Case = {
      name: 'trailing',
      row: { ...holding, safetyOrders: 2, ttpPeakPrice: dec('61000') },
      asset: strategy,
      prices: [],
    };
    expect(stepOnce(trailing, 61_000.001, 61_010)).toEqual({ mayTrigger: true, onlyRecorded: false });
    expect(stepOnce(trailing, 61_000, 61_010)).toEqual({ mayTrigger: true, onlyRecorded: true });
    expect(stepOnce(trailing, 60_999.999, 61_009)).toEqual({ mayTrigger: false, onlyRecorded: true });
    expect(stepOnce(trailing, 60_695, 60_705)).toEqual({ mayTrigger: true, onlyRecorded: false });
    expect(stepOnce(trailing, 60_695.001, 60_705)).toEqual({ mayTrigger: false, onlyRecorded: true });
  });

  it('lets every quote through while a base order is due, a resume is pending or the quote is bad', () => {
    const gate = new QuoteGate();
    const fresh = startCycle(aCycleInput());
    const snap = fresh.actor.getSnapshot();
    gate.set(quoteTriggers(String(snap.value), snap.context));
    expect(gate.mayTrigger(1, 2)).toBe(true);
    gate.set({ always: false, askAtOrBelow: null, bidAtOrAbove: null, bidAtOrBelow: null });
    expect(gate.mayTrigger(1, 2)).toBe(false);
    expect(gate.mayTrigger(3, 2)).toBe(true); // crossed: the machine reports it
    expect(gate.mayTrigger(Number.NaN, 2)).toBe(true);
    expect(
      quoteTriggers('watching', { ...snap.context, resume: { status: 'cooldown', orderLost: false } }),
    ).toMatchObject({ always: true });
    expect(quoteTriggers('some-new-state', snap.context)).toMatchObject({ always: true });
  });
});
