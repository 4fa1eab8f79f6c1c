/**
 * What `dca-bot doctor` found: one result per check, each `ok`, `warn`, `fail` or `skip` (not run
 * because a check it needs failed), with what was seen and, when it is not ok, the fix. Printed as
 * one line per check for people, or as JSON for scripts.
 */
import { type CliIo, printJson, println } from './io.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable, for scripts: `config`, `keys`, `asset BTC/USD`, `order test`, … */
  readonly name: string;
  readonly status: CheckStatus;
  /** What was checked and seen. */
  readonly detail: string;
  /** What to do about it; null when there is nothing to do. */
  readonly fix: string | null;
  /** Measurements a script may want (round-trip times, skew), in plain numbers or strings. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export const ok = (name: string, detail: string, data?: CheckResult['data']): CheckResult => ({
  name,
  status: 'ok',
  detail,
  fix: null,
  ...(data === undefined ? {} : { data }),
});

export const warn = (name: string, detail: string, fix: string, data?: CheckResult['data']): CheckResult => ({
  name,
  status: 'warn',
  detail,
  fix,
  ...(data === undefined ? {} : { data }),
});

export const fail = (name: string, detail: string, fix: string, data?: CheckResult['data']): CheckResult => ({
  name,
  status: 'fail',
  detail,
  fix,
  ...(data === undefined ? {} : { data }),
});

export const skip = (name: string, why: string): CheckResult => ({
  name,
  status: 'skip',
  detail: why,
  fix: null,
});

/** The results in the order they were found; `add` returns the result so a caller can branch on it. */
export class DoctorReport {
  readonly results: CheckResult[] = [];

  add(result: CheckResult): CheckResult {
    this.results.push(result);
    return result;
  }

  failed(name?: string): boolean {
    return this.results.some((r) => r.status === 'fail' && (name === undefined || r.name === name));
  }

  counts(): Record<CheckStatus, number> {
    const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
    for (const r of this.results) counts[r.status] += 1;
    return counts;
  }
}

const WIDTH = 4;

/** One line per check: `fail  keys: GET /v2/account refused (401) — fix: …`, then a summary line. */
export function printReport(io: CliIo, report: DoctorReport): void {
  for (const r of report.results) {
    const fix = r.fix === null ? '' : ` — fix: ${r.fix}`;
    println(io, `${r.status.padEnd(WIDTH)}  ${r.name}: ${r.detail}${fix}`);
  }
  const c = report.counts();
  const verdict = c.fail > 0 ? 'not ready: fix every fail line first' : 'ready';
  println(io, `doctor: ${c.ok} ok, ${c.warn} warn, ${c.fail} fail, ${c.skip} skipped: ${verdict}`);
}

export function printReportJson(io: CliIo, report: DoctorReport, about: Record<string, unknown>): void {
  printJson(io, { ok: !report.failed(), ...about, counts: report.counts(), checks: report.results });
}
