/**
 * `dca-bot backtest <SYMBOL>`: what these settings would have done, on the bot's own cycle machine
 * (src/backtest). Bars come from a CSV file (no database, no keys) or the `dca_bars` cache; the
 * settings from the `dca-bot assets add` flags (parsed and validated by the same code) or a
 * `dca_assets` row (`--asset`), any flag given then overriding the row.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Bars } from '../backtest/bars.js';
import { CsvImportError, parseBarsCsv } from '../backtest/csv.js';
import { MARKET_DEFAULTS, type MarketModel, runBacktest } from '../backtest/engine.js';
import { htmlReport } from '../backtest/html.js';
import { addFlags, assetOfRow, pairRules } from '../backtest/settings.js';
import { summarize } from '../backtest/summary.js';
import { parseSweep, RANKS, type Rank, rank, runSweep } from '../backtest/sweep.js';
import { reportJson, summaryText } from '../backtest/text.js';
import { dec } from '../money.js';
import { type Parsed, parseCommand, positionals, positiveInt } from './args.js';
import { ASSET_FLAGS, type AssetFlag, type Row, requireAssetRow } from './assetRows.js';
import { SETTING_FLAGS, STRATEGY_USAGE, settingColumns, settingOptions } from './assets.js';
import { periodBars, periodOf, requireTimeframe } from './bars.js';
import { withPool } from './db.js';
import { type CliIo, EXIT_OK, formatTable, printJson, println, RefusedError, UsageError } from './io.js';
import { progressBar } from './progress.js';

export const BACKTEST_USAGE = `usage: dca-bot backtest <SYMBOL> [--csv FILE | --from DATE --to DATE [--timeframe 1Min]]
                        (<settings> | --asset SYMBOL [settings to override]) [options]
bars:
  --csv <file>             timestamp,open,high,low,close,volume (no database, no keys needed)
  --from/--to <date>       bars from the dca_bars cache, fetched from the exchange when missing
  --timeframe <tf>         1Min (default), 5Min, 15Min, 30Min, 1Hour, 4Hour, 1Day
settings (as \`dca-bot assets add\`):
${SETTING_FLAGS}
  --asset <SYMBOL>         take the settings from this dca_assets row
${STRATEGY_USAGE}
market model:
  --spread-bps <n>         full bid/ask spread around each bar price (default ${MARKET_DEFAULTS.spreadBps})
  --slippage-bps <n>       market sells fill this far below the bid (default ${MARKET_DEFAULTS.slippageBps})
  --maker-fee-bps <n>      limit buys (default ${MARKET_DEFAULTS.makerFeeBps})
  --taker-fee-bps <n>      market sells (default ${MARKET_DEFAULTS.takerFeeBps})
  --fee-bps <n>            the bot's fee estimate (default DCA_FEE_BPS, else ${MARKET_DEFAULTS.feeBps})
pair rules (default: Alpaca's published ones for known pairs):
  --min-order-size <qty>  --min-trade-increment <qty>  --price-increment <usd>
  --min-order-usd <usd>    (default DCA_MIN_ORDER_USD, else 10)
output:
  --json                   one JSON document
  --html <file>            a self-contained report with the chart (opens offline)
  --cycles <n>             cycles listed in the text report (default 10)
sweep:
  --sweep <setting>=<start>:<end>:<step>   repeatable; every combination runs, on all cores
                                           (or <setting>=<a>,<b>,...; a setting is a column or its
                                           flag, the strategy controls too: ttp_deviation_percent=off,0.3)
  --rank pnl|return|drawdown               order of the best rows (default pnl)
  --top <n>                                rows shown (default 10)
example: dca-bot backtest BTC/USD --csv btc-1m.csv --base 20 --safety 20 --max-safety 5 \\
           --deviation 1.5 --take-profit 1 --cooldown 300 --restart-drop 2 --html report.html`;

const OPTIONS = {
  ...settingOptions,
  asset: { type: 'string' as const },
  csv: { type: 'string' as const },
  from: { type: 'string' as const },
  to: { type: 'string' as const },
  timeframe: { type: 'string' as const },
  'spread-bps': { type: 'string' as const },
  'slippage-bps': { type: 'string' as const },
  'maker-fee-bps': { type: 'string' as const },
  'taker-fee-bps': { type: 'string' as const },
  'fee-bps': { type: 'string' as const },
  'min-order-size': { type: 'string' as const },
  'min-trade-increment': { type: 'string' as const },
  'price-increment': { type: 'string' as const },
  'min-order-usd': { type: 'string' as const },
  json: { type: 'boolean' as const },
  html: { type: 'string' as const },
  cycles: { type: 'string' as const },
  sweep: { type: 'string' as const, multiple: true },
  rank: { type: 'string' as const },
  top: { type: 'string' as const },
};

function str(parsed: Parsed, flag: string): string | undefined {
  const v = parsed.values[flag];
  return typeof v === 'string' ? v.trim() : undefined;
}

function bps(parsed: Parsed, flag: string, fallback: number): number {
  const v = str(parsed, flag);
  if (v === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > 10_000) {
    throw new RefusedError(
      `refused: --${flag} expects basis points from 0 to 10000, got ${JSON.stringify(v)}`,
    );
  }
  return Number(v);
}

function envNumber(io: CliIo, name: string): number | undefined {
  const v = io.env[name]?.trim();
  return v && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;
}

function marketOf(parsed: Parsed, io: CliIo): MarketModel {
  return {
    spreadBps: bps(parsed, 'spread-bps', MARKET_DEFAULTS.spreadBps),
    slippageBps: bps(parsed, 'slippage-bps', MARKET_DEFAULTS.slippageBps),
    makerFeeBps: bps(parsed, 'maker-fee-bps', MARKET_DEFAULTS.makerFeeBps),
    takerFeeBps: bps(parsed, 'taker-fee-bps', MARKET_DEFAULTS.takerFeeBps),
    feeBps: bps(parsed, 'fee-bps', envNumber(io, 'DCA_FEE_BPS') ?? MARKET_DEFAULTS.feeBps),
  };
}

/** The settings row: the flags alone (all required, as for `assets add`) or a stored row they override. */
async function settingsRow(parsed: Parsed, io: CliIo, symbol: string): Promise<Row> {
  const flags = settingColumns(parsed);
  const from = str(parsed, 'asset');
  if (from !== undefined) {
    const stored = await withPool(io, (pool) => requireAssetRow(pool, from));
    return { ...stored, asset_symbol: symbol, ...flags };
  }
  const swept = new Set(
    ((parsed.values['sweep'] as unknown as string[] | undefined) ?? []).map((s) => parseSweep(s).column),
  );
  const missing = (Object.keys(ASSET_FLAGS) as AssetFlag[]).filter(
    (f) => parsed.values[f] === undefined && !swept.has(ASSET_FLAGS[f]),
  );
  if (missing.length > 0) {
    throw new UsageError(
      `missing ${missing.map((f) => `--${f}`).join(', ')} (or --asset SYMBOL)`,
      BACKTEST_USAGE,
    );
  }
  return { id: 0, asset_symbol: symbol, is_enabled: true, last_sell_price: null, ...flags };
}

