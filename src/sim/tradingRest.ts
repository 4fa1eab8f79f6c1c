/**
 * Trading REST v2: account, orders, positions, assets. Every call is authenticated by the
 * APCA-API-KEY-ID / APCA-API-SECRET-KEY headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeSymbol } from './assets.js';
import type { Engine } from './engine.js';
import { badRequest, injectedFailure, notFound, unprocessable } from './errors.js';
import type { CreationDelay, SimFaults } from './faults.js';
import { type Route, readJson, sendEmpty, sendJson } from './http.js';
import { bareRateLimited, rateLimited } from './rateLimit.js';
import { OPEN_STATUSES, type SimOrder, type SimOrderRequest } from './types.js';
import { accountJson, assetJson, orderJson, positionJson } from './wire.js';

export async function handleTradingRest(
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  engine: Engine,
  faults: SimFaults,
): Promise<void> {
  const { method, path, query } = route;
  if (path === '/v2/account' && method === 'GET') return sendJson(res, 200, accountJson(engine.account()));
  if (path === '/v2/orders' && method === 'POST') return submitOrder(req, res, engine, faults);
  if (path === '/v2/orders' && method === 'GET')
    return sendJson(res, 200, listOrders(engine, query).map(orderJson));
  if (path === '/v2/orders:by_client_order_id' && method === 'GET') {
    const order = engine.getOrderByClientId(query.get('client_order_id') ?? '');
    if (!order) throw notFound('order not found');
    return sendJson(res, 200, orderJson(order));
  }
  const orderId = match(path, '/v2/orders/');
  if (orderId !== null && method === 'GET') {
    const order = engine.getOrderById(orderId);
    if (!order) throw notFound('order not found');
    return sendJson(res, 200, orderJson(order));
  }
  if (orderId !== null && method === 'DELETE') {
    if (!engine.getOrderById(orderId)) throw notFound('order not found');
    // 204 at once; with latencies the order sits in pending_cancel (and may still fill) a while.
    engine.cancel(orderId, { viaRest: true });
    return sendEmpty(res, 204);
  }
  if (path === '/v2/positions' && method === 'GET') {
    return sendJson(
      res,
      200,
      engine.positions().map((p) => positionJson(p, engine.quote(p.symbol), engine.reservedCoin(p.symbol))),
    );
  }
  const positionSymbol = match(path, '/v2/positions/', { strict: true });
  if (positionSymbol !== null && method === 'GET') {
    const symbol = normalizeSymbol(positionSymbol);
    const position = engine.positions().find((p) => p.symbol === symbol || p.assetId === positionSymbol);
    if (!position || faults.takeHiddenPosition(position.symbol)) throw notFound('position does not exist');
    const p = position;
    return sendJson(res, 200, positionJson(p, engine.quote(p.symbol), engine.reservedCoin(p.symbol)));
  }
  if (path === '/v2/assets' && method === 'GET') {
    const cls = query.get('asset_class');
    const assets = cls && cls !== 'crypto' ? [] : [...engine.assets.values()];
    return sendJson(res, 200, assets.map(assetJson));
  }
  const assetSymbol = match(path, '/v2/assets/');
  if (assetSymbol !== null && method === 'GET') {
    const asset =
      engine.assets.get(normalizeSymbol(assetSymbol)) ??
      [...engine.assets.values()].find((a) => a.id === assetSymbol);
    if (!asset) throw notFound('asset not found');
    return sendJson(res, 200, assetJson(asset));
  }
  throw notFound(`endpoint not found: ${method} ${path}`);
}

async function submitOrder(req: IncomingMessage, res: ServerResponse, engine: Engine, faults: SimFaults) {
  const body = await readJson(req);
  const refusal = faults.takeOrderRefusal();
  if (refusal?.status === 429 && refusal.bare) throw bareRateLimited(res);
  if (refusal?.status === 429) throw rateLimited({}, refusal.retryAfterS);
  if (refusal) throw injectedFailure(refusal.status);
  const failure = faults.takeOrderFailure();
  if (failure !== null) throw injectedFailure(failure);
  const request: SimOrderRequest = {
    symbol: String(body.symbol ?? ''),
    side: body.side as 'buy' | 'sell',
    type: body.type as 'market' | 'limit',
    timeInForce: typeof body.time_in_force === 'string' ? body.time_in_force : undefined,
    qty: body.qty as string | undefined,
    notional: body.notional as string | undefined,
    limitPrice: body.limit_price as string | undefined,
    clientOrderId: body.client_order_id as string | undefined,
  };
  const creation = faults.takeCreationDelay();
  if (creation) return submitLater(request, creation, res, engine);
  const order = engine.submit(request);
  const fault = faults.takeOrderResponseFault();
  // The order's life (new, fills) starts once the client has its answer; under a response fault
  // it does not wait for the answer, which is the point of the fault.
  if (fault) engine.activateLater(order.id);
  else res.once('close', () => engine.activateLater(order.id));
  if (fault?.kind === 'hang_up') {
    // The order exists; the client only sees a reset connection (an ambiguous submit).
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === 'delay') await sleep(fault.ms);
  if (!res.destroyed) sendJson(res, 200, orderJson(order));
}

/**
 * A submission the exchange validates now but creates only `ms` later (its order book lags its
 * front door): until then no GET finds the order, whatever the POST was answered.
 */
