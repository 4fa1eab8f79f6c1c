/**
 * `dca-bot status`: every asset's current cycle on one line, with the prices that would move it next
 * (computed by the cycle machine's own decision functions, so the CLI and the bot agree).
 */
import { type AssetConfig, type CycleRow, TERMINAL_STATUSES } from '../domain.js';
import { takeProfitPrice, triggerPrices } from '../machines/decisions.js';
import type { Decimal } from '../money.js';
import { type AssetSupervisionRow, listAssetSupervision } from '../store/assetSupervision.js';
import { listAssetRows, parseOrReason } from '../store/assets.js';
import { getLatestCycle } from '../store/cycles.js';
import { parseCommand, positionals } from './args.js';
import { withPool } from './db.js';
import { type CliIo, EXIT_OK, formatTable, plain, price, printJson, println } from './io.js';

export const STATUS_USAGE = `usage: dca-bot status [--json]
  one line per asset: its current cycle, holdings, safety orders used, the order in flight and the
  ask / bid prices that trigger the next safety order and the take-profit; then the assets the
  running bot does not trade right now (parked after repeated crashes, or idle because the exchange
  does not list or trade the pair), with the reason and the next retry`;

interface AssetStatus {
  readonly symbol: string;
  readonly enabled: boolean;
  readonly invalidReason: string | null;
  readonly maxSafetyOrders: number | null;
  readonly cycle: CycleRow | null;
  readonly nextSafetyPrice: Decimal | null;
  readonly takeProfitPrice: Decimal | null;
  /** A trailing take-profit under way: the highest bid so far and the bid at or below which it sells. */
  readonly trailing: { readonly peak: Decimal; readonly sellAt: Decimal } | null;
  /** The bid at or below which the stop-loss sells; null without a stop-loss or while it waits for safety orders. */
  readonly stopLossPrice: Decimal | null;
  /** What the running bot reported: parked or idle; null while it trades the asset. */
  readonly supervision: AssetSupervisionRow | null;
}

export async function statusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, { json: { type: 'boolean' } }, STATUS_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], STATUS_USAGE);
  const statuses = await withPool(io, async (pool) => {
    const out: AssetStatus[] = [];
    const supervision = await listAssetSupervision(pool);
    for (const row of await listAssetRows(pool)) {
      const asset = parseOrReason(row);
      if (typeof asset === 'string') {
        out.push({
          symbol: String(row['asset_symbol']),
          enabled: Boolean(Number(row['is_enabled'])),
          invalidReason: asset,
          maxSafetyOrders: null,
          cycle: null,
          nextSafetyPrice: null,
          takeProfitPrice: null,
          trailing: null,
          stopLossPrice: null,
          supervision: null,
        });
        continue;
      }
      const described = describe(asset, await getLatestCycle(pool, asset.id));
      out.push({ ...described, supervision: supervision.get(asset.id) ?? null });
    }
    return out;
  });

  if (parsed.values['json'] === true) {
    printJson(io, { assets: statuses.map(statusJson) });
    return EXIT_OK;
  }
  if (statuses.length === 0) {
    println(io, 'no assets yet: add one with `dca-bot assets add --help`');
    return EXIT_OK;
  }
  const headers = ['SYMBOL', 'ENABLED', 'CYCLE', 'STATUS', 'QUANTITY', 'AVG PRICE', 'SAFETY', 'IN FLIGHT'];
  headers.push('NEXT SAFETY AT', 'TAKE PROFIT AT');
  const rows = statuses.map((s) => {
    const c = s.cycle;
    return [
      s.symbol,
      s.enabled ? 'yes' : 'no',
      c ? String(c.id) : '-',
      s.invalidReason !== null
        ? 'INVALID'
        : s.supervision !== null
          ? s.supervision.state.toUpperCase()
          : (c?.status ?? 'no cycle yet'),
      c ? plain(c.quantity) : '-',
      c?.averagePurchasePrice.gt(0) ? price(c.averagePurchasePrice) : '-',
      c ? `${c.safetyOrders}/${s.maxSafetyOrders}` : '-',
      c ? (inFlight(c) ?? '-') : '-',
      price(s.nextSafetyPrice),
      price(s.takeProfitPrice),
    ];
  });
  const align = [
    'left',
    'left',
    'right',
    'left',
    'right',
    'right',
    'right',
    'left',
    'right',
    'right',
  ] as const;
  println(io, formatTable(headers, rows, align));
  const now = new Date();
  for (const s of statuses) {
    if (s.invalidReason !== null)
      println(io, `${s.symbol} is invalid and skipped by the bot: ${s.invalidReason}`);
    if (s.supervision !== null) println(io, supervisionLine(s.symbol, s.supervision));
    if (s.trailing !== null) {
      println(
        io,
        `${s.symbol} trailing take-profit: peak bid ${price(s.trailing.peak)}, sells at ${price(s.trailing.sellAt)} or below`,
      );
    }
    if (s.stopLossPrice !== null)
      println(io, `${s.symbol} stop-loss: sells at ${price(s.stopLossPrice)} or below`);
    const wait = backoffOf(s.cycle, now);
    if (wait) println(io, `${s.symbol} waiting after refusal: ${wait.reason} until ${wait.until}`);
  }
  return EXIT_OK;
}

