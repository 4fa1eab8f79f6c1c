/**
 * The process tree on the quote path (architecture §2, "Quotes are state, not a queue"), measured in one
 * run against a baseline that reads MySQL on every quote, as the seed's design did:
 * - quote → the asset actor's turn on it for quotes that trigger nothing, one at a time (the quote
 *   gate holds them back without a machine step, architecture §2);
 * - quote → order decision (the machine emits submitOrder) and quote → exchange.submitOrder (after
 *   the durable write-ahead) for quotes that cross a safety-order trigger;
 * - quotes handled/s with 1, 10 and 50 assets fed one quote per asset per event-loop turn (nothing
 *   to coalesce), with the p99 of a turn (accept → every asset handled its quote) at that load;
 * - bursts of 20 quotes per asset per turn: offered vs delivered, the rest coalesced by design;
 * - RSS after the run with 50 assets.
 * The tree is `startBot` on a throwaway MariaDB database with an in-memory exchange (treeFixture.ts);
 * quotes go into `marketData.accept`. Bounded: about 20 s.
 */
import { toQuote } from '../src/exchange/mappers.js';
import type { QuoteTick } from '../src/exchange/types.js';
import { safetyTriggerPrice } from '../src/machines/decisions.js';
import { dec } from '../src/money.js';
import { memoryAfterGc, percentile, tick, until } from './stats.js';
import type { Bench, BenchRow } from './table.js';
import { runBaseline } from './treeBaseline.js';
import { type BenchAsset, quotesHandled, quotesInBand, startTree, type Tree } from './treeFixture.js';

const GROUP = 'tree';
const ASSETS = 50;
const COUNTS = [1, 10, 50] as const;
const SLICE_MS = 1_500;
const QUOTES_PER_SYMBOL = 64;
const BURST = 20;
const LATENCY_SAMPLES = 3_000;
const TRIGGER_SAMPLES = 100;
/** Trigger samples run on the last assets, so the throughput phases see untouched cycles. */
const TRIGGER_ASSETS = 10;

const us = (ms: number) => Math.round(ms * 1000);

/** Accept → the asset actor's turn on the quote (gate, or machine step), one quote in flight at a time. */
async function isolatedLatency(tree: Tree, quotes: readonly QuoteTick[], samples: number): Promise<number[]> {
  const { bot } = tree;
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const handled = quotesHandled(bot);
    const acceptedAt = performance.now();
    bot.marketData.accept(quotes[i % quotes.length] as QuoteTick);
    await until(() => quotesHandled(bot) > handled, 'a quote handled');
    latencies.push(performance.now() - acceptedAt);
  }
  return latencies;
}

interface FeedResult {
  readonly offeredPerSecond: number;
  readonly stepsPerSecond: number;
  readonly coalesced: number;
  readonly latencies: number[];
}

/**
 * Offers `perTurn` quotes per asset in each event-loop turn for SLICE_MS. The latency of a step is
 * taken from the start of its turn's batch, so it includes accepting every other quote of the batch.
 */
async function feed(tree: Tree, assets: readonly BenchAsset[], perTurn: number): Promise<FeedResult> {
  const { probe, bot } = tree;
  const quotes = assets.map((a) => quotesInBand(a.symbol, QUOTES_PER_SYMBOL));
  const steps0 = quotesHandled(bot);
  const delivered0 = bot.marketData.counters.delivered;
  probe.latencies.length = 0;
  probe.recording = true;
  let offered = 0;
  let k = 0;
  const start = performance.now();
  while (performance.now() - start < SLICE_MS) {
    probe.acceptedAt = performance.now();
    for (let b = 0; b < perTurn; b++, k++) {
      for (const own of quotes) bot.marketData.accept(own[k % QUOTES_PER_SYMBOL] as QuoteTick);
    }
    offered += perTurn * quotes.length;
    await tick();
    if (probe.recording) probe.latencies.push(performance.now() - probe.acceptedAt);
  }
  await tick();
  const seconds = (performance.now() - start) / 1000;
  probe.recording = false;
  const steps = quotesHandled(bot) - steps0;
  return {
    offeredPerSecond: offered / seconds,
    stepsPerSecond: steps / seconds,
    coalesced: offered - (bot.marketData.counters.delivered - delivered0),
    latencies: [...probe.latencies],
  };
}

interface TriggerLatencies {
  readonly decision: number[];
  readonly submit: number[];
}

/**
 * Quotes that cross the safety-order trigger, one at a time, round-robin over `assets`. After each,
 * the order is confirmed, filled through trade_updates and the cycle is back in `watching`.
 */
