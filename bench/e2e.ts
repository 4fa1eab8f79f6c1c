/**
 * End to end, each bot a child process against one simulator in the same run (issue 14's targets):
 * - tick-to-order: the quote frame sent by the simulator → `POST /v2/orders` arriving at the
 *   exchange, for a safety trigger with the bot otherwise idle, 10 assets, round-robin;
 * - idle RSS with 10 and 50 assets, after the first quotes, read from /proc;
 * - cold start: spawn → the quote stream subscribed and every cycle resumed.
 * dca-bot runs compiled (`node dist/main.js`, as `npm start` and the unit do; `npm run build`
 * first) and, for footprint only, through tsx. The baseline is baselineBot.ts (seed-style: MySQL
 * read on every quote, a GET before each POST), started through tsx as a project without a build
 * step is. Arrival of the POST is seen by a byte-level TCP pass-through in front of the trading
 * REST (tcpTap), so both bots pay the same extra hop and nothing parses on the way.
 */
import { safetyTriggerPrice } from '../src/machines/decisions.js';
import { dec } from '../src/money.js';
import type { Simulator } from '../src/sim/index.js';
import { startSimulator } from '../src/sim/index.js';
import {
  type BotProcess,
  COMPILED_ENTRY,
  spawnBot,
  TSX_ENTRY,
  waitUntilTrading,
} from '../testkit/botProcess.js';
import type { TestDatabase } from '../testkit/db.js';
import { memoryMb } from './procStatus.js';
import { percentile } from './stats.js';
import type { Bench, BenchRow } from './table.js';
import { startTcpTap, type TcpTap } from './tcpTap.js';
import { benchPairs, ENTRY_PRICE, HELD_QTY, seedHoldingAssets, symbolOf } from './treeFixture.js';

const GROUP = 'end to end';
const TICK_ASSETS = 10;
const WARMUP = 20;
const SAMPLES = 200;
const IDLE_MS = 3_000;
const COLD_RUNS = 5;
const BASELINE_ENTRY = ['--import', 'tsx', 'bench/baselineBot.ts'];

type Kind = 'compiled' | 'tsx' | 'baseline';

/** BENCH_BOT_ENTRY runs another compiled bot (e.g. an older build) in place of dist/main.js. */
function compiledEntry(): readonly string[] {
  const entry = process.env['BENCH_BOT_ENTRY'];
  return entry ? [entry] : COMPILED_ENTRY;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(5);
  }
}

interface CycleView {
  status: string;
  safety_orders: number;
  last_order_fill_price: string;
}

async function cycleOf(db: TestDatabase, symbol: string): Promise<CycleView> {
  const [rows] = await db.pool.query(
    `SELECT c.status, c.safety_orders, c.last_order_fill_price FROM dca_cycles c
       JOIN dca_assets a ON a.id = c.asset_id WHERE a.asset_symbol = ? ORDER BY c.id DESC LIMIT 1`,
    [symbol],
  );
  return (rows as CycleView[])[0] as CycleView;
}

/** Quote frame sent → POST received for one trigger; returns once the order is booked. */
async function tickToOrder(sim: Simulator, tap: TcpTap, run: Running, i: number): Promise<number> {
  const symbol = run.symbols[i % run.symbols.length] as string;
  const before = await cycleOf(run.db, symbol);
  const ask = safetyTriggerPrice(dec(before.last_order_fill_price), dec('1.5')).toDecimalPlaces(2, 1);
  const posts = tap.posts.length;
  const sentAt = performance.now();
  sim.publishQuote(symbol, ask.minus(10), ask);
  await poll(
    async () => tap.posts.length,
    (n) => n > posts,
    `the order of ${symbol}`,
  );
  const ms = (tap.posts[posts] as number) - sentAt;
  await poll(
    () => cycleOf(run.db, symbol),
    (c) => c.status === 'watching' && c.safety_orders > before.safety_orders,
    `${symbol}'s safety order booked`,
  );
  return ms;
}

function spawn(kind: Kind, sim: Simulator, tap: TcpTap, db: TestDatabase): BotProcess {
  return spawnBot({
    sim: { endpoints: { ...sim.endpoints, baseUrl: tap.url } },
    db,
    entry: kind === 'baseline' ? BASELINE_ENTRY : kind === 'compiled' ? compiledEntry() : TSX_ENTRY,
    env: {
      LOG_LEVEL: 'info',
      ASSET_POLL_SECONDS: '3600',
      QUOTE_STALE_SECONDS: '3600',
      // Each trigger is 1.5 % below the last fill: not a jump to confirm over REST.
      DCA_QUOTE_BAND_PERCENT: '20',
      // A hundred orders in seconds: the account's REST budget (180/min) would pace them, and that
      // wait is not the quote path. The baseline has no budget at all.
      DCA_REST_PER_MINUTE: '10000',
      DCA_REST_BURST: '100',
    },
  });
}

