/**
 * /healthz and /readyz over real HTTP against the process tree in-process (startBot), the
 * simulator and a throwaway database reached through a TCP proxy: ready once it trades; not ready,
 * with the reason, while a stream is refused, while MySQL is cut, while an asset is parked; not
 * live once the supervisor has stopped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { type HealthServer, startHealthServer } from '../../src/health/server.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { createPool, type Pool } from '../../src/store/db.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { type InProcessBotOptions, startInProcessBot } from '../helpers/inProcessBot.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';

let sim: Simulator;
let db: TestDatabase;
let proxy: TcpProxy;
let proxied: Pool;
let health: HealthServer;
let bot: Bot | null = null;
let assetId: number;
let lockHeld = true;

beforeEach(async () => {
  lockHeld = true;
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  proxy = await startTcpProxy({ host: db.cfg.host, port: db.cfg.port });
  proxied = createPool({ ...db.cfg, host: '127.0.0.1', port: proxy.port });
  assetId = await insertAsset(db.pool);
  health = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    logger: (await import('pino')).pino({ level: 'silent' }),
    db: proxied,
    dbTimeoutMs: 500,
    lockHeld: () => lockHeld,
  });
});

afterEach(async () => {
  proxy.restore();
  await bot?.stop('test over');
  bot = null;
  await health.close();
  await proxied.end();
  await proxy.close();
  await Promise.all([sim.close(), db.drop()]);
});

async function start(extra: Partial<InProcessBotOptions> = {}): Promise<Bot> {
  const started = await startInProcessBot({ sim, db, pool: proxied, logLevel: 'silent', ...extra });
  bot = started.bot;
  health.attach(started.bot);
  return started.bot;
}

interface Probe {
  readonly status: number;
  readonly body: { status: string; reasons: string[] };
}

async function probe(path: '/healthz' | '/readyz'): Promise<Probe> {
  const res = await fetch(`${health.url}${path}`);
  return { status: res.status, body: (await res.json()) as Probe['body'] };
}

const ready = (p: Probe) => p.status === 200;

describe('the readiness probe', () => {
  it('says starting before the bot is attached, then ready once both streams are connected', async () => {
    expect(await probe('/readyz')).toEqual({
      status: 503,
      body: { status: 'not ready', reasons: ['the bot is starting'] },
    });
    expect(await probe('/healthz')).toEqual({ status: 200, body: { status: 'starting', reasons: [] } });
    await start();
    const answer = await waitUntil(() => probe('/readyz'), ready, { what: 'ready' });
    expect(answer.body).toEqual({ status: 'ready', reasons: [] });
    expect(await probe('/healthz')).toEqual({ status: 200, body: { status: 'running', reasons: [] } });
  });

  it('is not ready while the quote stream is dropped and refused, and ready again once it is back', async () => {
    await start();
    await waitUntil(() => probe('/readyz'), ready, { what: 'ready' });
    sim.faults.refuseStream('data', { ms: 2_000 });
    sim.faults.dropStream('data');
    const down = await waitUntil(
      () => probe('/readyz'),
      (p) => p.status === 503,
      { what: 'not ready' },
    );
    expect(down.body.reasons).toEqual(['stream crypto_quotes is disconnected']);
    await waitUntil(() => probe('/readyz'), ready, { what: 'ready again', timeoutMs: 10_000 });
  });

  it('is not ready while the trade_updates stream is dropped and refused', async () => {
    await start();
    await waitUntil(() => probe('/readyz'), ready, { what: 'ready' });
    sim.faults.refuseStream('trading', { ms: 2_000 });
    sim.faults.dropStream('trading');
    const down = await waitUntil(
      () => probe('/readyz'),
      (p) => p.status === 503,
      { what: 'not ready' },
    );
    expect(down.body.reasons).toEqual(['stream trade_updates is disconnected']);
    await waitUntil(() => probe('/readyz'), ready, { what: 'ready again', timeoutMs: 10_000 });
  });

  it('is not ready while MySQL is cut, yet stays live, and is ready again once it is back', async () => {
    await start();
    await waitUntil(() => probe('/readyz'), ready, { what: 'ready' });
    proxy.cut();
    const down = await waitUntil(
      () => probe('/readyz'),
      (p) => p.status === 503,
      { what: 'not ready' },
    );
    expect(down.body.reasons.some((r) => r.startsWith('MySQL unreachable: '))).toBe(true);
    expect((await probe('/healthz')).status).toBe(200);
    proxy.restore();
    await waitUntil(() => probe('/readyz'), ready, { what: 'ready again', timeoutMs: 15_000 });
  });

  it('is not ready while the instance lock is not held, and ready again once it is', async () => {
    await start();
    await waitUntil(() => probe('/readyz'), ready, { what: 'ready' });
    lockHeld = false;
    const down = await probe('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.reasons).toContain(
      'the instance lock is not held: no order is sent until it is taken again',
    );
    expect((await probe('/healthz')).status).toBe(200);
    lockHeld = true;
    expect((await probe('/readyz')).status).toBe(200);
  });

  it('is not ready while an asset is parked, naming it and why', async () => {
    // A real failure at the actor's first write: MariaDB refuses every UPDATE of its cycles.
    await db.pool.query(
      `CREATE TRIGGER refuse_cycle_writes BEFORE UPDATE ON dca_cycles FOR EACH ROW
         BEGIN
           IF NEW.asset_id = ${Number(assetId)} THEN
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'disk full (test)';
           END IF;
         END`,
    );
    await start({
      assetSupervision: {
        intensity: { maxRestarts: 1, periodMs: 60_000 },
        backoff: { initialMs: 50, maxMs: 100, factor: 2 },
        parkBackoff: { initialMs: 3_600_000, maxMs: 3_600_000, factor: 1 },
      },
    });
    const parked = await waitUntil(
      async () => {
        sim.publishQuote(BTC, '49990', '50000');
        return probe('/readyz');
      },
      (p) => p.body.reasons.some((r) => r.includes('parked')),
      { what: 'the parked asset on /readyz', intervalMs: 100, timeoutMs: 15_000 },
    );
    expect(parked.status).toBe(503);
    expect(parked.body.reasons).toEqual([`asset:${BTC} is parked: crashed after 1 restarts within 60000 ms`]);
    // Parked is contained: the process is alive and needs no restart.
    expect((await probe('/healthz')).status).toBe(200);
  });
});

describe('the liveness probe', () => {
  it("fails while an asset's lane is stuck on a database that hangs, and passes once it answers", async () => {
    const strict = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      logger: (await import('pino')).pino({ level: 'silent' }),
      db: proxied,
      dbTimeoutMs: 500,
      laneStuckMs: 500,
    });
    try {
      const running = await start();
      strict.attach(running);
      const live = async () => {
        const res = await fetch(`${strict.url}/healthz`);
        return { status: res.status, body: (await res.json()) as Probe['body'] };
      };
      await waitUntil(live, (p) => p.body.status === 'running', { what: 'running' });
      // MySQL hangs (connections open, nothing answers): the base buy's write never returns.
      proxy.stall();
      const hung = await waitUntil(
        () => {
          sim.publishQuote(BTC, '49990', '50000');
          return live();
        },
        (p) => p.status === 503,
        { what: 'not live', intervalMs: 100, timeoutMs: 10_000 },
      );
      expect(hung.body.status).toBe('hung');
      expect(hung.body.reasons).toEqual([expect.stringMatching(/^lane BTC\/USD stuck for \d+ s$/)]);
      proxy.restore();
      await waitUntil(live, (p) => p.status === 200, { what: 'live again', timeoutMs: 10_000 });
    } finally {
      await strict.close();
    }
  });

  it('fails once the supervisor has stopped', async () => {
    const running = await start();
    await waitUntil(
      () => probe('/healthz'),
      (p) => p.body.status === 'running',
      { what: 'running' },
    );
    await running.stop('test stops the tree');
    bot = null;
    expect(await probe('/healthz')).toEqual({
      status: 503,
      body: { status: 'stopped', reasons: ['the supervisor stopped: test stops the tree'] },
    });
    expect((await probe('/readyz')).status).toBe(503);
  });
});
