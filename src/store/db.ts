/**
 * The MySQL/MariaDB edge: one pool, UTC everywhere, DECIMAL columns as strings (parsed with dec()
 * by the row mappers, never through a binary float), parameterised SQL only.
 */
import mysql, { type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import type { DbConfig } from '../config.js';
import { DcaError } from '../errors.js';

export type { Pool, PoolConnection } from 'mysql2/promise';
export type Queryable = Pool | PoolConnection;

export function poolOptions(cfg: DbConfig, extra: Partial<PoolOptions> = {}): PoolOptions {
  return {
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    // TIMESTAMP columns are read and written as UTC instants whatever the host's zone.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    // DECIMAL stays a string so no price or quantity ever passes through a float.
    decimalNumbers: false,
    dateStrings: false,
    connectionLimit: 10,
    waitForConnections: true,
    ...extra,
  };
}

/**
 * Strict on every table: a value that does not fit its column is an error, never a silently
 * clipped or truncated one (a non-strict session stores 1e300 as 9999999999.9999999999). The
 * store checks ranges itself first (columns.ts); this is the backstop for anything it misses.
 */
export const SQL_MODE =
  'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

export function createPool(cfg: DbConfig): Pool {
  const pool = mysql.createPool(poolOptions(cfg));
  // The session zone must match `timezone: 'Z'` so CURRENT_TIMESTAMP defaults and NOW() are UTC,
  // and the session must be strict (SQL_MODE). mysql2 exposes the raw callback connection on the
  // underlying pool's 'connection' event, and runs this before any query the pool hands it. Without
  // a callback a failed SET is emitted as an 'error' nobody listens to, which kills the process; and
  // a session left in the server's zone or mode must not be used, so it is destroyed instead.
  pool.pool.on('connection', (conn) => {
    conn.query(`SET time_zone = '+00:00', sql_mode = '${SQL_MODE}'`, (err: Error | null) => {
      if (err) conn.destroy();
    });
  });
  return pool;
}

/** Runs fn in one transaction: commit on success, roll back on any throw (and rethrow it). */
export async function withTransaction<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const result = await fn(conn);
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/** A round trip to the server; throws DcaError('DB_UNAVAILABLE') (retryable) when it fails. */
export async function pingDb(pool: Pool): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    throw new DcaError('DB_UNAVAILABLE', `database unreachable: ${(err as Error).message}`, {
      retryable: true,
      cause: err,
    });
  }
}

/** Rows of a SELECT as plain records (mysql2 types them loosely). */
export async function selectRows(
  db: Queryable,
  sql: string,
  params: readonly unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const [rows] = await db.query(sql, params as unknown[]);
  return rows as Record<string, unknown>[];
}

/** affectedRows and insertId of an INSERT/UPDATE/DELETE. */
export async function execute(
  db: Queryable,
  sql: string,
  params: readonly unknown[] = [],
): Promise<{ affectedRows: number; insertId: number }> {
  const [result] = await db.query(sql, params as unknown[]);
  const header = result as mysql.ResultSetHeader;
  return { affectedRows: header.affectedRows, insertId: Number(header.insertId) };
}
