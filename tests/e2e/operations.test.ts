/**
 * What an operator relies on, with the bot as a child process (`node --import tsx src/main.ts`):
 * under a stand-in systemd (NOTIFY_SOCKET, WATCHDOG_USEC) it says READY=1 once it trades, pings
 * the watchdog, answers the probes and the metrics on HEALTH_PORT, and says STOPPING=1 on SIGTERM;
 * after logrotate renames LOG_FILE, SIGHUP makes it write to a new file at the same path.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { freePort } from '../../testkit/net.js';
import { type BotProcess, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { type FakeNotifySocket, startFakeNotifySocket } from '../helpers/notifySocket.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';

let sim: Simulator;
let db: TestDatabase;
let socket: FakeNotifySocket;
let bot: BotProcess | null = null;

beforeEach(async () => {
  [sim, db, socket] = await Promise.all([startSimulator(), createTestDatabase(), startFakeNotifySocket()]);
  await insertAsset(db.pool);
});

afterEach(async () => {
  await bot?.kill();
  bot = null;
  await socket.close();
  await Promise.all([sim.close(), db.drop()]);
});

const lines = async (path: string) =>
  (await readFile(path, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { msg: string });

describe('the bot under systemd', () => {
  it('says READY=1 once it trades, pings the watchdog, answers on HEALTH_PORT, and says STOPPING=1 on SIGTERM', async () => {
    const port = await freePort();
    bot = spawnBot({
      sim,
      db,
      env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '3000000', HEALTH_PORT: String(port) },
    });
    await waitUntilTrading(bot, [BTC]);
    const said = () => socket.assignments().map((m) => m.message);
    await waitUntil(said, (m) => m.filter((x) => x === 'WATCHDOG=1').length >= 2, {
      what: 'READY=1 and two pings',
      timeoutMs: 15_000,
    });
    expect(said()[0]).toBe('READY=1\nSTATUS=trading');

    const ready = await waitUntil(
      () => fetch(`http://127.0.0.1:${port}/readyz`),
      (r) => r.status === 200,
      { what: '/readyz 200' },
    );
    expect(await ready.json()).toEqual({ status: 'ready', reasons: [] });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^dca_rest_requests_total\{method="GET",status="200"\} [1-9]/m);
    expect(metrics).toMatch(/^dca_stream_connected\{stream="crypto_quotes"\} 1$/m);

    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(said()).toContain('STOPPING=1\nSTATUS=stopping (SIGTERM)');
  });
});

describe('LOG_FILE', () => {
  it('is reopened on SIGHUP: after a rename, new lines land in a new file at the same path', async () => {
    const dir = join(socket.path, '..');
    const file = join(dir, 'bot.log');
    bot = spawnBot({ sim, db, env: { LOG_FILE: file, LOG_LEVEL: 'info' } });
    await waitUntilTrading(bot, [BTC]);
    await waitUntil(
      () => lines(file),
      (l) => l.some((x) => x.msg === 'cycle resumed'),
      {
        what: 'the log file written',
      },
    );

    await rename(file, `${file}.1`);
    bot.child.kill('SIGHUP');
    const fresh = await waitUntil(
      () => lines(file),
      (l) => l.length > 0,
      { what: 'a new log file' },
    );
    expect(fresh[0]?.msg).toBe('log file reopened');
    const rotated = await lines(`${file}.1`);
    expect(rotated.some((l) => l.msg === 'cycle resumed')).toBe(true);
    expect(rotated.some((l) => l.msg === 'log file reopened')).toBe(false);
    // Still running: SIGHUP is not the end of the process.
    expect(bot.child.exitCode).toBeNull();
    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect((await lines(file)).some((l) => l.msg === 'stopped')).toBe(true);
  });
});
