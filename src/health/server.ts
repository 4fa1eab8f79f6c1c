/**
 * The probes and the metrics on one small node:http listener, apart from the dashboard (which is
 * optional and may need a token; a probe must not):
 *
 *   GET /healthz   liveness: 200 while the process and its supervisor run and no asset lane is
 *                  stuck, else 503
 *   GET /readyz    readiness: 200 when the bot can trade now, else 503 with the reasons
 *   GET /metrics   Prometheus text format
 *
 * Bound to HEALTH_HOST (loopback by default). It is started before the bot so that a probe during
 * start-up gets an answer ("starting") rather than a refused connection; `attach` hands it the bot.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { StreamWatch } from '../metrics/exchange.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Queryable } from '../store/db.js';
import type { Supervisor, SupervisorExit } from '../supervisor.js';
import { liveness, readiness, stuckLanes } from './checks.js';
import type { Lane } from './watchdog.js';

/** What the probes read from the running bot. */
export interface ProbedBot {
  readonly supervisor: Pick<Supervisor, 'status' | 'done'>;
  readonly streams: StreamWatch;
  readonly metrics: Metrics;
  readonly registry: { all(): Iterable<Lane> };
  /** Symbols without a fresh quote (the market-data actor's staleness verdict). */
  staleSymbols(): readonly string[];
}

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** The pool the bot writes through: readiness asks it `SELECT 1`. */
  readonly db: Queryable;
  /** How long the database may take to answer before it counts as unreachable (default 2 s). */
  readonly dbTimeoutMs?: number;
  /** How long an asset lane may stay on one piece of work before liveness fails (default 60 s). */
  readonly laneStuckMs?: number;
  /** Whether this process holds the instance lock now (main.ts: the InstanceGuard). */
  readonly lockHeld?: () => boolean;
}

export interface HealthServer {
  readonly url: string;
  readonly port: number;
  attach(bot: ProbedBot): void;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const log = opts.logger.child({ actor: 'health' });
  const dbTimeoutMs = opts.dbTimeoutMs ?? 2_000;
  const laneStuckMs = opts.laneStuckMs ?? 60_000;
  let bot: ProbedBot | null = null;
  let exit: SupervisorExit | null = null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://probe').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'GET only' });
    if (path === '/healthz') {
      const lanes = bot ? stuckLanes(bot.registry.all(), laneStuckMs, Date.now()) : [];
      const v = liveness({ started: bot !== null, exit, stuckLanes: lanes });
      return send(res, v.ok ? 200 : 503, { status: v.status, reasons: v.reasons });
    }
    if (path === '/readyz') {
      const database = bot ? await pingDatabase(opts.db, dbTimeoutMs) : null;
      const v = bot
        ? readiness({
            started: true,
            exit,
            database,
            streams: bot.streams,
            staleSymbols: bot.staleSymbols(),
            supervision: bot.supervisor.status(),
            ...(opts.lockHeld ? { lockHeld: opts.lockHeld() } : {}),
          })
        : readiness({
            started: false,
            exit,
            database,
            streams: { state: () => 'absent' },
            staleSymbols: [],
            supervision: [],
          });
      return send(res, v.ok ? 200 : 503, { status: v.ok ? 'ready' : 'not ready', reasons: v.reasons });
    }
    if (path === '/metrics') {
      if (!bot) return send(res, 503, { status: 'starting', reasons: ['the bot is starting'] });
      const body = await bot.metrics.text();
      res.writeHead(200, { 'Content-Type': bot.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(body);
      return;
    }
    send(res, 404, { error: `not found: ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'health request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  // A probe client that keeps its connection open must not hold up shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  log.info({ url }, 'health and metrics listening');

  return {
    url,
    port,
    attach(next) {
      bot = next;
      void next.supervisor.done.then((result) => {
        if (bot === next) exit = result;
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

/** null when MySQL answers `SELECT 1` in time; otherwise why not. */
async function pingDatabase(db: Queryable, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const answer = db.query({ sql: 'SELECT 1', timeout: timeoutMs }).then(
    () => null,
    (err: unknown) => (err instanceof Error ? err.message : String(err)) || 'query failed',
  );
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}
