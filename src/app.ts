/**
 * The process tree, assembled from injected parts (config, logger, pool, exchange, clock) so tests
 * and benchmarks build exactly what `npm start` runs. main.ts owns the process: signals, exit codes,
 * the simulator in sim mode.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { type AlertSink, createAlerts } from './actors/alerts.js';
import { AssetsManager } from './actors/assets.js';
import { ConsistencyChecker } from './actors/caretakers/consistency.js';
import { CooldownManager } from './actors/caretakers/cooldownManager.js';
import { OrderManager } from './actors/caretakers/orderManager.js';
import { createEmailChannel, type EmailChannel } from './actors/email.js';
import { MarketDataActor } from './actors/marketData.js';
import { AssetRegistry } from './actors/registry.js';
import { TradeUpdatesActor } from './actors/tradeUpdates.js';
import { type Config, configSecrets } from './config.js';
import type { Exchange } from './exchange/types.js';
import type { Pool } from './store/db.js';
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
}

export interface Bot {
  readonly supervisor: Supervisor;
  readonly registry: AssetRegistry;
  readonly marketData: MarketDataActor;
  readonly tradeUpdates: TradeUpdatesActor;
  readonly assets: AssetsManager;
  readonly caretakers: {
    readonly orderManager: OrderManager;
    readonly cooldownManager: CooldownManager;
    readonly consistency: ConsistencyChecker;
  };
  readonly alert: AlertSink;
  /** null when no ALERT_EMAIL_* is configured. */
  readonly email: EmailChannel | null;
  stop(reason?: string): Promise<void>;
}

/** Builds the tree and starts it: streams first, then the asset actors. */
export async function startBot(deps: BotDeps): Promise<Bot> {
  const { config, logger, pool, exchange } = deps;
  const now = deps.now ?? (() => new Date());
  const email = config.alertEmail
    ? createEmailChannel({ config: config.alertEmail, logger, secrets: configSecrets(config) })
    : null;
  const channels = [...(deps.alertChannels ?? []), ...(email ? [email.sink] : [])];
  const alert = createAlerts(logger, { channels });
  const registry = new AssetRegistry();
  const tradeUpdates = new TradeUpdatesActor({ exchange, registry, logger });
  const marketData = new MarketDataActor({
    exchange,
    registry,
    logger,
    alert,
    staleAfterMs: config.quoteStaleSeconds * 1000,
  });

  // The supervisor exists before the manager that adds asset children to it.
  let supervisor: Supervisor | null = null;
  const assets = new AssetsManager({
    pool,
    registry,
    logger,
    alert,
    pollMs: config.assetPollSeconds * 1000,
    startChild: (spec) => mustHave(supervisor).startChild(spec),
    stopChild: (id) => mustHave(supervisor).stopChild(id),
    actorDeps: {
      exchange,
      feeRate: config.feeRate,
      now,
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
  });

  const intervals = config.intervals;
  const caretakers = {
    orderManager: new OrderManager({
      pool,
      exchange,
      logger,
      now,
      everyMs: intervals.orderManagerSeconds * 1000,
      staleMs: intervals.orderStaleSeconds * 1000,
    }),
    cooldownManager: new CooldownManager({
      pool,
      registry,
      logger,
      now,
      everyMs: intervals.cooldownCheckSeconds * 1000,
    }),
    consistency: new ConsistencyChecker({
      pool,
      exchange,
      registry,
      logger,
      alert,
      now,
      everyMs: intervals.consistencySeconds * 1000,
    }),
  };

  const children: ChildSpec[] = [
    // A stream whose credentials were refused never reconnects: it reports a crash, so the supervisor
    // retries and, past its intensity, exits non-zero instead of running deaf.
    serviceChild('tradeUpdates', tradeUpdates),
    serviceChild('marketData', marketData),
    {
      id: 'assets',
      restart: 'permanent',
      start: async () => {
        await assets.start();
        return { stop: () => assets.stop() };
      },
    },
    serviceChild('orderManager', caretakers.orderManager),
    serviceChild('cooldownManager', caretakers.cooldownManager),
    serviceChild('consistency', caretakers.consistency),
  ];

  supervisor = createSupervisor({
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
  await supervisor.start();
  const started = supervisor;
  return {
    supervisor: started,
    registry,
    marketData,
    tradeUpdates,
    assets,
    caretakers,
    alert,
    email,
    stop: async (reason = 'stop requested') => {
      await started.stop(reason);
      await mailClosed;
    },
  };
}

/** A long-running part (stream, caretaker) that reports an unexpected failure through `onCrash`. */
interface Service {
  start(onCrash: (err: unknown) => void): void;
  stop(): Promise<void>;
}

/** A service under the supervisor: when it reports a crash it is stopped and started again. */
function serviceChild(id: string, service: Service): ChildSpec {
  return {
    id,
    restart: 'permanent',
    start: async (ctx) => {
      service.start((err) => ctx.fail(err));
      return { stop: () => service.stop() };
    },
  };
}

function mustHave<T>(value: T | null): T {
  if (value === null) throw new Error('the supervisor is not built yet');
  return value;
}
