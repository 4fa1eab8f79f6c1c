/**
 * `dca-bot assets list|add|set|enable|disable`: the operator's view of `dca_assets`. Every write is
 * validated by the bot's own row parser first, so what the CLI stores is what the bot will trade.
 */
import type { AssetConfig } from '../domain.js';
import { safetyOrderAmountOf } from '../machines/decisions.js';
import {
  findAssetRow,
  listAssetRows,
  parseOrReason,
  setAssetEnabled,
  updateAssetSettings,
} from '../store/assets.js';
import type { Queryable } from '../store/db.js';
import { type Parsed, parseCommand, positionals } from './args.js';
import {
  ASSET_FLAGS,
  type AssetFlag,
  duplicate,
  insertAssetRow,
  type Row,
  requireAssetRow,
  STRATEGY_FLAGS,
  strategyColumns,
  validateAssetRow,
  worstCaseCapital,
} from './assetRows.js';
import { withPool } from './db.js';
import { checkAgainstExchange } from './exchangeCheck.js';
import {
  type CliIo,
  EXIT_OK,
  formatTable,
  plain,
  printJson,
  println,
  RefusedError,
  UsageError,
} from './io.js';

export const SETTING_FLAGS = `  --base <usd>           base order amount in USD
  --safety <usd>         safety order amount in USD
  --max-safety <n>       safety orders per cycle (0 to 100)
  --deviation <pct>      % drop below the last buy fill that buys a safety order
  --take-profit <pct>    % rise above the average price that sells
  --cooldown <seconds>   wait after a take-profit before the next cycle buys
  --restart-drop <pct>   % drop below the last sell price that ends a cooldown early`;

export const STRATEGY_USAGE = `strategy controls (optional; a new asset gets the defaults in brackets):
  --ttp-deviation <pct|off>   trailing take-profit: from the take-profit price on, follow the
                              highest bid and sell when it falls <pct> % below it [off]
  --stop-loss <pct|off>       sell everything at market <pct> % below the average price [off]
  --stop-loss-after-safety <yes|no>
                              the stop-loss waits until every safety order is used [yes]
  --volume-scale <x>          each next safety order's amount is the previous one's × x [1]
  --step-scale <x>            each next safety order's deviation is the previous one's × x [1]`;

const EXCHANGE_FLAGS = `  --check-exchange       check against the exchange even in sim mode; fail without keys
  --skip-exchange-check  store without asking the exchange`;

export const ASSETS_USAGE = `usage: dca-bot assets <list|add|set|enable|disable> [options]
  list [--json]                       every asset row, invalid ones flagged with the reason
  add <SYMBOL> <settings> [--disabled] add an asset (all seven settings required)
  set <SYMBOL> <settings>             change any of the settings
  enable <SYMBOL> / disable <SYMBOL>  start or stop new cycles for an asset
run \`dca-bot assets <command> --help\` for its options`;

const LIST_USAGE = `usage: dca-bot assets list [--json]`;
const ADD_USAGE = `usage: dca-bot assets add <SYMBOL> --base <usd> --safety <usd> --max-safety <n> --deviation <pct>
                      --take-profit <pct> --cooldown <seconds> --restart-drop <pct> [--disabled]
${SETTING_FLAGS}
  --disabled             store it disabled (no cycles until \`dca-bot assets enable\`)
${STRATEGY_USAGE}
${EXCHANGE_FLAGS}
example: dca-bot assets add BTC/USD --base 20 --safety 20 --max-safety 5 --deviation 1.5 \\
           --take-profit 1 --cooldown 300 --restart-drop 2`;
const SET_USAGE = `usage: dca-bot assets set <SYMBOL> [settings...]
${SETTING_FLAGS}
${STRATEGY_USAGE}
${EXCHANGE_FLAGS}`;
const ENABLE_USAGE = `usage: dca-bot assets enable <SYMBOL>`;
const DISABLE_USAGE = `usage: dca-bot assets disable <SYMBOL>`;

