/**
 * The inspector relay: a small http + websocket server that serves the bridge page (which embeds
 * Stately's inspector) and pushes the bot's inspection events to the pages connected to it. It
 * replaces `@statelyai/inspect/server`, which listens on every interface, accepts any Origin,
 * forwards whatever one client sends to every other client and takes frames of up to 100 MiB.
 *
 * Here the relay is one-way: only the bot (in-process, `broadcast`) speaks; what a page sends is
 * dropped, and a frame above a few KiB closes that page's socket. It binds 127.0.0.1 unless told
 * otherwise, and both the page and the socket live under a random per-run token in the path, so a
 * page elsewhere (or on another site, through DNS rebinding) can neither find nor read them. A
 * socket whose Origin is not the relay's own page is refused, as is a loopback relay asked for by
 * a non-loopback Host. A page that stops reading is dropped instead of buffering without bound.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { isLoopbackHost } from './config.js';
import { hostAllowed } from './dashboard/auth.js';

export interface InspectorRelayOptions {
  /** Interface to bind (DCA_INSPECT_HOST); default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) = a free port. */
  readonly port?: number;
  /** Largest frame a page may send (it has no reason to send any); default 4 KiB. */
  readonly maxClientFrameBytes?: number;
  /** Output queued for one page beyond which that page is dropped; default 16 MiB. */
  readonly maxBufferedBytes?: number;
  /** Pages connected at once; default 8. */
  readonly maxClients?: number;
  /** Messages replayed to a page that connects later; default 200 (what the Stately relay kept). */
  readonly replay?: number;
  readonly logger?: Logger;
  /** Where the bridge page points its iframe (default Stately's hosted inspector). */
  readonly inspectorUrl?: string;
  /** The dashboard, whose own live statechart the page points at when the inspector cannot be reached. */
  readonly dashboardUrl?: string | null;
  /** How long the page waits for the inspector to say it is ready before it says it is unreachable. */
  readonly inspectorTimeoutMs?: number;
}

export interface InspectorRelay {
  /** The bridge page to open in a browser (with the token). */
  readonly pageUrl: string;
  /** The page's websocket (with the token). */
  readonly wsUrl: string;
  /** Where the server actually listens. */
  readonly address: { readonly host: string; readonly port: number };
  /** Sends one serialised event to every connected page (and keeps it for the replay). */
  broadcast(message: string): void;
  readonly clients: number;
  stop(): Promise<void>;
}

