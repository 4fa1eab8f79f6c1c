/**
 * MySQL unavailable for 10 s mid-cycle. The shared MariaDB server keeps running for the other test
 * files: the bot reaches it through a TCP proxy that the test cuts (open connections destroyed, new
 * ones reset) and restores. No order may reach the exchange unless its write-ahead is durable, and
 * trading resumes by itself once the database is back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { readClientOrderId } from '../../src/clientOrderId.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { cyclesOf, ledgerOf, quoteUntil } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';
import { invariantViolations } from '../helpers/invariants.js';
import { type ProxiedPool, proxiedPool, type TcpProxy } from '../helpers/tcpProxy.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
const OUTAGE_MS = 10_000;

let sim: Simulator;
let db: TestDatabase;
let proxied: ProxiedPool;
let proxy: TcpProxy;
let bot: Bot | null = null;
let assetId: number;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  proxied = await proxiedPool(db);
  proxy = proxied.proxy;
  assetId = await insertAsset(db.pool, { cooldown_period: 60 });
});

afterEach(async () => {
  proxy.restore();
  await bot?.stop('test over');
  bot = null;
  await proxied.close();
  await Promise.all([sim.close(), db.drop()]);
});

/** Orders on the exchange whose write-ahead row (read directly, not through the proxy) is missing. */
async function ordersWithoutWriteAhead(): Promise<string[]> {
  const written = new Set((await ledgerOf(db.pool, assetId)).map((r) => r.client_order_id));
  return sim
    .listOrders()
    .map((o) => o.clientOrderId)
    .filter((id) => !written.has(id));
}

describe('MySQL unavailable for 10 s', () => {
  it('places no order it cannot persist, then trades again by itself', async () => {
    const started = await startInProcessBot({ sim, db, pool: proxied.pool });
    bot = started.bot;
    await started.trading([BTC]);

    proxy.cut();
    const until = Date.now() + OUTAGE_MS;
    const unpersisted: string[] = [];
    while (Date.now() < until) {
      // A quote that would trigger the base buy, again and again, while nothing can be written.
      sim.publishQuote(BTC, '49990', '50000');
      unpersisted.push(...(await ordersWithoutWriteAhead()));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(unpersisted).toEqual([]);
    expect(sim.listOrders()).toEqual([]);

    proxy.restore();
    const booked = async () => dec((await cyclesOf(db.pool, assetId))[0]?.quantity ?? 0).gt(0);
    await quoteUntil(sim, BTC, '49990', '50000', booked, { timeoutMs: 30_000, intervalMs: 200 });
    expect(sim.listOrders().map((o) => `${readClientOrderId(o.clientOrderId)?.step} ${o.status}`)).toEqual([
      'base filled',
    ]);
    expect(bot.supervisor.status().filter((c) => c.state !== 'running')).toEqual([]);
    expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
  }, 60_000);
});
