import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DcaError } from '../../src/errors.js';
import { createPool, pingDb, withTransaction } from '../../src/store/db.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function assetCount(): Promise<number> {
  const [rows] = await db.pool.query('SELECT COUNT(*) AS n FROM dca_assets');
  return Number((rows as { n: string }[])[0]?.n);
}

describe('the database pool', () => {
  it('connects and answers a ping', async () => {
    await expect(pingDb(db.pool)).resolves.toBeUndefined();
  });

  it('reports an unreachable server as a retryable DB_UNAVAILABLE', async () => {
    const pool = createPool({ ...db.cfg, port: 1 });
    try {
      const err = await pingDb(pool).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DcaError);
      expect(err).toMatchObject({ code: 'DB_UNAVAILABLE', retryable: true });
    } finally {
      await pool.end();
    }
  });

  it('runs every session in UTC', async () => {
    const [rows] = await db.pool.query('SELECT @@session.time_zone AS tz');
    expect((rows as { tz: string }[])[0]?.tz).toBe('+00:00');
  });

  it('returns DECIMAL columns as exact strings', async () => {
    const id = await insertAsset(db.pool, { asset_symbol: 'DEC/USD', base_order_amount: '0.1234567891' });
    const [rows] = await db.pool.query('SELECT base_order_amount FROM dca_assets WHERE id = ?', [id]);
    expect((rows as { base_order_amount: unknown }[])[0]?.base_order_amount).toBe('0.1234567891');
  });
});

describe('withTransaction', () => {
  it('commits what the function wrote', async () => {
    const before = await assetCount();
    await withTransaction(db.pool, async (conn) => {
      await insertAsset(conn, { asset_symbol: 'TXA/USD' });
    });
    expect(await assetCount()).toBe(before + 1);
  });

  it('rolls everything back and rethrows when the function throws', async () => {
    const before = await assetCount();
    const boom = new Error('boom');
    await expect(
      withTransaction(db.pool, async (conn) => {
        await insertAsset(conn, { asset_symbol: 'TXB/USD' });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await assetCount()).toBe(before);
  });
});
