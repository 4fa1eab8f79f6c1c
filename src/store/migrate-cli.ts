/**
 * `npm run migrate`: applies pending migrations to the database named by DB_* (from the
 * environment or `.env`), creating the database when the user may. Needs no Alpaca keys.
 */
import { loadDbConfig, loadDotenv } from '../config.js';
import { migrate } from './migrate.js';

loadDotenv();
try {
  const db = loadDbConfig();
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(`migrating ${db.user}@${db.host}:${db.port}/${db.database}`);
  await migrate(db, { createDatabase: true, log: print });
} catch (err) {
  process.stderr.write(`migrate: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
