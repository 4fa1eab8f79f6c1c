/**
 * `dca-bot pnl [--since DATE] [--until DATE]`: realized P&L per asset and in total, from the
 * `realized_pnl` of the cycles that completed in the period. Sums are decimal, never float.
 */
import { ZERO } from '../money.js';
import { realizedPnlBySymbol } from '../store/cycles.js';
import { parseCommand, positionals } from './args.js';
import { withPool } from './db.js';
import { type CliIo, EXIT_OK, formatTable, plain, price, printJson, println, RefusedError } from './io.js';

export const PNL_USAGE = `usage: dca-bot pnl [--since DATE] [--until DATE] [--json]
  realized P&L of the cycles completed in the period, per asset and in total
  DATE is a UTC day (2026-01-31: the whole day is included) or an ISO timestamp
  (2026-01-31T12:00:00Z: --since includes it, --until stops just before it)`;

export async function pnlCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const options = {
    json: { type: 'boolean' as const },
    since: { type: 'string' as const },
    until: { type: 'string' as const },
  };
  const parsed = parseCommand(argv, options, PNL_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], PNL_USAGE);
  const since = periodBound(parsed.values['since'], 'since');
  const until = periodBound(parsed.values['until'], 'until');
  if (since && until && since.getTime() >= until.getTime()) {
    throw new RefusedError('refused: --since must be before --until');
  }

  const lines = await withPool(io, (pool) => realizedPnlBySymbol(pool, { since, until }));
  const total = {
    cycles: lines.reduce((n, l) => n + l.cycles, 0),
    realizedPnl: lines.reduce((sum, l) => sum.plus(l.realizedPnl), ZERO),
  };

  if (parsed.values['json'] === true) {
    printJson(io, {
      since: since?.toISOString() ?? null,
      until: until?.toISOString() ?? null,
      assets: lines.map((l) => ({ symbol: l.symbol, cycles: l.cycles, realizedPnl: plain(l.realizedPnl) })),
      total: { cycles: total.cycles, realizedPnl: plain(total.realizedPnl) },
    });
    return EXIT_OK;
  }
  println(
    io,
    `period: ${since ? since.toISOString() : 'the beginning'} to ${until ? until.toISOString() : 'now'}`,
  );
  const table = lines.map((l) => [l.symbol, String(l.cycles), price(l.realizedPnl, 2)]);
  table.push(['TOTAL', String(total.cycles), price(total.realizedPnl, 2)]);
  println(io, formatTable(['SYMBOL', 'CYCLES', 'REALIZED PNL USD'], table, ['left', 'right', 'right']));
  return EXIT_OK;
}

/** A day means the whole UTC day: `--until 2026-01-31` stops at 2026-02-01T00:00Z. */
function periodBound(value: string | boolean | undefined, flag: 'since' | 'until'): Date | null {
  if (typeof value !== 'string') return null;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const date = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
      throw new RefusedError(`refused: --${flag}: ${JSON.stringify(value)} is not a date`);
    }
    return flag === 'until' ? new Date(date.getTime() + 86_400_000) : date;
  }
  // A timestamp needs an explicit zone, so the period never depends on the host's time zone.
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new RefusedError(
      `refused: --${flag}: expected 2026-01-31 or 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new RefusedError(`refused: --${flag}: ${JSON.stringify(value)} is not a time`);
  return date;
}
