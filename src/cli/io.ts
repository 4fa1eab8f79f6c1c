/**
 * What every command shares: the injected streams and environment, the two ways a command says no
 * (a usage error, exit 2; a refusal, exit 1), and the two output forms (an aligned table for people,
 * JSON with decimals as strings for scripts).
 */
import { Decimal } from '../money.js';

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

/** The command line itself is wrong (unknown command, missing argument, bad flag): exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The request was understood and refused (invalid values, unknown asset, duplicate): exit 1. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/**
 * Control characters (C0 but the newline, DEL, C1) and bidirectional overrides, shown as `\u001b`
 * and the like: a value from the database (an asset symbol holding terminal escape codes) must
 * never reach the operator's terminal raw, where it could rewrite the screen or hide a line.
 */
function unprintable(code: number): boolean {
  return (
    (code <= 0x1f && code !== 0x0a) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** `text` with every control character escaped; safe to print on a terminal. */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += unprintable(code) ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}

/** One line of text output for people; every control character in it is escaped. */
export function println(io: CliIo, line = ''): void {
  io.stdout.write(`${printable(line)}\n`);
}

/** A message on stderr (errors quote values from the database too), escaped like println. */
export function eprintln(io: CliIo, line: string): void {
  io.stderr.write(`${printable(line)}\n`);
}

/** JSON for scripts: Decimals become plain strings (never floats), Dates ISO-8601. */
export function printJson(io: CliIo, value: unknown): void {
  // JSON.stringify escapes C0 controls but leaves DEL, C1 and bidi overrides raw; \uXXXX is valid JSON.
  io.stdout.write(`${printable(JSON.stringify(value, jsonReplacer, 2))}\n`);
}

function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify calls Decimal#toJSON before the replacer sees it, so read the holder's raw value.
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Decimal) return raw.toFixed();
  return value;
}

export type Align = 'left' | 'right';

/** A small aligned table: header row, then one line per row; `-` for empty cells. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  // Escaped before measuring, so a cell with escape codes neither misaligns the table nor runs raw.
  const cells = rows.map((r) => r.map((cell) => printable(cell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map((r) => line(headers.map((_, i) => r[i] || '-')))].join('\n');
}

/** A decimal for a table cell: plain notation, no trailing zeros. */
export function plain(value: Decimal | null): string {
  return value === null ? '-' : value.toFixed();
}

/** A price for a table cell: at most `places` decimals, so long averages stay readable. */
export function price(value: Decimal | null, places = 8): string {
  return value === null ? '-' : value.toDecimalPlaces(places).toFixed();
}

export function isoOrDash(value: Date | null): string {
  return value === null ? '-' : value.toISOString().replace('.000Z', 'Z');
}
