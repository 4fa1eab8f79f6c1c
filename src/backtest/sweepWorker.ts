/** One sweep worker: runs the points it is handed over the shared bars and answers with their numbers. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Row } from '../cli/assetRows.js';
import type { AssetRules } from '../domain.js';
import { dec } from '../money.js';
import type { Bars } from './bars.js';
import { type MarketModel, runBacktest } from './engine.js';
import { addFlags, assetOfRow } from './settings.js';
import { summarize } from './summary.js';
import type { PointResult } from './sweep.js';

const port = parentPort;
if (!port) throw new Error('sweepWorker must run in a worker thread');
const data = workerData as { bars: Bars; rules: Record<string, string | boolean>; market: MarketModel };
const r = data.rules;
const rules: AssetRules = {
  symbol: String(r['symbol']),
  tradable: true,
  minOrderSize: dec(String(r['minOrderSize'])),
  minTradeIncrement: dec(String(r['minTradeIncrement'])),
  priceIncrement: dec(String(r['priceIncrement'])),
  minOrderValue: dec(String(r['minOrderValue'])),
};

port.on('message', (point: { index: number; overrides: Record<string, string>; row: Row }) => {
  const run = runBacktest(data.bars, {
    asset: assetOfRow(point.row),
    rules,
    market: data.market,
    equityPoints: 1,
  });
  const s = summarize(run, data.market.makerFeeBps, data.market.takerFeeBps);
  const result: PointResult = {
    index: point.index,
    overrides: point.overrides,
    settings: addFlags(point.row),
    totalPnl: s.totalPnl.toDecimalPlaces(2).toFixed(2),
    realizedPnl: s.realizedPnl.toDecimalPlaces(2).toFixed(2),
    returnOnMaxCapitalPercent: s.returnOnMaxCapitalPercent.toFixed(2),
    maxDrawdownPercent: s.maxDrawdownPercent.toFixed(2),
    maxDrawdownUsd: s.maxDrawdownUsd.toFixed(2),
    cyclesCompleted: s.cyclesCompleted,
    fees: s.fees.toDecimalPlaces(2).toFixed(2),
  };
  port.postMessage(result);
});
port.postMessage('ready');
