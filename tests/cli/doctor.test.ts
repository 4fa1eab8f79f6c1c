import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/cli/doctorReport.js';
import { orderOwner } from '../../src/clientOrderId.js';
import { type Simulator, startSimulator } from '../../src/sim/simulator.js';
import { loadInstallation } from '../../src/store/installation.js';
import { acquireInstanceLock } from '../../src/store/instanceLock.js';
import { cli } from '../helpers/cli.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { botEnv } from '../helpers/env.js';
import { runEntry } from '../helpers/proc.js';

let db: TestDatabase;
let sim: Simulator;
let env: Record<string, string>;
let feed: NodeJS.Timeout;

beforeAll(async () => {
  [db, sim] = await Promise.all([
    createTestDatabase(),
    startSimulator({
      port: 0,
      assets: [
        { symbol: 'BTC/USD', minOrderSize: '0.0001', minTradeIncrement: '0.000000001', priceIncrement: '1' },
        { symbol: 'ETH/USD', minOrderSize: '0.001', minTradeIncrement: '0.000000001', priceIncrement: '0.1' },
      ],
    }),
  ]);
  env = botEnv(sim.endpoints, db.cfg);
  // The market moves as a live feed does: a quote for each pair every 100 ms.
  let tick = 0;
  feed = setInterval(() => {
    tick = (tick + 1) % 10;
    sim.publishQuote('BTC/USD', String(59_990 + tick), String(60_000 + tick));
    sim.publishQuote('ETH/USD', String(2_999 + tick), String(3_000 + tick));
  }, 100);
});
afterAll(async () => {
  clearInterval(feed);
  await Promise.all([db?.drop(), sim?.close()]);
});
beforeEach(async () => {
  sim.faults.reset();
  await db.pool.query('DELETE FROM dca_assets');
  await insertAsset(db.pool);
});

const doctor = (args: readonly string[] = [], extra: Record<string, string> = {}) =>
  runEntry('cli', ['doctor', ...args], { ...env, ...extra });

/** The printed line of one check. */
const line = (stdout: string, name: string) =>
  stdout.split('\n').find((l) => l.slice(6).startsWith(`${name}:`)) ?? `(no ${name} line)`;

const openOrders = () =>
  sim.listOrders().filter((o) => !['filled', 'canceled', 'expired', 'rejected'].includes(o.status));

