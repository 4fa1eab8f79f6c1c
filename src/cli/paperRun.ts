/**
 * `npm run test:paper`: the bot end to end against the paper account, opt-in, with the operator's
 * own keys (APCA_API_KEY_ID / APCA_API_SECRET_KEY; skipped without them). In a throwaway database
 * with one throwaway asset row sized at the pair's minimum:
 *
 *   1. `dca-bot doctor --order-test` (every check, and a far-from-market order placed and canceled);
 *   2. the bot itself (app.ts, as `npm start` builds it) buys the base order at the ask, books the
 *      fill, sells the take-profit at market once the bid is above the buy, and completes the cycle;
 *   3. the position is back where it was (up to unsellable dust), and what it cost is printed.
 *
 * Only where no real money moves: Alpaca's paper host or a loopback exchange (the simulator, which
 * is how `npm test` runs it). The throwaway database is dropped at the end, whatever happened.
 */
import '../nodeVersion.js';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { type Bot, startBot } from '../app.js';
import { type Installation, orderOwner } from '../clientOrderId.js';
import { type Config, configSecrets, loadConfig, loadDotenv } from '../config.js';
import { type AssetConfig, type CycleRow, STRATEGY_DEFAULTS } from '../domain.js';
import { ConfigError } from '../errors.js';
import { createExchange } from '../exchange/client.js';
import { describeDestination } from '../exchange/destination.js';
import type { Exchange } from '../exchange/types.js';
import { createLogger } from '../logger.js';
import { dec, ONE, roundDownTo, ZERO } from '../money.js';
import { insertAsset } from '../store/assets.js';
import { listCycles } from '../store/cycles.js';
import { createPool, type Pool, poolOptions } from '../store/db.js';
import { acquireInstanceLock } from '../store/instanceLock.js';
import { migrate } from '../store/migrate.js';
import { minimumAmount } from './exchangeCheck.js';
import { runCli } from './run.js';

const USAGE = `usage: npm run test:paper [-- --symbol BTC/USD] [--take-profit 0.01] [--timeout 900]
  one real cycle on the paper account, in a throwaway database (needs APCA_API_KEY_ID/SECRET_KEY
  of a paper account, and DB_* of a user that may create databases)
  --symbol        the pair (default BTC/USD)
  --take-profit   take_profit_percent of the throwaway row (default 0.01)
  --timeout       seconds to wait for the fill and for the take-profit (default 900)`;

const say = (line: string) => process.stdout.write(`test:paper: ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      symbol: { type: 'string', default: 'BTC/USD' },
      'take-profit': { type: 'string', default: '0.01' },
      timeout: { type: 'string', default: '900' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const timeoutS = Number(values.timeout);
  if (!Number.isInteger(timeoutS) || timeoutS < 1) {
    process.stderr.write(
      `test:paper: --timeout expects whole seconds ≥ 1, got ${JSON.stringify(values.timeout)}\n${USAGE}\n`,
    );
    return 2;
  }
  loadDotenv();
  if (!process.env['APCA_API_KEY_ID']?.trim() || !process.env['APCA_API_SECRET_KEY']?.trim()) {
    say('skipped: set APCA_API_KEY_ID and APCA_API_SECRET_KEY to a paper account key pair to run it');
    return 0;
  }
  const database = `dca_paper_${randomBytes(5).toString('hex')}`;
  let config: Config;
  try {
    config = loadConfig({ ...process.env, DB_NAME: database });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`test:paper: ${err.message}\n`);
    return 2;
  }
  const d = config.destination;
  if (config.mode === 'sim' || (d.kind !== 'paper' && d.kind !== 'loopback')) {
    process.stderr.write(
      `test:paper: refused: it trades, and runs only against Alpaca's paper host or a loopback exchange; orders would go to ${describeDestination(d)}\n`,
    );
    return 1;
  }
  say(`orders go to ${describeDestination(d)}; throwaway database ${database}`);
  try {
    await migrate(config.db, { createDatabase: true });
    return await run(
      config,
      values.symbol,
      dec(values['take-profit'], '--take-profit'),
      Number(values.timeout),
    );
  } finally {
    await dropDatabase(config, database);
    say(`dropped ${database}`);
  }
}