async function ready(kind: Kind, bot: BotProcess, symbols: readonly string[]): Promise<void> {
  if (kind === 'baseline') {
    await bot.waitForLog((l) => l.msg === 'ready', 15_000, 'the baseline subscribed');
    return;
  }
  await Promise.all([
    waitUntilTrading(bot, symbols),
    bot.waitForLog((l) => l.msg === 'quote stream connected', 15_000, 'quote stream connected'),
  ]);
}

interface Running {
  readonly kind: Kind;
  readonly bot: BotProcess;
  readonly db: TestDatabase;
  readonly symbols: readonly string[];
  readonly coldStartMs: number;
  readonly idleRssMb: number;
  /** Throws if the bot logged an error (or, the baseline, printed one) so far. */
  check(): void;
  stop(): Promise<void>;
}

/** Starts one bot with `n` assets (symbolOf(first)…) and measures its cold start and idle RSS. */
async function launch(kind: Kind, sim: Simulator, tap: TcpTap, n: number, first: number): Promise<Running> {
  const { db, assets } = await seedHoldingAssets(n, { first });
  const symbols = assets.map((a) => a.symbol);
  for (const symbol of symbols) sim.setPosition(symbol, HELD_QTY, ENTRY_PRICE);
  let bot: BotProcess | null = null;
  const stop = async () => {
    await bot?.stop('SIGTERM');
    await bot?.kill();
    await db.drop();
  };
  const describe = (err: unknown) => {
    const tail = bot?.lines.slice(-5).map((l) => JSON.stringify(l)) ?? [];
    return new Error(
      `${kind}, ${n} assets: ${(err as Error).message}\n${tail.join('\n')}\n${bot?.stderr() ?? ''}`,
    );
  };
  try {
    const started = performance.now();
    bot = spawn(kind, sim, tap, db);
    await ready(kind, bot, symbols);
    const coldStartMs = performance.now() - started;
    // First quotes per asset (in band, no trigger) until the bot has confirmed them over REST, as
    // it does for each new symbol (a confirmation is asked for by a quote, within the REST budget).
    const deadline = Date.now() + 30_000;
    const confirmed = (symbol: string) =>
      kind === 'baseline' ||
      bot?.lines.some((l) => l.msg === 'first quotes confirmed by REST' && l['asset'] === symbol);
    for (let round = 0; ; round++) {
      const waiting = symbols.filter((s) => round === 0 || !confirmed(s));
      if (waiting.length === 0) break;
      if (Date.now() > deadline) throw new Error(`first quotes of ${waiting.join(', ')} never confirmed`);
      for (const symbol of waiting) sim.publishQuote(symbol, ENTRY_PRICE.minus(20), ENTRY_PRICE.minus(10));
      await pause(100);
    }
    await pause(IDLE_MS);
    const pid = bot.child.pid;
    if (pid === undefined) throw new Error('the bot has no pid');
    const idleRssMb = (await memoryMb(pid)).rss;
    const running = bot;
    return {
      kind,
      bot: running,
      db,
      symbols,
      coldStartMs,
      idleRssMb,
      check() {
        const errors = running.lines.filter((l) => l.level >= 50 || l.msg === 'error');
        if (errors.length > 0)
          throw describe(new Error(`logged errors: ${JSON.stringify(errors.slice(0, 3))}`));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw describe(err);
  }
}

/** Cold start and idle RSS only. */
async function footprint(kind: Kind, sim: Simulator, tap: TcpTap, n: number, first: number) {
  const run = await launch(kind, sim, tap, n, first);
  await run.stop();
  run.check();
  return run;
}

export const benchEndToEnd: Bench = async () => {
  const symbols = Array.from({ length: 100 }, (_, i) => symbolOf(i));
  const sim = await startSimulator({
    cash: '100000000',
    maxDataSymbols: 1000,
    // Both bots place a hundred orders in seconds; Alpaca's 200/min would answer 429.
    rateLimitPerMinute: 1_000_000,
    // The two bots of the tick-to-order phase each hold a quote stream.
    maxDataConnections: 2,
    assets: benchPairs(symbols),
  });
  const tap = await startTcpTap(new URL(sim.endpoints.baseUrl));
  try {
    // Both bots run side by side on disjoint symbols (neither sees the other's positions), and
    // their triggers alternate, so a loaded machine weighs on both alike.
    const bot = await launch('compiled', sim, tap, TICK_ASSETS, 0);
    const base = await launch('baseline', sim, tap, TICK_ASSETS, 10).catch(async (err: unknown) => {
      await bot.stop();
      throw err;
    });
    const botTicks: number[] = [];
    const baseTicks: number[] = [];
    try {
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        const a = await tickToOrder(sim, tap, bot, i);
        await pause(20);
        const b = await tickToOrder(sim, tap, base, i);
        await pause(20);
        if (i >= WARMUP) {
          botTicks.push(a);
          baseTicks.push(b);
        }
      }
      bot.check();
      base.check();
    } finally {
      await Promise.all([bot.stop(), base.stop()]);
    }
    // Cold start: the median of COLD_RUNS launches of each, alternating.
    const cold: Record<Kind, number[]> = { compiled: [], baseline: [], tsx: [] };
    let tsx: Running | null = null;
    for (let r = 0; r < COLD_RUNS; r++) {
      for (const kind of ['compiled', 'baseline', 'tsx'] as const) {
        const run = await footprint(kind, sim, tap, TICK_ASSETS, 20);
        cold[kind].push(run.coldStartMs);
        if (kind === 'tsx') tsx = run;
      }
    }
    if (tsx === null) throw new Error('no tsx run');
    const coldMs = (kind: Kind) => percentile(cold[kind], 50);
    const bot50 = await footprint('compiled', sim, tap, 50, 30);
    const base50 = await footprint('baseline', sim, tap, 50, 30);
    const p50 = percentile(botTicks, 50);
    const p99 = percentile(botTicks, 99);
    const b50 = percentile(baseTicks, 50);
    const b99 = percentile(baseTicks, 99);
    const row = (r: Omit<BenchRow, 'group'>): BenchRow => ({ group: GROUP, ...r });
    return [
      row({
        name: `tick-to-order p50, safety trigger, ${TICK_ASSETS} assets (${SAMPLES} orders)`,
        value: p50,
        unit: 'ms',
        baseline: b50,
        ratio: p50 / b50,
        target: '<= 0.8x baseline, <= 4',
        met: p50 <= 0.8 * b50 && p50 <= 4,
      }),
      row({
        name: '  stretch: p50 with safety orders sent while their COMMIT is in flight',
        value: p50,
        unit: 'ms',
        baseline: b50,
        ratio: p50 / b50,
        target: '<= 0.5x baseline',
        met: p50 <= 0.5 * b50,
      }),
      row({
        name: 'tick-to-order p99',
        value: p99,
        unit: 'ms',
        baseline: b99,
        ratio: p99 / b99,
        target: '<= 10',
        met: p99 <= 10,
      }),
      row({
        name: `idle RSS, ${TICK_ASSETS} assets (compiled)`,
        value: Math.round(bot.idleRssMb),
        unit: 'MB',
        baseline: Math.round(base.idleRssMb),
        ratio: bot.idleRssMb / base.idleRssMb,
      }),
      row({
        name: `  idle RSS, ${TICK_ASSETS} assets, through tsx`,
        value: Math.round(tsx.idleRssMb),
        unit: 'MB',
        baseline: Math.round(base.idleRssMb),
        ratio: tsx.idleRssMb / base.idleRssMb,
      }),
      row({
        name: 'idle RSS, 50 assets (compiled)',
        value: Math.round(bot50.idleRssMb),
        unit: 'MB',
        baseline: Math.round(base50.idleRssMb),
        ratio: bot50.idleRssMb / base50.idleRssMb,
        target: '< 150',
        met: bot50.idleRssMb < 150,
      }),
      row({
        name: `cold start, ${TICK_ASSETS} assets (compiled, median of ${COLD_RUNS})`,
        value: Math.round(coldMs('compiled')),
        unit: 'ms',
        baseline: Math.round(coldMs('baseline')),
        ratio: coldMs('compiled') / coldMs('baseline'),
        target: '<= 1.2x baseline',
        met: coldMs('compiled') <= 1.2 * coldMs('baseline'),
      }),
      row({
        name: `  cold start, ${TICK_ASSETS} assets, through tsx`,
        value: Math.round(coldMs('tsx')),
        unit: 'ms',
        baseline: Math.round(coldMs('baseline')),
        ratio: coldMs('tsx') / coldMs('baseline'),
      }),
    ];
  } finally {
    await tap.close();
    await sim.close();
  }
};
