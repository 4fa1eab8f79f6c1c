/** The `dca_bars` cache (sql/009_bars.sql): bars by symbol, timeframe and open time, and the fetched spans. */
import type { Bar } from '../backtest/bars.js';
import type { Queryable } from './db.js';
import type { Row } from './rows.js';

const BATCH = 1000;

/** Stores bars (a bar fetched again replaces the stored one: the latest minute may have grown). */
export async function storeBars(
  db: Queryable,
  symbol: string,
  timeframe: string,
  bars: readonly Bar[],
): Promise<void> {
  for (let i = 0; i < bars.length; i += BATCH) {
    const chunk = bars.slice(i, i + BATCH);
    const values = chunk.flatMap((b) => [
      symbol,
      timeframe,
      b.t,
      String(b.o),
      String(b.h),
      String(b.l),
      String(b.c),
      String(b.v),
    ]);
    await db.query(
      `INSERT INTO dca_bars (symbol, timeframe, t, open, high, low, close, volume) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE open = VALUES(open), high = VALUES(high), low = VALUES(low), close = VALUES(close), volume = VALUES(volume)`,
      values,
    );
  }
}

/** Bars with start ≤ t < end, in time order. */
export async function loadStoredBars(
  db: Queryable,
  symbol: string,
  timeframe: string,
  start: number,
  end: number,
): Promise<Bar[]> {
  const [rows] = await db.query(
    'SELECT t, open, high, low, close, volume FROM dca_bars WHERE symbol = ? AND timeframe = ? AND t >= ? AND t < ? ORDER BY t',
    [symbol, timeframe, start, end],
  );
  return (rows as Row[]).map((r) => ({
    t: Number(r['t']),
    o: Number(r['open']),
    h: Number(r['high']),
    l: Number(r['low']),
    c: Number(r['close']),
    v: Number(r['volume']),
  }));
}

export async function fetchedSpans(
  db: Queryable,
  symbol: string,
  timeframe: string,
): Promise<[number, number][]> {
  const [rows] = await db.query(
    'SELECT start_ms, end_ms FROM dca_bar_ranges WHERE symbol = ? AND timeframe = ? ORDER BY start_ms',
    [symbol, timeframe],
  );
  return (rows as Row[]).map((r) => [Number(r['start_ms']), Number(r['end_ms'])]);
}

export async function recordFetchedSpan(
  db: Queryable,
  symbol: string,
  timeframe: string,
  start: number,
  end: number,
): Promise<void> {
  await db.query(
    'INSERT IGNORE INTO dca_bar_ranges (symbol, timeframe, start_ms, end_ms) VALUES (?, ?, ?, ?)',
    [symbol, timeframe, start, end],
  );
}