export const settingOptions = Object.fromEntries(
  [...Object.keys(ASSET_FLAGS), ...Object.keys(STRATEGY_FLAGS)].map((flag) => [
    flag,
    { type: 'string' as const },
  ]),
);
const exchangeOptions = {
  'check-exchange': { type: 'boolean' as const },
  'skip-exchange-check': { type: 'boolean' as const },
};

export async function assetsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list':
      return list(rest, io);
    case 'add':
      return add(rest, io);
    case 'set':
      return set(rest, io);
    case 'enable':
      return toggle(rest, io, true);
    case 'disable':
      return toggle(rest, io, false);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      if (sub === undefined) throw new UsageError('missing assets command', ASSETS_USAGE);
      println(io, ASSETS_USAGE);
      return EXIT_OK;
    default:
      throw new UsageError(`unknown assets command ${JSON.stringify(sub)}`, ASSETS_USAGE);
  }
}

async function list(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, { json: { type: 'boolean' } }, LIST_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], LIST_USAGE);
  const rows = await withPool(io, listAssetRows);
  const entries = rows.map(describeRow);
  if (parsed.values['json'] === true) {
    printJson(io, { assets: entries });
    return EXIT_OK;
  }
  if (entries.length === 0) {
    println(io, 'no assets yet: add one with `dca-bot assets add --help`');
    return EXIT_OK;
  }
  const headers = ['ID', 'SYMBOL', 'ENABLED', 'BASE', 'SAFETY', 'MAX SO', 'DEVIATION %', 'TAKE PROFIT %'];
  headers.push(
    'COOLDOWN S',
    'RESTART DROP %',
    'TTP %',
    'STOP LOSS %',
    'SCALE V/S',
    'WORST CASE USD',
    'VALID',
  );
  const table = entries.map((e) => [
    String(e.id),
    e.symbol,
    e.enabled ? 'yes' : 'no',
    String(e.baseOrderAmount),
    String(e.safetyOrderAmount),
    String(e.maxSafetyOrders),
    String(e.safetyOrderDeviation),
    String(e.takeProfitPercent),
    String(e.cooldownPeriod),
    String(e.buyOrderPriceDeviationPercent),
    e.ttpEnabled ? String(e.ttpDeviationPercent) : '-',
    e.stopLossPercent === null
      ? '-'
      : `${e.stopLossPercent}${e.stopLossAfterSafetyOrders ? ' after SOs' : ''}`,
    `${e.safetyOrderVolumeScale}/${e.safetyOrderStepScale}`,
    e.worstCaseCapital ?? '-',
    e.valid ? 'yes' : 'NO',
  ]);
  const right = (['left', 'left', 'left'] as const).concat(Array(11).fill('right'));
  println(io, formatTable(headers, table, [...right, 'left']));
  for (const e of entries) {
    if (!e.valid) println(io, `asset ${e.id} (${e.symbol}) is invalid and skipped by the bot: ${e.reason}`);
  }
  return EXIT_OK;
}

/** One row for output: the parsed values when valid, the raw column values plus the reason when not. */
function describeRow(row: Row) {
  const raw = (column: string) =>
    row[column] === null || row[column] === undefined ? null : String(row[column]);
  const asset = parseOrReason(row);
  if (typeof asset !== 'string') return { ...assetJson(asset), valid: true, reason: null };
  return {
    id: Number(row['id']),
    symbol: String(row['asset_symbol']),
    enabled: Boolean(Number(row['is_enabled'])),
    baseOrderAmount: raw('base_order_amount'),
    safetyOrderAmount: raw('safety_order_amount'),
    maxSafetyOrders: raw('max_safety_orders'),
    safetyOrderDeviation: raw('safety_order_deviation'),
    takeProfitPercent: raw('take_profit_percent'),
    cooldownPeriod: raw('cooldown_period'),
    buyOrderPriceDeviationPercent: raw('buy_order_price_deviation_percent'),
    lastSellPrice: raw('last_sell_price'),
    ttpEnabled: Boolean(Number(row['ttp_enabled'])),
    ttpDeviationPercent: raw('ttp_deviation_percent'),
    stopLossPercent: raw('stop_loss_percent'),
    stopLossAfterSafetyOrders: Boolean(Number(row['stop_loss_after_safety_orders'] ?? 1)),
    safetyOrderVolumeScale: raw('safety_order_volume_scale'),
    safetyOrderStepScale: raw('safety_order_step_scale'),
    worstCaseCapital: null,
    valid: false,
    reason: asset,
  };
}

