/**
 * The market-data stream actor. Quotes are state, not a queue: it keeps only the newest quote per
 * symbol and hands each asset actor at most one per turn of the event loop, so a burst can never
 * build a backlog that delays a trigger. A feed that goes quiet is reported as stale rather than
 * traded on.
 *
 * No asset actor sees an implausible quote: each symbol's QuoteBand (src/sanity) rejects a quote
 * outside the band of its recent quotes, and one alert covers an episode, not each quote. Only a
 * jump that persists, a symbol without a reference yet (start-up) or one silent for too long makes
 * this actor ask REST for its latest quote; an in-band quote touches neither MySQL nor REST.
 */
import type { Logger } from 'pino';
import type { Quote } from '../domain.js';
import { ExchangeError } from '../errors.js';
import type { ExchangeRest, ExchangeStreams, QuoteStreamHandle } from '../exchange/types.js';
import { type Decimal, HUNDRED, ONE } from '../money.js';
import { type Confirmation, QuoteBand } from '../sanity/quoteBand.js';
import type { PriceRange } from '../sanity/tradeUpdateChecks.js';
import type { AlertSink } from './alerts.js';
import type { AssetRegistry } from './registry.js';

export interface QuoteBandConfig {
  /** DCA_QUOTE_BAND_PERCENT. */
  readonly percent: Decimal;
  /** DCA_QUOTE_CONFIRM_SECONDS, in ms. */
  readonly confirmMs: number;
}

export interface MarketDataDeps {
  readonly exchange: ExchangeStreams & Pick<ExchangeRest, 'getLatestQuote'>;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
  readonly alert: AlertSink;
  readonly staleAfterMs: number;
  readonly band: QuoteBandConfig;
  readonly now?: () => number;
}

export class MarketDataActor {
  private readonly latest = new Map<string, Quote>();
  private readonly lastSeen = new Map<string, number>();
  private readonly bands = new Map<string, QuoteBand>();
  private stopped = false;
  private readonly stale = new Set<string>();
  private flushScheduled = false;
  private stream: QuoteStreamHandle | null = null;
  private unsubscribe: (() => void) | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Quotes received and handed on; for the dashboard and the benchmark. */
  readonly counters = { received: 0, delivered: 0, malformed: 0, rejected: 0 };

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
    this.stopped = true;
    this.unsubscribe?.();
    if (this.staleTimer) clearInterval(this.staleTimer);
    await this.stream?.close();
    this.stream = null;
  }

  /** The band's width in percent, for the order executor's last look (orderWithinBand). */
  get bandPercent(): Decimal {
    return this.deps.band.percent;
  }

  /** The plausible price of `symbol` now (median of recent accepted quotes), or null when unknown. */
  referencePrice(symbol: string): Decimal | null {
    return this.bands.get(symbol)?.reference(this.now()) ?? null;
  }

  /** The plausible price range of `symbol` now, or null when there is no reference. */
  plausibleRange(symbol: string): PriceRange | null {
    const ref = this.referencePrice(symbol);
    if (ref === null) return null;
    const fraction = this.deps.band.percent.div(HUNDRED);
    return { low: ref.mul(ONE.minus(fraction)), high: ref.mul(ONE.plus(fraction)) };
  }

  /** Entry point of every quote (the stream, or a test/benchmark feeding quotes directly). */
  accept(quote: Quote): void {
    this.counters.received++;
    const now = this.now();
    const band = this.bandOf(quote.symbol);
    const verdict = band.check(quote, now);
    if (verdict === 'accept') {
      this.deliver(quote, now);
      return;
    }
    if (verdict === 'recovered') {
      this.log.info({ asset: quote.symbol, rejectedTotal: band.rejected }, 'quotes back in band');
      this.deliver(quote, now);
      return;
    }
    this.counters.rejected++;
    if (verdict === 'invalid') {
      // Crossed books happen for a moment on real feeds: not a price to trade on, not worth a warning.
      this.log.debug(
        { asset: quote.symbol, bid: quote.bid.toFixed(), ask: quote.ask.toFixed() },
        'quote dropped: not positive, or bid above ask',
      );
      return;
    }
    if (verdict === 'reject' && !band.alerted) {
      band.alerted = true;
      const ref = band.reference(now);
      this.deps.alert({
        level: 'warn',
        code: 'QUOTE_OUT_OF_BAND',
        asset: quote.symbol,
        message: `${quote.symbol} quote bid ${quote.bid.toFixed()} / ask ${quote.ask.toFixed()} is more than ${this.deps.band.percent.toFixed()} % from the recent price ${ref?.toFixed()}; ignored until it is back in band or REST confirms it`,
      });
    }
    if (band.wantsConfirmation(now)) this.confirm(quote.symbol, band, now);
  }

  private bandOf(symbol: string): QuoteBand {
    let band = this.bands.get(symbol);
    if (band === undefined) {
      band = new QuoteBand({
        bandPercent: this.deps.band.percent,
        confirmMs: this.deps.band.confirmMs,
        maxAgeMs: this.deps.staleAfterMs,
      });
      this.bands.set(symbol, band);
    }
    return band;
  }

  /** Asks REST whether the stream's price is real; the band decides what the answer means. */
  private confirm(symbol: string, band: QuoteBand, now: number): void {
    band.asked(now);
    this.deps.exchange.getLatestQuote(symbol).then(
      (rest) => this.confirmed(symbol, band, band.confirmed(rest, this.now())),
      (err: unknown) => {
        this.log.warn({ err, asset: symbol }, 'latest quote look-up failed; quotes stay held');
        this.confirmed(symbol, band, band.confirmed(null, this.now()));
      },
    );
  }

  private confirmed(symbol: string, band: QuoteBand, outcome: Confirmation): void {
    if (this.stopped) return;
    switch (outcome.kind) {
      case 'settled':
        return;
      case 'rebased':
        if (outcome.from === null) {
          this.log.info({ asset: symbol, reference: outcome.to.toFixed() }, 'first quotes confirmed by REST');
        } else {
          this.deps.alert({
            level: 'warn',
            code: 'QUOTE_REBASED',
            asset: symbol,
            message: `${symbol} moved beyond the band from ${outcome.from.toFixed()} to ${outcome.to.toFixed()}, confirmed by REST's latest quote; trading on the new price`,
          });
        }
        if (outcome.deliver) this.deliver(outcome.deliver, this.now());
        return;
      case 'confirmed-reference':
        this.log.warn(
          { asset: symbol, reference: outcome.reference.toFixed(), rejected: band.episodeLength },
          "REST's latest quote agrees with the recent price, not the stream: still ignoring the stream",
        );
        return;
      case 'unconfirmed':
        this.log.warn({ asset: symbol, reason: outcome.reason }, 'quotes not confirmed by REST; still held');
        if (!band.alerted) {
          band.alerted = true;
          this.deps.alert({
            level: 'warn',
            code: 'QUOTE_UNCONFIRMED',
            asset: symbol,
            message: `${symbol} stream quotes are not confirmed by REST (${outcome.reason}); not trading on them`,
          });
        }
        return;
    }
  }

  private deliver(quote: Quote, now: number): void {
    this.latest.set(quote.symbol, quote);
    this.lastSeen.set(quote.symbol, now);
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
