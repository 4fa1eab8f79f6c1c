/**
 * The process tree, assembled from injected parts (config, logger, pool, exchange, clock) so tests
 * and benchmarks build exactly what `npm start` runs. main.ts owns the process: signals, exit codes,
 * the simulator in sim mode.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { type AlertSink, createAlerts, RecentAlerts } from './actors/alerts.js';
import { UnrecordedOrders } from './actors/asset/unrecorded.js';
import { type AssetSupervision, AssetsManager } from './actors/assets.js';
import { ConsistencyChecker } from './actors/caretakers/consistency.js';
import { OrderManager } from './actors/caretakers/orderManager.js';
import { createEmailChannel, type EmailChannel } from './actors/email.js';
import { MarketDataActor } from './actors/marketData.js';
import { AssetRegistry } from './actors/registry.js';
import { TradeUpdatesActor } from './actors/tradeUpdates.js';
import type { Installation } from './clientOrderId.js';
import { type Config, configSecrets } from './config.js';
import type { Exchange } from './exchange/types.js';
import { observeBot } from './metrics/collect.js';
import { instrumentExchange, type StreamWatch } from './metrics/exchange.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { Pool } from './store/db.js';
import { loadInstallation, markCleanStop, takeCleanStop } from './store/installation.js';
import { type ChildSpec, createSupervisor, type Supervisor } from './supervisor.js';

export interface BotDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly pool: Pool;
  readonly exchange: Exchange;
  readonly now?: () => Date;
  readonly inspect?: (event: InspectionEvent) => void;
  /** Extra alert channels; the log line is always written, and e-mail is added from config.alertEmail. */
  readonly alertChannels?: readonly AlertSink[];
  /** Faster TICKs for tests (default 1000 ms). */
  readonly tickMs?: number;
  /** The assets supervisor's intensity, backoff and park retries (tests shorten them). */
  readonly assetSupervision?: Partial<AssetSupervision>;
  /** This database's installation; read from dca_installation when not given. */
  readonly installation?: Installation;
  /** Where the tree's metrics go (main.ts shares it with the exchange's REST counting); else a new one. */
  readonly metrics?: Metrics;
}

/**
 * The running tree. Services are rebuilt by their factory on every restart, so `marketData`,
 * `tradeUpdates`, `assets` and the caretakers are the instances running now.
 */
export interface Bot {
  readonly supervisor: Supervisor;
  readonly registry: AssetRegistry;
  readonly marketData: MarketDataActor;
  readonly tradeUpdates: TradeUpdatesActor;
  readonly assets: AssetsManager;
  readonly caretakers: {
    readonly orderManager: OrderManager;
    readonly consistency: ConsistencyChecker;
  };
  readonly alert: AlertSink;
  /** The newest alerts raised (the dashboard's alerts panel). */
  readonly recentAlerts: RecentAlerts;
  readonly installation: Installation;
  /** null when no ALERT_EMAIL_* is configured. */
  readonly email: EmailChannel | null;
  /** The Prometheus metrics of this tree (served at /metrics). */
  readonly metrics: Metrics;
  /** The state of both streams' current connections. */
  readonly streams: StreamWatch;
  /** Symbols without a fresh quote, as the market-data actor judges them. */
  staleSymbols(): string[];
  stop(reason?: string): Promise<void>;
}

