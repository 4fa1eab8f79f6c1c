/**
 * The parity test: the same bars, as the bar model's quotes, replayed through the simulator into
 * the real bot (`npm start` as a child process) and through the backtest, give the same orders
 * (step, side, qty, limit, fill price) and the same realized P&L per cycle, to the last decimal.
 *
 * Pacing, not timing: the bot keeps only the newest quote, so a quote the backtest acted on is
 * followed by the next one only once the bot has acted on it too (its order filled and booked);
 * quotes the backtest did not act on change nothing in the machine and may be coalesced. The bot's
 * cooldown runs on its own clock (3 s), the backtest's on bar time: both end before the next bar.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bars } from '../../src/backtest/bars.js';
import { MARKET_DEFAULTS, type RunResult, runBacktest } from '../../src/backtest/engine.js';
import { QuoteModel } from '../../src/backtest/quoteModel.js';
import { pairRules } from '../../src/backtest/settings.js';
import type { AssetConfig } from '../../src/domain.js';
import { takeProfitPrice } from '../../src/machines/decisions.js';
import { type Decimal, dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { barsOf, btAsset } from '../helpers/backtest.js';
import { type BotProcess, currentCycle, cyclesOf, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const COLUMNS = {
  base_order_amount: '20',
  safety_order_amount: '20',
  max_safety_orders: 3,
  safety_order_deviation: '1',
  take_profit_percent: '1',
  cooldown_period: 3,
  buy_order_price_deviation_percent: '20',
};

/**
 * Waves of ±3 % around 60,000 with wiggles and wicks: base orders, safety orders and take-profits in
 * turn. The default is fast (about 1 % a bar); the gentle ones (about 0.1 % a bar) build a trailing
 * peak over several quotes, so the trailing deviation, the stop-loss and both scales each decide
 * which quote acts.
 */
function waves({ count = 160, period = 8, wiggle = 0.004, wick = 40 } = {}): Bars {
  const ohlc: [number, number, number, number][] = [];
  let p = 60_000;
  for (let i = 0; i < count; i++) {
    const next = Math.round(60_000 * (1 + 0.03 * Math.sin(i / period) + wiggle * Math.sin(i * 1.7)));
    ohlc.push([p, Math.max(p, next) + wick, Math.min(p, next) - wick, next]);
    p = next;
  }
  return barsOf(ohlc);
}
const gentleWaves = () => waves({ count: 240, period: 14, wiggle: 0.0015, wick: 15 });

let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([
    startSimulator({ feeRate: '0.0025', makerFeeRate: '0.0015' }),
    createTestDatabase(),
  ]);
});
afterEach(async () => {
  await bot?.kill();
  bot = null;
  await Promise.all([sim?.close(), db?.drop()]);
});

/** The strategy controls of the second case: trailing take-profit, stop-loss, a scaled ladder. */
const STRATEGY_COLUMNS = {
  ttp_enabled: 1,
  ttp_deviation_percent: '0.4',
  stop_loss_percent: '1.5',
  stop_loss_after_safety_orders: 1,
  safety_order_volume_scale: '1.5',
  safety_order_step_scale: '1.5',
};

const MARKET = { ...MARKET_DEFAULTS, makerFeeBps: 15, takerFeeBps: 25, feeBps: 25 };

/**
 * The times of the quotes on which the backtest's trailing peak moved (a trailing start or a new
 * peak): the machine changes state there without an order, so the bot must see each of them too.
 * Worked out from the orders: after each buy, the average so far sets the take-profit price; from
 * the first bid at or above it, every higher bid is a new peak, until the next order.
 */
function peakQuotes(bars: Bars, run: RunResult, asset: AssetConfig, model: QuoteModel): Map<number, string> {
  const peaks = new Map<number, string>();
  if (!asset.ttpEnabled) return peaks;
  const quotes = Array.from({ length: bars.t.length }, (_, i) => model.barQuotes(bars, i)).flat();
  let cost = dec(0);
  let bought = dec(0);
  run.orders.forEach((o, n) => {
    if (o.side === 'sell') {
      cost = dec(0);
      bought = dec(0);
      return;
    }
    cost = cost.plus(o.qty.mul(o.price));
    bought = bought.plus(o.qty);
    const target = takeProfitPrice(cost.div(bought), asset.takeProfitPercent);
    const until = run.orders[n + 1]?.at.getTime() ?? Number.POSITIVE_INFINITY;
    let peak: Decimal | null = null;
    for (const q of quotes) {
      const t = q.at.getTime();
      if (t <= o.at.getTime() || t >= until) continue;
      if (peak === null ? q.bid.gte(target) : q.bid.gt(peak)) {
        peak = q.bid;
        peaks.set(t, q.bid.toFixed());
      }
    }
  });
  return peaks;
}

