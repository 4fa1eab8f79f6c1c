/**
 * systemd notifications without systemd: the real `systemd-notify` sends to a stand-in
 * NOTIFY_SOCKET (a unix datagram listener). READY=1 arrives, then WATCHDOG=1 pings; the pings stop
 * while the event loop is blocked (the first check after a stall withholds its ping) and while an
 * asset actor's lane is stuck on a database that does not answer, and they resume afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { type Notifier, notifierFromEnv, watchdogTimeoutMs } from '../../src/health/notify.js';
import { Watchdog } from '../../src/health/watchdog.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';
import { logSink } from '../helpers/logSink.js';
import { type FakeNotifySocket, startFakeNotifySocket } from '../helpers/notifySocket.js';
import { type ProxiedPool, proxiedPool, type TcpProxy } from '../helpers/tcpProxy.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';

let socket: FakeNotifySocket;
let watchdog: Watchdog | null = null;
const { lines: logLines, logger } = logSink('info');

beforeEach(async () => {
  logLines.length = 0;
  socket = await startFakeNotifySocket();
});

afterEach(async () => {
  watchdog?.stop();
  watchdog = null;
  await socket.close();
});

/** The notifier from the environment systemd would give, recording when each ping was asked for. */
function recordingNotifier(): { notifier: Notifier; asked: number[] } {
  const real = notifierFromEnv({ NOTIFY_SOCKET: socket.path }, logger);
  if (!real) throw new Error('NOTIFY_SOCKET was not taken');
  const asked: number[] = [];
  return {
    asked,
    notifier: {
      notify: (...assignments) => {
        if (assignments.includes('WATCHDOG=1')) asked.push(Date.now());
        return real.notify(...assignments);
      },
    },
  };
}

const pings = () => socket.assignments().filter((m) => m.message === 'WATCHDOG=1');

function blockTheLoop(ms: number): { from: number; to: number } {
  const from = Date.now();
  while (Date.now() - from < ms) {
    // Busy: no timer, no I/O callback can run.
  }
  return { from, to: Date.now() };
}

describe('systemd notifications', () => {
  it('are off without NOTIFY_SOCKET, and the watchdog only for this process and a positive WATCHDOG_USEC', () => {
    expect(notifierFromEnv({}, logger)).toBeNull();
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(30_000);
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42)).toBeNull();
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
    expect(watchdogTimeoutMs({}, 42)).toBeNull();
  });

  it('deliver READY=1 and then WATCHDOG=1 pings to NOTIFY_SOCKET', async () => {
    const { notifier } = recordingNotifier();
    expect(await notifier.notify('READY=1', 'STATUS=trading')).toBe(true);
    watchdog = new Watchdog({ notifier, timeoutMs: 600, lanes: () => [], logger });
    watchdog.start();
    await waitUntil(
      () => pings().length,
      (n) => n >= 2,
      { what: 'two pings' },
    );
    const [first, second] = socket.assignments();
    expect(first?.message).toBe('READY=1\nSTATUS=trading');
    expect(second?.message).toBe('WATCHDOG=1');
  });
});

describe('the watchdog', () => {
  it('sends no ping while the event loop is blocked, withholds the first after it, then pings again', async () => {
    const { notifier, asked } = recordingNotifier();
    watchdog = new Watchdog({ notifier, timeoutMs: 600, maxLoopLagMs: 300, lanes: () => [], logger });
    watchdog.start();
    await waitUntil(
      () => pings().length,
      (n) => n >= 2,
      { what: 'pings before the stall' },
    );

    const stall = blockTheLoop(1_500);
    const resumedFrom = pings().length;
    await waitUntil(
      () => pings().length,
      (n) => n >= resumedFrom + 2,
      { what: 'pings after the stall' },
    );

    // The check that ran right after the stall saw it and let no ping go.
    const withheld = logLines.find((l) => l.msg === 'watchdog ping withheld');
    expect((withheld?.['reasons'] as string[] | undefined)?.[0]).toMatch(/^event loop stalled for \d+ ms$/);
    const firstAfter = asked.find((t) => t >= stall.to)!;
    expect(firstAfter - stall.to).toBeGreaterThanOrEqual(watchdog.intervalMs - 20);
    // What systemd saw: a gap at least as long as the stall.
    const times = pings().map((m) => m.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(1_500);
  });
});

describe('the watchdog with the bot', () => {
  let sim: Simulator;
  let db: TestDatabase;
  let proxied: ProxiedPool;
  let proxy: TcpProxy;
  let bot: Bot | null = null;

  beforeEach(async () => {
    [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
    proxied = await proxiedPool(db);
    proxy = proxied.proxy;
    await insertAsset(db.pool);
  });

  afterEach(async () => {
    proxy.restore();
    await bot?.stop('test over');
    bot = null;
    await proxied.close();
    await Promise.all([sim.close(), db.drop()]);
  });

  it("stops pinging while an asset's lane is stuck on a database that does not answer, and resumes after", async () => {
    const started = await startInProcessBot({ sim, db, pool: proxied.pool });
    bot = started.bot;
    await started.trading([BTC]);
    const { notifier, asked } = recordingNotifier();
    const running = started.bot;
    watchdog = new Watchdog({
      notifier,
      timeoutMs: 3_000,
      intervalMs: 100,
      maxLoopLagMs: 2_000,
      laneStuckMs: 500,
      lanes: () => running.registry.all(),
      logger,
    });
    watchdog.start();
    await waitUntil(
      () => pings().length,
      (n) => n >= 2,
      { what: 'pings while trading' },
    );

    // MySQL hangs: a quote that decides the base buy leaves the lane waiting on its write.
    proxy.stall();
    await waitUntil(
      () => {
        sim.publishQuote(BTC, '49990', '50000');
        return logLines.find((l) => l.msg === 'watchdog ping withheld');
      },
      (line) => line !== undefined,
      { what: 'the ping withheld', timeoutMs: 10_000, intervalMs: 100 },
    );
    const withheld = logLines.find((l) => l.msg === 'watchdog ping withheld')!;
    expect(withheld.reasons).toEqual([expect.stringMatching(/^lane BTC\/USD stuck for \d+ s$/)]);
    const stuckAt = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    expect(asked.filter((t) => t > stuckAt)).toEqual([]);

    proxy.restore();
    await waitUntil(
      () => asked.filter((t) => t > stuckAt).length,
      (n) => n >= 2,
      {
        what: 'pings once the database answers',
        timeoutMs: 10_000,
      },
    );
    expect(logLines.some((l) => l.msg === 'watchdog pings again')).toBe(true);
  });
});
