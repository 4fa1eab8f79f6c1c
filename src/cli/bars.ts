/**
 * `dca-bot bars fetch <SYMBOL> --from DATE --to DATE [--timeframe 1Min]`: fills the `dca_bars` cache
 * from the exchange's historical bars (crypto bars need no keys) through the project's exchange
 * layer and its REST budget (DCA_REST_PER_MINUTE), with a progress bar. The backtest uses the same
 * path for `--from/--to`, so it fetches what it lacks itself.
 */
import { cachedBars, fetchMissingBars } from '../backtest/barCache.js';
import type { Bars } from '../backtest/bars.js';
import { TIMEFRAMES, timeframeMs } from '../backtest/bars.js';
import { parseTimestamp } from '../backtest/csv.js';
import { loadMarketDataConfig } from '../config.js';
import { createExchange } from '../exchange/client.js';
import type { Exchange } from '../exchange/types.js';
import type { Pool } from '../store/db.js';
import { parseCommand, positionals } from './args.js';
import { withPool } from './db.js';
import { type CliIo, EXIT_OK, println, RefusedError, UsageError } from './io.js';
import { progressBar } from './progress.js';

export const BARS_USAGE = `usage: dca-bot bars fetch <SYMBOL> --from <date> --to <date> [--timeframe 1Min]
  --from <date>       first bar (2025-01-01 or an ISO-8601 time, UTC)
  --to <date>         last day included (2025-12-31), or an exact end time
  --timeframe <tf>    ${Object.keys(TIMEFRAMES).join(', ')} (default 1Min)
bars go to the dca_bars table; spans already fetched are not asked for again
settings: DB_*; APCA_API_DATA_URL (default https://data.alpaca.markets), DCA_REST_PER_MINUTE, DCA_REST_BURST`;

const DAY = 86_400_000;

export interface Period {
  readonly from: number;
  readonly to: number;
  readonly timeframe: string;
}

/** --from/--to/--timeframe; a date-only --to includes that whole day. */
export function periodOf(
  from: string | undefined,
  to: string | undefined,
  timeframe: string | undefined,
): Period {
  if (from === undefined || to === undefined) throw new RefusedError('refused: give both --from and --to');
  const f = parseTimestamp(from);
  const t = parseTimestamp(to);
  if (f === null) throw new RefusedError(`refused: --from ${JSON.stringify(from)} is not a date`);
  if (t === null) throw new RefusedError(`refused: --to ${JSON.stringify(to)} is not a date`);
  const end = /^\d{4}-\d{2}-\d{2}$/.test(to) ? t + DAY : t;
  if (end <= f) throw new RefusedError('refused: --to must be after --from');
  const tf = timeframe ?? '1Min';
  requireTimeframe(tf);
  return { from: f, to: end, timeframe: tf };
}

/** The timeframe's length in ms; a name Alpaca does not use is refused. */
export function requireTimeframe(timeframe: string): number {
  const ms = timeframeMs(timeframe);
  if (ms === null) {
    throw new RefusedError(
      `refused: --timeframe expects one of ${Object.keys(TIMEFRAMES).join(', ')}, got ${JSON.stringify(timeframe)}`,
    );
  }
  return ms;
}

/**
 * The market-data client, built as the bot builds its exchange (createExchange: every request behind
 * the REST budget) from the bot's own settings; crypto bars need no keys. A bad value is a
 * ConfigError (exit 2) before the database or the exchange is asked anything.
 */
function dataExchange(io: CliIo): Exchange {
  const config = loadMarketDataConfig(io.env);
  return createExchange(config.alpaca, { requestTimeoutMs: 30_000, budget: config.restBudget }).exchange;
}

function fetchInto(
  pool: Pool,
  exchange: Exchange,
  io: CliIo,
  symbol: string,
  period: Period,
): Promise<number> {
  return fetchMissingBars(pool, exchange, {
    symbol,
    ...period,
    onProgress: progressBar(io, `bars ${symbol} ${period.timeframe}`),
  });
}

/** The period's bars from the cache, after fetching what it lacks. */
export async function periodBars(io: CliIo, symbol: string, period: Period): Promise<Bars> {
  const exchange = dataExchange(io);
  return withPool(io, async (pool) => {
    await fetchInto(pool, exchange, io, symbol, period);
    const bars = await cachedBars(pool, symbol, period.timeframe, period.from, period.to);
    if (bars.t.length === 0)
      throw new RefusedError(
        `refused: the exchange has no ${period.timeframe} bars for ${symbol} in that period`,
      );
    return bars;
  });
}

export async function barsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    println(io, BARS_USAGE);
    return EXIT_OK;
  }
  if (sub !== 'fetch')
    throw new UsageError(
      sub === undefined ? 'missing bars command' : `unknown bars command ${JSON.stringify(sub)}`,
      BARS_USAGE,
    );
  const options = {
    from: { type: 'string' as const },
    to: { type: 'string' as const },
    timeframe: { type: 'string' as const },
  };
  const parsed = parseCommand(rest, options, BARS_USAGE, io);
  if (parsed === null) return EXIT_OK;
  const [raw = ''] = positionals(parsed, ['SYMBOL'], BARS_USAGE);
  const symbol = raw.trim().toUpperCase();
  const v = (k: string) =>
    typeof parsed.values[k] === 'string' ? (parsed.values[k] as string).trim() : undefined;
  const period = periodOf(v('from'), v('to'), v('timeframe'));
  const exchange = dataExchange(io);
  return withPool(io, async (pool) => {
    const fetched = await fetchInto(pool, exchange, io, symbol, period);
    const stored = await cachedBars(pool, symbol, period.timeframe, period.from, period.to);
    println(
      io,
      `${symbol} ${period.timeframe}: fetched ${fetched} bars; ${stored.t.length} cached for ${new Date(period.from).toISOString()} → ${new Date(period.to).toISOString()}`,
    );
    return EXIT_OK;
  });
}
