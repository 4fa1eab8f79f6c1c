/**
 * One node:http server for everything: trading REST, market-data REST, the control surface, and
 * both websockets (routed by path on upgrade).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { handleControl } from './control.js';
import { DATA_REST_PREFIX, handleDataRest } from './dataRest.js';
import type { DataStreamServer } from './dataStream.js';
import type { Engine } from './engine.js';
import { injectedFailure, unauthorized } from './errors.js';
import type { SimFaults } from './faults.js';
import { parseRoute, sendError } from './http.js';
import type { Simulator } from './simulator.js';
import { handleTradingRest } from './tradingRest.js';
import type { Keys, TradingStreamServer } from './tradingStream.js';

export const TRADING_STREAM_PATH = '/stream';
export const DATA_STREAM_PATH = '/v1beta3/crypto/us';

export interface ServerParts {
  readonly keys: Keys;
  readonly engine: Engine;
  readonly faults: SimFaults;
  readonly tradingStream: TradingStreamServer;
  readonly dataStream: DataStreamServer;
  /** Resolved lazily: the control routes act on the public facade. */
  readonly simulator: () => Simulator;
}

export function createSimServer(parts: ServerParts): Server {
  const server = createServer((req, res) => {
    handleRequest(req, res, parts).catch((err) => sendError(res, err));
  });
  server.on('upgrade', (req, socket, head) => handleUpgrade(req, socket, head, parts));
  return server;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, p: ServerParts): Promise<void> {
  const route = parseRoute(req);
  if (route.path.startsWith('/_sim/')) return handleControl(route, req, res, p.simulator());
  const isData = route.path.startsWith(DATA_REST_PREFIX);
  const keyId = req.headers['apca-api-key-id'];
  const secret = req.headers['apca-api-secret-key'];
  // Crypto data is public on Alpaca (the SDK sends no keys there); keys, when sent, must be right.
  const keysRequired = !isData || keyId !== undefined || secret !== undefined;
  if (keysRequired && (keyId !== p.keys.keyId || secret !== p.keys.secretKey)) throw unauthorized();
  const failure = p.faults.takeRestFailure();
  if (failure !== null) throw injectedFailure(failure.status, failure.retryAfterS);
  if (isData) return handleDataRest(route, res, p.engine);
  return handleTradingRest(route, req, res, p.engine, p.faults);
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
