/**
 * One instance per database (architecture §2): the bot holds a MySQL named lock, `GET_LOCK('dca-bot:<db>')`,
 * on a dedicated connection (never one from the pool, which hands connections around and may close
 * them) for its whole life. A second instance on the same database cannot take it and must not start:
 * two writers per cycle undo the one-writer rule everything else relies on.
 *
 * The server drops a named lock with the connection that holds it, so the lock is lost if that
 * connection is (a database restart, a network cut, a `KILL`). Losing it is fatal: `lost` resolves
 * and the process must stop trading and exit non-zero (crash-only); the restart takes it again. A
 * heartbeat checks, every few seconds, that this connection still holds the lock, which also keeps
 * an idle connection from reaching the server's `wait_timeout`.
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { DbConfig } from '../config.js';
import { DcaError } from '../errors.js';
import { serverOptions } from './db.js';

/** MySQL refuses lock names longer than 64 characters (MariaDB does not); a long one is hashed. */
const MAX_LOCK_NAME = 64;

export interface InstanceLock {
  readonly name: string;
  /** The server's id of the connection that holds the lock (CONNECTION_ID()). */
  readonly connectionId: number;
  /** Resolves, once, with why the lock is no longer held; never while it is. Never rejects. */
  readonly lost: Promise<Error>;
  /** Releases the lock and closes its connection (a graceful stop). */
  release(): Promise<void>;
}

export interface InstanceLockOptions {
  /** How long GET_LOCK waits for a holder that is just going away (default 1 s). */
  readonly waitSeconds?: number;
  /** How often the lock is checked (default 5 s). */
  readonly heartbeatMs?: number;
}

/** Another instance holds the database's lock: this one must not start. */
export class InstanceLockedError extends DcaError {
  constructor(
    message: string,
    readonly holder: {
      readonly connectionId: number | null;
      readonly user: string | null;
      readonly host: string | null;
    },
  ) {
    super('INSTANCE_LOCKED', message, { details: { ...holder } });
    this.name = 'InstanceLockedError';
  }
}

export function instanceLockName(database: string): string {
  const name = `dca-bot:${database}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  return `dca-bot:${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
}

/** Takes the database's instance lock, or throws InstanceLockedError naming the holder if MySQL can. */
export async function acquireInstanceLock(
  cfg: DbConfig,
  opts: InstanceLockOptions = {},
): Promise<InstanceLock> {
  const name = instanceLockName(cfg.database);
  // No `database`: the lock is server-wide, and in sim mode the database may not exist yet.
  const conn = await mysql.createConnection(serverOptions(cfg));
  try {
    const [rows] = await conn.query('SELECT GET_LOCK(?, ?) AS got, CONNECTION_ID() AS id', [
      name,
      opts.waitSeconds ?? 1,
    ]);
    const row = (rows as { got: number | null; id: number | string }[])[0];
    if (row?.got !== 1) throw await lockedError(conn, cfg.database, name);
    return holdLock(conn, name, Number(row.id), opts.heartbeatMs ?? 5_000);
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

export type LockHolder = InstanceLockedError['holder'];

/**
 * Whether the database's instance lock is free (null) or who holds it, without taking it: a bot
 * starting at that moment is never kept from its lock (`dca-bot doctor`).
 */
export async function instanceLockHolder(cfg: DbConfig): Promise<LockHolder | null> {
  const name = instanceLockName(cfg.database);
  const conn = await mysql.createConnection(serverOptions(cfg));
  try {
    const [rows] = await conn.query('SELECT IS_FREE_LOCK(?) AS free', [name]);
    if ((rows as { free: number | null }[])[0]?.free === 1) return null;
    return await lockHolder(conn, name);
  } finally {
    conn.destroy();
  }
}

/** How a holder is named in messages: `MySQL connection 42 (dca_bot@localhost:51234)`. */
export function describeLockHolder(holder: LockHolder): string {
  const { connectionId, user, host } = holder;
  return connectionId === null
    ? 'MySQL does not say which connection'
    : `MySQL connection ${connectionId}${user ? ` (${user}@${host ?? '?'})` : ''}`;
}

/** Who holds the lock: IS_USED_LOCK names the connection, the process list its user and host. */
async function lockHolder(conn: mysql.Connection, name: string): Promise<LockHolder> {
  let connectionId: number | null = null;
  let user: string | null = null;
  let host: string | null = null;
  try {
    const [used] = await conn.query('SELECT IS_USED_LOCK(?) AS id', [name]);
    const id = (used as { id: number | string | null }[])[0]?.id;
    connectionId = id === null || id === undefined ? null : Number(id);
    if (connectionId !== null) {
      // Without the PROCESS privilege only the user's own connections are listed: then the id is all.
      const [procs] = await conn.query(
        'SELECT USER AS user, HOST AS host FROM information_schema.PROCESSLIST WHERE ID = ?',
        [connectionId],
      );
      const proc = (procs as { user: string; host: string }[])[0];
      user = proc?.user ?? null;
      host = proc?.host ?? null;
    }
  } catch {
    // The refusal matters, not the details: it is reported with what is known.
  }
  return { connectionId, user, host };
}

async function lockedError(
  conn: mysql.Connection,
  database: string,
  name: string,
): Promise<InstanceLockedError> {
  const holder = await lockHolder(conn, name);
  return new InstanceLockedError(
    `another dca-bot instance is running on database "${database}": its lock "${name}" is held by ` +
      `${describeLockHolder(holder)}; only one instance may run per database`,
    holder,
  );
}

function holdLock(
  conn: mysql.Connection,
  name: string,
  connectionId: number,
  heartbeatMs: number,
): InstanceLock {
  let released = false;
  let reportLost: (err: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => {
    reportLost = resolve;
  });
  let timer: NodeJS.Timeout | null = null;
  const loseIt = (why: string, cause?: unknown) => {
    if (released) return;
    released = true;
    if (timer) clearInterval(timer);
    conn.destroy();
    reportLost(
      new DcaError('DB_UNAVAILABLE', `the instance lock "${name}" was lost: ${why}`, {
        ...(cause === undefined ? {} : { cause }),
      }),
    );
  };
  conn.on('error', (err: Error) => loseIt(`its connection failed (${err.message})`, err));
  conn.on('end', () => loseIt('its connection was closed'));
  let checking = false;
  timer = setInterval(() => {
    if (checking || released) return;
    checking = true;
    conn
      .query({ sql: 'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held', timeout: heartbeatMs }, [name])
      .then(([rows]) => {
        if ((rows as { held: number | null }[])[0]?.held !== 1) loseIt('this connection no longer holds it');
      })
      .catch((err: Error) => loseIt(`its connection failed (${err.message})`, err))
      .finally(() => {
        checking = false;
      });
  }, heartbeatMs);
  timer.unref();
  return {
    name,
    connectionId,
    lost,
    async release() {
      if (released) return;
      released = true;
      if (timer) clearInterval(timer);
      try {
        await conn.query('SELECT RELEASE_LOCK(?)', [name]);
        await conn.end();
      } catch {
        conn.destroy();
      }
    },
  };
}