/**
 * Waits until the bot has acted on quote `q`, publishing it again each second meanwhile: the stream
 * may not have carried it yet (the same quote again cannot make the machine act twice: what it
 * caused moved the triggers).
 */
async function untilActedOn<T>(
  q: { bid: Decimal; ask: Decimal },
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
): Promise<void> {
  let publishedAt = Date.now();
  await waitUntil(
    async () => {
      if (Date.now() - publishedAt >= 1_000) {
        sim.publishQuote(BTC, q.bid.toFixed(), q.ask.toFixed());
        publishedAt = Date.now();
      }
      return read();
    },
    done,
    { what, timeoutMs: 20_000, intervalMs: 20 },
  );
}

/** Runs the bars through the backtest and, paced, through the running bot; both must agree. */
async function parity(bars: Bars, columns: Record<string, string | number>, asset: AssetConfig) {
  const rules = pairRules(BTC, {}, dec(10));
  const market = MARKET;
  const backtest = runBacktest(bars, { asset, rules, market });
  const completed = backtest.cycles.filter((c) => c.status === 'complete');

  const assetId = await insertAsset(db.pool, columns as Partial<typeof COLUMNS>);
  const strategy = Object.keys(columns).filter((c) => c in STRATEGY_COLUMNS);
  if (strategy.length > 0) {
    await db.pool.query(`UPDATE dca_assets SET ${strategy.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [
      ...strategy.map((c) => columns[c]),
      assetId,
    ]);
  }
  bot = spawnBot({ sim, db, env: { DCA_FEE_BPS: '25' } });
  await waitUntilTrading(bot, [BTC]);

  const model = new QuoteModel(market.spreadBps, rules.priceIncrement);
  const actedOn = new Map(backtest.orders.map((o, n) => [o.at.getTime(), n + 1]));
  const peaks = peakQuotes(bars, backtest, asset, model);
  let completions = 0;
  for (let i = 0; i < bars.t.length; i++) {
    const quotes = model.barQuotes(bars, i);
    // A new bar after a take-profit: the bot's cooldown must be over, as the backtest's is.
    if (completions > 0) {
      await waitUntil(
        () => currentCycle(db.pool, assetId),
        (c) => c?.status === 'watching',
        {
          what: 'the cooldown to end',
          timeoutMs: 20_000,
        },
      );
    }
    completions = 0;
    for (const q of quotes) {
      sim.publishQuote(BTC, q.bid.toFixed(), q.ask.toFixed());
      const peak = peaks.get(q.at.getTime());
      const orders = actedOn.get(q.at.getTime());
      if (peak !== undefined && orders === undefined) {
        await untilActedOn(
          q,
          () => currentCycle(db.pool, assetId),
          (c) => {
            const at = (c as { ttp_peak_price?: string | null } | undefined)?.ttp_peak_price;
            return at !== null && at !== undefined && dec(at).eq(peak);
          },
          `the bot's trailing peak to reach ${peak} on bar ${i}`,
        );
      }
      if (orders === undefined) continue;
      const expected = backtest.orders[orders - 1]!;
      await untilActedOn(
        q,
        async () => ({ orders: sim.listOrders(), cycles: await cyclesOf(db.pool, assetId) }),
        ({ orders: placed, cycles }) => {
          if (placed.length < orders || placed[orders - 1]!.status !== 'filled') return false;
          if (expected.side === 'sell') {
            return cycles.filter((c) => c.status === 'complete').length === expected.cycle;
          }
          const current = cycles.at(-1);
          return (
            current?.status === 'watching' &&
            dec(current.quantity).gt(0) &&
            current.client_order_id === placed[orders - 1]!.clientOrderId
          );
        },
        `the bot to act on bar ${i} like the backtest (order ${orders})`,
      );
      if (expected.side === 'sell') completions += 1;
    }
  }

  const stepOf = (clientOrderId: string) => clientOrderId.split('-').at(-2);
  const botOrders = sim.listOrders().map((o) => ({
    step: stepOf(o.clientOrderId),
    side: o.side,
    qty: o.qty!.toFixed(),
    limit: o.limitPrice?.toFixed() ?? null,
    price: o.filledValue.div(o.filledQty).toFixed(),
  }));
  const btOrders = backtest.orders.map((o) => ({
    step: o.step,
    side: o.side,
    qty: o.qty.toFixed(),
    limit: o.side === 'buy' ? o.price.toFixed() : null,
    price: o.price.toFixed(),
  }));
  expect(botOrders).toEqual(btOrders);
  const botPnl = (await cyclesOf(db.pool, assetId))
    .filter((c) => c.status === 'complete')
    .map((c) => dec(c.realized_pnl!).toFixed());
  expect(botPnl).toEqual(completed.map((c) => c.realizedPnl!.toFixed()));
  return { backtest, completed, peaks };
}

