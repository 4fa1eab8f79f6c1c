/** `npx dca-bot` / `npm run cli --`: the operator CLI. Reads `.env` like the bot does. */
import '../nodeVersion.js';
import { loadDotenv } from '../config.js';
import { runCli } from './run.js';

loadDotenv();
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = code;
