/** Column readers: DECIMAL strings become Decimals and DATETIME/TIMESTAMP become Dates, once, here. */
import { DcaError } from '../errors.js';
import { type Decimal, dec, decOrNull } from '../money.js';

export type Row = Record<string, unknown>;

export function num(row: Row, column: string): number {
  const n = Number(row[column]);
  if (!Number.isFinite(n)) throw invalid(column, row[column]);
  return n;
}

export function decimal(row: Row, column: string): Decimal {
  return dec(String(row[column]), column);
}

export function decimalOrNull(row: Row, column: string): Decimal | null {
  const v = row[column];
  return decOrNull(v === null || v === undefined ? null : String(v), column);
}

export function text(row: Row, column: string): string {
  return String(row[column]);
}

export function textOrNull(row: Row, column: string): string | null {
  const v = row[column];
  return v === null || v === undefined ? null : String(v);
}

export function date(row: Row, column: string): Date {
  const v = row[column];
  if (!(v instanceof Date)) throw invalid(column, v);
  return v;
}

export function dateOrNull(row: Row, column: string): Date | null {
  const v = row[column];
  return v === null || v === undefined ? null : date(row, column);
}

function invalid(column: string, value: unknown): DcaError {
  return new DcaError('INVARIANT', `unexpected value in column ${column}: ${JSON.stringify(value)}`);
}
