import { describe, expect, it } from 'vitest';
import { CsvImportError, parseBarsCsv, parseTimestamp } from '../../src/backtest/csv.js';

function problemsOf(text: string) {
  try {
    parseBarsCsv(text, 'BTC/USD');
  } catch (err) {
    if (err instanceof CsvImportError) return err.problems;
    throw err;
  }
  return [];
}

describe('CSV bar import', () => {
  it('reads timestamp, open, high, low, close, volume and infers the timeframe', () => {
    const bars = parseBarsCsv(
      'timestamp,open,high,low,close,volume\n2025-01-01T00:00:00Z,100,101,99,100.5,3\n2025-01-01T00:01:00Z,100.5,102,100,101,2\n',
      'BTC/USD',
    );
    expect(Array.from(bars.t)).toEqual([
      Date.parse('2025-01-01T00:00:00Z'),
      Date.parse('2025-01-01T00:01:00Z'),
    ]);
    expect(Array.from(bars.c)).toEqual([100.5, 101]);
    expect(bars.timeframeMs).toBe(60_000);
  });

  it("accepts Alpaca's t/o/h/l/c/v, exchange exports' spellings, semicolons and column order", () => {
    const alpaca = parseBarsCsv('t,o,h,l,c,v\n1735689600,1,2,0.5,1.5,10\n', 'X/USD');
    expect(alpaca.t[0]).toBe(Date.parse('2025-01-01T00:00:00Z'));
    const exported = parseBarsCsv(
      'Date;Close;High;Low;Open;Volume BTC\n"2025-01-01 00:00:00";1.5;2;0.5;1;10\n"2025-01-01 00:05";1.6;2;0.5;1.5;10\n',
      'X/USD',
    );
    expect(Array.from(exported.o)).toEqual([1, 1.5]);
    expect(exported.timeframeMs).toBe(300_000);
    const ms = parseBarsCsv('open_time,open,high,low,close,volume\n1735689600000,1,2,0.5,1.5,10\n', 'X/USD');
    expect(ms.t[0]).toBe(1735689600000);
  });

  it('reads a file without a header in timestamp, open, high, low, close, volume order', () => {
    const bars = parseBarsCsv('2025-01-01T00:00:00Z,1,2,0.5,1.5,10\n', 'X/USD');
    expect(bars.h[0]).toBe(2);
  });

  it('reports every bad row with its line number and imports nothing', () => {
    const problems = problemsOf(
      [
        'timestamp,open,high,low,close,volume',
        '2025-01-01T00:00:00Z,100,101,99,100,1',
        '2025-01-01T00:01:00Z,100,abc,99,100,1',
        'yesterday,100,101,99,100,1',
        '2025-01-01T00:03:00Z,100,98,99,100,1',
        '2025-01-01T00:03:00Z,100,101,99,100,1',
        '2025-01-01T00:02:00Z,100,101,99,100,1',
        '2025-01-01T00:05:00Z,100,101',
        '2025-01-01T00:06:00Z,-1,101,99,100,1',
      ].join('\n'),
    );
    expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 7, 8, 9]);
    expect(problems[0]!.message).toContain('high "abc" is not a number');
    expect(problems[1]!.message).toContain('"yesterday" is not a date');
    expect(problems[2]!.message).toContain('below low');
    expect(problems[3]!.message).toContain('not after');
  });

  it('refuses a header without a close column, naming what it found', () => {
    expect(problemsOf('time,open,high,low,volume\n')[0]!.message).toMatch(/no close column.*found: time/);
  });

  it('parses ISO-8601 with offsets, zoneless times as UTC, and epoch seconds or milliseconds', () => {
    expect(parseTimestamp('2025-01-01T01:00:00+01:00')).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(parseTimestamp('2025-01-01')).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(parseTimestamp('1735689600')).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(parseTimestamp('2025-01-01T00:00:00')).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(parseTimestamp('01/02/2025 10:00')).toBeNull();
  });
});