async function run(config: Config, symbol: string, takeProfit: ReturnType<typeof dec>, timeoutS: number) {
  const { exchange } = createExchange(config.alpaca, {
    minOrderValue: config.minOrderValue,
    budget: config.restBudget,
  });
  const rules = await exchange.getAssetRules(symbol);
  const quote = await exchange.getLatestQuote(symbol);
  if (quote === null) throw new Error(`no latest quote for ${symbol}`);
  // The pair's minimum, sized by the bot's rule at an ask 1 % higher, so a move before the buy
  // does not take it under.
  const base = minimumAmount('base', quote.ask.mul('1.01'), rules, config.feeRate);
  const asset = throwawayAsset(symbol, base, takeProfit);
  const pool = createPool(config.db);
  try {
    asset.id = await insertAsset(pool, asset);
    say(
      `throwaway asset row ${symbol}: base ${base.toFixed()} USD, take-profit ${takeProfit.toFixed()} %, no safety orders`,
    );

    const doctorEnv = { ...process.env, DB_NAME: config.db.database };
    const code = await runCli(['doctor', '--order-test'], {
      env: doctorEnv,
      stdout: { write: (t: string) => process.stdout.write(t.replace(/^(?=.)/gm, '  ')) },
      stderr: process.stderr,
    });
    if (code !== 0) {
      say(`doctor found a problem (exit ${code}); no cycle was started`);
      return 1;
    }
    return await oneCycle(config, pool, exchange, asset, timeoutS);
  } finally {
    await pool.end();
  }
}

function throwawayAsset(symbol: string, base: ReturnType<typeof dec>, takeProfit: ReturnType<typeof dec>) {
  return {
    id: 0,
    symbol,
    enabled: true,
    baseOrderAmount: base,
    safetyOrderAmount: base,
    maxSafetyOrders: 0,
    safetyOrderDeviation: dec(1),
    takeProfitPercent: takeProfit,
    // After the take-profit the next cycle waits a day (and a 50 % drop): the run buys once.
    cooldownPeriod: 86_400,
    buyOrderPriceDeviationPercent: dec(50),
    lastSellPrice: null,
    ...STRATEGY_DEFAULTS,
  } satisfies AssetConfig as { -readonly [K in keyof AssetConfig]: AssetConfig[K] };
}

async function oneCycle(
  config: Config,
  pool: Pool,
  exchange: Exchange,
  asset: AssetConfig,
  timeoutS: number,
) {
  const before = (await exchange.getPosition(asset.symbol))?.qty ?? ZERO;
  say(`position before: ${before.toFixed()} ${asset.symbol}`);
  const lock = await acquireInstanceLock(config.db);
  const logger = createLogger({
    ...config.log,
    level: 'warn',
    file: null,
    pretty: false,
    secrets: configSecrets(config),
  });
  let bot: Bot | null = await startBot({ config, logger, pool, exchange });
  const stop = async () => {
    await bot?.stop('test:paper done');
    bot = null;
  };
  try {
    const bought = await waitForCycle(pool, asset.id, timeoutS, (c) => c.boughtQuantity.gt(0));
    if (bought === null) {
      const installation = bot.installation;
      await stop();
      say(`FAIL: the base order did not fill within ${timeoutS} s`);
      await cancelOwnOrders(exchange, asset.symbol, installation);
      await sellBack(exchange, asset, before);
      return 1;
    }
    say(
      `base order filled: bought ${bought.boughtQuantity.toFixed()} at ${bought.averagePurchasePrice.toFixed()} for ${bought.costBasis.toFixed(2)} USD, ` +
        `booked ${bought.quantity.toFixed()} after the fee taken in the coin`,
    );
    say(
      `waiting for the bid to reach the take-profit (${asset.takeProfitPercent.toFixed()} % above the buy)…`,
    );
    const done = await waitForCycle(
      pool,
      asset.id,
      timeoutS,
      (c) => c.status === 'complete' || c.status === 'error',
    );
    await stop();
    if (done === null || done.status !== 'complete') {
      say(`FAIL: the cycle did not complete within ${timeoutS} s (${done?.status ?? 'still open'})`);
      await sellBack(exchange, asset, before);
      return 1;
    }
    return await summarize(config, exchange, asset, done, before);
  } finally {
    await stop();
    await lock.release();
  }
}

