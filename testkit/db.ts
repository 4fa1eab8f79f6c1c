/**
 * A throwaway MariaDB database per test file: `createTestDatabase()` makes `dca_test_<random>` on
 * the server named by DCA_TEST_DB_HOST/PORT/USER/PASSWORD, applies the migrations and hands back a
 * pool; `drop()` closes the pool and removes the database.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { DbConfig } from '../src/config.js';
import { createPool, type Pool, type Queryable } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';

export interface TestDatabase {
  name: string;
  cfg: DbConfig;
  pool: Pool;
  drop(): Promise<void>;
}

export function testServerConfig(): Omit<DbConfig, 'database'> {
  const env = process.env;
  return {
    host: env['DCA_TEST_DB_HOST'] || '127.0.0.1',
    port: Number(env['DCA_TEST_DB_PORT'] || 3306),
    user: env['DCA_TEST_DB_USER'] || 'root',
    password: env['DCA_TEST_DB_PASSWORD'] ?? '',
  };
}

/** A fresh, empty database name (not created); `_sim` at the end for a sim-mode database. */
export function randomDatabaseName(opts: { sim?: boolean } = {}): string {
  return `dca_test_${randomBytes(6).toString('hex')}${opts.sim ? '_sim' : ''}`;
}

/**
 * Creates a database with every migration applied (or none, with `{ migrate: false }`); with
 * `{ sim: true }` its name ends in `_sim`, the only kind sim mode accepts.
 */
export async function createTestDatabase(
  opts: { migrate?: boolean; sim?: boolean } = {},
): Promise<TestDatabase> {
  const name = randomDatabaseName({ sim: opts.sim ?? false });
  const cfg: DbConfig = { ...testServerConfig(), database: name };
  if (opts.migrate === false) await adminQuery(`CREATE DATABASE \`${name}\``);
  else await migrate(cfg, { createDatabase: true });
  const pool = createPool(cfg);
  return {
    name,
    cfg,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(name);
    },
  };
}

/** The database's installation id: the second part of every client order id the bot places there. */
export async function installationIdOf(db: Queryable): Promise<string> {
  const [rows] = await db.query('SELECT installation_id FROM dca_installation');
  return (rows as { installation_id: string }[])[0]!.installation_id;
}

/** Removes a database made by these helpers (also for tests that create one without a pool). */
export async function dropDatabase(name: string): Promise<void> {
  if (!/^dca_test_[0-9a-f]+(_sim)?$/.test(name))
    throw new Error(`refusing to drop ${name}: not a test database`);
  await adminQuery(`DROP DATABASE IF EXISTS \`${name}\``);
}

async function adminQuery(sql: string): Promise<void> {
  const conn = await mysql.createConnection(testServerConfig());
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** The seed's `dca_assets` columns: what an operator's INSERT names. */
export interface SeedAssetColumns {
  asset_symbol: string;
  is_enabled: boolean;
  base_order_amount: string | number;
  safety_order_amount: string | number;
  max_safety_orders: number;
  safety_order_deviation: string | number;
  take_profit_percent: string | number;
  cooldown_period: number;
  buy_order_price_deviation_percent: string | number;
}

/** The seed README's example row: BTC/USD, $20 orders, 5 safety orders at 1.5 %, 1 % take profit. */
export const SEED_BTC_USD: SeedAssetColumns = {
  asset_symbol: 'BTC/USD',
  is_enabled: true,
  base_order_amount: '20.00',
  safety_order_amount: '20.00',
  max_safety_orders: 5,
  safety_order_deviation: '1.5',
  take_profit_percent: '1.0',
  cooldown_period: 300,
  buy_order_price_deviation_percent: '2.0',
};

/** Inserts an asset naming only the seed's columns (so every added column must default); returns its id. */
export async function insertAsset(db: Queryable, overrides: Partial<SeedAssetColumns> = {}): Promise<number> {
  const row = { ...SEED_BTC_USD, ...overrides };
  const columns = Object.keys(SEED_BTC_USD) as (keyof SeedAssetColumns)[];
  const [result] = await db.query(
    `INSERT INTO dca_assets (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    columns.map((c) => row[c]),
  );
  return Number((result as mysql.ResultSetHeader).insertId);
}

/**
 * The database as a graceful stop leaves it (sql/010): the next start does not look for unrecorded
 * safety orders, as it would after a crash (architecture §4).
 */
export async function markStoppedCleanly(db: Queryable): Promise<void> {
  try {
    await db.query('UPDATE dca_installation SET stopped_cleanly_at = CURRENT_TIMESTAMP(3)');
  } catch (err) {
    // A database migrated only part of the way (an upgrade test) has no such flag yet.
    const code = (err as { code?: string }).code;
    if (code !== 'ER_NO_SUCH_TABLE' && code !== 'ER_BAD_FIELD_ERROR') throw err;
  }
}

/**
 * Inserts a cycle row with the given columns (the rest default; `watching` unless `status` is named),
 * as a bot that stopped cleanly left it before a restart (markStoppedCleanly); returns its id.
 */
export async function insertCycle(
  db: Queryable,
  assetId: number,
  columns: Record<string, string | number | Date | null> = {},
): Promise<number> {
  const all = { asset_id: assetId, status: 'watching', ...columns };
  const names = Object.keys(all);
  const [result] = await db.query(
    `INSERT INTO dca_cycles (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    Object.values(all),
  );
  await markStoppedCleanly(db);
  return Number((result as { insertId: number }).insertId);
}
