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
// The command is done. The SDK keeps a request's timeout armed until its body is read, which a
// 204 (a cancel) never has: that timer must not hold the prompt back for REST timeout seconds.
setTimeout(() => process.exit(code), 500).unref();
