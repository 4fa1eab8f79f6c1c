/**
 * One instance per database (architecture §2): the bot holds a MySQL named lock, `GET_LOCK('dca-bot:<db>')`,
 * on a dedicated connection (never one from the pool, which hands connections around and may close
 * them) for its whole life. A second instance on the same database cannot take it and must not start:
 * two writers per cycle undo the one-writer rule everything else relies on.
 *
 * The server drops a named lock with the connection that holds it, so the lock is lost if that
 * connection is (a database restart, a network cut, a `KILL`). `lost` then resolves; instanceGuard.ts
 * stops every order from leaving and takes the lock again in-process.
 *
 * The lock is a lease: `held()` is true only while the last confirmed heartbeat — a query that
 * answered `IS_USED_LOCK(name) = CONNECTION_ID()`, proving the connection alive and the lock its
 * own — was sent less than `leaseMs` ago. A hung connection (a stalled host, a half-open socket)
 * neither answers nor fails: without the lease the gate would stay open until the query timed out.
 * The heartbeat runs three times per lease, so a beat may take two thirds of the lease to answer
 * before the gate closes; one unanswered for two leases ends the connection and the lock is lost.
 * The heartbeat also keeps an idle connection from reaching the server's `wait_timeout`.
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
  /** True while a heartbeat sent less than a lease ago confirmed the lock (and it is not lost). */
  held(): boolean;
  /** Releases the lock and closes its connection (a graceful stop). */
  release(): Promise<void>;
}

export interface InstanceLockOptions {
  /** How long GET_LOCK waits for a holder that is just going away (default 1 s). */
  readonly waitSeconds?: number;
  /**
   * How long a confirmed heartbeat vouches for the lock (default 5 s); the lock is checked three
   * times per lease.
   */
  readonly leaseMs?: number;
  /** Told when the lease lapses (a heartbeat unanswered for a lease) and when a heartbeat renews it. */
  readonly onLease?: (held: boolean) => void;
}

/** The lease when none is given: what the heartbeat interval was before the lock was a lease. */
export const DEFAULT_LEASE_MS = 5_000;
/** Heartbeats per lease: a beat may take the rest of the lease (two thirds of it) to answer. */
const BEATS_PER_LEASE = 3;
/** A heartbeat unanswered for this many leases ends the connection: the lock counts as lost. */
const LEASES_UNTIL_LOST = 2;

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
    // GET_LOCK's answer is the lease's first confirmation, from the moment it was asked.
    const sentAt = performance.now();
    const [rows] = await conn.query('SELECT GET_LOCK(?, ?) AS got, CONNECTION_ID() AS id', [
      name,
      opts.waitSeconds ?? 1,
    ]);
    const row = (rows as { got: number | null; id: number | string }[])[0];
    if (row?.got !== 1) throw await lockedError(conn, cfg.database, name);
    return holdLock(conn, name, Number(row.id), opts.leaseMs ?? DEFAULT_LEASE_MS, opts.onLease, sentAt);
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

/** Ends a server connection of this user (one that held the lock and that the server still keeps). */
export async function killConnection(cfg: DbConfig, connectionId: number): Promise<void> {
  const conn = await mysql.createConnection(serverOptions(cfg));
  try {
    await conn.query('KILL ?', [connectionId]);
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
  leaseMs: number,
  onLease: ((held: boolean) => void) | undefined,
  confirmedAt: number,
): InstanceLock {
  let released = false;
  /** When (performance.now) the last confirmed heartbeat was sent: the lease runs from there. */
  let confirmed = confirmedAt;
  let leaseHeld = true;
  let reportLost: (err: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => {
    reportLost = resolve;
  });
  let timer: NodeJS.Timeout | null = null;
  let lapse: NodeJS.Timeout | null = null;
  const stopTimers = () => {
    if (timer) clearInterval(timer);
    if (lapse) clearTimeout(lapse);
  };
  const leaseLeft = () => confirmed + leaseMs - performance.now();
  // The gate closes on the clock (held() reads it); this timer only tells that it did, at once.
  const watchLease = () => {
    if (lapse) clearTimeout(lapse);
    lapse = setTimeout(
      () => {
        if (released) return;
        // A timer may fire a millisecond early: then it waits for the rest.
        if (leaseLeft() > 0) return watchLease();
        leaseHeld = false;
        onLease?.(false);
      },
      Math.max(0, leaseLeft()),
    );
    lapse.unref();
  };
  const loseIt = (why: string, cause?: unknown) => {
    if (released) return;
    released = true;
    stopTimers();
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
  timer = setInterval(
    () => {
      if (checking || released) return;
      checking = true;
      const sentAt = performance.now();
      conn
        .query(
          { sql: 'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held', timeout: leaseMs * LEASES_UNTIL_LOST },
          [name],
        )
        .then(([rows]) => {
          if ((rows as { held: number | null }[])[0]?.held !== 1) {
            loseIt('this connection no longer holds it');
            return;
          }
          if (released) return;
          confirmed = sentAt;
          watchLease();
          if (!leaseHeld && leaseLeft() > 0) {
            leaseHeld = true;
            onLease?.(true);
          }
        })
        .catch((err: Error) => loseIt(`its connection failed (${err.message})`, err))
        .finally(() => {
          checking = false;
        });
    },
    Math.max(1, Math.floor(leaseMs / BEATS_PER_LEASE)),
  );
  timer.unref();
  watchLease();
  return {
    name,
    connectionId,
    lost,
    held: () => !released && leaseLeft() > 0,
    async release() {
      if (released) return;
      released = true;
      stopTimers();
      try {
        // A hung connection would hold a graceful stop forever: the server drops the lock with it.
        await conn.query({ sql: 'SELECT RELEASE_LOCK(?)', timeout: leaseMs }, [name]);
        await conn.end();
      } catch {
        conn.destroy();
      }
    },
  };
}
