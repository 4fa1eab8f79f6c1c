/**
 * The process tree in-process (`startBot`, what `npm start` builds) against a simulator and a
 * throwaway database, with test-sized timings: fast stream reconnects, short REST timeouts, fast
 * TICKs, log lines kept in memory. A restart is `bot.stop()` and a new start on the same database.
 */

import type { Logger } from 'pino';
import type { AssetSupervision } from '../../src/actors/assets.js';
import { type Bot, type BotDeps, startBot } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { RestBudget } from '../../src/exchange/budget.js';
import { createExchange } from '../../src/exchange/client.js';
import type { Exchange } from '../../src/exchange/types.js';
import { countingFetch } from '../../src/metrics/exchange.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { Simulator } from '../../src/sim/index.js';
import type { Pool } from '../../src/store/db.js';
import type { TestDatabase } from './db.js';
import { botEnv } from './env.js';
import { type LogLine, logSink } from './logSink.js';
import { waitUntil } from './wait.js';

export interface InProcessBotOptions {
  readonly sim: Pick<Simulator, 'endpoints'>;
  readonly db: Pick<TestDatabase, 'cfg' | 'pool'>;
  /** The pool the bot uses (e.g. one through a TCP proxy); default db.pool. */
  readonly pool?: Pool;
  /** A POST that takes longer is ambiguous (default 1 s here). */
  readonly requestTimeoutMs?: number;
  /** Extra config variables. */
  readonly env?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  /** Sees every HTTP request the exchange client sends (a counter; it must call through to fetch). */
  readonly fetchApi?: (url: string, init: RequestInit) => Promise<Response>;
  /** Shorter intensities and park retries for the assets supervisor. */
  readonly assetSupervision?: Partial<AssetSupervision>;
  /** Wraps the exchange the bot uses, e.g. to count its REST calls (tests/helpers/restCounter.ts). */
  readonly wrapExchange?: (exchange: Exchange) => Exchange;
  /** The asset actors' TICK period (default 100 ms). */
  readonly tickMs?: number;
  /** Where the tree's inspection events go, made with the bot's logger (as main.ts wires its hub). */
  readonly inspectWith?: (logger: Logger) => BotDeps['inspect'];
}

export interface InProcessBot {
  readonly bot: Bot;
  readonly config: Config;
  /** The account-wide REST budget every exchange call went through. */
  readonly budget: RestBudget;
  /** The exchange client the bot uses (behind the budget, and `wrapExchange` when given). */
  readonly exchange: Exchange;
  /** Every log line at info and above, parsed. */
  readonly lines: LogLine[];
  /** Resolves once the trade stream is connected and every symbol's cycle runs. */
  trading(symbols: readonly string[]): Promise<void>;
}

export async function startInProcessBot(opts: InProcessBotOptions): Promise<InProcessBot> {
  // The child-process bot's environment: startBot reads neither the mode nor the endpoints, the
  // exchange below is built from them.
  const config = loadConfig({
    ...botEnv(opts.sim.endpoints, opts.db.cfg),
    ASSET_POLL_SECONDS: '1',
    ...opts.env,
  });
  // Built as main.ts builds it: the SDK adapter behind the account-wide REST budget, its REST
  // requests counted into the bot's metrics.
  const metrics = createMetrics();
  const { exchange: real, budget } = createExchange(opts.sim.endpoints, {
    requestTimeoutMs: opts.requestTimeoutMs ?? 1_000,
    reconnect: { initialReconnectMs: 50, maxReconnectMs: 200, reconnectJitter: 0 },
    minOrderValue: config.minOrderValue,
    budget: config.restBudget,
    fetchApi: countingFetch(metrics, opts.fetchApi),
  });
  metrics.restBudgetFrom(() => budget.remaining());
  const exchange = opts.wrapExchange ? opts.wrapExchange(real) : real;
  const { lines, logger } = logSink(opts.logLevel ?? 'info');
  const bot = await startBot({
    config,
    logger,
    pool: opts.pool ?? opts.db.pool,
    exchange,
    metrics,
    inspect: opts.inspectWith?.(logger),
    tickMs: opts.tickMs ?? 100,
    ...(opts.assetSupervision ? { assetSupervision: opts.assetSupervision } : {}),
  });
  const logged = (test: (l: InProcessBot['lines'][number]) => boolean) => () => lines.some(test);
  return {
    bot,
    config,
    budget,
    exchange,
    lines,
    async trading(symbols) {
      const wanted = [
        logged((l) => l.msg === 'trade updates connected'),
        ...symbols.map((s) => logged((l) => l.msg === 'cycle resumed' && l['asset'] === s)),
      ];
      await waitUntil(() => wanted.every((w) => w()), Boolean, { what: `trading ${symbols.join(', ')}` });
    },
  };
}