async function loadBars(parsed: Parsed, io: CliIo, symbol: string): Promise<Bars> {
  const csv = str(parsed, 'csv');
  const from = str(parsed, 'from');
  const to = str(parsed, 'to');
  if (csv !== undefined && (from !== undefined || to !== undefined)) {
    throw new UsageError('--csv and --from/--to exclude each other', BACKTEST_USAGE);
  }
  if (csv !== undefined) {
    let text: string;
    try {
      text = readFileSync(csv, 'utf8');
    } catch (err) {
      throw new RefusedError(`refused: cannot read ${csv}: ${(err as Error).message}`);
    }
    const timeframe = str(parsed, 'timeframe');
    const frame = timeframe === undefined ? undefined : requireTimeframe(timeframe);
    try {
      // Without --timeframe the file's most common gap between bars is its timeframe.
      return parseBarsCsv(text, symbol, csv, frame);
    } catch (err) {
      if (err instanceof CsvImportError) throw new RefusedError(`refused: ${err.message}`);
      throw err;
    }
  }
  if (from === undefined && to === undefined) {
    throw new UsageError('give --csv FILE, or --from DATE and --to DATE', BACKTEST_USAGE);
  }
  return periodBars(io, symbol, periodOf(from, to, str(parsed, 'timeframe')));
}

