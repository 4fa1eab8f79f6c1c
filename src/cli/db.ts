/**
 * One pool per command run, from the DB_* variables only: an operator editing assets needs no
 * Alpaca keys. The pool is always closed, so the process can exit as soon as the command is done.
 */
import { loadDbConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { createPool, type Pool } from '../store/db.js';
import { type CliIo, RefusedError } from './io.js';

export async function withPool<T>(io: CliIo, fn: (pool: Pool) => Promise<T>): Promise<T> {
  let cfg: ReturnType<typeof loadDbConfig>;
  try {
    cfg = loadDbConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new RefusedError(err.message);
    throw err;
  }
  const pool = createPool(cfg);
  try {
    return await fn(pool);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_BAD_DB_ERROR') {
      throw new RefusedError(
        `cannot use database ${cfg.user}@${cfg.host}:${cfg.port}/${cfg.database}: ${(err as Error).message}`,
      );
    }
    if (code === 'ER_NO_SUCH_TABLE') {
      throw new RefusedError(`${(err as Error).message}: run \`dca-bot migrate\` first`);
    }
    throw err;
  } finally {
    await pool.end();
  }
}
