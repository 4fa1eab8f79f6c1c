/**
 * The HTTP control surface under `/_sim/`. It takes no keys: the simulator binds to 127.0.0.1 by
 * default and these routes exist for tests, demos and by-hand poking (`curl`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecimalInput } from '../money.js';
import { notFound, unprocessable } from './errors.js';
import type { CreationAnswer, SimFaults, StreamName } from './faults.js';
import { type Route, readJson, sendJson } from './http.js';
import type { Simulator } from './simulator.js';
import type { SimOrderRequest } from './types.js';
import { accountJson, orderJson, positionJson } from './wire.js';

export async function handleControl(route: Route, req: IncomingMessage, res: ServerResponse, sim: Simulator) {
  const { method, path } = route;
  const body = method === 'POST' ? await readJson(req) : {};
  if (path === '/_sim/quotes' && method === 'POST') {
    sim.publishQuote(text(body.symbol, 'symbol'), decimal(body.bid, 'bid'), decimal(body.ask, 'ask'));
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/_sim/orders' && method === 'GET') return sendJson(res, 200, sim.listOrders().map(orderJson));
  if (path === '/_sim/orders' && method === 'POST')
    return sendJson(res, 200, orderJson(sim.placeOrder(orderRequest(body))));
  const action = /^\/_sim\/orders\/([^/]+)\/(cancel|expire)$/.exec(path);
  if (action && method === 'POST') {
    const id = decodeURIComponent(action[1]!);
    return sendJson(res, 200, orderJson(action[2] === 'cancel' ? sim.cancelOrder(id) : sim.expireOrder(id)));
  }
  if (path === '/_sim/positions' && method === 'GET') {
    return sendJson(
      res,
      200,
      sim.positions().map((p) => positionJson(p, undefined)),
    );
  }
  if (path === '/_sim/positions' && method === 'POST') {
    sim.setPosition(
      text(body.symbol, 'symbol'),
      decimal(body.qty, 'qty'),
      decimal(body.avg_entry_price, 'avg_entry_price'),
    );
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/_sim/inject/quote' && method === 'POST') {
    sim.injectStreamQuote(text(body.symbol, 'symbol'), Number(body.bid), Number(body.ask));
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/_sim/inject/trade-update' && method === 'POST') {
    if (typeof body.data !== 'object' || body.data === null) throw unprocessable('data must be an object');
    sim.injectTradeUpdate(body.data as Record<string, unknown>);
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/_sim/account' && method === 'GET') return sendJson(res, 200, accountJson(sim.account()));
  const fault = /^\/_sim\/faults\/([a-z-]+)$/.exec(path);
  if (fault && method === 'POST') return sendJson(res, 200, applyFault(sim.faults, fault[1]!, body));
  throw notFound(`control endpoint not found: ${method} ${path}`);
}

function applyFault(f: SimFaults, name: string, b: Record<string, unknown>): Record<string, unknown> {
  const count = (fallback: number) => (b.count === undefined ? fallback : int(b.count, 'count'));
  switch (name) {
    case 'fail-rest':
      f.failNextRest(count(1), b.status === undefined ? 503 : int(b.status, 'status'), {
        ...(b.retry_after === undefined ? {} : { retryAfterS: int(b.retry_after, 'retry_after') }),
      });
      break;
    case 'refuse-orders':
      // Alpaca's own 429 (code 42910000, rate-limit headers, Retry-After if given), or `bare`: none.
      f.refuseNextOrders(count(1), b.status === undefined ? 429 : int(b.status, 'status'), {
        ...(b.retry_after === undefined ? {} : { retryAfterS: int(b.retry_after, 'retry_after') }),
        ...(b.bare === true ? { bare: true } : {}),
      });
      break;
    case 'fail-orders':
      f.failNextOrders(count(1), b.status === undefined ? 429 : int(b.status, 'status'));
      break;
    case 'delay-orders':
      f.delayNextOrders(int(b.ms, 'ms'), count(1));
      break;
    case 'delay-creation':
      f.delayNextCreations(int(b.ms, 'ms'), count(1), creationAnswer(b.answer));
      break;
    case 'delay-path': {
      const route = text(b.route, 'route');
      const when = b.when === undefined ? 'after' : b.when;
      if (when !== 'before' && when !== 'after') throw unprocessable('when must be "before" or "after"');
      try {
        f.delayPath(route, int(b.ms, 'ms'), { ...(b.count === undefined ? {} : { count: count(1) }), when });
      } catch (err) {
        throw unprocessable((err as Error).message);
      }
      break;
    }
    case 'hang-up-orders':
      f.hangUpNextOrders(count(1));
      break;
    case 'drop-stream':
      return { ok: true, dropped: f.dropStream(stream(b.stream)) };
    case 'refuse-stream':
      f.refuseStream(stream(b.stream), {
        ...(b.ms === undefined ? {} : { ms: int(b.ms, 'ms') }),
        ...(b.attempts === undefined ? {} : { attempts: int(b.attempts, 'attempts') }),
      });
      break;
    case 'refuse-stream-auth':
      f.refuseStreamAuth(stream(b.stream), count(1));
      break;
    case 'refuse-subscriptions':
      f.refuseSubscriptions(count(1));
      break;
    case 'skew-clock': {
      const ms = Number(b.ms);
      if (!Number.isInteger(ms)) throw unprocessable('ms must be an integer (negative: behind)');
      f.skewClock(ms);
      break;
    }
    case 'duplicate-updates':
      f.duplicateTradeUpdates(count(1));
      break;
    case 'reorder-updates':
      f.reorderTradeUpdates(count(2));
      break;
    case 'hide-position':
      f.hidePosition(text(b.symbol, 'symbol'), count(1));
      break;
    case 'hold-orders':
      f.holdOrders();
      break;
    case 'release-orders':
      f.releaseOrders();
      break;
    case 'partial-fills':
      f.setPartialFills(b.ratio === undefined || b.ratio === null ? null : decimal(b.ratio, 'ratio'));
      break;
    case 'reset':
      f.reset();
      break;
    default:
      throw notFound(`unknown fault ${name}`);
  }
  return { ok: true };
}

function orderRequest(b: Record<string, unknown>): SimOrderRequest {
  return {
    symbol: text(b.symbol, 'symbol'),
    side: b.side as 'buy' | 'sell',
    type: (b.type ?? 'market') as 'market' | 'limit',
    timeInForce: typeof b.time_in_force === 'string' ? b.time_in_force : 'gtc',
    qty: b.qty as DecimalInput | undefined,
    notional: b.notional as DecimalInput | undefined,
    limitPrice: b.limit_price as DecimalInput | undefined,
    clientOrderId: b.client_order_id as string | undefined,
    fillRatio: b.fill_ratio as DecimalInput | undefined,
  };
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw unprocessable(`${field} is required`);
  return v;
}

function decimal(v: unknown, field: string): DecimalInput {
  if (typeof v !== 'string' && typeof v !== 'number')
    throw unprocessable(`${field} must be a decimal string`);
  return v;
}

function int(v: unknown, field: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw unprocessable(`${field} must be a non-negative integer`);
  return n;
}

function creationAnswer(v: unknown): CreationAnswer {
  if (v === undefined) return 'first';
  if (v !== 'first' && v !== 'after' && v !== 'hang_up')
    throw unprocessable('answer must be "first", "after" or "hang_up"');
  return v;
}

function stream(v: unknown): StreamName {
  if (v !== 'trading' && v !== 'data') throw unprocessable(`stream must be "trading" or "data"`);
  return v;
}
