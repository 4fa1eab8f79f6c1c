/**
 * /metrics scraped over real HTTP during a simulator run of the in-process tree: a 429 answered
 * to a REST call, a base buy and its fill, a refused order, a take-profit and a dropped stream
 * each move the metric that counts them, and the values observed at scrape time (cycle state,
 * capital in use, P&L, streams, quote age) follow the bot.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { type HealthServer, startHealthServer } from '../../src/health/server.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { currentCycle, cyclesOf, quoteUntil } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const ETH = 'ETH/USD';

let sim: Simulator;
let db: TestDatabase;
let health: HealthServer;
let bot: Bot | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  health = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    db: db.pool,
  });
});

afterEach(async () => {
  await bot?.stop('test over');
  bot = null;
  await health.close();
  await Promise.all([sim.close(), db.drop()]);
});

async function scrape(): Promise<string> {
  const res = await fetch(`${health.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample (labels in any order), or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics during a simulator run', () => {
  it('moves the counters and gauges that describe what the bot did', async () => {
    const btcId = await insertAsset(db.pool);
    // More than the simulator account's 100 000 USD: every base order is refused.
    await insertAsset(db.pool, { asset_symbol: ETH, base_order_amount: '500000.00' });
    const started = await startInProcessBot({ sim, db });
    bot = started.bot;
    health.attach(started.bot);
    await started.trading([BTC, ETH]);

    const before = await scrape();
    expect(sample(before, 'dca_orders_sent_total', { asset: BTC, side: 'buy' })).toBeUndefined();
    expect(sample(before, 'dca_stream_connected', { stream: 'trade_updates' })).toBe(1);
    expect(sample(before, 'dca_cycle_state', { asset: BTC, state: 'watching' })).toBe(1);
    expect(sample(before, 'dca_cycle_state', { asset: BTC, state: 'buying' })).toBe(0);
    expect(sample(before, 'dca_supervisor_restarts_total', { child: 'marketData' })).toBe(0);
    expect(sample(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(before, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    const getsBefore = sample(before, 'dca_rest_requests_total', { method: 'GET', status: '200' }) ?? 0;
    expect(getsBefore).toBeGreaterThan(0); // the asset rules, read at start

    // The first quotes are checked against REST's latest quote; that GET is answered 429 once, with
    // a Retry-After of 1 s (without it the REST budget rightly waits for the window's reset).
    sim.faults.failNextRest(1, 429, { retryAfterS: 1 });
    const bought = async () => dec((await currentCycle(db.pool, btcId))?.quantity ?? 0).gt(0);
    await quoteUntil(sim, BTC, '49990', '50000', bought, { timeoutMs: 15_000 });
    sim.publishQuote(ETH, '1999.9', '2000');

    const afterBuy = await waitUntil(
      scrape,
      (t) => (sample(t, 'dca_orders_refused_total', { asset: ETH, side: 'buy' }) ?? 0) >= 1,
      { what: 'the ETH refusal counted', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(sample(afterBuy, 'dca_rest_rate_limited_total')).toBe(1);
    // The budget's tokens come back within a second or so of quiet: at most the burst of 3.
    const rested = await waitUntil(scrape, (t) => (sample(t, 'dca_rest_budget_remaining') ?? 0) >= 1, {
      what: 'REST budget tokens back',
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    expect(sample(rested, 'dca_rest_budget_remaining')).toBeLessThanOrEqual(3);
    expect(sample(afterBuy, 'dca_rest_requests_total', { method: 'GET', status: '429' })).toBe(1);
    expect(
      sample(afterBuy, 'dca_rest_requests_total', { method: 'POST', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(afterBuy, 'dca_orders_sent_total', { asset: BTC, side: 'buy' })).toBe(1);
    expect(sample(afterBuy, 'dca_fills_total', { asset: BTC, side: 'buy' })).toBe(1);
    expect(
      sample(afterBuy, 'dca_orders_refused_total', { asset: ETH, side: 'buy', reason: 'INSUFFICIENT_FUNDS' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(afterBuy, 'dca_tick_to_order_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sample(afterBuy, 'dca_quotes_received_total', { symbol: BTC })).toBeGreaterThanOrEqual(1);
    expect(sample(afterBuy, 'dca_quote_age_seconds', { symbol: BTC })).toBeGreaterThanOrEqual(0);
    expect(sample(afterBuy, 'dca_capital_in_use_usd', { asset: BTC })).toBeGreaterThan(19);
    expect(sample(afterBuy, 'dca_capital_in_use_usd', { asset: ETH })).toBe(0);

    // Take profit 1 % above the average price: the cycle completes and its P&L is realized.
    const completed = async () => (await cyclesOf(db.pool, btcId)).some((c) => c.status === 'complete');
    await quoteUntil(sim, BTC, '50600', '50610', completed, { timeoutMs: 15_000 });
    const afterSell = await waitUntil(
      scrape,
      (t) => sample(t, 'dca_cycle_state', { asset: BTC, state: 'cooldown' }) === 1,
      { what: 'the next cycle in cooldown', intervalMs: 100 },
    );
    expect(sample(afterSell, 'dca_orders_sent_total', { asset: BTC, side: 'sell' })).toBe(1);
    expect(sample(afterSell, 'dca_fills_total', { asset: BTC, side: 'sell' })).toBe(1);
    expect(sample(afterSell, 'dca_realized_pnl_usd', { asset: BTC })).toBeGreaterThan(0);
    expect(sample(afterSell, 'dca_capital_in_use_usd', { asset: BTC })).toBe(0);

    // A dropped trade_updates socket reconnects: counted, and connected again.
    sim.faults.dropStream('trading');
    const afterDrop = await waitUntil(
      scrape,
      (t) =>
        sample(t, 'dca_stream_reconnects_total', { stream: 'trade_updates' }) === 1 &&
        sample(t, 'dca_stream_connected', { stream: 'trade_updates' }) === 1,
      { what: 'the reconnect counted', intervalMs: 100 },
    );
    expect(sample(afterDrop, 'dca_stream_connected', { stream: 'crypto_quotes' })).toBe(1);
    expect(sample(afterDrop, 'dca_asset_parked', { asset: BTC, state: 'parked' })).toBe(0);
  });
});
