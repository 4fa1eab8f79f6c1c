/**
 * Quote-path throughput of the bot process (architecture §2, "Quotes are state, not a queue"),
 * against the SDK-based quote path it replaced, in the same run and on the same simulator:
 * - sustained quotes/s the bot takes off its crypto socket with 10 assets while the simulator
 *   offers 220,000/s (BENCH_QUOTES_PER_SECOND; counted by the bot itself: `dca_quotes_received_total` on /metrics), and how
 *   long a quote that crosses a safety-order trigger still takes to become `POST /v2/orders` at the
 *   simulator under that load;
 * - peak RSS of the bot with 50 assets under the same blast.
 * Both sides are the real bot (testkit/botProcess.ts; this checkout compiled as `npm start` runs it,
 * `node dist/main.js`) in paper mode against a simulator in this process; the baseline is the same program at BASELINE_COMMIT (the
 * official SDK's stream client, two Decimals per quote, a machine step per processed quote), taken
 * with `git archive` into a temporary directory. Without that commit (a shallow clone) the baseline
 * rows are left out. Bounded: about 2 minutes.
 */
import { execSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from '@msgpack/msgpack';
import { type Simulator, startSimulator } from '../src/sim/index.js';
import { COMPILED_ENTRY, spawnBot, waitUntilTrading } from '../testkit/botProcess.js';
import { freePort } from '../testkit/net.js';
import { memoryMb } from './procStatus.js';
import { percentile } from './stats.js';
import type { Bench, BenchRow } from './table.js';
import { benchPairs, seedHoldingAssets } from './treeFixture.js';

const GROUP = 'quote path';
/** The last commit whose crypto quotes went through the SDK's stream client. */
export const BASELINE_COMMIT = 'c82d977';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const OFFERED_PER_SECOND = Number(process.env.BENCH_QUOTES_PER_SECOND ?? 220_000);
const SLICE_MS = 4_000;
/** Measured triggers; one more asset takes the warm-up trigger. */
const TRIGGERS = 6;
const FRAME_QUOTES = 500;
/** How long a trigger quote still out when the blast ends is waited for. */
const DRAIN_MS = 10_000;
const symbolOf = (i: number): string => `QP${String(i).padStart(2, '0')}/USD`;

/** The baseline program in a temporary directory, or null when the commit is not in this clone. */
async function checkoutBaseline(): Promise<{ dir: string; remove(): Promise<void> } | null> {
  const dir = await mkdtemp(join(tmpdir(), 'dca-quote-baseline-'));
  try {
    execSync(
      `git -C "${REPO}" archive ${BASELINE_COMMIT} src sql package.json tsconfig.json | tar -x -C "${dir}"`,
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch {
    await rm(dir, { recursive: true, force: true });
    return null;
  }
}

/** The bot's own count of quotes taken off its socket. */
async function quotesReceived(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^dca_quotes_received_total\{[^}]*\} (\S+)$/gm)) total += Number(m[1]);
  return total;
}

/** CPU seconds (user + system) the process has used. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface Run {
  readonly receivedPerSecond: number;
  readonly offeredPerSecond: number;
  readonly triggerMs: number[];
  readonly idleRssMb: number;
  readonly peakRssMb: number;
  /** The bot's CPU time (user + system) per quote received: what a loaded machine does not change much. */
  readonly cpuUsPerQuote: number;
}

/**
 * Frames of FRAME_QUOTES in-band quotes round-robin over `symbols` (as Alpaca batches a tick's
 * messages), msgpack-encoded once: the simulator only sends bytes, so this process can offer more
 * than the bot could take, and uses little CPU doing it.
 */
function inBandFrames(symbols: readonly string[]): Uint8Array[] {
  const t = new Date();
  return Array.from({ length: 4 }, (_, f) =>
    encode(
      Array.from({ length: FRAME_QUOTES }, (_, i) => {
        const k = f * FRAME_QUOTES + i;
        const ask = 59_700 + ((k * 37) % 600);
        return { T: 'q', S: symbols[k % symbols.length], bp: ask - 10, bs: 0.5, ap: ask, as: 0.7, t };
      }),
    ),
  );
}

/**
 * The bot at `cwd` with `n` holding assets; the simulator offers OFFERED_PER_SECOND in-band quotes
 * round-robin for SLICE_MS, and `triggers` times a quote at the safety trigger of one asset.
 */
