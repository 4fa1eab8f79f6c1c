/** `dca-bot migrate` (also `npm run migrate`): applies pending migrations, creating the database when the user may. */
import { type DbConfig, loadDbConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { migrate } from '../store/migrate.js';
import { parseCommand, positionals } from './args.js';
import { type CliIo, EXIT_OK, println, RefusedError } from './io.js';

export const MIGRATE_USAGE = `usage: dca-bot migrate
  applies the pending sql/ migrations to the database named by DB_* (needs no Alpaca keys)`;

/** A bad DB_* setting or a failing server ends in runCli's catch-all: its message, exit 1. */
export async function migrateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, {}, MIGRATE_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], MIGRATE_USAGE);
  let db: DbConfig;
  try {
    db = loadDbConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new RefusedError(err.message);
    throw err;
  }
  println(io, `migrating ${db.user}@${db.host}:${db.port}/${db.database}`);
  await migrate(db, { createDatabase: true, log: (line) => println(io, line) });
  return EXIT_OK;
}