function assetJson(asset: AssetConfig) {
  return {
    id: asset.id,
    symbol: asset.symbol,
    enabled: asset.enabled,
    baseOrderAmount: plain(asset.baseOrderAmount),
    safetyOrderAmount: plain(asset.safetyOrderAmount),
    maxSafetyOrders: asset.maxSafetyOrders,
    safetyOrderDeviation: plain(asset.safetyOrderDeviation),
    takeProfitPercent: plain(asset.takeProfitPercent),
    cooldownPeriod: asset.cooldownPeriod,
    buyOrderPriceDeviationPercent: plain(asset.buyOrderPriceDeviationPercent),
    lastSellPrice: asset.lastSellPrice === null ? null : plain(asset.lastSellPrice),
    ttpEnabled: asset.ttpEnabled,
    ttpDeviationPercent: asset.ttpDeviationPercent === null ? null : plain(asset.ttpDeviationPercent),
    stopLossPercent: asset.stopLossPercent === null ? null : plain(asset.stopLossPercent),
    stopLossAfterSafetyOrders: asset.stopLossAfterSafetyOrders,
    safetyOrderVolumeScale: plain(asset.safetyOrderVolumeScale),
    safetyOrderStepScale: plain(asset.safetyOrderStepScale),
    worstCaseCapital: plain(worstCaseCapital(asset)),
  };
}

/** The setting flags given on the command line, as `dca_assets` column values. */
export function settingColumns(parsed: Parsed): Row {
  const columns: Row = {};
  for (const [flag, column] of Object.entries(ASSET_FLAGS)) {
    const value = parsed.values[flag];
    if (typeof value === 'string') columns[column] = value.trim();
  }
  return { ...columns, ...strategyColumns(parsed.values) };
}

