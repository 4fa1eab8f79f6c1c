/**
 * Runs one of the entry points as an operator would (a child process: `npm start`'s src/main.ts, the
 * `dca-bot` CLI, `npm run migrate`) with only the variables a test gives, and collects its output and
 * exit code. For what happens before the bot runs: refusals, start-up errors, set-up commands.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** tsx by absolute URL, so the entry point also runs from another working directory (its own .env). */
const TSX = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;

const ENTRY = {
  bot: 'src/main.ts',
  cli: 'src/cli/main.ts',
  migrate: 'src/store/migrate-cli.ts',
  paperRun: 'src/cli/paperRun.ts',
} as const;

/** Variables of the bot's own families: none the test runner happens to have set is inherited. */
const BOT_VARIABLE =
  /^(DCA_|APCA_|DB_|LOG_|ORDER_|COOLDOWN_|CONSISTENCY_|ASSET_|QUOTE_|DASHBOARD_|SIM_|ALERT_|HEALTH_)/;

export interface ProcResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runEntry(
  entry: keyof typeof ENTRY,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  opts: {
    readonly timeoutMs?: number;
    readonly onStderr?: (text: string) => void;
    /** Working directory (default the repository): where `.env` is read from. */
    readonly cwd?: string;
  } = {},
): Promise<ProcResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !BOT_VARIABLE.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(REPO, ENTRY[entry]), ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      opts.onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