async function run(cwd: string, n: number, triggers: number, entry?: readonly string[]): Promise<Run> {
  const symbols = Array.from({ length: n }, (_, i) => symbolOf(i));
  const sim: Simulator = await startSimulator({
    cash: '100000000',
    rateLimitPerMinute: 0,
    maxDataSymbols: 1000,
    assets: benchPairs(symbols),
  });
  const { db } = await seedHoldingAssets(n, { sim: false, symbolOf });
  const port = await freePort();
  const bot = spawnBot({
    sim,
    db,
    cwd,
    ...(entry ? { entry } : {}),
    env: {
      LOG_LEVEL: 'info',
      HEALTH_PORT: String(port),
      ASSET_POLL_SECONDS: '3600',
      QUOTE_STALE_SECONDS: '3600',
      DCA_QUOTE_BAND_PERCENT: '20',
      // Start-up asks REST a few things per asset; Alpaca's budget would pace 50 assets over a minute.
      DCA_REST_PER_MINUTE: '10000',
      DCA_REST_BURST: '100',
    },
  });
  try {
    // REST's latest quote confirms the band; then the stream carries the load.
    for (const s of symbols) sim.publishQuote(s, '59990', '60000');
    await waitUntilTrading(bot, []);
    await waitForQuotes(port, symbols, sim).catch((e) => {
      console.error(
        bot.lines.length,
        bot.lines
          .slice(0, 30)
          .map((l) => JSON.stringify(l).slice(0, 300))
          .join('\n'),
        bot.stderr(),
      );
      throw e;
    });
    const pid = bot.child.pid as number;

    if (triggers > 0) {
      // Warm-up, before the blast: the first order of a process runs cold code (JIT, the first
      // write-ahead); the measured triggers are the bot at work, as the tree benchmark's are.
      const orders = sim.listOrders().length;
      sim.injectDataFrame([
        { T: 'q', S: symbols[n - 1], bp: 59_000, bs: 1, ap: 59_090, as: 1, t: new Date() },
      ]);
      const deadline = Date.now() + 10_000;
      while (sim.listOrders().length === orders && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
    }
    const triggerMs: number[] = [];
    const orders0 = sim.listOrders().length;
    // All symbols; and, while a trigger quote of symbol j is out, all but j (no in-band quote of j
    // may supersede it before it is acted on: quotes are state, the newest wins).
    const all = inBandFrames(symbols);
    const without = symbols.map((_, j) =>
      j < triggers ? inBandFrames(symbols.filter((_, i) => i !== j)) : all,
    );
    let pending: { symbol: number; at: number; orders: number } | null = null;
    let triggered = 0;
    const received0 = await quotesReceived(port);
    const cpu0 = await cpuSeconds(pid);
    const idle = await memoryMb(pid);
    let peak = idle.rss;
    let sent = 0;
    let k = 0;
    const start = performance.now();
    let nextTriggerAt = start + SLICE_MS / (triggers + 1);
    let lastRss = start;
    let end: { received: number; cpu: number; seconds: number } | null = null;
    for (;;) {
      const now = performance.now();
      const sending = now - start < SLICE_MS;
      if (!sending && end === null) {
        end = {
          received: await quotesReceived(port),
          cpu: await cpuSeconds(pid),
          seconds: (now - start) / 1000,
        };
      }
      if (!sending && pending === null) break;
      if (!sending && now - start > SLICE_MS + DRAIN_MS) break;
      const due = Math.min(50_000, ((now - start) / 1000) * OFFERED_PER_SECOND - sent);
      for (let i = 0; sending && i < due / FRAME_QUOTES; i++, k++) {
        const frames = pending === null ? all : (without[pending.symbol] as Uint8Array[]);
        sim.injectDataFrame(frames[k % frames.length] as Uint8Array);
        sent += FRAME_QUOTES;
      }
      if (sending && pending === null && triggered < triggers && now >= nextTriggerAt) {
        // 59,100 is the safety trigger of a cycle holding at 60,000 (1.5 % below).
        const symbol = triggered % n;
        pending = { symbol, at: performance.now(), orders: sim.listOrders().length };
        if (process.env.BENCH_DEBUG)
          process.stderr.write(`trigger ${symbols[symbol]} sent at ${Date.now()}\n`);
        sim.injectDataFrame([
          { T: 'q', S: symbols[symbol], bp: 59_000, bs: 1, ap: 59_090, as: 1, t: new Date() },
        ]);
        triggered++;
        nextTriggerAt = now + SLICE_MS / (triggers + 1);
      }
      if (pending !== null && sim.listOrders().length > pending.orders) {
        if (process.env.BENCH_DEBUG) {
          const line = bot.lines.findLast((l) => l.msg === 'submitting order');
          process.stderr.write(
            `  order seen at ${Date.now()}, bot logged 'submitting order' at ${line?.time}\n`,
          );
        }
        triggerMs.push(performance.now() - pending.at);
        pending = null;
      }
      if (now - lastRss > 100) {
        lastRss = now;
        peak = Math.max(peak, (await memoryMb(pid)).rss);
      }
      // Sleep, do not spin: this process must not take the core the bot needs.
      await new Promise((r) => setTimeout(r, 1));
    }
    const { seconds, cpu } = end as { received: number; cpu: number; seconds: number };
    const received = (end as { received: number }).received - received0;
    peak = Math.max(peak, (await memoryMb(pid)).rss);
    if (sim.listOrders().length - orders0 < triggerMs.length) throw new Error('orders went missing');
    return {
      receivedPerSecond: received / seconds,
      offeredPerSecond: sent / seconds,
      triggerMs,
      idleRssMb: idle.rss,
      peakRssMb: peak,
      cpuUsPerQuote: ((cpu - cpu0) * 1e6) / Math.max(1, received),
    };
  } finally {
    await bot.stop();
    await db.drop();
    await sim.close();
  }
}

/** Every asset's band confirmed and quotes counted: the bot is on the quote path. */
async function waitForQuotes(port: number, symbols: readonly string[], sim: Simulator): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    for (const s of symbols) sim.injectStreamQuote(s, 59_990, 60_000);
    const ok = await quotesReceived(port).catch((e) => {
      console.error(String(e));
      return 0;
    });
    if (ok >= symbols.length * 3) return;
    if (Date.now() > deadline) throw new Error('the bot never received quotes');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function row(
  name: string,
  value: number,
  unit: string,
  target: string,
  met: boolean,
  baseline?: number,
): BenchRow {
  return {
    group: GROUP,
    name,
    value: Math.round(value),
    unit,
    target,
    met,
    ...(baseline === undefined ? {} : { baseline: Math.round(baseline), ratio: value / baseline }),
  };
}

export const benchQuotePath: Bench = async () => {
  const baselineDir = await checkoutBaseline();
  try {
    // This checkout runs compiled (`npm start`'s dist/, built by prebench); the older one through tsx.
    const ours10 = await run(REPO, 10, TRIGGERS, COMPILED_ENTRY);
    if (process.env.BENCH_DEBUG)
      process.stderr.write(`triggers (ms): ${ours10.triggerMs.map((t) => t.toFixed(1)).join(' ')}\n`);
    const ours50 = await run(REPO, 50, 0, COMPILED_ENTRY);
    const base10 =
      baselineDir && !process.env.BENCH_OURS_ONLY ? await run(baselineDir.dir, 10, TRIGGERS) : null;
    const base50 = baselineDir && !process.env.BENCH_OURS_ONLY ? await run(baselineDir.dir, 50, 0) : null;
    const trigger = (r: Run | null) =>
      r && r.triggerMs.length > 0 ? percentile(r.triggerMs, 100) : undefined;
    const oursTrigger = trigger(ours10) ?? Number.NaN;
    return [
      row(
        `quotes/s received, 10 assets, ${Math.round(ours10.offeredPerSecond / 1000)}k/s offered`,
        ours10.receivedPerSecond,
        'quotes/s',
        '>= 200000',
        ours10.receivedPerSecond >= 200_000,
        base10?.receivedPerSecond,
      ),
      row(
        '  bot CPU per quote received at that load',
        ours10.cpuUsPerQuote * 1000,
        'ns',
        '<= 5000 (200k/s on one core)',
        ours10.cpuUsPerQuote <= 5,
        base10 ? base10.cpuUsPerQuote * 1000 : undefined,
      ),
      row(
        `  median of ${ours10.triggerMs.length}/${TRIGGERS} triggers at that load: quote -> POST at the exchange`,
        ours10.triggerMs.length > 0 ? percentile(ours10.triggerMs, 50) : Number.NaN,
        'ms',
        '< 50',
        ours10.triggerMs.length === TRIGGERS && percentile(ours10.triggerMs, 50) < 50,
        base10 && base10.triggerMs.length > 0 ? percentile(base10.triggerMs, 50) : undefined,
      ),
      row(
        `  slowest of ${ours10.triggerMs.length}/${TRIGGERS} triggers at that load: quote -> POST at the exchange`,
        oursTrigger,
        'ms',
        '< 50',
        ours10.triggerMs.length === TRIGGERS && oursTrigger < 50,
        trigger(base10),
      ),
      row(
        'RSS before the blast, 50 assets (idle; compiled, the baseline through tsx)',
        ours50.idleRssMb,
        'MB',
        '< 150',
        ours50.idleRssMb < 150,
        base50?.idleRssMb,
      ),
      row(
        `peak RSS, 50 assets, ${Math.round(ours50.offeredPerSecond / 1000)}k quotes/s offered`,
        ours50.peakRssMb,
        'MB',
        '< 150',
        ours50.peakRssMb < 150,
        base50?.peakRssMb,
      ),
    ];
  } finally {
    await baselineDir?.remove();
  }
};
