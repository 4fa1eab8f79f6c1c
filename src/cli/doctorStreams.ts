/**
 * The doctor's websocket checks: trade_updates and the crypto quotes, opened as the bot opens them
 * (streams.ts: connected means authenticated and the subscription acknowledged), then closed. The
 * quote stream subscribes to every enabled asset and waits for the first quote of each.
 */
import type { Exchange, QuoteTick, StreamHandle } from '../exchange/types.js';
import { type CheckResult, type DoctorReport, fail, ok, warn } from './doctorReport.js';

export interface StreamTimings {
  /** How long each websocket may take to connect, authenticate and subscribe. */
  readonly connectMs: number;
  /** How long after the subscription the first quote of every asset may take. */
  readonly firstQuoteMs: number;
}

export const DEFAULT_STREAM_TIMINGS: StreamTimings = { connectMs: 10_000, firstQuoteMs: 5_000 };

/** Both websockets, opened as the bot opens them (streams.ts), then closed. */
export async function checkStreams(
  exchange: Exchange,
  symbols: readonly string[],
  timings: StreamTimings,
  lockHeldBy: string | null,
  report: DoctorReport,
): Promise<void> {
  const busy =
    lockHeldBy === null
      ? ''
      : ` (a bot is running on this database, ${lockHeldBy}: it may hold the account's data connections; stop it and run doctor again)`;
  const [trade, quotes] = await Promise.all([
    tradeUpdatesCheck(exchange, timings),
    quotesCheck(exchange, symbols, timings),
  ]);
  for (const result of [trade, quotes])
    report.add(result.status === 'fail' && busy !== '' ? { ...result, fix: `${result.fix}${busy}` } : result);
}

function openUntil<T>(
  open: (h: { resolve: (v: T) => void }) => StreamHandle,
  timeoutMs: number,
  onTimeout: () => T,
): Promise<T> {
  return new Promise<T>((resolve) => {
    let handle: StreamHandle | null = null;
    let done = false;
    const finish = (value: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void handle?.close();
      resolve(value);
    };
    const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
    handle = open({ resolve: finish });
    if (done) void handle.close();
  });
}

const STREAM_FIX =
  'check APCA_API_STREAM_URL / APCA_API_DATA_STREAM_URL and that the keys may stream (Alpaca allows one data connection per key on the basic plan)';

async function tradeUpdatesCheck(exchange: Exchange, timings: StreamTimings): Promise<CheckResult> {
  const started = performance.now();
  const name = 'trade_updates';
  return openUntil<CheckResult>(
    ({ resolve }) =>
      exchange.tradeUpdates({
        onMessage: () => undefined,
        onConnected: () => {
          const ms = Math.round(performance.now() - started);
          resolve(ok(name, `connected, authenticated and listening (${ms} ms)`, { ms }));
        },
        onError: (err) => resolve(fail(name, `refused: ${err.message}`, STREAM_FIX)),
      }),
    timings.connectMs,
    () => fail(name, `not listening after ${timings.connectMs / 1000} s`, STREAM_FIX),
  );
}

async function quotesCheck(
  exchange: Exchange,
  symbols: readonly string[],
  timings: StreamTimings,
): Promise<CheckResult> {
  const name = 'quote stream';
  const started = performance.now();
  const first = new Map<string, number>();
  let subscribedAt: number | null = null;
  let quoteTimer: NodeJS.Timeout | null = null;
  const verdict = (): CheckResult => {
    const connectMs = Math.round((subscribedAt ?? performance.now()) - started);
    const missing = symbols.filter((s) => !first.has(s));
    const slowest = Math.max(0, ...first.values());
    const data = { connectMs, firstQuoteMs: Object.fromEntries(first) };
    const subscribed = `connected, authenticated, subscribed to ${symbols.length} asset(s) (${connectMs} ms)`;
    if (missing.length === 0) return ok(name, `${subscribed}; a quote for each within ${slowest} ms`, data);
    const none = `no quote for ${missing.join(', ')} within ${timings.firstQuoteMs / 1000} s`;
    const fix = 'check that the pair trades on this feed; the bot buys nothing without quotes';
    return first.size === 0
      ? fail(name, `${subscribed}; ${none}`, fix, data)
      : warn(name, `${subscribed}; ${none}`, fix, data);
  };
  const result = await openUntil<CheckResult>(
    ({ resolve }) =>
      exchange.quotes(symbols, {
        onMessage: (q: QuoteTick) => {
          if (subscribedAt === null || first.has(q.symbol) || !symbols.includes(q.symbol)) return;
          first.set(q.symbol, Math.round(performance.now() - subscribedAt));
          if (first.size === symbols.length) resolve(verdict());
        },
        onConnected: () => {
          subscribedAt = performance.now();
          if (symbols.length === 0) {
            resolve(ok(name, 'connected and authenticated; no enabled asset to subscribe to'));
            return;
          }
          quoteTimer = setTimeout(() => resolve(verdict()), timings.firstQuoteMs);
        },
        onError: (err) => resolve(fail(name, `refused: ${err.message}`, STREAM_FIX)),
      }),
    timings.connectMs + timings.firstQuoteMs,
    () =>
      subscribedAt === null
        ? fail(name, `not subscribed after ${timings.connectMs / 1000} s`, STREAM_FIX)
        : verdict(),
  );
  if (quoteTimer !== null) clearTimeout(quoteTimer);
  return result;
}
