/**
 * What a failed database connection means to an operator: one line with a hint, and whether waiting
 * can help. A permanent problem (wrong password, unknown database, a host the server refuses) ends
 * start-up at once with exit 2, which systemd does not restart; a transient one (the server is not
 * up yet, a timeout) is retried with back-off for DB_CONNECT_TIMEOUT_SECONDS, then exit 1.
 */
import type { DbConfig } from '../config.js';
import { describeDb } from './db.js';

export type DbProblemKind = 'permanent' | 'transient';

/** A database problem already put in words: `message` is the whole line to print. */
export class DbConnectError extends Error {
  constructor(
    message: string,
    readonly kind: DbProblemKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DbConnectError';
  }
}

const INIT_HINT = 'or run `dca-bot db init`';

const PERMANENT = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_HOST_NOT_PRIVILEGED',
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ENOTFOUND',
  'EACCES',
  'ENOTSOCK',
]);

const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  // The socket file appears once the server has started (a boot where the bot comes up first).
  'ENOENT',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/** The error's code: mysql2 sets `code`; an AggregateError (IPv4 + IPv6 both refused) has it inside. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  if (err instanceof AggregateError) return err.errors.map(codeOf).find((c) => c !== undefined);
  return undefined;
}

/** The error in words with a hint, or null when it is not a connection problem (a bug, a bad query). */
export function describeDbError(err: unknown, cfg: DbConfig): DbConnectError | null {
  if (err instanceof DbConnectError) return err;
  const code = codeOf(err);
  if (code === undefined) return null;
  const who = `${cfg.user}@${cfg.socket ? 'localhost' : cfg.host}`;
  const where = cfg.socket ? `the socket ${cfg.socket}` : `${cfg.host}:${cfg.port}`;
  const server = describeDb(cfg, false);
  const said = (err as Error).message;
  const make = (kind: DbProblemKind, text: string) => new DbConnectError(text, kind, { cause: err });
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return make('permanent', `access denied for ${who} — check DB_USER/DB_PASSWORD, ${INIT_HINT}`);
    case 'ER_DBACCESS_DENIED_ERROR':
      return make(
        'permanent',
        `${who} may not use database ${cfg.database} — check DB_NAME and the user's grants, ${INIT_HINT}`,
      );
    case 'ER_BAD_DB_ERROR':
      return make('permanent', `unknown database ${cfg.database} on ${where} — check DB_NAME, ${INIT_HINT}`);
    case 'ER_HOST_NOT_PRIVILEGED':
      return make(
        'permanent',
        `the server at ${where} does not accept ${cfg.user} from this host (${said}) — ` +
          `create the user for this host, use DB_SOCKET, ${INIT_HINT}`,
      );
    case 'ENOTFOUND':
      return make('permanent', `DB_HOST ${cfg.host} does not resolve — check DB_HOST`);
    case 'EACCES':
      return make(
        'permanent',
        `no permission to open ${where} — check DB_SOCKET and its directory's permissions`,
      );
    case 'ENOENT':
      return make(
        'transient',
        `no database socket at ${cfg.socket ?? where} — is the server running? check DB_SOCKET`,
      );
    case 'ECONNREFUSED':
      return make('transient', `the database server at ${where} refused the connection — is it running?`);
    case 'ETIMEDOUT':
      return make('transient', `the database server at ${where} did not answer in time`);
    default:
      if (PERMANENT.has(code))
        return make('permanent', `cannot use database ${server}/${cfg.database}: ${said}`);
      if (TRANSIENT.has(code)) return make('transient', `database ${server} unavailable: ${said}`);
      return null;
  }
}

export interface RetryOptions {
  /** Give up after this many seconds of transient failures (default cfg.connectTimeoutSeconds ?? 120). */
  readonly timeoutSeconds?: number;
  /** Told before each wait (e.g. a log line). */
  readonly onRetry?: (problem: DbConnectError, waitMs: number, attempt: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const FIRST_WAIT_MS = 500;
const MAX_WAIT_MS = 10_000;

/**
 * Runs `attempt` until it succeeds. A transient connection problem is retried with doubling waits
 * (0.5 s … 10 s) until the time is up; a permanent one, or a transient one past the deadline, is
 * thrown as DbConnectError. Anything that is not a connection problem is rethrown as it is.
 */
export async function withDbRetry<T>(
  cfg: DbConfig,
  attempt: () => Promise<T>,
  opts: RetryOptions = {},
): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = (opts.timeoutSeconds ?? cfg.connectTimeoutSeconds ?? 120) * 1000;
  const deadline = now() + timeoutMs;
  let wait = FIRST_WAIT_MS;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const problem = describeDbError(err, cfg);
      if (problem === null) throw err;
      if (problem.kind === 'permanent') throw problem;
      const left = deadline - now();
      if (left <= 0) {
        const seconds = Math.round(timeoutMs / 1000);
        throw new DbConnectError(
          `${problem.message} (gave up after ${seconds} s; DB_CONNECT_TIMEOUT_SECONDS)`,
          'transient',
          { cause: err },
        );
      }
      const ms = Math.min(wait, left);
      opts.onRetry?.(problem, ms, n);
      await sleep(ms);
      wait = Math.min(wait * 2, MAX_WAIT_MS);
    }
  }
}
