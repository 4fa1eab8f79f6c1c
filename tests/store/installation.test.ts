/**
 * The installation id (sql/004_installation.sql): created once per database, kept across restarts
 * and migrations, new for a database dropped and re-created, and the marker of how far an upgraded
 * database's pre-installation orders reach.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/store/db.js';
import { loadInstallation } from '../../src/store/installation.js';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/store/migrate.js';
import {
  createTestDatabase,
  dropDatabase,
  insertAsset,
  randomDatabaseName,
  type TestDatabase,
  testServerConfig,
} from '../helpers/db.js';

const opened: TestDatabase[] = [];
const extraNames: string[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.drop()));
  await Promise.all(extraNames.splice(0).map((n) => dropDatabase(n)));
});

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  opened.push(db);
  return db;
}

describe('the installation id', () => {
  it('is created once by the migration: short, lowercase, URL-safe, with no pre-installation orders', async () => {
    const db = await freshDatabase();
    const installation = await loadInstallation(db.pool);
    expect(installation.id).toMatch(/^[0-9a-f]{10}$/);
    expect(installation.legacyCycleMax).toBeNull();

    expect(await migrate(db.cfg)).toEqual([]);
    expect(await loadInstallation(db.pool)).toEqual(installation);
  });

  it('is new for a database dropped and re-created under the same name', async () => {
    const name = randomDatabaseName();
    const cfg = { ...testServerConfig(), database: name };
    extraNames.push(name);
    const read = async () => {
      await migrate(cfg, { createDatabase: true });
      const pool = createPool(cfg);
      try {
        return (await loadInstallation(pool)).id;
      } finally {
        await pool.end();
      }
    };
    const before = await read();
    await dropDatabase(name);
    const after = await read();
    expect(after).not.toBe(before);
  });

  it('differs between databases on one server', async () => {
    const [a, b] = await Promise.all([freshDatabase(), freshDatabase()]);
    expect((await loadInstallation(a.pool)).id).not.toBe((await loadInstallation(b.pool)).id);
  });

  it('remembers the last cycle of a database upgraded in place, whose old orders stay its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dca-sql-'));
    try {
      for (const f of ['001_seed_schema.sql', '002_cycle_bookkeeping.sql', '003_orders_ledger.sql']) {
        await copyFile(join(DEFAULT_MIGRATIONS_DIR, f), join(dir, f));
      }
      const db = await createTestDatabase({ migrate: false });
      opened.push(db);
      await migrate(db.cfg, { dir });
      const assetId = await insertAsset(db.pool);
      for (let i = 0; i < 3; i++) {
        await db.pool.query("INSERT INTO dca_cycles (asset_id, status) VALUES (?, 'complete')", [assetId]);
      }
      const [[last]] = (await db.pool.query('SELECT MAX(id) AS id FROM dca_cycles')) as unknown as [
        { id: number }[],
      ];

      expect(await migrate(db.cfg)).toContain('004_installation.sql');
      expect((await loadInstallation(db.pool)).legacyCycleMax).toBe(last!.id);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start from a database whose installation row is missing or unreadable', async () => {
    const db = await freshDatabase();
    await db.pool.query("UPDATE dca_installation SET installation_id = 'has-dash'");
    await expect(loadInstallation(db.pool)).rejects.toThrow(/not 6-16 lowercase letters or digits/);
    await db.pool.query('DELETE FROM dca_installation');
    await expect(loadInstallation(db.pool)).rejects.toThrow(
      /exactly one row \(it has 0\); run `npm run migrate`/,
    );
  });

  it('keeps to one row', async () => {
    const db = await freshDatabase();
    const conn = await mysql.createConnection({ ...testServerConfig(), database: db.name });
    try {
      await expect(
        conn.query("INSERT INTO dca_installation (id, installation_id) VALUES (2, 'abcdefabcd')"),
      ).rejects.toThrow(/CONSTRAINT|chk_dca_installation_one_row/i);
    } finally {
      await conn.end();
    }
  });
});
