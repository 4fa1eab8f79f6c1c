/**
 * `npm run sim -- --port 7700`: runs the simulator as a standalone exchange and prints the
 * APCA_API_* lines to paste into `.env`. A seeded random walk feeds quotes unless `--no-walk`
 * (or `--csv <file>` replays a file instead). Stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { type DecimalInput, dec } from '../money.js';
import { DEFAULT_ASSETS } from './assets.js';
import type { SimKeepAlive } from './keepAlive.js';
import { startSimulator } from './simulator.js';

const DEFAULT_PRICES: Record<string, string> = {
  'BTC/USD': '60000',
  'ETH/USD': '3000',
  'SOL/USD': '150',
  'DOGE/USD': '0.15',
};

const USAGE = `usage: npm run sim -- [options]
  --port <n>          port (default 7700; 0 = any free port)
  --host <addr>       bind address (default 127.0.0.1)
  --key <id>          API key id (default SIMKEY)
  --secret <secret>   API secret (default SIMSECRET)
  --fee <rate>        fee rate, e.g. 0.0025 (default 25 bps); market orders, and limit unless --maker-fee
  --maker-fee <rate>  fee rate of limit orders, e.g. 0.0015 (default: --fee)
  --min-order-value <usd>  smallest order value (default 10, as Alpaca; 0 = no minimum)
  --rate-limit <n>    REST requests per minute per key (default 200, as Alpaca; 0 = unlimited)
  --instant           no order-life latencies (orders are new and filled before the POST answers)
  --keep-alive <ms>   idle keep-alive connections closed after <ms> (default: as Node, 5000, announced)
  --keep-alive-unannounced  no Keep-Alive: timeout=N header (as most load balancers)
  --keep-alive-reset  an idle connection is left open and its next request reset unanswered
  --cash <usd>        starting cash (default 100000)
  --symbols <list>    symbols the walk moves, e.g. BTC/USD,ETH/USD (default all)
  --prices <list>     start prices in the same order, e.g. 60000,3000
  --seed <n>          random-walk seed (default 1)
  --volatility <x>    random-walk volatility per step (default 0.001)
  --interval <ms>     feed interval (default 1000)
  --csv <file>        replay quotes/bars from a CSV file instead of the walk
  --no-walk           no price feed (publish quotes via POST /_sim/quotes)
  --help`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '7700' },
        host: { type: 'string', default: '127.0.0.1' },
        key: { type: 'string', default: 'SIMKEY' },
        secret: { type: 'string', default: 'SIMSECRET' },
        fee: { type: 'string', default: '0.0025' },
        'maker-fee': { type: 'string' },
        'min-order-value': { type: 'string', default: '10' },
        'rate-limit': { type: 'string', default: '200' },
        instant: { type: 'boolean', default: false },
        'keep-alive': { type: 'string' },
        'keep-alive-unannounced': { type: 'boolean', default: false },
        'keep-alive-reset': { type: 'boolean', default: false },
        cash: { type: 'string', default: '100000' },
        symbols: { type: 'string' },
        prices: { type: 'string' },
        seed: { type: 'string', default: '1' },
        volatility: { type: 'string', default: '0.001' },
        interval: { type: 'string', default: '1000' },
        csv: { type: 'string' },
        'no-walk': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
}

function int(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer`);
  return n;
}

/** A NaN volatility would only surface as an uncaught error from the feed timer; refuse it here. */
function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number`);
  return n;
}

function startPrices(symbols: string | undefined, prices: string | undefined): Record<string, DecimalInput> {
  const list = symbols
    ? symbols.split(',').map((s) => s.trim().toUpperCase())
    : DEFAULT_ASSETS.map((a) => a.symbol);
  const given = prices ? prices.split(',').map((p) => p.trim()) : [];
  if (given.length > 0 && given.length !== list.length) fail('--prices needs one price per symbol');
  const start: Record<string, DecimalInput> = {};
  list.forEach((symbol, i) => {
    const price = given[i] ?? DEFAULT_PRICES[symbol];
    if (!price) fail(`no start price for ${symbol}: pass --prices`);
    start[symbol] = price;
  });
  return start;
}

/** `--keep-alive*`: unset, the server keeps Node's own idle handling. */
function keepAliveOf(a: ReturnType<typeof parse>): { keepAlive?: SimKeepAlive } {
  const unannounced = a['keep-alive-unannounced'] === true;
  const reset = a['keep-alive-reset'] === true;
  if (a['keep-alive'] === undefined && !unannounced && !reset) return {};
  return {
    keepAlive: {
      timeoutMs: a['keep-alive'] === undefined ? 5_000 : int(a['keep-alive'], 'keep-alive'),
      announce: !unannounced,
      onIdle: reset ? 'reset' : 'close',
    },
  };
}

const args = parse();
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
try {
  dec(args.fee, '--fee');
  dec(args.cash, '--cash');
  dec(args['min-order-value'], '--min-order-value');
  if (args['maker-fee'] !== undefined) dec(args['maker-fee'], '--maker-fee');
} catch (err) {
  fail((err as Error).message);
}

const sim = await startSimulator({
  port: int(args.port, 'port'),
  host: args.host,
  keyId: args.key,
  secretKey: args.secret,
  feeRate: args.fee,
  ...(args['maker-fee'] === undefined ? {} : { makerFeeRate: args['maker-fee'] }),
  minOrderValue: args['min-order-value'],
  rateLimitPerMinute: int(args['rate-limit'], 'rate-limit'),
  ...(args.instant ? { latency: 0 as const } : {}),
  ...keepAliveOf(args),
  cash: args.cash,
});
const interval = int(args.interval, 'interval');
if (args.csv) sim.startCsvReplay(args.csv, { intervalMs: interval });
else if (!args['no-walk']) {
  try {
    sim.startRandomWalk({
      start: startPrices(args.symbols, args.prices),
      seed: int(args.seed, 'seed'),
      volatility: positive(args.volatility, 'volatility'),
      intervalMs: interval,
    });
  } catch (err) {
    // An unknown symbol: the simulator lists no such asset.
    fail((err as Error).message);
  }
}

const e = sim.endpoints;
process.stdout.write(
  [
    `# dca-bot exchange simulator; paste into .env (control API: ${sim.controlUrl}/)`,
    `APCA_API_BASE_URL=${e.baseUrl}`,
    `APCA_API_DATA_URL=${e.dataUrl}`,
    `APCA_API_STREAM_URL=${e.streamUrl}`,
    `APCA_API_DATA_STREAM_URL=${e.dataStreamUrl}`,
    `APCA_API_KEY_ID=${e.keyId}`,
    `APCA_API_SECRET_KEY=${e.secretKey}`,
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`${signal}: closing the simulator\n`);
  await sim.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
