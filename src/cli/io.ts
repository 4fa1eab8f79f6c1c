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

/**
 * The command line itself is wrong (unknown command, missing argument, bad flag): exit 2. A bad
 * flag is `brief`: its one line names the closest flag and `--help`, without the whole usage.
 */
export class UsageError extends Error {
  readonly brief: boolean;
  constructor(
    message: string,
    readonly usage: string,
    opts: { readonly brief?: boolean } = {},
  ) {
    super(message);
    this.name = 'UsageError';
    this.brief = opts.brief ?? false;
  }
}

/** The request was understood and refused (invalid values, unknown asset, duplicate): exit 1. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

export function println(io: CliIo, line = ''): void {
  io.stdout.write(`${line}\n`);
}

/** JSON for scripts: Decimals become plain strings (never floats), Dates ISO-8601. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
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
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map((r) => line(headers.map((_, i) => r[i] || '-')))].join('\n');
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
