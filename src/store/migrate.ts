/**
 * Forward-only migrations: every `sql/NNN_*.sql` file is applied once, in name order, and recorded
 * in `schema_migrations` with its checksum. An applied file that later changed is refused: the
 * databases already migrated would silently differ from new ones.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import type { DbConfig } from '../config.js';
import { DcaError } from '../errors.js';
import { poolOptions } from './db.js';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

export interface MigrateOptions {
  /** CREATE DATABASE IF NOT EXISTS first (the user needs the CREATE privilege on it). */
  readonly createDatabase?: boolean;
  readonly dir?: string;
  readonly log?: (line: string) => void;
}

/** Applies the pending migrations; returns the names applied by this run, in order. */
export async function migrate(cfg: DbConfig, opts: MigrateOptions = {}): Promise<string[]> {
  const dir = opts.dir ?? DEFAULT_MIGRATIONS_DIR;
  const log = opts.log ?? (() => undefined);
  if (!/^[A-Za-z0-9_$]+$/.test(cfg.database)) {
    throw new DcaError(
      'CONFIG_INVALID',
      `DB_NAME: ${JSON.stringify(cfg.database)} is not a plain identifier`,
    );
  }
  if (opts.createDatabase) await createDatabase(cfg);

  const files = await migrationFiles(dir);
  const conn = await mysql.createConnection({
    ...poolOptions(cfg),
    // Migration files hold several statements each; only this connection may run them that way.
    multipleStatements: true,
  });
  try {
    await conn.query("SET time_zone = '+00:00'");
    // Two migrators on one database would race on the same DDL.
    const [lock] = await conn.query('SELECT GET_LOCK(?, 60) AS got', [`dca_migrate_${cfg.database}`]);
    if ((lock as { got: unknown }[])[0]?.got !== 1) {
      throw new DcaError('DB_UNAVAILABLE', 'another migration is running (lock not acquired in 60 s)', {
        retryable: true,
      });
    }
    await conn.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name VARCHAR(255) NOT NULL PRIMARY KEY,
         applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
         checksum CHAR(64) NOT NULL
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    const [rows] = await conn.query('SELECT name, checksum FROM schema_migrations');
    const applied = new Map((rows as { name: string; checksum: string }[]).map((r) => [r.name, r.checksum]));

    const done: string[] = [];
    for (const file of files) {
      const sql = await readFile(join(dir, file), 'utf8');
      const checksum = checksumOf(sql);
      const previous = applied.get(file);
      if (previous !== undefined) {
        if (previous !== checksum) {
          throw new DcaError(
            'INVARIANT',
            `migration ${file} was changed after it was applied (checksum ${previous.slice(0, 12)}… ≠ ` +
              `${checksum.slice(0, 12)}…); add a new migration instead of editing an applied one`,
          );
        }
        continue;
      }
      try {
        // MySQL commits DDL implicitly, so a file is its own unit: it runs, then it is recorded.
        await conn.query(sql);
      } catch (err) {
        throw new DcaError('INVARIANT', `migration ${file} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await conn.query('INSERT INTO schema_migrations (name, checksum) VALUES (?, ?)', [file, checksum]);
      log(`applied ${file}`);
      done.push(file);
    }
    if (done.length === 0) log('nothing to apply');
    return done;
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [`dca_migrate_${cfg.database}`]).catch(() => undefined);
    await conn.end();
  }
}

export interface MigrationStatus {
  /** Files recorded in schema_migrations (an empty database has none). */
  readonly applied: readonly string[];
  /** Files not applied yet, in the order `migrate` would apply them. */
  readonly pending: readonly string[];
  /** Applied files whose content changed since (migrate refuses to run on). */
  readonly changed: readonly string[];
}

/** What `migrate` would do, without doing it: read-only, for `dca-bot doctor`. */
export async function migrationStatus(cfg: DbConfig, dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationStatus> {
  const files = await migrationFiles(dir);
  const conn = await mysql.createConnection(poolOptions(cfg));
  let recorded: Map<string, string>;
  try {
    const [rows] = await conn.query('SELECT name, checksum FROM schema_migrations');
    recorded = new Map((rows as { name: string; checksum: string }[]).map((r) => [r.name, r.checksum]));
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ER_NO_SUCH_TABLE') throw err;
    recorded = new Map();
  } finally {
    await conn.end();
  }
  const pending: string[] = [];
  const changed: string[] = [];
  for (const file of files) {
    const checksum = recorded.get(file);
    if (checksum === undefined) pending.push(file);
    else if (checksum !== checksumOf(await readFile(join(dir, file), 'utf8'))) changed.push(file);
  }
  return { applied: [...recorded.keys()].sort(), pending, changed };
}

async function migrationFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => /^\d+_.+\.sql$/.test(n)).sort();
}

async function createDatabase(cfg: DbConfig): Promise<void> {
  const { database: _omit, ...server } = poolOptions(cfg);
  const conn = await mysql.createConnection(server);
  try {
    // Identifiers cannot be bound as parameters; the name was checked to be a plain identifier.
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${cfg.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await conn.end();
  }
}

/** What `schema_migrations` records of a file: the SHA-256 of its text. */
function checksumOf(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}
