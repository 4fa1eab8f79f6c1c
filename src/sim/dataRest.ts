/**
 * Market-data REST: `/v1beta3/crypto/us/latest/quotes` and `/latest/trades`. Alpaca serves crypto
 * data without keys (the SDK sends none for these calls), so keys are checked only when present.
 */
import type { ServerResponse } from 'node:http';
import { normalizeSymbol } from './assets.js';
import type { Engine } from './engine.js';
import { badRequest, notFound } from './errors.js';
import { type Route, sendJson } from './http.js';

export const DATA_REST_PREFIX = '/v1beta3/crypto/';

export function handleDataRest(route: Route, res: ServerResponse, engine: Engine): void {
  const m = /^\/v1beta3\/crypto\/([a-z]+)\/latest\/(quotes|trades)$/.exec(route.path);
  if (!m || route.method !== 'GET') throw notFound(`endpoint not found: ${route.method} ${route.path}`);
  const raw = route.query.get('symbols');
  if (!raw) throw badRequest('missing symbols');
  const symbols = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Crypto data names pairs only as BASE/QUOTE; `BTCUSD` (the positions form) is refused.
  const bad = symbols.find((s) => !/^[A-Z0-9]+\/[A-Z0-9]+$/.test(s));
  if (bad !== undefined) throw badRequest(`invalid symbol: ${bad}`);
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