function supervisionLine(symbol: string, s: AssetSupervisionRow): string {
  const since = s.since.toISOString();
  if (s.state === 'idle') {
    return `${symbol} is idle in the bot since ${since}: ${s.reason}; checked again at every asset poll`;
  }
  const retry = s.nextRetryAt ? `retried at ${s.nextRetryAt.toISOString()} or` : 'retried';
  return `${symbol} is parked by the bot since ${since}: ${s.reason}; ${retry} when its row changes`;
}

/** Trigger prices only mean something while the cycle holds coin (architecture §1). */
function describe(asset: AssetConfig, cycle: CycleRow | null): Omit<AssetStatus, 'supervision'> {
  const holding = cycle?.quantity.gt(0) === true && !TERMINAL_STATUSES.includes(cycle.status);
  const prices = holding ? triggerPrices(asset, cycle) : null;
  return {
    symbol: asset.symbol,
    enabled: asset.enabled,
    invalidReason: null,
    maxSafetyOrders: asset.maxSafetyOrders,
    cycle,
    nextSafetyPrice: prices?.safety ?? null,
    takeProfitPrice: holding ? takeProfitPrice(cycle.averagePurchasePrice, asset.takeProfitPercent) : null,
    trailing:
      prices?.trailingStop && cycle?.ttpPeakPrice
        ? { peak: cycle.ttpPeakPrice, sellAt: prices.trailingStop }
        : null,
    stopLossPrice: prices?.stopLoss ?? null,
  };
}

/** A back-off still running: no new order for the asset before `until` (after a refusal or a 429). */
function backoffOf(cycle: CycleRow | null, now: Date): { reason: string; until: string } | null {
  if (cycle?.backoffUntil == null || cycle.backoffUntil.getTime() <= now.getTime()) return null;
  return { reason: cycle.backoffReason ?? 'refused', until: cycle.backoffUntil.toISOString() };
}

/** The order the cycle waits on: its client order id while buying or selling. */
function inFlight(cycle: CycleRow): string | null {
  if (cycle.status !== 'buying' && cycle.status !== 'selling') return null;
  return cycle.clientOrderId ?? cycle.latestOrderId;
}

function statusJson(s: AssetStatus) {
  const c = s.cycle;
  return {
    symbol: s.symbol,
    enabled: s.enabled,
    valid: s.invalidReason === null,
    reason: s.invalidReason,
    supervision:
      s.supervision === null
        ? null
        : {
            state: s.supervision.state,
            reason: s.supervision.reason,
            since: s.supervision.since.toISOString(),
            nextRetryAt: s.supervision.nextRetryAt?.toISOString() ?? null,
          },
    cycle:
      c === null
        ? null
        : {
            id: c.id,
            status: c.status,
            quantity: plain(c.quantity),
            averagePurchasePrice: plain(c.averagePurchasePrice),
            safetyOrders: c.safetyOrders,
            maxSafetyOrders: s.maxSafetyOrders,
            inFlightOrder:
              inFlight(c) === null ? null : { clientOrderId: c.clientOrderId, orderId: c.latestOrderId },
            lastOrderFillPrice: c.lastOrderFillPrice === null ? null : plain(c.lastOrderFillPrice),
            costBasis: plain(c.costBasis),
            nextSafetyPrice: s.nextSafetyPrice === null ? null : plain(s.nextSafetyPrice),
            takeProfitPrice: s.takeProfitPrice === null ? null : plain(s.takeProfitPrice),
            trailingPeakPrice: s.trailing === null ? null : plain(s.trailing.peak),
            trailingSellPrice: s.trailing === null ? null : plain(s.trailing.sellAt),
            stopLossPrice: s.stopLossPrice === null ? null : plain(s.stopLossPrice),
            createdAt: c.createdAt.toISOString(),
            backoff: backoffOf(c, new Date()),
          },
  };
}
