/**
 * The plausibility check on the quote path (src/sanity/quoteBand.ts) in isolation: time and heap
 * growth per in-band quote as the stream delivers it (numbers), against a naive check on Decimals that computes each quote's mid price (one Decimal
 * division per quote, what a per-quote median would at least cost). The clock moves 1 ms per quote,
 * so the band takes one sample per 1,000 quotes, as a busy feed would. Heap growth is measured
 * between two full GCs without one in between, over a run short enough that no scavenge is likely.
 */
import { toQuote } from '../src/exchange/mappers.js';
import type { QuoteTick } from '../src/exchange/types.js';
import { dec } from '../src/money.js';
import { QuoteBand, quoteWithin } from '../src/sanity/quoteBand.js';
import { memoryAfterGc } from './stats.js';
import type { Bench, BenchRow } from './table.js';
import { quotesInBand } from './treeFixture.js';

const GROUP = 'band';
const TIMED = 1_000_000;
const HEAP_RUN = 20_000;

function confirmedBand(): QuoteBand<QuoteTick> {
  const band = new QuoteBand<QuoteTick>({
    bandPercent: dec(10),
    confirmMs: 5_000,
    maxAgeMs: Number.MAX_SAFE_INTEGER,
  });
  band.check({ symbol: 'BN00/USD', bid: 59_990, ask: 60_000, at: Date.now() }, 0);
  band.asked(0);
  band.confirmed({ symbol: 'BN00/USD', bid: dec(59_990), ask: dec(60_000), at: new Date() }, 0);
  return band;
}

function run<Q>(check: (q: Q, now: number) => boolean, quotes: readonly Q[], n: number): number {
  let accepted = 0;
  for (let i = 0; i < n; i++) if (check(quotes[i % quotes.length] as Q, i)) accepted++;
  return accepted;
}

function measure<Q>(name: string, check: (q: Q, now: number) => boolean, quotes: readonly Q[]) {
  run(check, quotes, 100_000); // warm-up
  const start = performance.now();
  const accepted = run(check, quotes, TIMED);
  const ns = ((performance.now() - start) * 1e6) / TIMED;
  if (accepted !== TIMED) throw new Error(`${name}: only ${accepted} of ${TIMED} in-band quotes accepted`);
  const before = memoryAfterGc().heapUsedMb;
  run(check, quotes, HEAP_RUN);
  const { heapUsed } = process.memoryUsage();
  const bytes = Math.max(0, (heapUsed - before * 1024 * 1024) / HEAP_RUN);
  return { ns, bytes };
}

export const benchQuoteBand: Bench = async () => {
  const quotes = quotesInBand('BN00/USD', 64);
  const band = confirmedBand();
  const ours = measure('band', (q, now) => band.check(q, now) === 'accept', quotes);
  const reference = dec(60_000);
  const fraction = dec('0.1');
  const naive = measure(
    'naive',
    (q) => q.bid.plus(q.ask).div(2).gt(0) && quoteWithin(q, reference, fraction),
    quotes.map(toQuote),
  );
  const rows: BenchRow[] = [
    {
      group: GROUP,
      name: 'QuoteBand.check, in-band quote (numbers)',
      value: Math.round(ours.ns),
      unit: 'ns',
      baseline: Math.round(naive.ns),
      ratio: ours.ns / naive.ns,
    },
    {
      group: GROUP,
      name: '  heap growth per in-band quote (no GC between)',
      value: Math.round(ours.bytes),
      unit: 'bytes',
      baseline: Math.round(naive.bytes),
      target: '~0',
    },
  ];
  return rows;
};