export async function backtestCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, BACKTEST_USAGE, io);
  if (parsed === null) return EXIT_OK;
  const [rawSymbol = ''] = positionals(parsed, ['SYMBOL'], BACKTEST_USAGE);
  const symbol = rawSymbol.trim().toUpperCase();
  const market = marketOf(parsed, io);
  const minOrderUsd = str(parsed, 'min-order-usd') ?? io.env['DCA_MIN_ORDER_USD']?.trim() ?? '10';
  if (!/^\d+(\.\d+)?$/.test(minOrderUsd))
    throw new RefusedError(
      `refused: --min-order-usd expects a USD amount, got ${JSON.stringify(minOrderUsd)}`,
    );
  const rules = pairRules(
    symbol,
    {
      ...(str(parsed, 'min-order-size') ? { minOrderSize: str(parsed, 'min-order-size')! } : {}),
      ...(str(parsed, 'min-trade-increment')
        ? { minTradeIncrement: str(parsed, 'min-trade-increment')! }
        : {}),
      ...(str(parsed, 'price-increment') ? { priceIncrement: str(parsed, 'price-increment')! } : {}),
    },
    dec(minOrderUsd),
  );
  const sweeps = (parsed.values['sweep'] as unknown as string[] | undefined) ?? [];
  const row = await settingsRow(parsed, io, symbol);
  if (sweeps.length === 0) assetOfRow(row); // refuse bad settings before reading any bars
  const bars = await loadBars(parsed, io, symbol);
  if (sweeps.length > 0) return sweep(parsed, io, { bars, row, rules, market, sweeps });

  const asset = assetOfRow(row);
  const run = runBacktest(bars, { asset, rules, market });
  const summary = summarize(run, market.makerFeeBps, market.takerFeeBps);
  const settings = `dca-bot assets add ${symbol} ${addFlags(row)}`;
  const html = str(parsed, 'html');
  if (html !== undefined) writeFileSync(html, htmlReport(bars, run, summary, settings));
  if (parsed.values['json'] === true) {
    printJson(io, reportJson(summary, settings, run));
    return EXIT_OK;
  }
  println(io, summaryText(summary, settings, positiveInt(parsed.values['cycles'], 'cycles', 10), run));
  if (html !== undefined) println(io, `\nreport written to ${html}`);
  return EXIT_OK;
}

async function sweep(
  parsed: Parsed,
  io: CliIo,
  job: { bars: Bars; row: Row; rules: ReturnType<typeof pairRules>; market: MarketModel; sweeps: string[] },
): Promise<number> {
  const by = (str(parsed, 'rank') ?? 'pnl') as Rank;
  if (!RANKS.includes(by))
    throw new RefusedError(`refused: --rank expects one of ${RANKS.join(', ')}, got ${JSON.stringify(by)}`);
  const top = positiveInt(parsed.values['top'], 'top', 10);
  const axes = job.sweeps.map(parseSweep);
  const started = Date.now();
  const { results, invalid } = await runSweep({
    bars: job.bars,
    row: job.row,
    axes,
    rules: job.rules,
    market: job.market,
    onProgress: progressBar(io, 'sweep'),
  });
  const wallMs = Date.now() - started;
  const best = rank(results, by).slice(0, top);
  const symbol = String(job.row['asset_symbol']);
  if (parsed.values['json'] === true) {
    printJson(io, { rank: by, points: results.length, wallMs, bars: job.bars.t.length, best, invalid });
    return EXIT_OK;
  }
  println(
    io,
    `sweep ${symbol}: ${results.length} points over ${job.bars.t.length} bars in ${(wallMs / 1000).toFixed(1)} s, best ${best.length} by ${by}`,
  );
  println(
    io,
    formatTable(
      ['#', 'P&L USD', 'RETURN %', 'DRAWDOWN %', 'CYCLES', 'FEES USD', 'SETTINGS'],
      best.map((r, i) => [
        String(i + 1),
        r.totalPnl,
        r.returnOnMaxCapitalPercent,
        r.maxDrawdownPercent,
        String(r.cyclesCompleted),
        r.fees,
        `dca-bot assets add ${symbol} ${r.settings}`,
      ]),
      ['right', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
  );
  for (const p of invalid) println(io, `skipped ${JSON.stringify(p.overrides)}: ${p.error}`);
  return EXIT_OK;
}
