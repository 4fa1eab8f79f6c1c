/**
 * The MySQL/MariaDB edge: one pool, UTC everywhere, DECIMAL columns as strings (parsed with dec()
 * by the row mappers, never through a binary float), parameterised SQL only.
 */
import mysql, { type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import type { DbConfig } from '../config.js';
import { DcaError } from '../errors.js';

export type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
export type Queryable = Pool | PoolConnection;

/**
 * Where and as whom to connect: the unix socket when DB_SOCKET is set (host and port are then
 * unused), else TCP. Every connection the bot makes (pool, migrations, instance lock, CLI) uses it.
 */
export function serverOptions(
  cfg: DbConfig,
): Pick<PoolOptions, 'host' | 'port' | 'socketPath' | 'user' | 'password'> {
  const where = cfg.socket ? { socketPath: cfg.socket } : { host: cfg.host, port: cfg.port };
  return { ...where, user: cfg.user, password: cfg.password };
}

/** `dca_bot@127.0.0.1:3306/dca_bot` or `dca_bot@localhost (socket /run/mysqld/mysqld.sock)/dca_bot`. */
export function describeDb(cfg: DbConfig, withDatabase = true): string {
  const where = cfg.socket ? `localhost (socket ${cfg.socket})` : `${cfg.host}:${cfg.port}`;
  return `${cfg.user}@${where}${withDatabase ? `/${cfg.database}` : ''}`;
}

export function poolOptions(cfg: DbConfig, extra: Partial<PoolOptions> = {}): PoolOptions {
  return {
    ...serverOptions(cfg),
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
  const options = poolOptions(cfg);
  const pool = sessionPool(options);
  // The write-ahead's companion (see batchPoolOf), opened on first use and ended with the pool.
  let batch: Pool | null = null;
  batchPools.set(pool, () => {
    batch ??= sessionPool({ ...options, multipleStatements: true, connectionLimit: BATCH_CONNECTIONS });
    return batch;
  });
  const end = pool.end.bind(pool);
  pool.end = async () => {
    await Promise.all([end(), batch?.end()]);
  };
  return pool;
}

function sessionPool(options: PoolOptions): Pool {
  const pool = mysql.createPool(options);
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

/** Connections of the batch pool: one write-ahead at a time per asset lane needs few. */
const BATCH_CONNECTIONS = 4;

const batchPools = new WeakMap<Pool, () => Pool>();

/**
 * The pool's companion whose connections accept several statements in one query (mysql2
 * `multipleStatements`), so a transaction's statements travel in one round trip. Kept apart from
 * the main pool so that only the few statement batches written for it ever run multi-statement.
 */
export function batchPoolOf(pool: Pool): Pool {
  const batch = batchPools.get(pool);
  if (!batch) throw new DcaError('INVARIANT', 'the pool was not made by createPool: it has no batch pool');
  return batch();
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
