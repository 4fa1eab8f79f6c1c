/**
 * The instance lock across a MySQL outage. The shared server keeps running for the other test files:
 * the bot reaches it through a TCP proxy the test cuts and restores. An outage longer than the lock's
 * connection survives loses the lock; the bot stays up, sends no order while the lock is not held,
 * takes it back when MySQL returns and trades on — the process does not exit (architecture §2). A
 * lock connection that hangs closes the gate within the lease and opens it when a heartbeat answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readClientOrderId } from '../../src/clientOrderId.js';
import { ExchangeError } from '../../src/errors.js';
import { guardOrders } from '../../src/exchange/orderGate.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { InstanceGuard } from '../../src/store/instanceGuard.js';
import { type BotProcess, cyclesOf, quoteUntil, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';
import { invariantViolations } from '../helpers/invariants.js';
import { logSink } from '../helpers/logSink.js';
import { aBaseIntent } from '../helpers/orders.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { pause, waitFor } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
const OUTAGE_MS = 8_000;

let sim: Simulator;
let db: TestDatabase;
let proxy: TcpProxy;
let assetId: number;
const stops: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  proxy = await startTcpProxy({ host: db.cfg.host, port: db.cfg.port });
  assetId = await insertAsset(db.pool, { cooldown_period: 60 });
});

afterEach(async () => {
  proxy.restore();
  for (const stop of stops.splice(0).reverse()) await stop();
  await proxy.close();
  await Promise.all([sim.close(), db.drop()]);
});

/**
 * Quotes that would buy the base order, for a while, with the gate closed: the cycle decides no
 * order (its TICKs say the gate is closed), or one the gate keeps home, and never backs off for it.
 */
async function quoteWhileClosed(lines?: readonly Record<string, unknown>[], forMs = 3_000): Promise<void> {
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    sim.publishQuote(BTC, '49990', '50000');
    await pause(200);
  }
  if (lines) {
    expect(lines.filter((l) => l['event'] === 'order_submit').length).toBeLessThanOrEqual(1);
    expect(lines.filter((l) => l['code'] === 'ORDER_REFUSED')).toEqual([]);
  }
}

const booked = async () => dec((await cyclesOf(db.pool, assetId))[0]?.quantity ?? 0).gt(0);
const steps = () => sim.listOrders().map((o) => `${readClientOrderId(o.clientOrderId)?.step} ${o.status}`);

/**
 * A bot in-process whose orders pass only while `guard` holds the instance lock; the lock on its own
 * path through the proxy, the bot's pool straight to the server.
 */
async function lockedBot(leaseMs: number) {
  const sink = logSink();
  const guard = await InstanceGuard.acquire({ ...db.cfg, host: '127.0.0.1', port: proxy.port }, sink.logger, {
    leaseMs,
    retryMs: 200,
  });
  stops.push(() => guard.release());
  const started = await startInProcessBot({
    sim,
    db,
    wrapExchange: (e) => guardOrders(e, () => guard.held()),
  });
  stops.push(() => started.bot.stop('test over'));
  await started.trading([BTC]);
  return { guard, sink, started };
}

describe('a MySQL outage that loses the instance lock', () => {
  it('keeps the process up, sends no order while the lock is lost, and trades once it is back', async () => {
    const bot: BotProcess = spawnBot({
      sim,
      db: { cfg: { ...db.cfg, host: '127.0.0.1', port: proxy.port } },
    });
    stops.push(() => bot.kill());
    await waitUntilTrading(bot, [BTC]);

    proxy.cut();
    await bot.waitForLog((l) => l.msg.startsWith('instance lock lost'), 10_000, 'the lock lost');
    const until = Date.now() + OUTAGE_MS;
    while (Date.now() < until) {
      sim.publishQuote(BTC, '49990', '50000');
      await pause(200);
    }
    expect(sim.listOrders()).toEqual([]);

    proxy.restore();
    await bot.waitForLog(
      (l) => l.msg.startsWith('instance lock taken again'),
      30_000,
      'the lock taken again',
    );
    await quoteUntil(sim, BTC, '49990', '50000', booked, { timeoutMs: 30_000, intervalMs: 200 });
    expect(steps()).toEqual(['base filled']);
    expect(bot.child.exitCode).toBeNull();
    expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
  }, 90_000);

  it('lets no order leave while only the lock is lost and MySQL still answers the bot', async () => {
    const { guard, started } = await lockedBot(1_500);

    proxy.cut();
    await waitFor(() => !guard.held(), 5_000, 'the lock lost');
    await quoteWhileClosed(started.lines);
    expect(sim.listOrders()).toEqual([]);

    proxy.restore();
    await waitFor(() => guard.held(), 10_000, 'the lock taken again');
    await quoteUntil(sim, BTC, '49990', '50000', booked, { timeoutMs: 30_000, intervalMs: 200 });
    expect(steps()).toEqual(['base filled']);
    expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
  }, 90_000);

  it('closes the gate within the lease while the lock connection hangs, and trades once a heartbeat answers', async () => {
    // Long enough that the stall ends before a heartbeat is given up (two leases): the same connection.
    const leaseMs = 3_000;
    const { guard, sink, started } = await lockedBot(leaseMs);

    proxy.stall();
    const stalled = Date.now();
    await waitFor(() => !guard.held(), 3 * leaseMs, 'the gate closed');
    expect(Date.now() - stalled).toBeLessThan(leaseMs + 300);
    // The bot's own exchange client, behind the gate, keeps an order home: the simulator never sees it.
    const kept = await started.exchange
      .submitOrder(
        aBaseIntent(1, { clientOrderId: 'dca-gate-probe', qty: dec('0.0004'), limitPrice: dec('50000') }),
      )
      .catch((err: unknown) => err);
    expect(kept).toBeInstanceOf(ExchangeError);
    expect((kept as ExchangeError).details).toMatchObject({ notSent: true, reason: 'instance_lock' });
    await quoteWhileClosed(started.lines, 1_500);
    expect(sim.listOrders()).toEqual([]);

    proxy.restore();
    await waitFor(() => guard.held(), 3 * leaseMs, 'the lock confirmed again');
    expect(sink.lines.map((l) => l.msg)).toContain('instance lock confirmed again: trading resumes');
    await quoteUntil(sim, BTC, '49990', '50000', booked, { timeoutMs: 30_000, intervalMs: 200 });
    expect(steps()).toEqual(['base filled']);
    expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
  }, 90_000);
});