/** The newest cycle of the asset once `accept` holds, or null past the timeout. */
async function waitForCycle(
  pool: Pool,
  assetId: number,
  timeoutS: number,
  accept: (c: CycleRow) => boolean,
): Promise<CycleRow | null> {
  const deadline = Date.now() + timeoutS * 1_000;
  while (Date.now() < deadline) {
    const cycles = await listCycles(pool, { assetId, limit: 5 });
    // After the take-profit the next cycle opens in cooldown: the completed one is the answer.
    const hit = cycles.find(accept);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

async function summarize(
  config: Config,
  exchange: Exchange,
  asset: AssetConfig,
  cycle: CycleRow,
  before: ReturnType<typeof dec>,
) {
  const sell = cycle.clientOrderId === null ? null : await exchange.getOrderByClientId(cycle.clientOrderId);
  const sold = sell?.filledQty ?? ZERO;
  const soldAt = sell?.filledAvgPrice ?? ZERO;
  const buyFee = cycle.boughtQuantity
    .minus(cycle.boughtQuantity.mul(ONE.minus(config.feeRate)))
    .mul(cycle.averagePurchasePrice);
  const sellFee = sold.mul(soldAt).minus(cycle.sellProceeds);
  say(
    `take-profit sold ${sold.toFixed()} at market at ${soldAt.toFixed()} for ${cycle.sellProceeds.toFixed(2)} USD after its fee`,
  );
  say(`cycle ${cycle.id} complete: realized P&L ${cycle.realizedPnl?.toFixed(4) ?? '?'} USD`);
  say(
    `cost: fees ${buyFee.plus(sellFee).toFixed(4)} USD (buy ${buyFee.toFixed(4)}, sell ${sellFee.toFixed(4)}, at DCA_FEE_BPS ${config.feeRate.mul(10_000).toFixed()}); ` +
      `the rest of the P&L is the spread and the move`,
  );
  const after = (await exchange.getPosition(asset.symbol))?.qty ?? ZERO;
  const left = after.minus(before);
  const rules = await exchange.getAssetRules(asset.symbol);
  const back = left.abs().lt(rules.minOrderSize);
  say(
    `position after: ${after.toFixed()} (${left.gte(0) ? '+' : ''}${left.toFixed()} against before: ` +
      `${back ? 'back where it was, up to dust below the min order size' : 'NOT back where it was'})`,
  );
  return back ? 0 : 1;
}

/** Cancels the run's bot orders still open (a base order resting above the market). */
async function cancelOwnOrders(
  exchange: Exchange,
  symbol: string,
  installation: Installation,
): Promise<void> {
  const open = await exchange.listOrders({ status: 'open', symbols: [symbol] });
  for (const order of open.filter((o) => orderOwner(o.clientOrderId, installation) === 'own')) {
    await exchange.cancelOrder(order.id);
    say(`canceled the run's open order ${order.clientOrderId}`);
  }
}

/** The cycle never sold: put the coin it bought back on the market, so the account is as it was. */
async function sellBack(
  exchange: Exchange,
  asset: AssetConfig,
  before: ReturnType<typeof dec>,
): Promise<void> {
  const now = (await exchange.getPosition(asset.symbol))?.qty ?? ZERO;
  const rules = await exchange.getAssetRules(asset.symbol);
  const qty = roundDownTo(now.minus(before), rules.minTradeIncrement);
  if (qty.lt(rules.minOrderSize)) return;
  await exchange.submitOrder({
    clientOrderId: `paper-run-${Date.now().toString(36)}`,
    symbol: asset.symbol,
    side: 'sell',
    type: 'market',
    qty,
    limitPrice: null,
    timeInForce: 'gtc',
  });
  say(`sold the ${qty.toFixed()} the cycle bought at market, to put the position back`);
}

async function dropDatabase(config: Config, database: string): Promise<void> {
  if (!/^dca_paper_[0-9a-f]+$/.test(database)) return;
  const { database: _omit, ...server } = poolOptions(config.db);
  const conn = await mysql.createConnection(server);
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`test:paper: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
