/**
 * The bot's Prometheus metrics (prom-client), on a registry of its own so that two bots in one
 * process (tests) never share a counter. Two kinds:
 *
 * - counted where they happen, through the named functions below (orders, fills, REST requests,
 *   quotes, stream reconnects): the order path and the exchange edge call them;
 * - observed at scrape time from what the running bot already exposes (cycle state, P&L, capital,
 *   streams, supervisor restarts): see collect.ts.
 *
 * Names follow https://prometheus.io/docs/practices/naming/: `dca_` prefix, `_total` for counters,
 * the unit in the name (`_seconds`, `_usd`). Label values are bounded: assets, sides, stable codes.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { OrderSide } from '../domain.js';

/** What the order path counts; the asset actor (or its order executor) calls these. */
export interface OrderMetrics {
  /** An order's POST left for the exchange. */
  orderSent(asset: string, side: OrderSide): void;
  /** The exchange (or the bot's own last look) definitively refused an order; `reason` is a stable code. */
  orderRefused(asset: string, side: OrderSide, reason: string): void;
  /** An order decided but kept home by the closed order gate (`reason`: instance_lock); never sent. */
  orderNotSent(asset: string, side: OrderSide, reason: string): void;
  /** An order filled completely (the `fill` trade update). */
  fill(asset: string, side: OrderSide): void;
  /** From the arrival of the newest quote (the one the order was decided on) to the order's POST leaving. */
  tickToOrder(seconds: number): void;
}

/** What the exchange edge counts. */
export interface ExchangeMetrics {
  /** One HTTP request to a REST API: its method and status (or `error` when no answer came). */
  restRequest(method: string, status: number | 'error'): void;
  /** Where `dca_rest_budget_remaining` is read at scrape time (the account's one REST budget). */
  restBudgetFrom(remaining: () => number): void;
  quoteReceived(symbol: string): void;
  streamReconnected(stream: string): void;
}

export interface Metrics extends OrderMetrics, ExchangeMetrics {
  readonly registry: Registry;
  /** The Prometheus text exposition of every metric. */
  text(): Promise<string>;
  readonly contentType: string;
}

/** Latency buckets for tick-to-order: the path is in-process plus one write-ahead to MySQL. */
const TICK_TO_ORDER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface CreateMetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC); on by default. */
  readonly processMetrics?: boolean;
}

export function createMetrics(opts: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers });

  const ordersSent = counter('dca_orders_sent_total', 'Orders whose POST left for the exchange', [
    'asset',
    'side',
  ]);
  const ordersRefused = counter(
    'dca_orders_refused_total',
    'Orders definitively refused, by reason (a stable error code)',
    ['asset', 'side', 'reason'],
  );
  const ordersNotSent = counter(
    'dca_orders_not_sent_total',
    'Orders decided but not sent because the order gate was closed (reason instance_lock: the instance lock was not held)',
    ['asset', 'side', 'reason'],
  );
  const fills = counter('dca_fills_total', 'Orders filled completely', ['asset', 'side']);
  const tickToOrder = new Histogram({
    name: 'dca_tick_to_order_seconds',
    help: 'Time from the arrival of the newest quote, on which the order was decided, to its POST leaving',
    buckets: TICK_TO_ORDER_BUCKETS,
    registers,
  });
  const restRequests = counter(
    'dca_rest_requests_total',
    'HTTP requests to the exchange REST APIs, by method and status (error: no answer)',
    ['method', 'status'],
  );
  const rateLimited = new Counter({
    name: 'dca_rest_rate_limited_total',
    help: 'REST requests the exchange answered with 429 Too Many Requests',
    registers,
  });
  let budgetRemaining: (() => number) | null = null;
  new Gauge({
    name: 'dca_rest_budget_remaining',
    help: "Requests that may leave at once from the account's REST budget now (0 while a 429 pause lasts)",
    registers,
    collect() {
      if (budgetRemaining) this.set(budgetRemaining());
    },
  });
  // Counted per quote on the hot path as a plain number, handed to the counter when scraped.
  const quoteCounts = new Map<string, { n: number; reported: number }>();
  new Counter({
    name: 'dca_quotes_received_total',
    help: 'Quotes received on the market-data stream, per symbol',
    labelNames: ['symbol'] as const,
    registers,
    collect() {
      for (const [symbol, c] of quoteCounts) {
        if (c.n > c.reported) this.inc({ symbol }, c.n - c.reported);
        c.reported = c.n;
      }
    },
  });
  const reconnects = counter(
    'dca_stream_reconnects_total',
    'Stream connections after the first (each one a reconnect)',
    ['stream'],
  );

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    orderSent: (asset, side) => ordersSent.inc({ asset, side }),
    orderRefused: (asset, side, reason) => ordersRefused.inc({ asset, side, reason }),
    orderNotSent: (asset, side, reason) => ordersNotSent.inc({ asset, side, reason }),
    fill: (asset, side) => fills.inc({ asset, side }),
    tickToOrder: (seconds) => tickToOrder.observe(seconds),
    restRequest: (method, status) => {
      restRequests.inc({ method, status: String(status) });
      if (status === 429) rateLimited.inc();
    },
    restBudgetFrom: (remaining) => {
      budgetRemaining = remaining;
    },
    quoteReceived: (symbol) => {
      const c = quoteCounts.get(symbol);
      if (c) c.n++;
      else quoteCounts.set(symbol, { n: 1, reported: 0 });
    },
    streamReconnected: (stream) => reconnects.inc({ stream }),
  };
}
