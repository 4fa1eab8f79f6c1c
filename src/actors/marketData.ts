/**
 * The market-data stream actor. Quotes are state, not a queue: it keeps only the newest quote per
 * symbol and hands each asset actor at most one per turn of the event loop, so a burst can never
 * build a backlog that delays a trigger. Nothing here touches MySQL or REST. A feed that goes quiet
 * is reported as stale rather than traded on.
 */
import type { Logger } from 'pino';
import type { Quote } from '../domain.js';
import { ExchangeError } from '../errors.js';
import type { ExchangeStreams, QuoteStreamHandle } from '../exchange/types.js';
import type { AlertSink } from './alerts.js';
import type { AssetRegistry } from './registry.js';

export interface MarketDataDeps {
  readonly exchange: ExchangeStreams;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
  readonly alert: AlertSink;
  readonly staleAfterMs: number;
  readonly now?: () => number;
}

export class MarketDataActor {
  private readonly latest = new Map<string, Quote>();
  private readonly lastSeen = new Map<string, number>();
  private readonly stale = new Set<string>();
  private flushScheduled = false;
  private stream: QuoteStreamHandle | null = null;
  private unsubscribe: (() => void) | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Quotes received and handed on; for the dashboard and the benchmark. */
  readonly counters = { received: 0, delivered: 0, malformed: 0 };

  constructor(private readonly deps: MarketDataDeps) {
    this.log = deps.logger.child({ actor: 'marketData' });
    this.now = deps.now ?? Date.now;
  }

  /** `onFatal`: the stream gave up for good (refused credentials); the supervisor decides what next. */
  start(onFatal?: (err: Error) => void): void {
    const { exchange, registry } = this.deps;
    this.stream = exchange.quotes(registry.symbols(), {
      onMessage: (q) => this.accept(q),
      onConnected: ({ reconnect }) =>
        this.log.info({ reconnect, symbols: registry.symbols() }, 'quote stream connected'),
      onDisconnected: (reason) => this.log.warn({ reason }, 'quote stream disconnected; reconnecting'),
      onError: (err) => {
        this.log.warn({ err }, 'quote stream error');
        if (err instanceof ExchangeError && err.kind === 'auth') onFatal?.(err);
        else this.counters.malformed++;
      },
    });
    this.unsubscribe = registry.onChange(() => this.stream?.setSymbols(registry.symbols()));
    const every = Math.max(250, Math.min(5_000, this.deps.staleAfterMs / 4));
    this.staleTimer = setInterval(() => this.checkStaleness(), every);
    this.staleTimer.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.staleTimer) clearInterval(this.staleTimer);
    await this.stream?.close();
    this.stream = null;
  }

  /** Entry point of every quote (the stream, or a test/benchmark feeding quotes directly). */
  accept(quote: Quote): void {
    this.counters.received++;
    this.latest.set(quote.symbol, quote);
    this.lastSeen.set(quote.symbol, this.now());
    if (this.stale.delete(quote.symbol)) this.log.info({ asset: quote.symbol }, 'quotes flowing again');
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const registry = this.deps.registry;
    for (const [symbol, quote] of this.latest) {
      const actor = registry.get(symbol);
      if (actor) {
        actor.offerQuote(quote);
        this.counters.delivered++;
      }
    }
    this.latest.clear();
  }

  private checkStaleness(): void {
    const now = this.now();
    for (const symbol of this.deps.registry.symbols()) {
      const seen = this.lastSeen.get(symbol);
      if (this.stale.has(symbol)) continue;
      if (seen === undefined) {
        this.lastSeen.set(symbol, now); // start the clock at the first check
        continue;
      }
      if (now - seen > this.deps.staleAfterMs) {
        this.stale.add(symbol);
        this.deps.alert({
          level: 'warn',
          code: 'QUOTES_STALE',
          asset: symbol,
          message: `no quote for ${symbol} in ${Math.round((now - seen) / 1000)} s; not trading on old prices`,
        });
      }
    }
  }
}
