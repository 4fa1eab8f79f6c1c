/**
 * The instance lock (defect 6): one holder per database, a refusal that names the holder's MySQL
 * connection, and a loss (the connection killed) that is reported at once.
 */
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireInstanceLock,
  type InstanceLock,
  InstanceLockedError,
  instanceLockName,
} from '../../src/store/instanceLock.js';
import { randomDatabaseName, testServerConfig } from '../helpers/db.js';

const held: InstanceLock[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((l) => l.release()));
});

async function take(database: string, leaseMs?: number): Promise<InstanceLock> {
  const lock = await acquireInstanceLock(
    { ...testServerConfig(), database },
    { waitSeconds: 0, ...(leaseMs ? { leaseMs } : {}) },
  );
  held.push(lock);
  return lock;
}

async function admin<T>(sql: string, params: unknown[] = []): Promise<T> {
  const conn = await mysql.createConnection(testServerConfig());
  try {
    const [rows] = await conn.query(sql, params);
    return rows as T;
  } finally {
    await conn.end();
  }
}

describe('the instance lock', () => {
  it('is refused to a second holder on the same database, naming the database and the holder (defect 6)', async () => {
    const database = randomDatabaseName();
    const first = await take(database);
    const refusal = await take(database).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(InstanceLockedError);
    const message = (refusal as Error).message;
    expect(message).toContain(`database "${database}"`);
    expect(message).toContain(`MySQL connection ${first.connectionId} (root@`);
    expect(message).not.toContain('\n');
    expect((refusal as InstanceLockedError).holder.connectionId).toBe(first.connectionId);
  });

  it('is held on a connection of its own, under a name of the database', async () => {
    const database = randomDatabaseName();
    const lock = await take(database);
    expect(lock.name).toBe(`dca-bot:${database}`);
    const [row] = await admin<{ holder: number }[]>('SELECT IS_USED_LOCK(?) AS holder', [lock.name]);
    expect(Number(row!.holder)).toBe(lock.connectionId);
  });

  it('lets each database have its own holder', async () => {
    await take(randomDatabaseName());
    await expect(take(randomDatabaseName())).resolves.toBeDefined();
  });

  it('can be taken again once released', async () => {
    const database = randomDatabaseName();
    const first = await take(database);
    await first.release();
    await expect(take(database)).resolves.toBeDefined();
  });

  it('reports its loss within seconds when its connection is killed, and is free for the next holder', async () => {
    const database = randomDatabaseName();
    const lock = await take(database, 1_500);
    const started = Date.now();
    await admin(`KILL ${lock.connectionId}`);
    const why = await lock.lost;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(why.message).toMatch(/instance lock "dca-bot:.*" was lost/);
    await expect(take(database)).resolves.toBeDefined();
  });

  it("keeps long database names within MySQL's 64-character lock names", () => {
    expect(instanceLockName('d'.repeat(64)).length).toBeLessThanOrEqual(64);
    expect(instanceLockName('d'.repeat(64))).not.toBe(instanceLockName(`${'d'.repeat(63)}e`));
  });
});
