/**
 * Metrics read at scrape time from what the running bot already shows: each asset actor's view,
 * the supervisor's status, the streams' state and, for realized P&L, one aggregate query. Nothing
 * here is on the quote path; a scrape while MySQL is down keeps the last P&L it read.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AssetView } from '../actors/asset.js';
import { CYCLE_STATUSES } from '../domain.js';
import type { Queryable } from '../store/db.js';
import type { ChildStatus } from '../supervisor.js';
import { STREAM_NAMES, type StreamWatch } from './exchange.js';

export interface BotObservables {
  readonly views: () => readonly AssetView[];
  readonly supervision: () => readonly ChildStatus[];
  readonly streams: StreamWatch;
  readonly db: Queryable;
  readonly now?: () => number;
}

/** The states an asset's cycle can show (plus `starting` before its machine runs). */
const CYCLE_STATES = ['starting', ...CYCLE_STATUSES] as const;

const PNL_QUERY_TIMEOUT_MS = 2_000;

export function observeBot(registry: Registry, source: BotObservables): void {
  const registers = [registry];
  const now = source.now ?? Date.now;

  new Gauge({
    name: 'dca_cycle_state',
    help: "1 for the state the asset's current cycle is in, 0 for the others",
    labelNames: ['asset', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const view of source.views()) {
        for (const state of CYCLE_STATES) {
          this.set({ asset: view.asset.symbol, state }, view.state === state ? 1 : 0);
        }
      }
    },
  });

  new Gauge({
    name: 'dca_capital_in_use_usd',
    help: "USD spent on the buys of the asset's current cycle",
    labelNames: ['asset'] as const,
    registers,
    collect() {
      this.reset();
      for (const view of source.views()) {
        const spent = view.cycle && view.cycle.status !== 'complete' ? view.cycle.costBasis.toNumber() : 0;
        this.set({ asset: view.asset.symbol }, spent);
      }
    },
  });

  new Gauge({
    name: 'dca_quote_age_seconds',
    help: 'Age of the newest quote the asset actor has seen (by the quote timestamp)',
    labelNames: ['symbol'] as const,
    registers,
    collect() {
      this.reset();
      for (const view of source.views()) {
        if (view.lastQuote) {
          this.set({ symbol: view.asset.symbol }, Math.max(0, (now() - view.lastQuote.at.getTime()) / 1000));
        }
      }
    },
  });

  let lastPnl = new Map<string, number>();
  new Gauge({
    name: 'dca_realized_pnl_usd',
    help: 'Realized P&L of the completed cycles (sell proceeds net of fees minus the buys), per asset',
    labelNames: ['asset'] as const,
    registers,
    async collect() {
      try {
        lastPnl = await realizedPnl(source.db);
      } catch {
        // The database is down: the probes say so; the last known totals still stand.
      }
      this.reset();
      for (const [asset, pnl] of lastPnl) this.set({ asset }, pnl);
    },
  });

  new Gauge({
    name: 'dca_stream_connected',
    help: '1 while the stream is connected and subscribed',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      for (const stream of STREAM_NAMES) {
        this.set({ stream }, source.streams.state(stream) === 'connected' ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'dca_asset_parked',
    help: '1 while the asset is parked (past its restart intensity) or idle (the exchange does not trade it)',
    labelNames: ['asset', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const child of source.supervision()) {
        if (!child.id.startsWith('asset:')) continue;
        const asset = child.id.slice('asset:'.length);
        this.set({ asset, state: 'parked' }, child.state === 'parked' ? 1 : 0);
        this.set({ asset, state: 'idle' }, child.state === 'idle' ? 1 : 0);
      }
    },
  });

  // The supervisor counts every restart of a child since it was added; the counter follows it.
  const seen = new Map<string, number>();
  new Counter({
    name: 'dca_supervisor_restarts_total',
    help: 'Restarts of each supervised child (streams, caretakers, asset actors)',
    labelNames: ['child'] as const,
    registers,
    collect() {
      for (const child of source.supervision()) {
        const before = seen.get(child.id) ?? 0;
        // A child removed and added again starts from 0: only growth is counted.
        if (child.restarts > before) this.inc({ child: child.id }, child.restarts - before);
        else if (!seen.has(child.id)) this.inc({ child: child.id }, 0);
        seen.set(child.id, child.restarts);
      }
    },
  });
}

async function realizedPnl(db: Queryable): Promise<Map<string, number>> {
  const [rows] = await db.query({
    sql: `SELECT a.asset_symbol AS asset, SUM(c.realized_pnl) AS pnl
            FROM dca_cycles c JOIN dca_assets a ON a.id = c.asset_id
           WHERE c.realized_pnl IS NOT NULL
           GROUP BY a.asset_symbol`,
    timeout: PNL_QUERY_TIMEOUT_MS,
  });
  return new Map((rows as { asset: string; pnl: string }[]).map((r) => [r.asset, Number(r.pnl)]));
}
