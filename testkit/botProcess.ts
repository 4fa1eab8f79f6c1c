/**
 * The bot as a real child process (`node --import tsx src/main.ts`, what `npm start` runs) against a
 * simulator and a throwaway database the test controls. Its stdout JSON lines are collected so a
 * test can wait for a log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '../src/sim/index.js';
import type { TestDatabase } from './db.js';
import { botEnv } from './env.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** One pino line from the bot's stdout. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface BotExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface BotProcess {
  readonly child: ChildProcess;
  /** Every JSON line written so far. */
  readonly lines: LogLine[];
  /** The same lines as written, unparsed (for checks JSON.parse cannot make, e.g. duplicate keys). */
  readonly rawLines: string[];
  /** What it wrote to stderr so far (not JSON: a refusal to start, a fatal stack). */
  stderr(): string;
  readonly exited: Promise<BotExit>;
  /** Resolves with the first line (already written or still to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<BotExit>;
  /** SIGKILL if still running (afterEach: nothing is left behind even when a test failed). */
  kill(): Promise<void>;
}

export interface SpawnBotOptions {
  readonly sim: Pick<Simulator, 'endpoints'>;
  readonly db: Pick<TestDatabase, 'cfg'>;
  /** Overrides (e.g. a wrong APCA_API_KEY_ID). */
  readonly env?: Readonly<Record<string, string>>;
  /** Command-line flags, e.g. `--sim`. */
  readonly args?: readonly string[];
  /** Where the bot is run from (default this checkout; a benchmark runs an older one too). */
  readonly cwd?: string;
  /** What node runs, relative to `cwd`: default the TypeScript through tsx. */
  readonly entry?: readonly string[];
}

/** Endpoints for a bot started with `--sim`: it ignores its APCA_* variables and talks to its own simulator. */
export const SIM_MODE: Pick<Simulator, 'endpoints'> = {
  endpoints: {
    keyId: 'unused',
    secretKey: 'unused',
    baseUrl: 'http://127.0.0.1:9',
    dataUrl: 'http://127.0.0.1:9',
    streamUrl: 'ws://127.0.0.1:9',
    dataStreamUrl: 'ws://127.0.0.1:9',
  },
};

/** `npm start`'s entry without the build: the sources through tsx. */
export const TSX_ENTRY: readonly string[] = ['--import', 'tsx', 'src/main.ts'];
/** What `npm start` and the systemd unit run (after `npm run build`). */
export const COMPILED_ENTRY: readonly string[] = ['dist/main.js'];

/** The variables the bot reads; any the test runner happens to have set are not inherited. */
const BOT_VARIABLE =
  /^(DCA_|APCA_|DB_|LOG_|ORDER_|COOLDOWN_|CONSISTENCY_|ASSET_|QUOTE_|DASHBOARD_|SIM_|ALERT_|HEALTH_|NOTIFY_SOCKET$|WATCHDOG_)/;

export function spawnBot(opts: SpawnBotOptions): BotProcess {
  const { endpoints } = opts.sim;
  const { cfg } = opts.db;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !BOT_VARIABLE.test(k)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ...botEnv(endpoints, cfg),
    ASSET_POLL_SECONDS: '1',
    LOG_LEVEL: 'debug',
    LOG_PRETTY: 'false',
    ...opts.env,
  };
  const child = spawn(process.execPath, [...(opts.entry ?? TSX_ENTRY), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const lines: LogLine[] = [];
  const rawLines: string[] = [];
  const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      if (text.trim() === '') continue;
      rawLines.push(text);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 0, msg: text };
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  // Not JSON (config problems, a fatal stack): shown when a wait fails.
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const exited = new Promise<BotExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    child,
    lines,
    rawLines,
    stderr: () => stderr,
    exited,
    waitForLog(match, timeoutMs = 15_000, what = 'a log line') {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const waiter = {
          match,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for ${what}; last lines:\n${tail(lines)}\n${stderr}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(({ code }) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`bot exited (${code}) before ${what}; last lines:\n${tail(lines)}\n${stderr}`));
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (running()) child.kill(signal);
      return exited;
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

function tail(lines: readonly LogLine[], n = 15): string {
  return lines
    .slice(-n)
    .map((l) => JSON.stringify(l))
    .join('\n');
}

/** The bot is trading: its asset actor runs and both streams are connected. */
export async function waitUntilTrading(bot: BotProcess, symbols: readonly string[]): Promise<void> {
  await bot.waitForLog((l) => l.msg === 'trade updates connected', 15_000, 'trade updates connected');
  for (const symbol of symbols) {
    await bot.waitForLog(
      (l) => l.msg === 'cycle resumed' && l['asset'] === symbol,
      15_000,
      `${symbol} cycle resumed`,
    );
  }
}
