/**
 * The SDK's `fetchApi`: node:http(s) on a keep-alive Agent instead of the global fetch. The order
 * POST leaves on a connection already open (no TCP or TLS handshake in front of it) and skips
 * undici's WHATWG request/stream machinery; the SDK stays in charge of everything else, so its
 * timeouts (the AbortSignal it passes) and its error classification are unchanged:
 * - a transport failure rejects with the socket's error, whose `code` (ECONNREFUSED, ECONNRESET, …)
 *   is where `errors.ts` looks for it, as in undici's `TypeError: fetch failed` cause;
 * - the SDK's deadline aborts the signal, which destroys the request with an AbortError, as fetch
 *   rejects; a response cut before its end rejects too (ECONNRESET), never resolves half a body.
 * No `Accept-Encoding` is sent, so bodies arrive uncompressed, as fetch would hand them over.
 *
 * An idle connection is retired before the server ends it (architecture §6): a request written on a
 * connection the server has just closed, or that a load balancer has forgotten, is reset, and for a
 * POST that means an order that may or may not exist. The agent's `timeout` closes a free socket
 * idle for `idleTimeoutMs` (default 4 s, as undici, the global fetch: below the 5 s of a Node
 * server, far below a load balancer's minute), and with it set Node also honours a server's shorter
 * `Keep-Alive: timeout=N`, retiring the socket a second before N (Node 20 ignores the header on an
 * agent without a timeout). Nothing is sent again from here: a POST is never retried, and a GET is
 * retried by the REST budget (budget.ts), through its bucket, or by the SDK where there is none.
 */
import http from 'node:http';
import https from 'node:https';

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** Statuses a Response may not carry a body with. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** How long an idle connection waits for the next request before it is closed. */
export const DEFAULT_IDLE_SOCKET_MS = 4_000;

export interface KeepAliveFetchOptions {
  /** Connections per host, default 16. */
  readonly maxSockets?: number;
  /** Default `DEFAULT_IDLE_SOCKET_MS`; a server's shorter `Keep-Alive: timeout` wins. */
  readonly idleTimeoutMs?: number;
}

export function keepAliveFetch(opts: KeepAliveFetchOptions = {}): Fetch {
  const agentOptions = {
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 16,
    // Most recently used first: the sockets left over after a burst go idle and are retired.
    scheduling: 'lifo' as const,
    timeout: opts.idleTimeoutMs ?? DEFAULT_IDLE_SOCKET_MS,
  };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const body = bodyOf(init.body);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => {
        headers[key] = value;
      });
      if (body !== undefined) headers['content-length'] = String(body.byteLength);
      const req = (secure ? https : http).request(
        target,
        {
          method: init.method ?? 'GET',
          headers,
          agent: secure ? agents.https : agents.http,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let ended = false;
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            ended = true;
            const status = res.statusCode ?? 0;
            const response = new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
              status,
              statusText: res.statusMessage ?? '',
              headers: headersOf(res.rawHeaders),
            });
            Object.defineProperty(response, 'url', { value: target.href });
            resolve(response);
          });
          res.on('close', () => {
            if (!ended)
              reject(Object.assign(new Error('response closed before its end'), { code: 'ECONNRESET' }));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

function bodyOf(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('keepAliveFetch sends string, URLSearchParams or byte bodies only');
}

function headersOf(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/** One agent per process: every REST call of the bot shares its open connections. */
export const sharedKeepAliveFetch: Fetch = keepAliveFetch();
