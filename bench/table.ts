/** One row of the `npm run bench` table. */
export interface BenchRow {
  readonly group: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** e.g. '>= 20000' — informational; benchmarks report, they do not fail. */
  readonly target?: string;
  /** A baseline measured in the same run, and value/baseline. */
  readonly baseline?: number;
  readonly ratio?: number;
  /** Whether the target is met (rows with a checkable target). */
  readonly met?: boolean;
}

export type Bench = () => Promise<BenchRow[]>;

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (Number.isNaN(n)) return '(not measured here)';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3);
}

export function renderTable(rows: readonly BenchRow[]): string {
  const header = ['group', 'measure', 'value', 'unit', 'baseline', 'ratio', 'target', 'met?'];
  const body = rows.map((r) => [
    r.group,
    r.name,
    fmt(r.value),
    r.unit,
    fmt(r.baseline),
    r.ratio === undefined ? '' : `${r.ratio < 0.1 ? r.ratio.toPrecision(2) : r.ratio.toFixed(2)}x`,
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
