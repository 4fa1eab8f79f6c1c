/** `dca-bot cycles <SYMBOL> [--limit N]`: an asset's cycle history, newest first. */
import type { CycleRow } from '../domain.js';
import { listCycles } from '../store/cycles.js';
import { parseCommand, positionals, positiveInt } from './args.js';
import { requireAssetRow } from './assetRows.js';
import { withPool } from './db.js';
import { type CliIo, EXIT_OK, formatTable, isoOrDash, plain, price, printJson, println } from './io.js';

export const CYCLES_USAGE = `usage: dca-bot cycles <SYMBOL> [--limit N] [--json]
  the asset's cycles, newest first (default the last 20)`;

const DEFAULT_LIMIT = 20;

export async function cyclesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(
    argv,
    { json: { type: 'boolean' }, limit: { type: 'string' } },
    CYCLES_USAGE,
    io,
  );
  if (parsed === null) return EXIT_OK;
  const [symbol = ''] = positionals(parsed, ['SYMBOL'], CYCLES_USAGE);
  const limit = positiveInt(parsed.values['limit'], 'limit', DEFAULT_LIMIT);
  const cycles = await withPool(io, async (pool) => {
    const row = await requireAssetRow(pool, symbol);
    return listCycles(pool, { assetId: Number(row['id']), limit });
  });

  if (parsed.values['json'] === true) {
    printJson(io, { symbol, cycles: cycles.map(cycleJson) });
    return EXIT_OK;
  }
  if (cycles.length === 0) {
    println(io, `${symbol} has no cycles yet`);
    return EXIT_OK;
  }
  const headers = [
    'CYCLE',
    'STATUS',
    'QUANTITY',
    'AVG PRICE',
    'SAFETY',
    'COST USD',
    'PROCEEDS USD',
    'PNL USD',
  ];
  headers.push('STARTED', 'COMPLETED');
  const rows = cycles.map((c) => [
    String(c.id),
    c.status,
    plain(c.quantity),
    c.averagePurchasePrice.gt(0) ? price(c.averagePurchasePrice) : '-',
    String(c.safetyOrders),
    price(c.costBasis, 2),
    price(c.sellProceeds, 2),
    price(c.realizedPnl, 2),
    isoOrDash(c.createdAt),
    isoOrDash(c.completedAt),
  ]);
  const align = [
    'right',
    'left',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'left',
    'left',
  ] as const;
  println(io, formatTable(headers, rows, align));
  return EXIT_OK;
}

function cycleJson(c: CycleRow) {
  return {
    id: c.id,
    status: c.status,
    quantity: plain(c.quantity),
    averagePurchasePrice: plain(c.averagePurchasePrice),
    safetyOrders: c.safetyOrders,
    boughtQuantity: plain(c.boughtQuantity),
    costBasis: plain(c.costBasis),
    sellProceeds: plain(c.sellProceeds),
    realizedPnl: c.realizedPnl === null ? null : plain(c.realizedPnl),
    lastOrderFillPrice: c.lastOrderFillPrice === null ? null : plain(c.lastOrderFillPrice),
    clientOrderId: c.clientOrderId,
    latestOrderId: c.latestOrderId,
    createdAt: c.createdAt.toISOString(),
    completedAt: c.completedAt === null ? null : c.completedAt.toISOString(),
  };
}
