/**
 * Market-data REST: `/v1beta3/crypto/us/latest/quotes`, `/latest/trades` and `/bars` (historical
 * bars, paginated with `next_page_token` as Alpaca's). Alpaca serves crypto data without keys (the
 * SDK sends none for these calls), so keys are checked only when present.
 */
import type { ServerResponse } from 'node:http';
import { normalizeSymbol } from './assets.js';
import type { BarBook } from './barBook.js';
import type { Engine } from './engine.js';
import { badRequest, notFound } from './errors.js';
import { type Route, sendJson } from './http.js';

export const DATA_REST_PREFIX = '/v1beta3/crypto/';

export function handleDataRest(route: Route, res: ServerResponse, engine: Engine, bars: BarBook): void {
  if (route.path === '/v1beta3/crypto/us/bars' && route.method === 'GET') {
    sendJson(res, 200, barsPage(route, bars));
    return;
  }
  const m = /^\/v1beta3\/crypto\/([a-z]+)\/latest\/(quotes|trades)$/.exec(route.path);
  if (!m || route.method !== 'GET') throw notFound(`endpoint not found: ${route.method} ${route.path}`);
  const raw = route.query.get('symbols');
  if (!raw) throw badRequest('missing symbols');
  const symbols = symbolList(raw);
  if (m[2] === 'quotes') {
    const quotes: Record<string, unknown> = {};
    for (const s of symbols) {
      const q = engine.quote(normalizeSymbol(s));
      if (q) {
        quotes[s] = {
          ap: q.ask.toNumber(),
          as: q.askSize.toNumber(),
          bp: q.bid.toNumber(),
          bs: q.bidSize.toNumber(),
          t: q.at.toISOString(),
        };
      }
    }
    sendJson(res, 200, { quotes });
    return;
  }
  const trades: Record<string, unknown> = {};
  for (const s of symbols) {
    const t = engine.latestTrade(normalizeSymbol(s));
    if (t) {
      trades[s] = {
        i: t.id,
        p: t.price.toNumber(),
        s: t.size.toNumber(),
        t: t.at.toISOString(),
        tks: t.takerSide,
      };
    }
  }
  sendJson(res, 200, { trades });
}

/** The `symbols` parameter's pairs. Crypto data names pairs only as BASE/QUOTE; `BTCUSD` (the positions form) is refused. */
function symbolList(raw: string): string[] {
  const symbols = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = symbols.find((s) => !/^[A-Z0-9]+\/[A-Z0-9]+$/.test(s));
  if (bad !== undefined) throw badRequest(`invalid symbol: ${bad}`);
  return symbols;
}

/** Alpaca's bar timeframes: 1-59 `Min` (or `T`), 1-23 `Hour` (or `H`), `1Day` (or `1D`). */
function frameMs(timeframe: string): number | null {
  const m = /^(\d+)(Min|T|Hour|H|Day|D)$/.exec(timeframe);
  if (!m) return null;
  const n = Number(m[1]);
  const [unit, max] = {
    Min: [60_000, 59],
    T: [60_000, 59],
    Hour: [3_600_000, 23],
    H: [3_600_000, 23],
    Day: [86_400_000, 1],
    D: [86_400_000, 1],
  }[m[2]!]!;
  return n >= 1 && n <= max! ? n * unit! : null;
}

function timeParam(route: Route, name: string, fallback: number): number {
  const raw = route.query.get(name);
  if (raw === null || raw === '') return fallback;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw badRequest(`invalid ${name}: ${raw}`);
  return ms;
}

const BARS_PAGE_DEFAULT = 1000;
const BARS_PAGE_MAX = 10_000;

/**
 * One page of bars. Symbols are paged in the order asked, each in time order; the token names where
 * the next page resumes (symbol index and bar time), opaque to the client as Alpaca's is.
 */
function barsPage(route: Route, book: BarBook): Record<string, unknown> {
  const symbols = symbolList(route.query.get('symbols') ?? '');
  if (symbols.length === 0) throw badRequest('missing symbols');
  const frame = frameMs(route.query.get('timeframe') ?? '');
  if (frame === null) throw badRequest(`invalid timeframe: ${route.query.get('timeframe') ?? ''}`);
  const start = timeParam(route, 'start', 0);
  const end = timeParam(route, 'end', Date.now());
  const limitRaw = route.query.get('limit');
  const limit = limitRaw === null ? BARS_PAGE_DEFAULT : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > BARS_PAGE_MAX)
    throw badRequest(`invalid limit: ${limitRaw}`);
  let from = { symbol: 0, t: start };
  const token = route.query.get('page_token');
  if (token) {
    const [i, t] = Buffer.from(token, 'base64url').toString().split(':').map(Number);
    if (!Number.isInteger(i) || !Number.isFinite(t)) throw badRequest('invalid page_token');
    from = { symbol: i!, t: t! };
  }
  const out: Record<string, unknown[]> = {};
  let left = limit;
  let next: string | null = null;
  for (let i = from.symbol; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    const bars = book.bars(normalizeSymbol(symbol), frame, i === from.symbol ? from.t : start, end + 1);
    const page = bars.slice(0, left);
    if (page.length > 0)
      out[symbol] = page.map((b) => ({
        t: new Date(b.t).toISOString(),
        o: b.o,
        h: b.h,
        l: b.l,
        c: b.c,
        v: b.v,
        n: b.n,
        vw: b.c,
      }));
    left -= page.length;
    if (bars.length > page.length) {
      next = Buffer.from(`${i}:${bars[page.length]!.t}`).toString('base64url');
      break;
    }
    if (left === 0 && i + 1 < symbols.length) {
      next = Buffer.from(`${i + 1}:${start}`).toString('base64url');
      break;
    }
  }
  return { bars: out, next_page_token: next };
}
