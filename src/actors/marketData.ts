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
 *
 * Hot path: quotes arrive as QuoteTicks (numbers). Per quote this actor does one map look-up, the
 * band's two number comparisons and two field writes; the Decimals are made by the asset actor, for
 * the one quote per turn it processes.
 */
import type { Logger } from 'pino';
import { ExchangeError } from '../errors.js';
import type { ExchangeRest, ExchangeStreams, QuoteStreamHandle, QuoteTick } from '../exchange/types.js';
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

/** What this actor keeps per symbol: its band, its newest deliverable quote, when one was last accepted. */
interface Slot {
  readonly symbol: string;
  readonly band: QuoteBand<QuoteTick>;
  latest: QuoteTick | null;
  lastSeen: number | undefined;
}

export class MarketDataActor {
  private readonly slots = new Map<string, Slot>();
  /** Slots with a quote waiting for the next flush. */
  private pending: Slot[] = [];
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

  /** Symbols whose quotes are stale now (no accepted quote within QUOTE_STALE_SECONDS): readiness reads it. */
  staleSymbols(): string[] {
    return [...this.stale];
  }

  /** The band's width in percent, for the order executor's last look (orderWithinBand). */
  get bandPercent(): Decimal {
    return this.deps.band.percent;
  }

  /** The plausible price of `symbol` now (median of recent accepted quotes), or null when unknown. */
  referencePrice(symbol: string): Decimal | null {
    return this.slots.get(symbol)?.band.reference(this.now()) ?? null;
  }

  /** The plausible price range of `symbol` now, or null when there is no reference. */
  plausibleRange(symbol: string): PriceRange | null {
    const ref = this.referencePrice(symbol);
    if (ref === null) return null;
    const fraction = this.deps.band.percent.div(HUNDRED);
    return { low: ref.mul(ONE.minus(fraction)), high: ref.mul(ONE.plus(fraction)) };
  }

  /** Entry point of every quote (the stream, or a test/benchmark feeding quotes directly). */
  accept(quote: QuoteTick): void {
    this.counters.received++;
    const now = this.now();
    const slot = this.slotOf(quote.symbol);
    const band = slot.band;
    const verdict = band.check(quote, now);
    if (verdict === 'accept') {
      this.deliver(slot, quote, now);
      return;
    }
    if (verdict === 'recovered') {
      this.log.info({ asset: quote.symbol, rejectedTotal: band.rejected }, 'quotes back in band');
      this.deliver(slot, quote, now);
      return;
    }
    this.counters.rejected++;
    if (verdict === 'invalid') {
      // Crossed books happen for a moment on real feeds: not a price to trade on, not worth a warning.
      this.log.debug(
        { asset: quote.symbol, bid: String(quote.bid), ask: String(quote.ask) },
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
        message: `${quote.symbol} quote bid ${quote.bid} / ask ${quote.ask} is more than ${this.deps.band.percent.toFixed()} % from the recent price ${ref?.toFixed()}; ignored until it is back in band or REST confirms it`,
      });
    }
    if (band.wantsConfirmation(now)) this.confirm(slot, now);
  }

  private slotOf(symbol: string): Slot {
    let slot = this.slots.get(symbol);
    if (slot === undefined) {
      const band = new QuoteBand<QuoteTick>({
        bandPercent: this.deps.band.percent,
        confirmMs: this.deps.band.confirmMs,
        maxAgeMs: this.deps.staleAfterMs,
      });
      slot = { symbol, band, latest: null, lastSeen: undefined };
      this.slots.set(symbol, slot);
    }
    return slot;
  }

  /** Asks REST whether the stream's price is real; the band decides what the answer means. */
  private confirm(slot: Slot, now: number): void {
    const { symbol, band } = slot;
    band.asked(now);
    this.deps.exchange.getLatestQuote(symbol).then(
      (rest) => this.confirmed(slot, band.confirmed(rest, this.now())),
      (err: unknown) => {
        this.log.warn({ err, asset: symbol }, 'latest quote look-up failed; quotes stay held');
        this.confirmed(slot, band.confirmed(null, this.now()));
      },
    );
  }

  private confirmed(slot: Slot, outcome: Confirmation<QuoteTick>): void {
    if (this.stopped) return;
    const { symbol, band } = slot;
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
        if (outcome.deliver) this.deliver(slot, outcome.deliver, this.now());
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

  private deliver(slot: Slot, quote: QuoteTick, now: number): void {
    if (slot.latest === null) this.pending.push(slot);
    slot.latest = quote;
    slot.lastSeen = now;
    if (this.stale.size > 0 && this.stale.delete(slot.symbol))
      this.log.info({ asset: slot.symbol }, 'quotes flowing again');
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const registry = this.deps.registry;
    const pending = this.pending;
    this.pending = [];
    for (const slot of pending) {
      const quote = slot.latest;
      slot.latest = null;
      const actor = registry.get(slot.symbol);
      if (actor && quote) {
        actor.offerQuote(quote);
        this.counters.delivered++;
      }
    }
  }

  private checkStaleness(): void {
    const now = this.now();
    for (const symbol of this.deps.registry.symbols()) {
      if (this.stale.has(symbol)) continue;
      const slot = this.slotOf(symbol);
      const seen = slot.lastSeen;
      if (seen === undefined) {
        slot.lastSeen = now; // start the clock at the first check
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
