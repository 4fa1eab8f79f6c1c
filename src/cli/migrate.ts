/** `dca-bot migrate` (also `npm run migrate`): applies pending migrations, creating the database when the user may. */
import { describeDb } from '../store/db.js';
import { withDbRetry } from '../store/dbErrors.js';
import { migrate } from '../store/migrate.js';
import { parseCommand, positionals } from './args.js';
import { cliDbConfig, retryNotice } from './db.js';
import { type CliIo, EXIT_OK, println } from './io.js';

export const MIGRATE_USAGE = `usage: dca-bot migrate
  applies the pending sql/ migrations to the database named by DB_* (needs no Alpaca keys)`;

/** A bad DB_* setting or a refused login exits 2, a server that stays unreachable exits 1 (runCli). */
export async function migrateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, {}, MIGRATE_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], MIGRATE_USAGE);
  const db = cliDbConfig(io);
  println(io, `migrating ${describeDb(db)}`);
  await withDbRetry(db, () => migrate(db, { createDatabase: true, log: (line) => println(io, line) }), {
    onRetry: retryNotice(io),
  });
  return EXIT_OK;
}
