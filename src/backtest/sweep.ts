/**
 * A parameter sweep: `--sweep take_profit_percent=0.5:3:0.5` (start:end:step, end included, or a
 * list `a,b,c`) per setting, the grid is every combination, each point is the base row with those
 * columns replaced and validated by the bot's row parser (an invalid point is reported, not run).
 * Points run on worker threads (sweepWorker.ts), one per core, sharing the bars' memory.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ASSET_FLAGS, type Row, STRATEGY_FLAGS } from '../cli/assetRows.js';
import { RefusedError } from '../cli/io.js';
import type { AssetRules } from '../domain.js';
import { Decimal } from '../money.js';
import type { Bars } from './bars.js';
import type { MarketModel } from './engine.js';
import { addFlags, assetOfRow, withOverrides } from './settings.js';

export interface SweepAxis {
  readonly column: string;
  readonly values: readonly string[];
}

export const RANKS = ['pnl', 'return', 'drawdown'] as const;
export type Rank = (typeof RANKS)[number];

const MAX_POINTS = 100_000;

const SWEEP_FLAGS: Readonly<Record<string, string>> = { ...ASSET_FLAGS, ...STRATEGY_FLAGS };
/** Strategy columns whose list may also say `off` (no trailing take-profit, no stop-loss). */
const MAY_BE_OFF = new Set<string>([STRATEGY_FLAGS['ttp-deviation'], STRATEGY_FLAGS['stop-loss']]);
const YES_NO = STRATEGY_FLAGS['stop-loss-after-safety'];

/**
 * `take_profit_percent=0.5:3:0.5`, `take-profit=0.5:3:0.5`, `max_safety_orders=2,4,6`; the strategy
 * controls too (`ttp_deviation_percent=off,0.2,0.4`, `stop_loss_percent=5:15:5`,
 * `stop_loss_after_safety_orders=yes,no`, `safety_order_volume_scale=1:2:0.25`).
 */
export function parseSweep(spec: string): SweepAxis {
  const m = /^([a-z_-]+)=(.+)$/.exec(spec.trim());
  const columns = Object.values(SWEEP_FLAGS);
  const key = m?.[1] ?? '';
  const column = SWEEP_FLAGS[key] ?? key;
  if (!m || !columns.includes(column)) {
    throw new RefusedError(
      `refused: --sweep expects <setting>=<start>:<end>:<step> or <setting>=<a>,<b>,...; setting is one of ${columns.join(', ')} (got ${JSON.stringify(spec)})`,
    );
  }
  if (column === YES_NO) {
    const values = m[2]!.split(',').map((v) => v.trim().toLowerCase());
    if (values.some((v) => v !== 'yes' && v !== 'no'))
      throw new RefusedError(
        `refused: --sweep ${column}: expected a list of yes and no, got ${JSON.stringify(m[2])}`,
      );
    return { column, values };
  }
  const body = m[2]!;
  const number = (s: string) => {
    if (!/^-?\d+(\.\d+)?$/.test(s.trim()))
      throw new RefusedError(`refused: --sweep ${column}: ${JSON.stringify(s)} is not a number`);
    return new Decimal(s.trim());
  };
  const listValue = (s: string) =>
    MAY_BE_OFF.has(column) && s.trim().toLowerCase() === 'off' ? 'off' : number(s).toFixed();
  if (body.includes(',')) return { column, values: body.split(',').map(listValue) };
  const parts = body.split(':');
  if (parts.length !== 3)
    throw new RefusedError(
      `refused: --sweep ${column}: expected start:end:step, got ${JSON.stringify(body)}`,
    );
  const [start, end, step] = parts.map(number) as [Decimal, Decimal, Decimal];
  if (step.lte(0) || end.lt(start))
    throw new RefusedError(`refused: --sweep ${column}: need start ≤ end and a step > 0`);
  const values: string[] = [];
  for (let v = start; v.lte(end); v = v.plus(step)) {
    values.push(v.toFixed());
    if (values.length > MAX_POINTS)
      throw new RefusedError(`refused: --sweep ${column} has more than ${MAX_POINTS} values`);
  }
  return { column, values };
}

/** Every combination of the axes' values, as column overrides. */
export function grid(axes: readonly SweepAxis[]): Record<string, string>[] {
  let points: Record<string, string>[] = [{}];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.column]: v })));
    if (points.length > MAX_POINTS)
      throw new RefusedError(`refused: the sweep grid has more than ${MAX_POINTS} points`);
  }
  return points;
}