const SECURITY_HEADERS = {
  // The token is in the page's path: the embedded inspector must never see it as a Referer.
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

export async function startInspectorRelay(opts: InspectorRelayOptions = {}): Promise<InspectorRelay> {
  const host = opts.host ?? '127.0.0.1';
  const maxBuffered = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
  const maxClients = opts.maxClients ?? 8;
  const replaySize = opts.replay ?? 200;
  const inspectorUrl = opts.inspectorUrl ?? 'https://stately.ai/inspect';
  const log = opts.logger;
  const token = randomBytes(18).toString('base64url');
  const path = `/${token}`;
  const replay: string[] = [];
  const sockets = new Set<Socket>();

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxClientFrameBytes ?? 4096,
    perMessageDeflate: false,
  });
  const server = createServer((req, res) => servePage(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  function servePage(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    if (!hostAllowed(req, host) || url.pathname !== path || req.method !== 'GET') {
      res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; frame-src ${new URL(inspectorUrl).origin}; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'`,
    });
    res.end(bridgeHtml(inspectorUrl, opts.dashboardUrl ?? null, opts.inspectorTimeoutMs ?? 10_000));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal = upgradeRefusal(req);
    if (refusal) {
      log?.warn({ reason: refusal, origin: req.headers.origin }, 'inspector relay refused a websocket');
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onClient(ws));
  });

  function upgradeRefusal(req: IncomingMessage): string | null {
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    if (url.pathname !== path) return 'wrong path';
    if (!hostAllowed(req, host)) return 'unexpected Host header';
    // Browsers always send Origin: it must be this relay's own page. Other clients (no Origin)
    // still needed the token to get this far.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return 'unexpected Origin';
    if (wss.clients.size >= maxClients) return 'too many clients';
    return null;
  }

  function onClient(ws: WebSocket): void {
    // An oversized frame arrives as an error and a 1009 close of this socket only.
    ws.on('error', (err) => log?.warn({ err: err.message }, 'inspector relay client dropped'));
    // One-way: nothing a page sends is relayed, stored or parsed.
    ws.on('message', () => undefined);
    for (const message of replay) send(ws, message);
  }

  function send(ws: WebSocket, message: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      log?.warn({ bufferedBytes: ws.bufferedAmount }, 'inspector relay dropped a page that stopped reading');
      ws.terminate();
      return;
    }
    ws.send(message);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After start-up a server error (there is no other kind for a listening socket) is logged, not thrown.
  server.on('error', (err) => log?.error({ err }, 'inspector relay error'));
  const address = server.address() as AddressInfo;
  const shown = isLoopbackHost(host) || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const origin = `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`;

  return {
    pageUrl: `${origin}${path}`,
    wsUrl: `${origin.replace(/^http/, 'ws')}${path}`,
    address: { host: address.address, port: address.port },
    broadcast(message) {
      replay.push(message);
      if (replay.length > replaySize) replay.shift();
      for (const ws of wss.clients) send(ws, message);
    },
    get clients() {
      return wss.clients.size;
    },
    async stop() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/**
 * The bridge page (as @statelyai/inspect/server's): the inspector in an iframe, fed the relayed
 * events by postMessage once it says it is ready. Its socket is this page's own URL. An inspector
 * that never says it is ready (offline, blocked) would leave a blank frame: the page says so and
 * points at the dashboard's own live statechart instead.
 */
function bridgeHtml(inspectorUrl: string, dashboardUrl: string | null, timeoutMs: number): string {
  const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const pointer = dashboardUrl
    ? `The dashboard draws every asset's cycle machine live: <a id="dashboard-link" href="${html(dashboardUrl)}">${html(dashboardUrl)}</a> (add <code>?token=…</code> when DASHBOARD_TOKEN is set).`
    : 'The dashboard (DASHBOARD_PORT) draws every asset’s cycle machine live, without the internet.';
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>dca-bot · Stately Inspector</title>
  <style>
    * { margin: 0; padding: 0; }
    html, body { height: 100%; }
    iframe { width: 100%; height: 100%; border: none; }
    #offline { position: fixed; top: 0; left: 0; right: 0; padding: 14px 18px; font: 15px/1.5 system-ui, sans-serif;
      background: #fff3d6; border-bottom: 1px solid #f0c36d; color: #1d2430; }
    #offline[hidden] { display: none; }
  </style>
</head>
<body>
  <div id="offline" role="alert" hidden>
    <strong>The Stately inspector at ${html(inspectorUrl)} cannot be reached</strong> (offline, or blocked by a firewall or browser setting), so nothing can be shown here.
    ${pointer}
  </div>
  <iframe id="inspector" src="${html(inspectorUrl)}"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const offline = document.getElementById('offline');
    const buffer = [];
    let connected = false;
    const unreachable = () => {
      if (connected) return;
      offline.hidden = false;
      document.body.dataset.inspector = 'unreachable';
    };
    if (navigator.onLine === false) unreachable();
    setTimeout(unreachable, ${Math.max(0, Math.floor(timeoutMs))});
    window.addEventListener('message', (e) => {
      if (e.data && e.data.type === '@statelyai.connected') {
        connected = true;
        offline.hidden = true;
        document.body.dataset.inspector = 'connected';
        for (const event of buffer) iframe.contentWindow.postMessage(event, '*');
        buffer.length = 0;
      }
    });
    const ws = new WebSocket(location.href.replace(/^http/, 'ws').replace(/[?#].*$/, ''));
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (connected) iframe.contentWindow.postMessage(data, '*');
      else buffer.push(data);
    };
  </script>
</body>
</html>`;
}
