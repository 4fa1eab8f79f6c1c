/** Small node:http helpers: JSON bodies in and out, and Alpaca's error envelope. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, SimApiError } from './errors.js';

const MAX_BODY = 1 << 20;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw badRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new TypeError('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw badRequest('request body format is invalid');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof SimApiError) {
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    sendJson(res, err.status, err.toBody());
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  sendJson(res, 500, { code: 50010000, message: `internal error: ${message}` });
}

/** A request, parsed once: method, path (decoded segments) and query. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
}

export function parseRoute(req: IncomingMessage): Route {
  const url = new URL(req.url ?? '/', 'http://sim.local');
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams };
}
