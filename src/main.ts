/**
 * `npm start`: the composition root. config → logger → instance lock → MySQL → (simulator, whose
 * account lives in the sim database) → exchange → supervisor.
 *
 * Exit codes: 0 after a graceful SIGTERM/SIGINT; 1 when the supervisor gave up, when another
 * instance already runs on the database or took its lock while this one had lost it, or when the database
 * stayed unreachable for DB_CONNECT_TIMEOUT_SECONDS (systemd restarts the process); 2 for a
 * problem a restart cannot fix: bad configuration, access denied, an unknown database, a Node.js
 * older than package.json's engines.
 */
import './nodeVersion.js';
import { parseArgs } from 'node:util';
import { startBot } from './app.js';
import { flagProblem } from './cli/args.js';
import {
  type Config,
  configSecrets,
  loadConfig,
  loadDotenv,
  namedConfigSecrets,
  redactedConfig,
} from './config.js';
import type { Dashboard } from './dashboard/server.js';
import { ConfigError, DcaError } from './errors.js';
import { createExchange } from './exchange/client.js';
import { describeDestination } from './exchange/destination.js';
import { guardOrders } from './exchange/orderGate.js';
import type { ExchangeEndpoints } from './exchange/types.js';
import { type Notifier, notifierFromEnv, watchdogTimeoutMs } from './health/notify.js';
import { type HealthServer, startHealthServer } from './health/server.js';
import { Watchdog } from './health/watchdog.js';
import { createInspectionHub, type StatelyInspector, startStatelyInspector } from './inspect.js';
import { createLogger, type Logger, reopenLogFile, warnWeakSecrets } from './logger.js';
import { countingFetch } from './metrics/exchange.js';
import { createMetrics } from './metrics/metrics.js';
import type { Simulator } from './sim/index.js';
import { loadAssets } from './store/assets.js';
import { listCycles } from './store/cycles.js';
import { createPool, type Pool } from './store/db.js';
import { describeDbError, withDbRetry } from './store/dbErrors.js';
import { InstanceGuard } from './store/instanceGuard.js';
import { InstanceLockedError } from './store/instanceLock.js';
import { migrate } from './store/migrate.js';
import { unknownVariableWarnings } from './unknownVariables.js';

const USAGE = `usage: npm start [-- --sim [--fresh]] [-- --inspect]

  --sim       trade against the built-in simulator (DCA_MODE=sim): no keys, no network; its account
              is kept in the sim database, so the demo goes on after a restart
  --fresh     with --sim: start the demo over (empties the simulator's account and the sim cycles)
  --inspect   attach every actor to the Stately inspector (DCA_INSPECT=1)
  --help      this text

Configuration comes from the environment and .env (see .env.example).`;

/**
 * The compiled bot (dist/main.js, what `npm start` and the systemd unit run) refuses to start on a
 * dist/ older than src/, e.g. after a `git pull` without `npm run build`: it would run the old code.
 */
async function staleBuild(): Promise<boolean> {
  if (!import.meta.url.endsWith('/dist/main.js')) return false;
  const freshness = new URL('../scripts/dist.mjs', import.meta.url).href;
  const { distIsFresh } = (await import(freshness)) as { distIsFresh(): boolean };
  return !distIsFresh();
}

