/**
 * The instance lock across an outage: a lost lock closes the order gate and is taken again
 * in-process; another instance holding it when asked again is fatal (the process exits 1).
 */
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceGuard } from '../../src/store/instanceGuard.js';
import { acquireInstanceLock, type InstanceLock, InstanceLockedError } from '../../src/store/instanceLock.js';
import { randomDatabaseName, testServerConfig } from '../helpers/db.js';
import { logSink } from '../helpers/logSink.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { waitFor } from '../helpers/wait.js';

const guards: InstanceGuard[] = [];
const locks: InstanceLock[] = [];
let proxy: TcpProxy | null = null;
afterEach(async () => {
  // A stalled proxy would hold the release's RELEASE_LOCK forever.
  proxy?.restore();
  await Promise.all([...guards.splice(0), ...locks.splice(0)].map((g) => g.release()));
  await proxy?.close();
  proxy = null;
});

async function guard(database: string, through?: TcpProxy, retryMs = 100, leaseMs = 900) {
  const sink = logSink();
  const cfg = {
    ...testServerConfig(),
    database,
    ...(through ? { host: '127.0.0.1', port: through.port } : {}),
  };
  const g = await InstanceGuard.acquire(cfg, sink.logger, { waitSeconds: 0, leaseMs, retryMs });
  guards.push(g);
  return { g, lines: sink.lines };
}

async function kill(connectionId: number): Promise<void> {
  const conn = await mysql.createConnection(testServerConfig());
  try {
    await conn.query('KILL ?', [connectionId]);
  } finally {
    await conn.end();
  }
}

async function holderOf(name: string): Promise<number> {
  const conn = await mysql.createConnection(testServerConfig());
  try {
    const [rows] = await conn.query('SELECT IS_USED_LOCK(?) AS id', [name]);
    return Number((rows as { id: number }[])[0]!.id);
  } finally {
    await conn.end();
  }
}

describe('the instance guard', () => {
  it('closes the gate when the lock is lost and opens it again once the lock is taken back', async () => {
    const { g, lines } = await guard(randomDatabaseName());
    expect(g.held()).toBe(true);
    await kill(await holderOf(g.name!));
    await waitFor(() => !g.held(), 3_000, 'the gate closed');
    await waitFor(() => g.held(), 5_000, 'the lock taken again');
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'instance lock lost: no order leaves until it is taken again',
        'instance lock taken again: trading resumes',
      ]),
    );
  });

  it('keeps the gate closed while MySQL is unreachable and takes the lock back when it returns', async () => {
    proxy = await startTcpProxy({ host: testServerConfig().host, port: testServerConfig().port });
    const { g, lines } = await guard(randomDatabaseName(), proxy);
    proxy.cut();
    await waitFor(() => !g.held(), 3_000, 'the gate closed');
    await waitFor(
      () => lines.filter((l) => l.msg.startsWith('instance lock not taken yet')).length >= 3,
      5_000,
    );
    expect(g.held()).toBe(false);
    proxy.restore();
    await waitFor(() => g.held(), 5_000, 'the lock taken again');
  });

  it('closes the gate within the lease while its connection hangs, and opens it when a heartbeat answers again', async () => {
    proxy = await startTcpProxy({ host: testServerConfig().host, port: testServerConfig().port });
    const leaseMs = 600;
    const { g, lines } = await guard(randomDatabaseName(), proxy, 100, leaseMs);
    proxy.stall();
    const stalled = Date.now();
    await waitFor(() => !g.held(), 3 * leaseMs, 'the gate closed');
    // The last confirmed heartbeat was sent before the stall: the lease ran out within one lease.
    expect(Date.now() - stalled).toBeLessThan(leaseMs + 200);
    await waitFor(
      () => lines.some((l) => l.msg.startsWith('instance lock unconfirmed')),
      1_000,
      'the lapse logged',
    );
    proxy.restore();
    await waitFor(() => g.held(), 3 * leaseMs, 'the lock confirmed again');
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain('instance lock confirmed again: trading resumes');
    // A stall shorter than two leases is not an outage: the same connection holds the lock.
    expect(messages.filter((m) => m.startsWith('instance lock lost'))).toEqual([]);
  });

  it('releases the lock within a lease while its connection hangs (a stop during a stall)', async () => {
    proxy = await startTcpProxy({ host: testServerConfig().host, port: testServerConfig().port });
    const leaseMs = 600;
    const { g } = await guard(randomDatabaseName(), proxy, 100, leaseMs);
    proxy.stall();
    const started = Date.now();
    await g.release();
    expect(Date.now() - started).toBeLessThan(leaseMs + 300);
    expect(g.held()).toBe(false);
  });

  it('gives up (fatal) when another instance took the lock while it was lost', async () => {
    const database = randomDatabaseName();
    // It asks again only after 2 s: the other instance gets in first.
    const { g } = await guard(database, undefined, 2_000);
    const name = g.name!;
    await kill(await holderOf(name));
    let other: InstanceLock | null = null;
    await waitFor(
      async () => {
        other = await acquireInstanceLock({ ...testServerConfig(), database }, { waitSeconds: 0 }).catch(
          () => null,
        );
        return other !== null;
      },
      3_000,
      'the other instance holding the lock',
    );
    locks.push(other!);
    const why = await g.fatal;
    expect(why).toBeInstanceOf(InstanceLockedError);
    expect(g.held()).toBe(false);
  });
});