async function add(argv: readonly string[], io: CliIo): Promise<number> {
  const options = { ...settingOptions, ...exchangeOptions, disabled: { type: 'boolean' as const } };
  const parsed = parseCommand(argv, options, ADD_USAGE, io);
  if (parsed === null) return EXIT_OK;
  const [symbol = ''] = positionals(parsed, ['SYMBOL'], ADD_USAGE);
  const missing = (Object.keys(ASSET_FLAGS) as AssetFlag[]).filter((f) => parsed.values[f] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.map((f) => `--${f}`).join(', ')}`, ADD_USAGE);
  }
  const asset = validateAssetRow({
    id: 0,
    asset_symbol: symbol,
    is_enabled: parsed.values['disabled'] !== true,
    last_sell_price: null,
    ...settingColumns(parsed),
  });
  return withPool(io, async (pool) => {
    if ((await findAssetRow(pool, symbol)) !== null) throw duplicate(symbol);
    println(io, await checkAgainstExchange(io, asset, exchangeCheck(parsed)));
    const id = await insertAssetRow(pool, asset);
    println(io, `added ${symbol} (id ${id}, ${asset.enabled ? 'enabled' : 'disabled'})`);
    println(io, capitalLine(asset));
    return EXIT_OK;
  });
}

async function set(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, { ...settingOptions, ...exchangeOptions }, SET_USAGE, io);
  if (parsed === null) return EXIT_OK;
  const [symbol = ''] = positionals(parsed, ['SYMBOL'], SET_USAGE);
  const changes = settingColumns(parsed);
  if (Object.keys(changes).length === 0)
    throw new UsageError('nothing to change: give at least one setting', SET_USAGE);
  return withPool(io, async (pool) => {
    const row = await requireAssetRow(pool, symbol);
    const asset = validateAssetRow({ ...row, ...changes });
    // Only the amounts and how many safety orders depend on the exchange's minimum order size.
    const sizing = [
      'base_order_amount',
      'safety_order_amount',
      'max_safety_orders',
      'safety_order_volume_scale',
    ];
    if (sizing.some((c) => c in changes)) {
      println(io, await checkAgainstExchange(io, asset, exchangeCheck(parsed)));
    }
    await updateAssetSettings(pool, asset);
    const before = (column: string) => String(row[column]);
    const after = assetJson(asset) as Record<string, unknown>;
    println(io, `updated ${symbol}:`);
    for (const [flag, column] of [...Object.entries(ASSET_FLAGS), ...Object.entries(STRATEGY_FLAGS)]) {
      if (!(column in changes)) continue;
      const key = camel(column);
      println(io, `  ${column}: ${plainRaw(before(column))} -> ${String(after[key])}  (--${flag})`);
    }
    if ('ttp_enabled' in changes) {
      println(io, `  ttp_enabled: ${plainRaw(before('ttp_enabled'))} -> ${String(asset.ttpEnabled ? 1 : 0)}`);
    }
    println(io, capitalLine(asset));
    return EXIT_OK;
  });
}

async function toggle(argv: readonly string[], io: CliIo, enabled: boolean): Promise<number> {
  const usage = enabled ? ENABLE_USAGE : DISABLE_USAGE;
  const parsed = parseCommand(argv, {}, usage, io);
  if (parsed === null) return EXIT_OK;
  const [symbol = ''] = positionals(parsed, ['SYMBOL'], usage);
  return withPool(io, async (pool: Queryable) => {
    const row = await requireAssetRow(pool, symbol);
    // An invalid row would be skipped by the bot anyway: say so instead of pretending it will trade.
    if (enabled) validateAssetRow(row);
    const was = Boolean(Number(row['is_enabled']));
    if (was === enabled) {
      println(io, `${symbol} is already ${enabled ? 'enabled' : 'disabled'}`);
      return EXIT_OK;
    }
    await setAssetEnabled(pool, Number(row['id']), enabled);
    println(
      io,
      enabled
        ? `${symbol} enabled: the bot starts cycles for it at its next asset poll`
        : `${symbol} disabled: no new cycle will buy; a cycle already holding coin is still managed`,
    );
    return EXIT_OK;
  });
}

function exchangeCheck(parsed: Parsed) {
  if (parsed.values['check-exchange'] === true && parsed.values['skip-exchange-check'] === true) {
    throw new RefusedError('refused: --check-exchange and --skip-exchange-check contradict each other');
  }
  return {
    force: parsed.values['check-exchange'] === true,
    skip: parsed.values['skip-exchange-check'] === true,
  };
}

function capitalLine(asset: AssetConfig): string {
  const total = `worst-case capital: ${plain(worstCaseCapital(asset))} USD`;
  if (asset.maxSafetyOrders === 0 || asset.safetyOrderVolumeScale.eq(1)) {
    return `${total} (base ${plain(asset.baseOrderAmount)} + ${asset.maxSafetyOrders} × safety ${plain(asset.safetyOrderAmount)})`;
  }
  // Scaled: every safety order's own amount, as the bot will place them.
  const ladder = Array.from({ length: asset.maxSafetyOrders }, (_, i) =>
    plain(safetyOrderAmountOf(asset, i + 1)),
  );
  return `${total} (base ${plain(asset.baseOrderAmount)} + safety orders ${ladder.join(' + ')})`;
}

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** "20.0000000000" (a DECIMAL column) as 20; anything unparsable as it is. */
function plainRaw(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? value.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') : value;
}
