/**
 * `npm run bench`: runs every benchmark module and prints one table. Speed and memory targets live
 * here, never in timed tests; each group compares against a baseline measured in the same run.
 * `npm run bench -- sim` runs only the groups whose name contains "sim".
 */
import { type Bench, type BenchRow, renderTable } from './table.js';

const benches: Record<string, () => Promise<Bench>> = {
  simulator: async () => (await import('./sim.js')).benchSimulator,
  band: async () => (await import('./quoteBand.js')).benchQuoteBand,
  tree: async () => (await import('./tree.js')).benchTree,
  process: async () => (await import('./process.js')).benchProcess,
  quotepath: async () => (await import('./quotePath.js')).benchQuotePath,
  backtest: async () => (await import('./backtest.js')).benchBacktest,
  'backtest-sweep': async () => (await import('./backtest.js')).benchSweep,
  e2e: async () => (await import('./e2e.js')).benchEndToEnd,
};

const filter = process.argv[2];
const rows: BenchRow[] = [];
const failed: string[] = [];
for (const [name, load] of Object.entries(benches)) {
  if (filter && !name.includes(filter)) continue;
  process.stderr.write(`running ${name}...\n`);
  try {
    const bench = await load();
    rows.push(...(await bench()));
  } catch (err) {
    // One group's failure (a bot that did not start, a stale dist/) leaves the others' rows.
    failed.push(name);
    process.stderr.write(
      `${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    rows.push({ group: name, name: 'failed (see stderr)', value: Number.NaN, unit: '' });
  }
}
process.stdout.write(`${renderTable(rows)}\n`);
if (failed.length > 0) {
  process.stderr.write(`benchmark groups that failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