async function submitLater(
  request: SimOrderRequest,
  delay: CreationDelay,
  res: ServerResponse,
  engine: Engine,
) {
  const draft = engine.draft(request);
  const create = sleep(delay.ms).then(() => {
    // A request that is no longer valid (the cash went elsewhere, the id was reused) is dropped.
    const order = engine.submit({ ...request, clientOrderId: draft.clientOrderId }, { id: draft.id });
    if (delay.answer === 'after' && !res.destroyed) res.once('close', () => engine.activateLater(order.id));
    else engine.activateLater(order.id);
    return order;
  });
  if (delay.answer === 'first') {
    create.catch(() => undefined);
    return sendJson(res, 200, orderJson(draft));
  }
  if (delay.answer === 'hang_up') {
    create.catch(() => undefined);
    res.socket?.destroy();
    return;
  }
  const order = await create;
  if (!res.destroyed) sendJson(res, 200, orderJson(order));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** GET /v2/orders filters: status, limit (≤ 500, default 50), after/until, direction, symbols, side. */
export function listOrders(engine: Engine, query: URLSearchParams): SimOrder[] {
  const status = query.get('status') ?? 'open';
  if (!['open', 'closed', 'all'].includes(status)) throw unprocessable('invalid status');
  const limit = query.has('limit') ? Number(query.get('limit')) : 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw unprocessable('invalid limit');
  const direction = query.get('direction') ?? 'desc';
  if (direction !== 'asc' && direction !== 'desc') throw unprocessable('invalid direction');
  const after = dateParam(query, 'after');
  const until = dateParam(query, 'until');
  const symbols = query
    .getAll('symbols')
    .flatMap((s) => s.split(','))
    .filter(Boolean)
    .map(normalizeSymbol);
  const side = query.get('side');
  let orders = engine.listOrders().filter((o) => {
    const open = OPEN_STATUSES.includes(o.status);
    if (status === 'open' && !open) return false;
    if (status === 'closed' && open) return false;
    if (after && o.createdAt <= after) return false;
    if (until && o.createdAt >= until) return false;
    if (symbols.length > 0 && !symbols.includes(o.symbol)) return false;
    if (side && o.side !== side) return false;
    return true;
  });
  if (direction === 'desc') orders = orders.reverse();
  return orders.slice(0, limit);
}

function dateParam(query: URLSearchParams, name: string): Date | null {
  const raw = query.get(name);
  if (!raw) return null;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw badRequest(`invalid ${name}`);
  return d;
}

/**
 * The rest of `path` after `prefix` (one decoded segment), or null. `strict`: as Alpaca's positions
 * route, a pair symbol must come percent-encoded (`BTC%2FUSD`) or compact (`BTCUSD`); a bare slash
 * makes it another path (404).
 */
function match(path: string, prefix: string, opts: { strict?: boolean } = {}): string | null {
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length);
  if (rest === '' || rest.includes('/')) {
    if (opts.strict) return null;
    // `BTC%2FUSD` decodes to a slash inside the segment; only allow it for a pair symbol.
    const decoded = decodeURIComponent(rest);
    return /^[A-Za-z0-9]+\/[A-Za-z0-9]+$/.test(decoded) ? decoded : null;
  }
  return decodeURIComponent(rest);
}
