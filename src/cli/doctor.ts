/**
 * `dca-bot doctor`: checks everything the bot needs before it trades, one line per check (ok /
 * warn / fail, with the fix), or `--json`. The checks use the bot's own parts — its config parser,
 * destination guard, migrator, instance lock, exchange client with its REST budget, streams and
 * sizing rule — so what passes here is what the bot will find.
 *
 * Exit codes (README "Exit codes"): 0 nothing failed; 1 a check failed, or --order-test refused;
 * 2 the configuration does not parse, or a usage error.
 */
import type { Config } from '../config.js';
import { createExchange } from '../exchange/client.js';
import type { ExchangeEndpoints } from '../exchange/types.js';
import { createPool } from '../store/db.js';
import { parseCommand, positionals } from './args.js';
import { checkAccount, checkClock } from './doctorAccount.js';
import { checkAssets, checkCapital } from './doctorAssets.js';
import { HttpWatch } from './doctorHttp.js';
import { checkConfig, checkDatabase, checkDestination, type LocalFindings } from './doctorLocal.js';
import { orderTestRefusal, runOrderTest } from './doctorOrderTest.js';
import { DoctorReport, printReport, printReportJson, skip } from './doctorReport.js';
import { checkStreams, DEFAULT_STREAM_TIMINGS } from './doctorStreams.js';
import { simulatorEndpoints } from './exchangeCheck.js';
import { type CliIo, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, RefusedError, UsageError } from './io.js';

export const DOCTOR_USAGE = `usage: dca-bot doctor [--json] [--order-test [--really-live]]
  checks everything the bot needs, one line per check (ok / warn / fail, with the fix):
  the configuration, where orders go, MySQL (reachable, migrated, instance lock free), the keys and
  the account, both websockets, every dca_assets row against the exchange's rules at the current
  price, the capital, and this machine's clock against the exchange's
  --order-test    also place a limit BUY for the pair's minimum at half the bid, see it among the
                  open orders, cancel it and confirm it is gone (paper, loopback or simulator only)
  --really-live   allow --order-test where orders move real money
  --json          the results as JSON
  exit 0 when nothing failed, 1 when a check failed, 2 when the configuration does not parse`;

const FLAGS = {
  json: { type: 'boolean' },
  'order-test': { type: 'boolean' },
  'really-live': { type: 'boolean' },
} as const;

const EXCHANGE_CHECKS = ['keys', 'clock', 'trade_updates', 'quote stream', 'assets', 'capital'];

export async function doctorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, FLAGS, DOCTOR_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], DOCTOR_USAGE);
  const orderTest = parsed.values['order-test'] === true;
  const reallyLive = parsed.values['really-live'] === true;
  if (reallyLive && !orderTest) throw new UsageError('--really-live goes with --order-test', DOCTOR_USAGE);

  return diagnose(io, parsed.values, orderTest, reallyLive);
}

async function diagnose(
  io: CliIo,
  values: Record<string, string | boolean | undefined>,
  orderTest: boolean,
  reallyLive: boolean,
): Promise<number> {
  const report = new DoctorReport();
  const config = checkConfig(io.env, report);
  // Before any request: a refused order test contacts nothing, not even the database.
  if (orderTest && config !== null) {
    const refusal = orderTestRefusal(config, reallyLive);
    if (refusal !== null) throw new RefusedError(refusal);
  }
  checkDestination(config, report);
  const local = await checkDatabase(io.env, config, report);
  if (config === null)
    for (const name of EXCHANGE_CHECKS) report.add(skip(name, 'the configuration does not parse'));
  else await checkExchangeSide(io.env, config, { config, ...local }, orderTest, report);

  if (values['json'] === true) {
    printReportJson(io, report, {
      mode: config?.mode ?? null,
      destination: config?.destination ?? null,
    });
  } else printReport(io, report);
  if (report.failed('config')) return EXIT_USAGE;
  return report.failed() ? EXIT_REFUSED : EXIT_OK;
}

/** The exchange the bot would talk to, or why it cannot be reached from here. */
function exchangeTarget(env: NodeJS.ProcessEnv, config: Config): ExchangeEndpoints | string {
  if (config.mode !== 'sim') {
    const { keyId, secretKey, baseUrl, dataUrl, streamUrl, dataStreamUrl } = config.alpaca;
    return { keyId, secretKey, baseUrl, dataUrl, streamUrl, dataStreamUrl };
  }
  const port = Number(env['SIM_PORT']?.trim() || 0);
  if (port > 0) return simulatorEndpoints(port);
  return (
    'DCA_MODE=sim: the simulator starts inside the bot on a new port each time (SIM_PORT unset); ' +
    'set SIM_PORT and start the bot to check its simulator'
  );
}

async function checkExchangeSide(
  env: NodeJS.ProcessEnv,
  config: Config,
  local: LocalFindings,
  orderTest: boolean,
  report: DoctorReport,
): Promise<void> {
  const target = exchangeTarget(env, config);
  if (typeof target === 'string') {
    for (const name of EXCHANGE_CHECKS) report.add(skip(name, target));
    if (orderTest) report.add(skip('order test', target));
    return;
  }
  const watch = new HttpWatch();
  const { exchange } = createExchange(target, {
    requestTimeoutMs: 10_000,
    minOrderValue: config.minOrderValue,
    budget: config.restBudget,
    fetchApi: watch.fetch,
  });
  const account = await checkAccount(exchange, target.baseUrl, watch, report);
  if (account === null) {
    checkClock(watch, config, report);
    for (const name of ['trade_updates', 'quote stream', 'assets', 'capital'])
      report.add(skip(name, 'the keys were not accepted'));
    if (orderTest) report.add(skip('order test', 'the keys were not accepted'));
    return;
  }
  let enabled: Awaited<ReturnType<typeof checkAssets>>['enabled'] = [];
  let tradable: string[] = [];
  if (local.db !== null && local.tablesReady) {
    const pool = createPool(local.db);
    try {
      ({ enabled, tradable } = await checkAssets(pool, exchange, config, report));
    } finally {
      await pool.end();
    }
  } else report.add(skip('assets', 'the database or its tables are not ready'));
  await checkStreams(
    exchange,
    enabled.map((a) => a.symbol),
    DEFAULT_STREAM_TIMINGS,
    local.lockHeldBy,
    report,
  );
  checkClock(watch, config, report);
  checkCapital(enabled, account, report);
  if (orderTest) {
    const symbol = enabled.find((a) => tradable.includes(a.symbol))?.symbol ?? 'BTC/USD';
    report.add(await runOrderTest(exchange, symbol, watch));
  }
}