const SEED_ASSET = btAsset({
  baseOrderAmount: dec(COLUMNS.base_order_amount),
  safetyOrderAmount: dec(COLUMNS.safety_order_amount),
  maxSafetyOrders: COLUMNS.max_safety_orders,
  safetyOrderDeviation: dec(COLUMNS.safety_order_deviation),
  takeProfitPercent: dec(COLUMNS.take_profit_percent),
  cooldownPeriod: COLUMNS.cooldown_period,
  buyOrderPriceDeviationPercent: dec(COLUMNS.buy_order_price_deviation_percent),
});

describe('backtest ↔ bot parity', () => {
  it('places the same orders and books the same realized P&L as the running bot', async () => {
    const { backtest, completed } = await parity(waves(), COLUMNS, SEED_ASSET);
    expect(completed.length).toBeGreaterThanOrEqual(3);
    expect(backtest.orders.some((o) => o.step === 'so2')).toBe(true);
  }, 300_000);

  it('agrees with a trailing take-profit, a stop-loss and a scaled ladder', async () => {
    const asset = btAsset({
      ...SEED_ASSET,
      ttpEnabled: true,
      ttpDeviationPercent: dec(STRATEGY_COLUMNS.ttp_deviation_percent),
      stopLossPercent: dec(STRATEGY_COLUMNS.stop_loss_percent),
      stopLossAfterSafetyOrders: true,
      safetyOrderVolumeScale: dec(STRATEGY_COLUMNS.safety_order_volume_scale),
      safetyOrderStepScale: dec(STRATEGY_COLUMNS.safety_order_step_scale),
      maxSafetyOrders: 2,
    });
    const bars = gentleWaves();
    // Each control's value matters on these bars: another value gives other orders.
    const ordersOf = (a: AssetConfig) =>
      runBacktest(bars, { asset: a, rules: pairRules(BTC, {}, dec(10)), market: MARKET }).orders.map(
        (o) => `${o.step} ${o.qty} @ ${o.price}`,
      );
    const mine = ordersOf(asset);
    for (const other of [
      { ttpDeviationPercent: dec('0.25') },
      { stopLossPercent: dec('1.4') },
      { safetyOrderVolumeScale: dec('1.4') },
      { safetyOrderStepScale: dec('1.4') },
    ]) {
      expect(ordersOf({ ...asset, ...other })).not.toEqual(mine);
    }
    const { backtest, peaks } = await parity(
      bars,
      { ...COLUMNS, max_safety_orders: 2, ...STRATEGY_COLUMNS },
      asset,
    );
    // Every control did something: trailing sells after a peak, a stop-loss, a scaled second order.
    expect(peaks.size).toBeGreaterThan(2);
    expect(backtest.orders.some((o) => o.step === 'sl')).toBe(true);
    expect(backtest.orders.some((o) => o.step === 'tp')).toBe(true);
    expect(backtest.orders.some((o) => o.step === 'so2')).toBe(true);
  }, 300_000);
});
