/**
 * dca_tick_to_order_seconds runs from the quote an order was decided on to its POST. A base order
 * waits for its write-ahead's COMMIT before the POST; a newer quote arriving meanwhile must not
 * restart the clock (it would report a slow path as fast). Here the database hangs for a second
 * while the write-ahead is out, and quotes keep arriving.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';
import { type ProxiedPool, proxiedPool, type TcpProxy } from '../helpers/tcpProxy.js';
import { pause, waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const HANG_MS = 1_000;

let sim: Simulator;
let db: TestDatabase;
let proxied: ProxiedPool;
let proxy: TcpProxy;
let bot: Bot | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  proxied = await proxiedPool(db);
  proxy = proxied.proxy;
  await insertAsset(db.pool, { cooldown_period: 60 });
});

afterEach(async () => {
  proxy.restore();
  await bot?.stop('test over');
  bot = null;
  await proxied.close();
  await Promise.all([sim.close(), db.drop()]);
});

async function histogram(b: Bot): Promise<{ count: number; sum: number }> {
  const metric = await b.metrics.registry.getSingleMetric('dca_tick_to_order_seconds')?.get();
  const value = (name: string) =>
    metric?.values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
  return { count: value('dca_tick_to_order_seconds_count'), sum: value('dca_tick_to_order_seconds_sum') };
}

describe('tick-to-order', () => {
  it('is measured from the quote the order was decided on, not from one that arrived while it committed', async () => {
    const started = await startInProcessBot({ sim, db, pool: proxied.pool });
    bot = started.bot;
    await started.trading([BTC]);
    // The database hangs from before the first quote: the base order's write-ahead waits in it.
    proxy.stall();
    const hungAt = performance.now();
    while (performance.now() - hungAt < HANG_MS) {
      sim.publishQuote(BTC, '49990', '50000');
      await pause(50);
    }
    proxy.restore();
    await waitUntil(
      () => histogram(started.bot),
      (h) => h.count === 1,
      { what: 'the base order sent' },
    );
    const { sum } = await histogram(started.bot);
    expect(sim.listOrders()).toHaveLength(1);
    // Decided on one of the first quotes (after its REST confirmation), sent after the hang.
    expect(sum).toBeGreaterThanOrEqual(HANG_MS / 2 / 1000);
  }, 30_000);
});
