/** `dca-bot migrate`: the same as `npm run migrate` (creates the database when the user may). */
import { loadDbConfig } from '../config.js';
import { ConfigError, DcaError } from '../errors.js';
import { migrate } from '../store/migrate.js';
import { parseCommand, positionals } from './args.js';
import { type CliIo, EXIT_OK, println, RefusedError } from './io.js';

export const MIGRATE_USAGE = `usage: dca-bot migrate
  applies the pending sql/ migrations to the database named by DB_* (needs no Alpaca keys)`;

export async function migrateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, {}, MIGRATE_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], MIGRATE_USAGE);
  try {
    const db = loadDbConfig(io.env);
    println(io, `migrating ${db.user}@${db.host}:${db.port}/${db.database}`);
    await migrate(db, { createDatabase: true, log: (line) => println(io, line) });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DcaError) throw new RefusedError(err.message);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') throw new RefusedError(`migrate: ${(err as Error).message}`);
    throw err;
  }
  return EXIT_OK;
}
