/**
 * The local dashboard (architecture §9): a node:http server with one static page (no build step, no CDN)
 * and a Server-Sent Events feed of the page state, plus the controls when DASHBOARD_TOKEN is set.
 *
 *   GET /            the page              GET /events      SSE: one `data:` line per state
 *   GET /state.json  the current state     GET /app.js and the page's other code, /style.css
 *   GET /chart.js    lightweight-charts
 *   POST /control    a control (controls.ts): token in `Authorization: Bearer` only, same origin only
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Bot } from '../app.js';
import { type Config, configSecrets, isLoopbackHost } from '../config.js';
import type { Account } from '../domain.js';
import { ConfigError } from '../errors.js';
import type { Pool } from '../store/db.js';
import type { Supervisor } from '../supervisor.js';
import { bearerMatches, hostAllowed, sameOrigin, tokenMatches } from './auth.js';
import type { BarHistory } from './bars.js';
import { parseControl, runControl } from './controls.js';
import { DashboardFeed, type InspectionSource } from './feed.js';

export interface DashboardDeps {
  /**
   * The running bot: its registry and supervisor status are read; the assets supervisor (for the
   * controls) and the recent alerts when present.
   */
  readonly bot: {
    readonly registry: Bot['registry'];
    readonly supervisor: Pick<Supervisor, 'status'>;
    readonly assets?: { refresh(): Promise<void> };
    readonly recentAlerts?: Pick<Bot['recentAlerts'], 'list'>;
  };
  readonly pool: Pool;
  /** The account's cash and buying power (the bot's exchange client). */
  readonly account?: () => Promise<Account>;
  /** 1-minute bar history per asset (bars.ts `exchangeBarHistory`). */
  readonly barHistory?: BarHistory;
  readonly config: Config;
  readonly logger: Logger;
  /** The actors' inspect events (src/inspect.ts hub); without it the page refreshes once a second. */
  readonly inspection?: InspectionSource;
  /** Lowest time between two states sent to the page (default 200 ms: at most 5 per second). */
  readonly minIntervalMs?: number;
}

