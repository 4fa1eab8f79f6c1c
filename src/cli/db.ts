/**
 * One pool per command run, from the DB_* variables only: an operator editing assets needs no
 * Alpaca keys. The pool is always closed, so the process can exit as soon as the command is done.
 * The database is reached as the bot reaches it: a server still starting is waited for (with a line
 * on stderr per retry), a wrong password or an unknown database is one line and exit 2.
 */
import { type DbConfig, loadDbConfig } from '../config.js';
import { createPool, type Pool } from '../store/db.js';
import { describeDbError, withDbRetry } from '../store/dbErrors.js';
import { type CliIo, RefusedError } from './io.js';

/** The DB_* settings; a bad one is a ConfigError (runCli: one line per problem, exit 2). */
export function cliDbConfig(io: CliIo): DbConfig {
  return loadDbConfig(io.env);
}

/** Retry lines go to stderr so that `--json` output on stdout stays parseable. */
export function retryNotice(io: CliIo) {
  return (problem: Error, waitMs: number) =>
    io.stderr.write(`dca-bot: ${problem.message}; retrying in ${(waitMs / 1000).toFixed(1)} s\n`);
}

export async function withPool<T>(io: CliIo, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const cfg = cliDbConfig(io);
  const pool = createPool(cfg);
  try {
    await withDbRetry(cfg, () => pool.query('SELECT 1'), { onRetry: retryNotice(io) });
    return await fn(pool);
  } catch (err) {
    const problem = describeDbError(err, cfg);
    if (problem !== null) throw problem;
    if ((err as { code?: unknown }).code === 'ER_NO_SUCH_TABLE') {
      throw new RefusedError(`${(err as Error).message}: run \`dca-bot migrate\` first`);
    }
    throw err;
  } finally {
    await pool.end();
  }
}
