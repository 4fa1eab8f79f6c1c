/**
 * `npm run migrate`: the same command as `dca-bot migrate` (applies pending migrations to the
 * database named by DB_* from the environment or `.env`, creating it when the user may; needs no
 * Alpaca keys).
 */
import '../nodeVersion.js';
import { runCli } from '../cli/run.js';
import { loadDotenv } from '../config.js';

loadDotenv();
process.exitCode = await runCli(['migrate', ...process.argv.slice(2)], {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