async function triggerLatency(tree: Tree, assets: readonly BenchAsset[], samples: number) {
  const { probe, bot, exchange } = tree;
  const result: TriggerLatencies = { decision: [], submit: [] };
  for (let i = 0; i < samples; i++) {
    const asset = assets[i % assets.length] as BenchAsset;
    const actor = bot.registry.get(asset.symbol);
    const cycle = actor?.view().cycle;
    if (!actor || !cycle?.lastOrderFillPrice) throw new Error(`${asset.symbol} has no holding cycle`);
    const ask = safetyTriggerPrice(cycle.lastOrderFillPrice, dec('1.5')).toDecimalPlaces(2, 1).toNumber();
    let submittedAt = 0;
    let clientOrderId = '';
    exchange.onSubmit = (intent) => {
      submittedAt = performance.now();
      clientOrderId = intent.clientOrderId;
    };
    const acceptedAt = performance.now();
    probe.decidedAt = 0;
    bot.marketData.accept({ symbol: asset.symbol, bid: ask - 10, ask, at: Date.now() });
    await until(() => submittedAt > 0, `the order of ${asset.symbol}`);
    result.decision.push(probe.decidedAt - acceptedAt);
    result.submit.push(submittedAt - acceptedAt);
    await until(() => actor.view().cycle?.latestOrderId != null, 'the order id to be stored');
    exchange.fill(clientOrderId, dec(ask));
    await until(
      () => actor.view().state === 'watching' && actor.view().cycle?.status === 'watching',
      'the fill to be booked',
    );
  }
  exchange.onSubmit = null;
  return result;
}

function row(name: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow {
  const baseline = extra.baseline;
  return {
    group: GROUP,
    name,
    value,
    unit,
    ...extra,
    ...(baseline ? { ratio: value / baseline } : {}),
  };
}

export const benchTree: Bench = async () => {
  const before = memoryAfterGc();
  const tree = await startTree(ASSETS);
  const rows: BenchRow[] = [];
  try {
    const first = tree.assets[0] as BenchAsset;
    const firstQuotes = quotesInBand(first.symbol, QUOTES_PER_SYMBOL);
    await isolatedLatency(tree, firstQuotes, 1_000); // warm-up: JIT, caches
    const isolated = await isolatedLatency(tree, firstQuotes, LATENCY_SAMPLES);
    const baselineOne = await runBaseline(
      tree.db.pool,
      [first],
      new Map([[first.symbol, firstQuotes.map(toQuote)]]),
      SLICE_MS,
    );
    const base50 = percentile(baselineOne.latencies, 50);
    const base99 = percentile(baselineOne.latencies, 99);
    rows.push(
      row('quote -> asset turn (held by the gate), no trigger, p50', us(percentile(isolated, 50)), 'µs', {
        baseline: us(base50),
      }),
      row('quote -> asset turn (held by the gate), no trigger, p99', us(percentile(isolated, 99)), 'µs', {
        baseline: us(base99),
        target: '< 1000',
      }),
    );

    const triggerAssets = tree.assets.slice(-TRIGGER_ASSETS);
    await triggerLatency(tree, triggerAssets, TRIGGER_ASSETS); // warm-up
    const trig = await triggerLatency(tree, triggerAssets, TRIGGER_SAMPLES);
    rows.push(
      row('quote -> submitOrder intent, trigger, p50', us(percentile(trig.decision, 50)), 'µs', {
        baseline: us(base50),
      }),
      row('quote -> submitOrder intent, trigger, p99', us(percentile(trig.decision, 99)), 'µs', {
        baseline: us(base99),
        target: '< 1000',
      }),
      row('quote -> exchange.submitOrder (after write-ahead), p50', us(percentile(trig.submit, 50)), 'µs'),
      row('quote -> exchange.submitOrder (after write-ahead), p99', us(percentile(trig.submit, 99)), 'µs'),
    );

    for (const n of COUNTS) {
      const assets = tree.assets.slice(0, n);
      const run = await feed(tree, assets, 1);
      const baseline = await runBaseline(
        tree.db.pool,
        assets,
        new Map(assets.map((a) => [a.symbol, quotesInBand(a.symbol, QUOTES_PER_SYMBOL).map(toQuote)])),
        SLICE_MS,
      );
      const lost = run.coalesced === 0 ? '' : `, ${run.coalesced} coalesced`;
      rows.push(
        row(
          `quotes/s handled by the asset actors, ${n} assets${lost}`,
          Math.round(run.stepsPerSecond),
          'quotes/s',
          {
            baseline: Math.round(baseline.perSecond),
            ...(n === ASSETS ? { target: '>= 50000' } : {}),
          },
        ),
        row(`  p99 of a turn at that load, ${n} assets`, us(percentile(run.latencies, 99)), 'µs', {
          baseline: us(percentile(baseline.latencies, 99)),
          target: '< 1000',
        }),
      );
    }

    for (const n of COUNTS) {
      const run = await feed(tree, tree.assets.slice(0, n), BURST);
      rows.push(
        row(`burst ${BURST}/asset/turn, ${n} assets: offered`, Math.round(run.offeredPerSecond), 'quotes/s'),
        row(
          `  delivered to machines (${(100 - (100 * run.stepsPerSecond) / run.offeredPerSecond).toFixed(0)}% coalesced)`,
          Math.round(run.stepsPerSecond),
          'quotes/s',
        ),
      );
    }

    // Baseline: the same process before the tree was built (node, the tsx loader, the modules).
    const after = memoryAfterGc();
    rows.push(
      row(`RSS after the run, ${ASSETS} assets (after GC)`, Math.round(after.rssMb), 'MB', {
        baseline: Math.round(before.rssMb),
        target: '< 150',
      }),
      row(`  heap used after the run, ${ASSETS} assets (after GC)`, Math.round(after.heapUsedMb), 'MB', {
        baseline: Math.round(before.heapUsedMb),
      }),
    );
  } finally {
    await tree.close();
  }
  return rows;
};
