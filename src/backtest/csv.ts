/**
 * Bars from a CSV file: `timestamp, open, high, low, close, volume` under any of the common column
 * spellings (Alpaca's t/o/h/l/c/v, exchange exports' `open_time`, `Date`, `Volume USD`, ...), comma,
 * semicolon or tab separated, timestamps as ISO-8601, `YYYY-MM-DD HH:MM[:SS]` (UTC) or epoch seconds /
 * milliseconds. A file without a header is read in that column order. Every bad row is reported with
 * its line number and the import fails: a gap the user does not know about would change the result.
 */
import { type Bar, type Bars, barProblem, barsFromList } from './bars.js';

export interface CsvProblem {
  readonly line: number;
  readonly message: string;
}

export class CsvImportError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly CsvProblem[],
  ) {
    const shown = problems.slice(0, 10).map((p) => `  line ${p.line}: ${p.message}`);
    const more = problems.length > 10 ? [`  … and ${problems.length - 10} more`] : [];
    super(`${file}: ${problems.length} bad row(s), nothing imported:\n${[...shown, ...more].join('\n')}`);
    this.name = 'CsvImportError';
  }
}

type Field = 't' | 'o' | 'h' | 'l' | 'c' | 'v';

const SPELLINGS: Record<Field, readonly string[]> = {
  t: [
    'timestamp',
    'time',
    't',
    'ts',
    'date',
    'datetime',
    'date_time',
    'open_time',
    'opentime',
    'start',
    'unix',
    'time_utc',
  ],
  o: ['open', 'o', 'open_price', 'opening_price'],
  h: ['high', 'h', 'high_price'],
  l: ['low', 'l', 'low_price'],
  c: ['close', 'c', 'close_price', 'closing_price'],
  v: ['volume', 'v', 'vol', 'volume_base', 'base_volume', 'volume_btc', 'volumefrom'],
};

function normalise(name: string): string {
  return name
    .trim()
    .replace(/^"|"$/g, '')
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

function split(line: string, sep: string): string[] {
  const cells = line.split(sep);
  if (!line.includes('"') && !line.includes(' ')) return cells;
  return cells.map((cell) => cell.trim().replace(/^"|"$/g, ''));
}

/** Column index per field from a header row, or null when the row is data (no header). */
function headerColumns(cells: readonly string[]): Record<Field, number> | string | null {
  if (cells.every((c) => c === '' || /^[-+\d.eE:TZ /]+$/.test(c))) return null;
  const names = cells.map(normalise);
  const columns = {} as Record<Field, number>;
  const missing: string[] = [];
  for (const field of Object.keys(SPELLINGS) as Field[]) {
    const i = names.findIndex((n) => SPELLINGS[field].includes(n));
    if (i === -1 && field === 'v') {
      const loose = names.findIndex((n) => n.startsWith('volume'));
      if (loose !== -1) {
        columns.v = loose;
        continue;
      }
    }
    if (i === -1) missing.push(SPELLINGS[field][0]!);
    else columns[field] = i;
  }
  if (missing.length > 0) return `header has no ${missing.join(', ')} column (found: ${cells.join(', ')})`;
  return columns;
}

/** Epoch ms from an ISO-8601 string, `YYYY-MM-DD HH:MM[:SS]` (UTC) or epoch seconds/milliseconds. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export function parseTimestamp(text: string): number | null {
  if (ISO_UTC.test(text)) {
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? ms : null;
  }
  if (/^\d{9,11}(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (/^\d{12,14}$/.test(text)) return Number(text);
  let iso = text;
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) iso = `${text.replace(' ', 'T')}Z`;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(text)) iso = `${text}T00:00:00Z`;
  else if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

function parseNumber(text: string): number | null {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** The most common gap between bars: the file's timeframe. */
export function inferTimeframe(list: readonly Bar[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < list.length; i++) {
    const gap = list[i]!.t - list[i - 1]!.t;
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best = 60_000;
  let bestCount = 0;
  for (const [gap, n] of counts) if (n > bestCount) [best, bestCount] = [gap, n];
  return best;
}

export function parseBarsCsv(text: string, symbol: string, file = 'csv', timeframeMs?: number): Bars {
  const lines = text.split(/\r?\n/);
  const problems: CsvProblem[] = [];
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first === -1) throw new CsvImportError(file, [{ line: 1, message: 'the file is empty' }]);
  const sep = [',', ';', '\t'].reduce((a, b) =>
    lines[first]!.split(b).length > lines[first]!.split(a).length ? b : a,
  );
  const header = headerColumns(split(lines[first]!, sep));
  if (typeof header === 'string') throw new CsvImportError(file, [{ line: first + 1, message: header }]);
  const columns = header ?? { t: 0, o: 1, h: 2, l: 3, c: 4, v: 5 };
  const width = Math.max(...Object.values(columns)) + 1;
  const list: Bar[] = [];
  for (let i = header === null ? first : first + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const cells = split(raw, sep);
    if (cells.length < width) {
      problems.push({ line, message: `expected at least ${width} columns, got ${cells.length}` });
      continue;
    }
    const t = parseTimestamp(cells[columns.t]!);
    if (t === null) {
      problems.push({ line, message: `timestamp ${JSON.stringify(cells[columns.t])} is not a date` });
      continue;
    }
    const values = (['o', 'h', 'l', 'c', 'v'] as const).map((f) => parseNumber(cells[columns[f]]!));
    const bad = values.indexOf(null);
    if (bad !== -1) {
      const f = (['open', 'high', 'low', 'close', 'volume'] as const)[bad]!;
      problems.push({
        line,
        message: `${f} ${JSON.stringify(cells[columns[(['o', 'h', 'l', 'c', 'v'] as const)[bad]!]])} is not a number`,
      });
      continue;
    }
    const [o, h, l, c, v] = values as number[];
    const bar: Bar = { t, o: o!, h: h!, l: l!, c: c!, v: v! };
    const problem = barProblem(bar);
    if (problem !== null) {
      problems.push({ line, message: problem });
      continue;
    }
    const prev = list[list.length - 1];
    if (prev !== undefined && t <= prev.t) {
      problems.push({
        line,
        message: `${new Date(t).toISOString()} is not after the previous row's ${new Date(prev.t).toISOString()} (rows must be in time order, without duplicates)`,
      });
      continue;
    }
    list.push(bar);
  }
  if (problems.length > 0) throw new CsvImportError(file, problems);
  if (list.length === 0)
    throw new CsvImportError(file, [{ line: first + 1, message: 'no bars in the file' }]);
  return barsFromList(symbol, timeframeMs ?? inferTimeframe(list), list);
}
