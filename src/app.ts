/**
 * The process tree, assembled from injected parts (config, logger, pool, exchange, clock) so tests
 * and benchmarks build exactly what `npm start` runs. main.ts owns the process: signals, exit codes,
 * the simulator in sim mode.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { type AlertSink, createAlerts } from './actors/alerts.js';
import { AssetsManager } from './actors/assets.js';
import { MarketDataActor } from './actors/marketData.js';
import { AssetRegistry } from './actors/registry.js';
import { TradeUpdatesActor } from './actors/tradeUpdates.js';
import type { Config } from './config.js';
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
  /** Extra alert channels (email); the log line is always written. */
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
  readonly alert: AlertSink;
  stop(reason?: string): Promise<void>;
}

/** Builds the tree and starts it: streams first, then the asset actors. */
export async function startBot(deps: BotDeps): Promise<Bot> {
  const { config, logger, pool, exchange } = deps;
  const now = deps.now ?? (() => new Date());
  const alert = createAlerts(logger, deps.alertChannels ? { channels: deps.alertChannels } : {});
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
      ...(deps.inspect ? { inspect: deps.inspect } : {}),
      ...(deps.tickMs ? { tickMs: deps.tickMs } : {}),
    },
  });

  const children: ChildSpec[] = [
    {
      id: 'tradeUpdates',
      restart: 'permanent',
      start: async () => {
        tradeUpdates.start();
        return { stop: () => tradeUpdates.stop() };
      },
    },
    {
      id: 'marketData',
      restart: 'permanent',
      start: async () => {
        marketData.start();
        return { stop: () => marketData.stop() };
      },
    },
    {
      id: 'assets',
      restart: 'permanent',
      start: async () => {
        await assets.start();
        return { stop: () => assets.stop() };
      },
    },
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
  await supervisor.start();
  const started = supervisor;
  return {
    supervisor: started,
    registry,
    marketData,
    tradeUpdates,
    assets,
    alert,
    stop: (reason = 'stop requested') => started.stop(reason),
  };
}

function mustHave<T>(value: T | null): T {
  if (value === null) throw new Error('the supervisor is not built yet');
  return value;
}