/** Builds the tree and starts it: streams first, then the asset actors, then the caretakers. */
export async function startBot(deps: BotDeps): Promise<Bot> {
  const { config, logger, pool } = deps;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? createMetrics();
  // Observed at the edge: quotes and reconnects counted, each stream's state kept for the probes.
  const { exchange, streams } = instrumentExchange(deps.exchange, metrics);
  // Every client order id carries it; orders without this installation's prefix are never ours.
  const installation = deps.installation ?? (await loadInstallation(pool));
  // Architecture §4: after anything but a clean stop, a cycle holding coin first looks for the
  // one safety order its row may have sent without recording it.
  const runId = randomBytes(8).toString('hex');
  const unrecorded = new UnrecordedOrders(await takeCleanStop(pool, runId));
  const email = config.alertEmail
    ? createEmailChannel({ config: config.alertEmail, logger, secrets: configSecrets(config) })
    : null;
  const recentAlerts = new RecentAlerts(50, now);
  const channels = [recentAlerts.sink, ...(deps.alertChannels ?? []), ...(email ? [email.sink] : [])];
  const alert = createAlerts(logger, { channels });
  const registry = new AssetRegistry(installation);
  const intervals = config.intervals;

  // Crash-only: each child's factory builds a fresh instance for every (re)start; nothing of a
  // crashed instance is reused. `live` holds the instance running now, for the Bot's getters.
  const marketData = new Live(
    () =>
      new MarketDataActor({
        exchange,
        registry,
        logger,
        alert,
        staleAfterMs: config.quoteStaleSeconds * 1000,
        band: { percent: config.quoteBand.percent, confirmMs: config.quoteBand.confirmSeconds * 1000 },
      }),
  );
  const tradeUpdates = new Live(
    () =>
      new TradeUpdatesActor({
        exchange,
        registry,
        logger,
        db: pool,
        alert,
        plausibleRange: (symbol) => marketData.peek()?.plausibleRange(symbol) ?? null,
      }),
  );
  const assets = new Live(
    () =>
      new AssetsManager({
        pool,
        registry,
        logger,
        alert,
        pollMs: config.assetPollSeconds * 1000,
        ...(deps.assetSupervision ? { supervision: deps.assetSupervision } : {}),
        actorDeps: {
          exchange,
          feeRate: config.feeRate,
          installationId: installation.id,
          now,
          // The last look before each POST asks the market-data instance running now.
          market: {
            referencePrice: (symbol: string) => marketData.peek()?.referencePrice(symbol) ?? null,
            bandPercent: config.quoteBand.percent,
          },
          metrics,
          unrecorded,
          policy: {
            lookupGraceMs: config.orders.lookupGraceSeconds * 1000,
            quoteStaleMs: config.quoteStaleSeconds * 1000,
            backoff: {
              initialMs: config.orders.backoffInitialSeconds * 1000,
              maxMs: config.orders.backoffMaxSeconds * 1000,
            },
          },
          ...(deps.inspect ? { inspect: deps.inspect } : {}),
          ...(deps.tickMs ? { tickMs: deps.tickMs } : {}),
        },
      }),
  );
  const orderManager = new Live(
    () =>
      new OrderManager({
        pool,
        exchange,
        logger,
        installation,
        now,
        everyMs: intervals.orderManagerSeconds * 1000,
        staleMs: intervals.orderStaleSeconds * 1000,
      }),
  );
  const consistency = new Live(
    () =>
      new ConsistencyChecker({
        pool,
        exchange,
        registry,
        logger,
        alert,
        now,
        everyMs: intervals.consistencySeconds * 1000,
      }),
  );

  // The tree as data (architecture §2). A stream whose credentials were refused never reconnects: it
  // reports a crash, so the supervisor retries and, past its intensity, exits non-zero instead of
  // running deaf. The asset actors live under `assets`, whose own supervisor parks a failing asset
  // instead of escalating.
  const children: ChildSpec[] = [
    serviceChild('tradeUpdates', tradeUpdates),
    serviceChild('marketData', marketData),
    {
      id: 'assets',
      restart: 'permanent',
      // Each asset actor may take up to 15 s to let a POST on the wire answer; within systemd's 30 s.
      shutdownMs: 20_000,
      start: async () => {
        const manager = assets.build();
        await manager.start();
        return { stop: () => manager.stop(), children: () => manager.status() };
      },
    },
    serviceChild('orderManager', orderManager),
    serviceChild('consistency', consistency),
  ];

  const supervisor = createSupervisor({
    children,
    logger: logger.child({ actor: 'supervisor' }),
    onEscalate: (err, childId) =>
      alert({
        level: 'error',
        code: 'SUPERVISOR_ESCALATED',
        message: `${childId} went past its restart intensity (${err.message}); stopping the bot`,
      }),
  });
  // The last mail (e.g. the escalation) goes out however the tree ends: stopped or given up.
  const mailClosed = supervisor.done.then(() => email?.close());
  observeBot(metrics.registry, {
    views: () => registry.all().map((a) => a.view()),
    supervision: () => supervisor.status(),
    streams,
    db: pool,
  });
  await supervisor.start();
  return {
    supervisor,
    registry,
    get marketData() {
      return marketData.current();
    },
    get tradeUpdates() {
      return tradeUpdates.current();
    },
    get assets() {
      return assets.current();
    },
    caretakers: {
      get orderManager() {
        return orderManager.current();
      },
      get consistency() {
        return consistency.current();
      },
    },
    alert,
    recentAlerts,
    installation,
    email,
    metrics,
    streams,
    staleSymbols: () => marketData.peek()?.staleSymbols() ?? [],
    stop: async (reason = 'stop requested') => {
      await supervisor.stop(reason);
      await recordCleanStop(pool, runId, unrecorded, logger);
      await mailClosed;
    },
  };
}

/** Tells the next start whether it must look for unrecorded safety orders (sql/010). */
async function recordCleanStop(
  pool: Pool,
  runId: string,
  unrecorded: UnrecordedOrders,
  logger: Logger,
): Promise<void> {
  if (!unrecorded.clean) {
    logger.info('stopped with a safety order in question: the next start looks for it on the exchange');
    return;
  }
  try {
    if (!(await markCleanStop(pool, runId))) {
      logger.warn('another process has traded on this database since this one started: not marked clean');
    }
  } catch (err) {
    logger.warn(
      { err },
      'could not record the clean stop: the next start looks for unrecorded safety orders',
    );
  }
}

/** A child's factory and the instance it built last. */
class Live<T> {
  private latest: T | undefined;
  constructor(private readonly make: () => T) {}

  build(): T {
    this.latest = this.make();
    return this.latest;
  }

  /** The instance running now, or undefined before the child's first start. */
  peek(): T | undefined {
    return this.latest;
  }

  current(): T {
    if (this.latest === undefined) throw new Error('the child has not been started yet');
    return this.latest;
  }
}

/** A long-running part (stream, caretaker) that reports an unexpected failure through `onCrash`. */
interface Service {
  start(onCrash: (err: unknown) => void): void;
  stop(): Promise<void>;
}

/** A service under the supervisor: every start builds a fresh instance from its factory. */
function serviceChild(id: string, factory: Live<Service>): ChildSpec {
  return {
    id,
    restart: 'permanent',
    start: async (ctx) => {
      const service = factory.build();
      service.start((err) => ctx.fail(err));
      return { stop: () => service.stop() };
    },
  };
}
