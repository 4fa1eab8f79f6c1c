/**
 * The bot as a real child process (`node --import tsx src/main.ts`, what `npm start` runs) against a
 * simulator and a throwaway database the test controls. Its stdout JSON lines are collected so a
 * test can wait for a log line; `waitUntil` polls the database (or anything else) on a short
 * interval instead of sleeping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '../../src/sim/index.js';
import type { Queryable } from '../../src/store/db.js';
import type { TestDatabase } from './db.js';
import { botEnv } from './env.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

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
  /** What node runs, relative to the repository: default the TypeScript through tsx. */
  readonly entry?: readonly string[];
}

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
    cwd: REPO,
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

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly what?: string;
}

/** Polls `probe` until `accept` holds for its value; returns that value. */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  opts: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'a condition'}; last value: ${show(last)}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** A `dca_cycles` row as MySQL returns it (DECIMALs as strings), for comparing with the seed's spec. */
export interface CycleRecord {
  readonly id: number;
  readonly asset_id: number;
  readonly status: string;
  readonly quantity: string;
  readonly average_purchase_price: string;
  readonly safety_orders: number;
  readonly latest_order_id: string | null;
  readonly client_order_id: string | null;
  readonly last_order_fill_price: string | null;
  readonly completed_at: Date | null;
  readonly bought_quantity: string;
  readonly cost_basis: string;
  readonly sell_proceeds: string;
  readonly realized_pnl: string | null;
}

/** Every cycle of an asset, oldest first. */
export async function cyclesOf(db: Queryable, assetId: number): Promise<CycleRecord[]> {
  const [rows] = await db.query('SELECT * FROM dca_cycles WHERE asset_id = ? ORDER BY id', [assetId]);
  return rows as CycleRecord[];
}

/** The asset's current (newest) cycle. */
export async function currentCycle(db: Queryable, assetId: number): Promise<CycleRecord | undefined> {
  return (await cyclesOf(db, assetId)).at(-1);
}

/** A `dca_orders` ledger row as MySQL returns it. */
export interface LedgerRecord {
  readonly cycle_id: number;
  readonly client_order_id: string;
  readonly alpaca_order_id: string | null;
  readonly step: string;
  readonly side: string;
  readonly status: string;
  readonly qty: string;
  readonly filled_qty: string;
  readonly filled_avg_price: string | null;
  readonly fee: string;
}

export async function ledgerOf(db: Queryable, assetId: number): Promise<LedgerRecord[]> {
  const [rows] = await db.query('SELECT * FROM dca_orders WHERE asset_id = ? ORDER BY id', [assetId]);
  return rows as LedgerRecord[];
}

/**
 * Publishes a quote, then waits for `done`; publishes it again only after `republishMs` without
 * effect (the bot's quote subscription may not be up yet: such a quote is never delivered). Waiting
 * between repeats keeps a stale repeat from reaching the bot after the test has moved on.
 */
export async function quoteUntil(
  sim: Pick<Simulator, 'publishQuote'>,
  symbol: string,
  bid: string,
  ask: string,
  done: () => boolean | Promise<boolean>,
  opts: WaitOptions & { readonly republishMs?: number } = {},
): Promise<void> {
  const republishMs = opts.republishMs ?? 1_000;
  let lastPublish = 0;
  await waitUntil(
    async () => {
      if (Date.now() - lastPublish >= republishMs) {
        sim.publishQuote(symbol, bid, ask);
        lastPublish = Date.now();
      }
      return done();
    },
    (ok) => ok,
    { intervalMs: 25, what: `${symbol} ${bid}/${ask} to take effect`, ...opts },
  );
}
