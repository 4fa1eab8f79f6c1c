/**
 * Defect 6: one instance per database. The bot runs as a child process against the simulator and a
 * real MariaDB database; a second `npm start` on the same database (a manual start beside the
 * systemd unit, or a second `--sim` demo) must exit 1 at once with one line naming the database and
 * the lock holder's connection, having opened no stream and run no caretaker, and leave the first
 * instance's live cycle alone. The operator CLI keeps reading beside a running bot; a bot whose
 * lock connection is killed takes the lock back in-process, or exits 1 if another instance got it.
 */
import mysql from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { acquireInstanceLock, type InstanceLock, instanceLockName } from '../../src/store/instanceLock.js';
import {
  type BotProcess,
  currentCycle,
  cyclesOf,
  quoteUntil,
  spawnBot,
  waitUntilTrading,
} from '../helpers/bot.js';
import { cli } from '../helpers/cli.js';
import { createTestDatabase, insertAsset, type TestDatabase, testServerConfig } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';
import { waitFor, waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';

let sim: Simulator;
let db: TestDatabase;
const bots: BotProcess[] = [];

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase({ sim: true })]);
});

afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.kill()));
  await Promise.all([sim.close(), db.drop()]);
});

function start(args: readonly string[] = []): BotProcess {
  const bot = spawnBot({ sim, db, args });
  bots.push(bot);
  return bot;
}

/** The MySQL connection holding the database's instance lock, as another client sees it. */
async function lockHolder(): Promise<number | null> {
  const conn = await mysql.createConnection(testServerConfig());
  try {
    const [rows] = await conn.query('SELECT IS_USED_LOCK(?) AS id', [instanceLockName(db.name)]);
    const id = (rows as { id: number | string | null }[])[0]?.id;
    return id === null || id === undefined ? null : Number(id);
  } finally {
    await conn.end();
  }
}

/** The process's exit, or a failure naming what it was doing if it is still running after `ms`. */
async function exitWithin(bot: BotProcess, ms: number): Promise<number | null> {
  const timeout = new Promise<'running'>((r) => setTimeout(() => r('running'), ms).unref());
  const ended = await Promise.race([bot.exited, timeout]);
  if (ended === 'running') {
    throw new Error(`still running after ${ms} ms; it logged: ${bot.lines.map((l) => l.msg).join(' | ')}`);
  }
  return ended.code;
}

/** The second instance refused to start: exit 1, one stderr line naming the database and the holder. */
async function expectRefused(second: BotProcess): Promise<void> {
  expect(await exitWithin(second, 20_000)).toBe(1);
  const holder = await lockHolder();
  expect(holder).not.toBeNull();
  const lines = second
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`another dca-bot instance is running on database "${db.name}"`);
  expect(lines[0]).toContain(`MySQL connection ${holder}`);
  // It logged nothing: no stream connected, no caretaker ran, no cycle was loaded.
  expect(second.lines).toEqual([]);
}

describe('a second instance on the same database (defect 6)', () => {
  it('exits 1 with one line naming the database and the holder, and leaves the live cycle alone', async () => {
    const assetId = await insertAsset(db.pool);
    const first = start();
    await waitUntilTrading(first, [BTC]);
    // The base order rests on the book: the cycle is live in `buying` while the second one starts.
    sim.faults.holdOrders();
    await quoteUntil(
      sim,
      BTC,
      '49990',
      '50000',
      async () => (await currentCycle(db.pool, assetId))?.latest_order_id != null,
    );
    const before = await cyclesOf(db.pool, assetId);
    const ordersBefore = sim.listOrders();

    await expectRefused(start());

    expect(await cyclesOf(db.pool, assetId)).toEqual(before);
    expect(sim.listOrders()).toEqual(ordersBefore);
    expect(first.child.exitCode).toBeNull();
    // The first instance still owns the cycle: the held order fills and it books it.
    sim.faults.releaseOrders();
    await waitUntil(
      () => currentCycle(db.pool, assetId),
      (c) => c?.status === 'watching' && dec(c.quantity).gt(0),
      { what: 'the first instance to book the fill', timeoutMs: 15_000 },
    );
  });

  it('refuses a second --sim demo on the same sim database, while the first demo keeps trading', async () => {
    const first = start(['--sim']);
    await waitUntilTrading(first, [BTC]);
    const bought = await waitUntil(
      () => cyclesOf(db.pool, 1),
      (cycles) => cycles.some((c) => dec(c.quantity).gt(0) || c.status === 'buying'),
      { what: 'the first demo to buy', timeoutMs: 30_000, intervalMs: 100 },
    );

    await expectRefused(start(['--sim']));

    const after = await cyclesOf(db.pool, 1);
    expect(after.filter((c) => c.status === 'error')).toEqual([]);
    expect(after.length).toBeGreaterThanOrEqual(bought.length);
    expect(first.child.exitCode).toBeNull();
  });
});

describe('beside a running bot', () => {
  it("the CLI's read-only commands keep working", async () => {
    await insertAsset(db.pool);
    const bot = start();
    await waitUntilTrading(bot, [BTC]);
    const env = dbEnv(db.cfg);
    for (const argv of [['status'], ['assets', 'list'], ['cycles', BTC], ['pnl'], ['status', '--json']]) {
      const result = await cli(argv, env);
      expect({ argv, code: result.code, stderr: result.stderr }).toEqual({ argv, code: 0, stderr: '' });
    }
    expect((await cli(['status'], env)).stdout).toContain(BTC);
    expect(bot.child.exitCode).toBeNull();
  });
});

describe('a bot whose lock connection is lost (defect 6)', () => {
  it('stays up, takes the lock back in-process and trades', async () => {
    const assetId = await insertAsset(db.pool);
    const first = start();
    await waitUntilTrading(first, [BTC]);
    const holder = await lockHolder();
    expect(holder).not.toBeNull();

    const conn = await mysql.createConnection(testServerConfig());
    await conn.query(`KILL ${holder}`);
    await conn.end();
    await first.waitForLog(
      (l) => l.msg.startsWith('instance lock taken again'),
      15_000,
      'the lock taken again',
    );
    expect(await lockHolder()).not.toBe(holder);
    expect(first.child.exitCode).toBeNull();
    await quoteUntil(sim, BTC, '49990', '50000', async () =>
      dec((await currentCycle(db.pool, assetId))?.quantity ?? 0).gt(0),
    );
  });

  it('exits 1 when another instance took the lock while it was lost, having sent no order', async () => {
    await insertAsset(db.pool);
    const first = start();
    await waitUntilTrading(first, [BTC]);
    const holder = await lockHolder();
    const conn = await mysql.createConnection(testServerConfig());
    await conn.query(`KILL ${holder}`);
    // The other instance asks at once; the bot asks again only after 2 s.
    let other: InstanceLock | null = null;
    await waitFor(
      async () => {
        other = await acquireInstanceLock(db.cfg, { waitSeconds: 0 }).catch(() => null);
        return other !== null;
      },
      5_000,
      'the other instance holding the lock',
    );
    await conn.end();
    try {
      sim.publishQuote(BTC, '49990', '50000');
      expect(await exitWithin(first, 15_000)).toBe(1);
      expect(first.stderr()).toMatch(/dca-bot: stopping, another dca-bot instance is running on database/);
      expect(sim.listOrders()).toEqual([]);
    } finally {
      await other!.release();
    }
  });
});