async function main(): Promise<number> {
  if (await staleBuild()) {
    process.stderr.write('dca-bot: cannot start, dist/ is older than src/: run `npm run build` first\n');
    return 2;
  }
  const options = {
    sim: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    inspect: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  let values: { sim: boolean; fresh: boolean; inspect: boolean; help: boolean };
  try {
    values = parseArgs({ options, strict: true }).values;
  } catch (err) {
    process.stderr.write(`dca-bot: ${flagProblem(err, Object.keys(options), 'npm start --')}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  loadDotenv();
  const env = { ...process.env };
  if (values.sim) env.DCA_MODE = 'sim';
  // Only the demo may be wiped: --fresh empties tables, which a paper or live database must never lose.
  if (values.fresh && env.DCA_MODE !== 'sim') {
    process.stderr.write('dca-bot: --fresh starts the simulator demo over; use it with --sim (see --help)\n');
    return 2;
  }
  if (values.inspect) env.DCA_INSPECT = '1';

  // A misspelled variable would otherwise be ignored in silence and its default used.
  const unknown = unknownVariableWarnings(env);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const warning of unknown) process.stderr.write(`dca-bot: warning: ${warning}\n`);
      process.stderr.write(`dca-bot: cannot start, ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // Known secret values are scrubbed from error messages and stacks, where redact paths cannot reach.
  const logger = createLogger({ ...config.log, secrets: configSecrets(config) });
  warnWeakSecrets(logger, namedConfigSecrets(config));
  // logrotate's postrotate (deploy/logrotate) sends SIGHUP. Without a handler SIGHUP would end the
  // process, so it is taken even when there is no file to reopen.
  process.on('SIGHUP', () => {
    if (reopenLogFile(logger)) logger.info({ file: config.log.file }, 'log file reopened');
    else logger.info('SIGHUP: no LOG_FILE to reopen');
  });
  for (const warning of unknown) logger.warn(warning);
  return run(config, logger, { fresh: values.fresh });
}

async function run(config: Config, logger: Logger, opts: { fresh: boolean }): Promise<number> {
  let sim: Simulator | null = null;
  let stopFeed: (() => void) | null = null;
  let pool: Pool | null = null;
  let inspector: StatelyInspector | null = null;
  let dashboard: Dashboard | null = null;
  let lock: InstanceGuard | null = null;
  let lockTaken: Error | null = null;
  let health: HealthServer | null = null;
  let watchdog: Watchdog | null = null;
  // Under systemd (Type=notify): READY=1, WATCHDOG=1, STOPPING=1; null elsewhere.
  const notifier: Notifier | null = notifierFromEnv(process.env, logger);
  const cleanup = async () => {
    watchdog?.stop();
    await health?.close().catch(() => undefined);
    await dashboard?.close().catch(() => undefined);
    await inspector?.stop().catch(() => undefined);
    stopFeed?.();
    // The simulator first: closing it stores the last of its account through the pool.
    await sim?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await lock?.release();
  };

  // A server still starting (boot order, a restart) is waited for; a wrong password is not.
  const onRetry = dbRetryLog(logger);
  // First of all, before a stream opens or a caretaker runs: one instance per database.
  try {
    lock = await withDbRetry(config.db, () => InstanceGuard.acquire(config.db, logger), { onRetry });
  } catch (err) {
    const problem = describeDbError(err, config.db);
    if (err instanceof InstanceLockedError || problem !== null) {
      process.stderr.write(`dca-bot: cannot start, ${problem?.message ?? (err as Error).message}\n`);
      return problem?.kind === 'permanent' ? 2 : 1;
    }
    logger.fatal({ err }, 'start-up failed: the instance lock could not be taken');
    return 1;
  }
  // A lost lock, or one no heartbeat confirmed within its lease, closes the order gate; a lost one
  // is taken again in-process (instanceGuard.ts). Only another instance holding it stops this one.
  // While the gate is closed no order is decided (the asset TICKs say so, architecture §2).
  const guard = lock;
  const lockTakenByOther = guard.fatal.then((err) => {
    lockTaken = err;
    void pool?.end().catch(() => undefined);
    process.stderr.write(`dca-bot: stopping, ${err.message}\n`);
    return 1;
  });

  try {
    const applied = await withDbRetry(
      config.db,
      () => migrate(config.db, { createDatabase: config.mode === 'sim' }),
      { onRetry },
    );
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    pool = createPool(config.db);

    let endpoints: ExchangeEndpoints;
    // The simulator, the demo and the dashboard are loaded only when used: a cold start of a bot
    // trading on Alpaca reads none of their code.
    const demo = config.mode === 'sim' ? await import('./demo.js') : null;
    if (config.mode === 'sim') {
      const { openSimAccountStore, startSimulator } = await import('./sim/index.js');
      const { freshDemo, demoWithoutAccount } = demo!;
      if (opts.fresh) logger.info(await freshDemo(pool));
      // The simulator's account lives beside the bot's sim cycles, so a restart goes on as a real account.
      const store = await openSimAccountStore(pool);
      const orphaned = await demoWithoutAccount(pool);
      if (orphaned) logger.warn(orphaned);
      sim = await startSimulator({
        port: config.simPort,
        store,
        onStoreError: (err) =>
          logger.error({ err }, 'the simulator could not store its account; retrying every second'),
      });
      endpoints = sim.endpoints;
    } else {
      const { keyId, secretKey, baseUrl, dataUrl, streamUrl, dataStreamUrl } = config.alpaca;
      endpoints = { keyId, secretKey, baseUrl, dataUrl, streamUrl, dataStreamUrl };
    }
    if (config.health.port > 0) {
      // Before the tree starts, so that a probe during start-up is answered ("starting").
      health = await startHealthServer({
        host: config.health.host,
        port: config.health.port,
        logger,
        db: pool,
        lockHeld: () => guard.held(),
      });
    }

    if (sim && demo) {
      const { seedDemoAssets, startDemoFeed } = demo;
      const seeded = await seedDemoAssets(pool);
      if (seeded.length > 0) logger.info({ assets: seeded }, 'demo assets added to an empty dca_assets');
      const { assets } = await loadAssets(pool);
      if (config.simFeed === 'random-walk') {
        stopFeed = startDemoFeed(
          sim,
          assets.map((a) => a.symbol),
        );
      }
    }

    const metrics = createMetrics();
    // Every REST call of every actor goes through this one client and so through one budget.
    const { exchange: account, budget } = createExchange(endpoints, {
      logger: logger.child({ actor: 'exchange' }),
      fetchApi: countingFetch(metrics),
      minOrderValue: config.minOrderValue,
      budget: config.restBudget,
    });
    metrics.restBudgetFrom(() => budget.remaining());
    // No order or cancel leaves while the instance lock is not held.
    const exchange = guardOrders(account, () => guard.held());
    await logBanner(config, endpoints, pool, logger);
    // One stream of inspection events feeds both watchers; with neither on, the actors are not inspected.
    const inspection = createInspectionHub(logger);
    if (config.inspect) {
      const { port, host } = config.dashboard;
      inspector = await startStatelyInspector({
        logger: logger.child({ actor: 'inspector' }),
        host: config.inspectHost,
        // The dashboard starts after the bot, on the port it is configured with (0 = off).
        dashboardUrl: port > 0 ? `http://${host.includes(':') ? `[${host}]` : host}:${port}/` : null,
      });
      inspection.subscribe(inspector.inspect);
    }
    const watched = config.inspect || config.dashboard.port > 0;
    const bot = await startBot({
      config,
      logger,
      pool,
      exchange,
      metrics,
      ...(watched ? { inspect: inspection.inspect } : {}),
    });
    health?.attach(bot);
    if (config.dashboard.port > 0) {
      try {
        const [{ createDashboard }, { exchangeBarHistory }] = await Promise.all([
          import('./dashboard/server.js'),
          import('./dashboard/bars.js'),
        ]);
        dashboard = await createDashboard({
          bot,
          pool,
          config,
          logger,
          inspection,
          account: () => exchange.getAccount(),
          barHistory: exchangeBarHistory(exchange, logger.child({ actor: 'dashboard' })),
        });
      } catch (err) {
        await bot.stop('the dashboard could not start');
        throw err;
      }
    }

    if (lockTaken) throw lockTaken;
    if (notifier) {
      await notifier.notify('READY=1', 'STATUS=trading');
      const timeoutMs = watchdogTimeoutMs(process.env);
      if (timeoutMs !== null) {
        const running = bot;
        watchdog = new Watchdog({ notifier, timeoutMs, logger, lanes: () => running.registry.all() });
        watchdog.start();
      }
    }
    const exit = await new Promise<number>((resolve) => {
      void lockTakenByOther.then(resolve);
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: no new decisions, finishing in-flight writes');
        void notifier?.notify('STOPPING=1', `STATUS=stopping (${signal})`);
        void bot.stop(`received ${signal}`).then(() => resolve(0));
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      void bot.supervisor.done.then((result) => {
        if (result.ok) return resolve(0);
        logger.fatal(
          { childId: result.childId, reason: result.reason },
          'supervisor gave up; exiting non-zero',
        );
        resolve(1);
      });
    });
    await cleanup();
    logger.info({ exitCode: exit }, 'stopped');
    return exit;
  } catch (err) {
    const problem = describeDbError(err, config.db);
    const badConfig = err instanceof DcaError && err.code === 'CONFIG_INVALID';
    if (problem !== null || badConfig) {
      process.stderr.write(`dca-bot: cannot start, ${problem?.message ?? (err as Error).message}\n`);
    } else logger.fatal({ err }, 'start-up failed');
    await cleanup();
    return problem?.kind === 'permanent' || badConfig ? 2 : 1;
  }
}

function dbRetryLog(logger: Logger) {
  return (problem: Error, waitMs: number, attempt: number) =>
    logger.warn(
      { attempt, retryInSeconds: waitMs / 1000 },
      `${problem.message}; retrying (DB_CONNECT_TIMEOUT_SECONDS bounds the wait)`,
    );
}

async function logBanner(
  config: Config,
  endpoints: ExchangeEndpoints,
  pool: Pool,
  logger: Logger,
): Promise<void> {
  const { assets, invalid } = await loadAssets(pool);
  const cycles = await listCycles(pool, { limit: 1000 });
  const latest = new Map<number, string>();
  for (const c of cycles) if (!latest.has(c.assetId)) latest.set(c.assetId, `${c.status} (cycle ${c.id})`);
  // In sim mode the exchange is the simulator: the config's Alpaca URLs are not what the bot talks to.
  const shown = redactedConfig(config);
  if (config.mode === 'sim') {
    const { keyId: _k, secretKey: _s, ...urls } = endpoints;
    shown['alpaca'] = { ...urls, keyId: '[simulator]', secretKey: '[simulator]' };
  }
  // A pretty screen gets the few lines that matter; the full settings are one debug line away.
  if (config.log.pretty) logger.debug({ config: shown }, 'configuration');
  logger.info(
    {
      mode: config.mode,
      destination: config.destination.kind,
      tradingHost: config.destination.host,
      endpoints: {
        ...(config.mode === 'sim' ? { exchange: 'built-in simulator' } : {}),
        baseUrl: endpoints.baseUrl,
        dataUrl: endpoints.dataUrl,
        streamUrl: endpoints.streamUrl,
        dataStreamUrl: endpoints.dataStreamUrl,
      },
      ...(config.log.pretty ? {} : { config: shown }),
      assets: assets.map((a) => ({
        symbol: a.symbol,
        enabled: a.enabled,
        cycle: latest.get(a.id) ?? 'none yet',
      })),
      invalidAssets: invalid,
    },
    `dca-bot starting in ${config.mode} mode, trading on ${describeDestination(config.destination)}, with ${assets.length} asset(s)`,
  );
}

main().then(
  (code) => {
    process.exitCode = code;
    // Sockets and timers are closed; anything left is a leak that must not keep systemd waiting.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(
      `dca-bot: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