export interface Dashboard {
  /** Where it listens (without the token). */
  readonly url: string;
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/statechart.js': { file: 'statechart.js', type: 'text/javascript; charset=utf-8' },
  '/chartView.js': { file: 'chartView.js', type: 'text/javascript; charset=utf-8' },
  '/controls.js': { file: 'controls.js', type: 'text/javascript; charset=utf-8' },
  '/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** The page's own code is not data: only the page itself and its data need the token. */
const OPEN_PATHS = new Set(
  Object.keys(STATIC)
    .filter((path) => path !== '/')
    .concat('/chart.js'),
);

/**
 * TradingView's lightweight-charts, served from the installed package (no CDN), found from this
 * module wherever it runs (src/ or a compiled dist/). The package exports only its ES module and
 * package.json, so the standalone build is found beside the latter.
 */
const CHART_LIBRARY = 'dist/lightweight-charts.standalone.production.js';

const CONTROL_BODY_LIMIT = 4096;

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  // The token may be in the page's URL: never send it on as a Referer.
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const HEARTBEAT_MS = 15_000;

export async function createDashboard(deps: DashboardDeps): Promise<Dashboard> {
  const { config, logger } = deps;
  // loadConfig already refuses this; a Config built another way must not open the ledger to a network.
  if (!isLoopbackHost(config.dashboard.host) && config.dashboard.token === null) {
    throw new ConfigError([
      `DASHBOARD_TOKEN: required when DASHBOARD_HOST is not a loopback address (got ${JSON.stringify(config.dashboard.host)})`,
    ]);
  }
  const log = logger.child({ actor: 'dashboard' });
  const files = await loadStatic();
  const { host, token } = config.dashboard;
  const assets = deps.bot.assets;
  const controls =
    token === null
      ? { enabled: false, reason: 'read-only: set DASHBOARD_TOKEN to enable the controls' }
      : assets
        ? { enabled: true, reason: null }
        : { enabled: false, reason: 'read-only: this dashboard is not attached to the assets supervisor' };
  const feed = new DashboardFeed({
    registry: deps.bot.registry,
    supervisor: deps.bot.supervisor,
    db: deps.pool,
    mode: config.mode,
    logger: log,
    feeRate: config.feeRate,
    controls,
    ...(deps.account ? { account: deps.account } : {}),
    ...(deps.barHistory ? { barHistory: deps.barHistory } : {}),
    ...(deps.bot.recentAlerts ? { alerts: () => deps.bot.recentAlerts!.list() } : {}),
    secrets: configSecrets(config),
    ...(deps.inspection ? { inspection: deps.inspection } : {}),
    ...(deps.minIntervalMs === undefined ? {} : { minIntervalMs: deps.minIntervalMs }),
  });
  const streams = new Set<ServerResponse>();

  /**
   * A control: only with a token configured, named in the Authorization header (a URL ends up in
   * history and logs; a cookie would ride along on a forged cross-site request), only from the page's
   * own origin, only as JSON (which a cross-site form cannot send without a preflight, which is refused).
   */
  async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!sameOrigin(req)) {
      log.warn(
        { origin: req.headers.origin, host: req.headers.host },
        'dashboard control refused: cross-origin',
      );
      return replyJson(res, 403, { ok: false, message: 'cross-origin request refused' });
    }
    if (token === null || !assets) return replyJson(res, 403, { ok: false, message: controls.reason });
    if (!bearerMatches(req, token)) {
      log.warn('dashboard control refused: no valid token in the Authorization header');
      return replyJson(res, 401, {
        ok: false,
        message: 'controls need the token in an Authorization: Bearer header (never in the URL)',
      });
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return replyJson(res, 415, { ok: false, message: 'send the control as application/json' });
    }
    const body = await readBody(req, CONTROL_BODY_LIMIT);
    let parsed: unknown;
    try {
      parsed = body === null ? null : JSON.parse(body);
    } catch {
      parsed = null;
    }
    const request = parseControl(parsed);
    if (typeof request === 'string') return replyJson(res, 400, { ok: false, message: request });
    const answer = await runControl(
      { registry: deps.bot.registry, assets, db: deps.pool, feeRate: config.feeRate, logger: log },
      request,
    );
    feed.refresh();
    replyJson(res, answer.status, { ok: answer.ok, message: answer.message });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (!hostAllowed(req, host)) return reply(res, 403, 'unexpected Host header');
    if (req.method === 'POST' && url.pathname === '/control') {
      control(req, res).catch((err: unknown) => {
        log.error({ err }, 'dashboard control failed');
        if (!res.headersSent) replyJson(res, 500, { ok: false, message: 'failed; see the bot log' });
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed');
    if (!OPEN_PATHS.has(url.pathname) && !tokenMatches(req, url, token)) {
      return reply(res, 401, 'this dashboard needs its token: ?token=… or Authorization: Bearer …');
    }
    if (url.pathname === '/events') return openStream(req, res);
    if (url.pathname === '/state.json') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/json' });
      return void res.end(feed.current());
    }
    const file = files.get(url.pathname);
    if (!file) return reply(res, 404, 'not found');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    // A slow client gets the newest state when it has drained, never a backlog of old ones.
    let waiting: string | null = null;
    let blocked = false;
    const send = (json: string) => {
      if (blocked) {
        waiting = json;
        return;
      }
      blocked = !res.write(`data: ${json}\n\n`);
    };
    res.on('drain', () => {
      blocked = false;
      const next = waiting;
      waiting = null;
      if (next !== null) send(next);
    });
    const unsubscribe = feed.subscribe(send);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    streams.add(res);
    const done = () => {
      unsubscribe();
      clearInterval(heartbeat);
      streams.delete(res);
    };
    req.on('close', done);
    res.on('error', done);
    const current = feed.current();
    if (current) send(current);
  }

  await feed.start();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.dashboard.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // Nobody gets a handle to close: the feed's subscription and timers must not outlive the failure.
    await feed.stop();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  log.info({ url, tokenRequired: token !== null }, `dashboard on ${url}`);

  return {
    url,
    async close() {
      await feed.stop();
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function replyJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The body as text, or null past `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

async function loadStatic(): Promise<Map<string, { body: Buffer; type: string }>> {
  // From the repository root, so the compiled dist/dashboard/server.js serves the same files.
  const dir = new URL('../../src/dashboard/public/', import.meta.url);
  const entries = await Promise.all(
    Object.entries(STATIC).map(
      async ([path, { file, type }]) => [path, { body: await readFile(new URL(file, dir)), type }] as const,
    ),
  );
  const chart = join(
    dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')),
    CHART_LIBRARY,
  );
  entries.push(['/chart.js', { body: await readFile(chart), type: 'text/javascript; charset=utf-8' }]);
  return new Map(entries);
}