describe('dca-bot doctor against the simulator', () => {
  it('passes every check and the order test, leaving no order behind, and exits 0', async () => {
    const run = await doctor(['--order-test']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const checks = lines.slice(0, -1);
    expect(checks.every((l) => l.startsWith('ok    '))).toBe(true);
    for (const name of [
      'config',
      'destination',
      'database',
      'migrations',
      'instance lock',
      'keys',
      'account status',
      'crypto trading',
      'buying power',
      'asset BTC/USD',
      'trade_updates',
      'quote stream',
      'clock',
      'capital',
      'order test',
    ])
      expect(line(run.stdout, name)).toMatch(/^ok {4}/);
    expect(line(run.stdout, 'destination')).toContain(
      `orders go to loopback (${new URL(env['APCA_API_BASE_URL']!).host})`,
    );
    expect(line(run.stdout, 'quote stream')).toContain('subscribed to 1 asset(s)');
    expect(line(run.stdout, 'order test')).toMatch(
      /limit BUY 0\.\d+ BTC\/USD at \d+ \(half the bid \d+\): placed in \d+ ms, among the open orders after \d+ ms, cancel answered in \d+ ms, canceled confirmed after \d+ ms; nothing left open/,
    );
    expect(lines.at(-1)).toMatch(/^doctor: 15 ok, 0 warn, 0 fail, 0 skipped: ready$/);
    // The test order was placed for the pair's minimum and is gone.
    const placed = sim.listOrders().filter((o) => o.clientOrderId.startsWith('doctor-'));
    expect(placed.map((o) => o.status)).toEqual(['canceled']);
    expect(placed[0]!.qty!.mul(placed[0]!.limitPrice!).toNumber()).toBeGreaterThanOrEqual(10);
    expect(openOrders()).toEqual([]);
    // A bot running on the account takes it for a hand-placed order, which it never touches.
    expect(orderOwner(placed[0]!.clientOrderId, await loadInstallation(db.pool))).toBe('manual');
  });

  it('says the same in --json, with the measurements', async () => {
    const run = await doctor(['--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; mode: string; checks: CheckResult[] };
    expect(out.ok).toBe(true);
    expect(out.mode).toBe('paper');
    expect(out.checks.map((c) => c.status).every((s) => s === 'ok')).toBe(true);
    const clock = out.checks.find((c) => c.name === 'clock')!;
    expect(clock.data?.['skewAtLeastMs']).toBe(0);
  });

  it('fails on keys the exchange refuses, names the fix, and skips what needs them', async () => {
    const run = await doctor([], { APCA_API_SECRET_KEY: 'not-the-secret' });
    expect(run.code).toBe(1);
    expect(line(run.stdout, 'keys')).toMatch(
      /^fail {2}keys: GET .*\/v2\/account refused the keys \(401\) — fix: set APCA_API_KEY_ID/,
    );
    expect(line(run.stdout, 'trade_updates')).toMatch(/^skip {2}/);
    expect(line(run.stdout, 'asset BTC/USD')).toBe('(no asset BTC/USD line)');
    expect(run.stdout).not.toContain('not-the-secret');
  });

  it('fails on a pair the exchange does not list, and on an amount below the minimum at the current price', async () => {
    await insertAsset(db.pool, { asset_symbol: 'ZZZ/USD' });
    await insertAsset(db.pool, { asset_symbol: 'ETH/USD', base_order_amount: '5' });
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(line(run.stdout, 'asset BTC/USD')).toMatch(/^ok {4}/);
    expect(line(run.stdout, 'asset ZZZ/USD')).toMatch(
      /^fail {2}asset ZZZ\/USD: the exchange does not list this pair — fix: dca-bot assets disable ZZZ\/USD, or correct the symbol$/,
    );
    expect(line(run.stdout, 'asset ETH/USD')).toMatch(
      /^fail {2}asset ETH\/USD: base 5 USD is worth [\d.]+ USD at [\d.]+, below the minimum order value 10 USD \(needs at least 10\.03 USD\) — fix: raise it: dca-bot assets set ETH\/USD --base <amount>$/,
    );
  });

  it('warns, without failing, about a disabled row that could not trade', async () => {
    await insertAsset(db.pool, { asset_symbol: 'ETH/USD', base_order_amount: '5', is_enabled: false });
    const run = await doctor();
    expect(run.code).toBe(0);
    expect(line(run.stdout, 'asset ETH/USD')).toMatch(
      /^warn {2}asset ETH\/USD: base 5 USD .* \(disabled\) — fix/,
    );
  });

  it('fails when the data stream refuses the subscription', async () => {
    sim.faults.refuseSubscriptions(100);
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(line(run.stdout, 'quote stream')).toMatch(
      /^fail {2}quote stream: refused: .*insufficient subscription — fix: /,
    );
    expect(line(run.stdout, 'trade_updates')).toMatch(/^ok {4}/);
  });

  it('fails when a stream refuses authentication though REST takes the keys', async () => {
    sim.faults.refuseStreamAuth('data', 100);
    sim.faults.refuseStreamAuth('trading', 100);
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(line(run.stdout, 'keys')).toMatch(/^ok {4}/);
    expect(line(run.stdout, 'quote stream')).toMatch(/^fail {2}quote stream: refused: .*auth/);
    expect(line(run.stdout, 'trade_updates')).toMatch(/^fail {2}trade_updates: refused: .*auth/);
  });

  it("fails when this machine's clock is far off the exchange's, and warns when it is a little off", async () => {
    sim.faults.skewClock(60_000);
    const far = await doctor();
    expect(far.code).toBe(1);
    expect(line(far.stdout, 'clock')).toMatch(
      /^fail {2}clock: (59|60)\.\d s off the exchange's clock \(its Date header\): quotes would look stale — fix: turn on time sync/,
    );
    sim.faults.skewClock(-5_000);
    const near = await doctor();
    expect(near.code).toBe(0);
    expect(line(near.stdout, 'clock')).toMatch(/^warn {2}clock: [45]\.\d s off the exchange's clock/);
  });

  it('fails when another instance holds the lock, naming the connection that holds it', async () => {
    const lock = await acquireInstanceLock(db.cfg);
    try {
      const run = await doctor();
      expect(run.code).toBe(1);
      expect(line(run.stdout, 'instance lock')).toMatch(
        new RegExp(
          `^fail {2}instance lock: "dca-bot:${db.name}" is held by MySQL connection ${lock.connectionId} \\(root@[^)]+\\): a bot is running on ${db.name}, and \`npm start\` would exit 1 — fix: stop that bot`,
        ),
      );
    } finally {
      await lock.release();
    }
    // Looking did not take it: the lock is free for the next bot.
    const next = await acquireInstanceLock(db.cfg, { waitSeconds: 0 });
    await next.release();
  });

  it('warns about pending migrations on an empty database and skips the asset checks, without failing', async () => {
    const empty = await createTestDatabase({ migrate: false });
    try {
      const run = await doctor([], { DB_NAME: empty.name });
      expect(run.code).toBe(0);
      expect(line(run.stdout, 'migrations')).toMatch(
        /^warn {2}migrations: \d+ pending: 001_seed_schema\.sql, .* \(the bot applies them at start\) — fix: run `dca-bot migrate`/,
      );
      expect(line(run.stdout, 'assets')).toBe('skip  assets: the database or its tables are not ready');
    } finally {
      await empty.drop();
    }
  });

  it('reports every configuration problem at once and exits 2', async () => {
    const run = await doctor([], { DB_PORT: 'x', LOG_LEVEL: 'loud' });
    expect(run.code).toBe(2);
    expect(line(run.stdout, 'config')).toMatch(/^fail {2}config: 2 problem\(s\): DB_PORT: .*; LOG_LEVEL: /);
    expect(line(run.stdout, 'keys')).toMatch(/^skip {2}keys: the configuration does not parse/);
  });
});

describe('doctor --order-test where orders move real money', () => {
  let server: Server;
  let connections = 0;
  let port = 0;
  beforeAll(async () => {
    // Stands in for a live exchange and database: it counts every connection and answers none.
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // 0.0.0.0 reaches this machine, yet is neither Alpaca's paper host nor a loopback name: to the
  // live-money guard it is an unknown host that may trade real money.
  const liveEnv = () => ({
    DCA_MODE: 'paper',
    DCA_LIVE_TRADING: 'yes',
    APCA_API_KEY_ID: 'AKLIVE',
    APCA_API_SECRET_KEY: 'live-secret',
    APCA_API_BASE_URL: `http://0.0.0.0:${port}`,
    APCA_API_DATA_URL: `http://0.0.0.0:${port}`,
    APCA_API_STREAM_URL: `ws://0.0.0.0:${port}/stream`,
    APCA_API_DATA_STREAM_URL: `ws://0.0.0.0:${port}/v1beta3/crypto/us`,
    DB_HOST: '0.0.0.0',
    DB_PORT: String(port),
    DB_USER: 'dca_bot',
    DB_NAME: 'dca_bot',
  });

  it('is refused on a host that needs the live opt-in before any request, database included', async () => {
    const run = await runEntry('cli', ['doctor', '--order-test'], liveEnv());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `dca-bot: refused: --order-test places a real order and runs on paper only; orders here go to custom host (0.0.0.0:${port})`,
    );
    expect(run.stdout).toBe('');
    expect(connections).toBe(0);
  });

  it("is refused on Alpaca's live host", async () => {
    const run = await runEntry('cli', ['doctor', '--order-test'], {
      ...liveEnv(),
      DCA_MODE: 'live',
      APCA_API_BASE_URL: 'https://api.alpaca.markets',
      APCA_API_STREAM_URL: 'wss://api.alpaca.markets/stream',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('orders here go to LIVE (real money) (api.alpaca.markets)');
    expect(connections).toBe(0);
  });

  it('goes ahead with --really-live (here it reaches the stand-in, which answers nothing)', async () => {
    const run = await runEntry('cli', ['doctor', '--order-test', '--really-live'], liveEnv());
    expect(run.code).toBe(1);
    expect(connections).toBeGreaterThan(0);
    expect(line(run.stdout, 'database')).toMatch(/^fail {2}/);
    expect(line(run.stdout, 'keys')).toMatch(
      /^fail {2}keys: GET http:\/\/0\.0\.0\.0:\d+\/v2\/account failed/,
    );
  });

  it('takes --really-live only with --order-test', async () => {
    const run = await cli(['doctor', '--really-live'], liveEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--really-live goes with --order-test');
  });
});
