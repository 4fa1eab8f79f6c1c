/**
 * One node:http server for everything: trading REST, market-data REST, the control surface, and
 * both websockets (routed by path on upgrade).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { hostAllowed } from '../dashboard/auth.js';
import type { BarBook } from './barBook.js';
import { handleControl } from './control.js';
import { DATA_REST_PREFIX, handleDataRest } from './dataRest.js';
import type { DataStreamServer } from './dataStream.js';
import type { Engine } from './engine.js';
import { injectedFailure, SimApiError, unauthorized } from './errors.js';
import type { SimFaults } from './faults.js';
import { parseRoute, sendError } from './http.js';
import { idleConnections, type SimKeepAlive } from './keepAlive.js';
import { bareRateLimited, type RateLimiter, rateLimited } from './rateLimit.js';
import type { Simulator } from './simulator.js';
import { handleTradingRest } from './tradingRest.js';
import type { Keys, TradingStreamServer } from './tradingStream.js';

export const TRADING_STREAM_PATH = '/stream';
export const DATA_STREAM_PATH = '/v1beta3/crypto/us';

export interface ServerParts {
  readonly keys: Keys;
  /** The address the server is bound to (the control surface checks Host against it). */
  readonly host: string;
  readonly rateLimiter: RateLimiter;
  readonly engine: Engine;
  readonly bars: BarBook;
  readonly faults: SimFaults;
  readonly tradingStream: TradingStreamServer;
  readonly dataStream: DataStreamServer;
  /** Resolved lazily: the control routes act on the public facade. */
  readonly simulator: () => Simulator;
  /** Idle keep-alive connections (keepAlive.ts); unset: Node's own handling. */
  readonly keepAlive?: SimKeepAlive;
}

export function createSimServer(parts: ServerParts): Server {
  const server = createServer((req, res) => {
    if (!idle.admit(req, res)) return;
    handleRequest(req, res, parts).catch((err) => sendError(res, err));
  });
  const idle = idleConnections(server, parts.keepAlive);
  server.on('upgrade', (req, socket, head) => handleUpgrade(req, socket, head, parts));
  return server;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, p: ServerParts): Promise<void> {
  // Alpaca names every response; the SDK keeps the id on its errors (`requestId`).
  res.setHeader('X-Request-ID', randomUUID().replace(/-/g, ''));
  const skew = p.faults.clockOffsetMs;
  if (skew !== 0) res.setHeader('Date', new Date(Date.now() + skew).toUTCString());
  const route = parseRoute(req);
  if (route.path.startsWith('/_sim/')) {
    guardControl(req, p.host);
    return handleControl(route, req, res, p.simulator());
  }
  const isData = route.path.startsWith(DATA_REST_PREFIX);
  const keyId = req.headers['apca-api-key-id'];
  const secret = req.headers['apca-api-secret-key'];
  // Crypto data is public on Alpaca (the SDK sends no keys there); keys, when sent, must be right.
  const keysRequired = !isData || keyId !== undefined || secret !== undefined;
  if (keysRequired && (keyId !== p.keys.keyId || secret !== p.keys.secretKey)) throw unauthorized();
  // Trading and market data are budgeted apart, per key (keyless data calls share one budget).
  const limit = p.rateLimiter.take(`${isData ? 'data' : 'trading'}:${String(keyId ?? '')}`);
  for (const [name, value] of Object.entries(limit.headers)) res.setHeader(name, value);
  if (!limit.allowed) throw rateLimited(limit.headers);
  const failure = p.faults.takeRestFailure();
  if (failure?.status === 429 && failure.bare) throw bareRateLimited(res);
  if (failure?.status === 429) throw rateLimited(limit.headers, failure.retryAfterS);
  if (failure) throw injectedFailure(failure.status);
  const delay = p.faults.takePathDelay(route.method, rawPath(req));
  if (delay?.when === 'before') await new Promise((r) => setTimeout(r, delay.ms));
  if (delay?.when === 'after') deferEnd(res, delay.ms);
  if (isData) return handleDataRest(route, res, p.engine, p.bars);
  return handleTradingRest(route, req, res, p.engine, p.faults);
}

/**
 * The control surface takes no keys, so it must not be reachable from a web page: the Host must be
 * a loopback name (as the dashboard's; a DNS-rebinding page sends its own host name), and a request
 * with a body must say `Content-Type: application/json` (a page's simple, preflight-free POST can
 * only send text/plain or form types).
 */
function guardControl(req: IncomingMessage, boundHost: string): void {
  if (!hostAllowed(req, boundHost)) throw new SimApiError(403, 40300000, 'unexpected Host header');
  if (req.method === 'GET' || req.method === 'HEAD') return;
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== 'application/json')
    throw new SimApiError(415, 41500000, 'control requests with a body must be application/json');
}

/** The request path as sent, still percent-encoded (what a route pattern is written against). */
function rawPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Holds the response back for `ms`: the answer is what the state was now, delivered late. */
function deferEnd(res: ServerResponse, ms: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    setTimeout(() => {
      if (!res.destroyed) end(...args);
    }, ms);
    return res;
  }) as ServerResponse['end'];
}

function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, p: ServerParts): void {
  const path = parseRoute(req).path;
  const stream = path === TRADING_STREAM_PATH ? 'trading' : path === DATA_STREAM_PATH ? 'data' : null;
  if (stream === null) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  if (p.faults.takeStreamRefusal(stream)) {
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  if (stream === 'trading') p.tradingStream.handleUpgrade(req, socket, head);
  else p.dataStream.handleUpgrade(req, socket, head);
}