/** What a worker reports for one point: the summary's numbers as plain strings. */
export interface PointResult {
  readonly index: number;
  readonly overrides: Record<string, string>;
  readonly settings: string;
  readonly totalPnl: string;
  readonly realizedPnl: string;
  readonly returnOnMaxCapitalPercent: string;
  readonly maxDrawdownPercent: string;
  readonly maxDrawdownUsd: string;
  readonly cyclesCompleted: number;
  readonly fees: string;
  readonly error?: string;
}

export interface SweepJob {
  readonly bars: Bars;
  readonly row: Row;
  readonly axes: readonly SweepAxis[];
  readonly rules: AssetRules;
  readonly market: MarketModel;
  readonly threads?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Bars in shared memory, so every worker reads the same arrays without a copy. */
function shareBars(bars: Bars): Bars {
  const share = (a: Float64Array) => {
    const s = new Float64Array(new SharedArrayBuffer(a.byteLength));
    s.set(a);
    return s;
  };
  return {
    ...bars,
    t: share(bars.t),
    o: share(bars.o),
    h: share(bars.h),
    l: share(bars.l),
    c: share(bars.c),
    v: share(bars.v),
  };
}

function workerEntry(): { entry: string; eval: boolean } {
  const url = new URL(`./sweepWorker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
    .href;
  if (!url.endsWith('.ts')) return { entry: url, eval: false };
  // A worker's entry is not run through tsx's loader: register it first, then import the .ts file.
  return {
    entry: `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url)}); })`,
    eval: true,
  };
}

export async function runSweep(job: SweepJob): Promise<{ results: PointResult[]; invalid: PointResult[] }> {
  const points = grid(job.axes);
  const invalid: PointResult[] = [];
  const runnable: { index: number; overrides: Record<string, string>; row: Row }[] = [];
  points.forEach((overrides, index) => {
    const row = withOverrides(job.row, overrides);
    try {
      assetOfRow(row);
      runnable.push({ index, overrides, row });
    } catch (err) {
      invalid.push({ ...empty(index, overrides, addFlags(row)), error: (err as Error).message });
    }
  });
  const total = runnable.length;
  const threads = Math.max(1, Math.min(job.threads ?? availableParallelism(), total));
  const bars = shareBars(job.bars);
  const rules = Object.fromEntries(
    Object.entries(job.rules).map(([k, v]) => [k, v instanceof Decimal ? v.toFixed() : v]),
  );
  const results: PointResult[] = [];
  let next = 0;
  const { entry, eval: isEval } = workerEntry();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(entry, { eval: isEval, workerData: { bars, rules, market: job.market } });
          const give = () => {
            const point = runnable[next++];
            if (point === undefined) {
              void worker.terminate().then(() => resolve());
              return;
            }
            worker.postMessage(point);
          };
          worker.on('message', (msg: PointResult | 'ready') => {
            if (msg !== 'ready') {
              results.push(msg);
              job.onProgress?.(results.length, total);
            }
            give();
          });
          worker.once('error', reject);
        }),
    ),
  );
  results.sort((a, b) => a.index - b.index);
  return { results, invalid };
}

function empty(index: number, overrides: Record<string, string>, settings: string): PointResult {
  return {
    index,
    overrides,
    settings,
    totalPnl: '0',
    realizedPnl: '0',
    returnOnMaxCapitalPercent: '0',
    maxDrawdownPercent: '0',
    maxDrawdownUsd: '0',
    cyclesCompleted: 0,
    fees: '0',
  };
}

/** Best first: most P&L, best return on max capital, or smallest drawdown (then most P&L). */
export function rank(results: readonly PointResult[], by: Rank): PointResult[] {
  const n = (s: string) => Number(s);
  const key: Record<Rank, (a: PointResult, b: PointResult) => number> = {
    pnl: (a, b) => n(b.totalPnl) - n(a.totalPnl),
    return: (a, b) => n(b.returnOnMaxCapitalPercent) - n(a.returnOnMaxCapitalPercent),
    drawdown: (a, b) => n(a.maxDrawdownPercent) - n(b.maxDrawdownPercent) || n(b.totalPnl) - n(a.totalPnl),
  };
  return [...results].sort((a, b) => key[by](a, b) || a.index - b.index);
}
