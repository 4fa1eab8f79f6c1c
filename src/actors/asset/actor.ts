/**
 * The asset actor: hosts the current cycle machine of one asset, persists it, executes its order
 * intents, and starts the next cycle when one ends. It is the only writer of its asset's cycles;
 * streams and caretakers send it events. It is three parts with one job each: the mailbox (what
 * arrives, in order, latest quote wins), the cycle host (decide, persist, perform) and the order
 * executor (every REST call, its retries and the unknown-order rules).
 *
 * A crash never races the restart: the lane stops at once (nothing queued runs), the executor
 * stops retrying, the requests already sent finish (bounded) with their answers recorded in the
 * order ledger, and only then is the supervisor told — so the new instance it builds from the
 * database sees what the old one sent, and reconciles it.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { readClientOrderId } from '../../clientOrderId.js';
import type { AssetConfig, AssetRules, CycleRow, OrderIntent, Quote, TradeUpdate } from '../../domain.js';
import { toQuote } from '../../exchange/mappers.js';
import type { ExchangeRest, QuoteTick } from '../../exchange/types.js';
import { failpoint } from '../../failpoints.js';
import type { OrderPolicy } from '../../machines/cycleTypes.js';
import { safetyOrderAmountOf } from '../../machines/decisions.js';
import type { OrderMetrics } from '../../metrics/metrics.js';
import type { Decimal } from '../../money.js';
import { type BandVerdict, orderWithinBand } from '../../sanity/orderBand.js';
import type { PlacedOrder } from '../../sanity/tradeUpdateChecks.js';
import { createCycle, getLatestCycle } from '../../store/cycles.js';
import type { Pool } from '../../store/db.js';
import { recordOrderState } from '../../store/orders.js';
import type { Alert } from '../alerts.js';
import { type CycleEvent, tradeUpdateToEvent } from '../assetEvents.js';
import { CycleHost } from './cycleHost.js';
import { Mailbox } from './mailbox.js';
import { OrderExecutor } from './orderExecutor.js';
import type { UnrecordedOrders } from './unrecorded.js';

/** How long a crashed actor waits for its requests in flight before it reports the failure. */
export const CRASH_DRAIN_MS = 15_000;

export interface AssetActorDeps {
  readonly pool: Pool;
  readonly exchange: ExchangeRest;
  readonly logger: Logger;
  readonly feeRate: Decimal;
  /** This database's installation id (dca_installation), carried by every client order id. */
  readonly installationId: string;
  readonly now: () => Date;
  readonly alert: (alert: Alert) => void;
  /** Called when an unexpected failure leaves the actor unusable: the supervisor restarts it. */
  readonly fail: (err: unknown) => void;
  /** XState inspection (the Stately inspector, the dashboard). */
  readonly inspect?: (event: InspectionEvent) => void;
  /** Milliseconds between TICK events (cooldown expiry, position re-checks, look-up grace). */
  readonly tickMs?: number;
  /** Retry delays for REST look-ups the machine waits on. */
  readonly retryMs?: { readonly initial: number; readonly max: number };
  /** Look-up grace, stale quotes, refusal back-off; the machine's defaults when absent. */
  readonly policy?: OrderPolicy;
  /** Bound on the wait for in-flight requests after a crash (default CRASH_DRAIN_MS). */
  readonly crashDrainMs?: number;
  /** The market-data actor's plausible price, for the last look before each POST. */
  readonly market?: {
    referencePrice(symbol: string): Decimal | null;
    readonly bandPercent: Decimal;
  };
  /** Orders sent and refused, fills, tick-to-order latency (/metrics). */
  readonly metrics?: OrderMetrics;
  /** Safety orders that may be unrecorded, for the whole process (cycleHost.ts, unrecorded.ts). */
  readonly unrecorded?: UnrecordedOrders;
  /** The pair's rules as the assets supervisor's admission just read them (a first start only). */
  readonly admittedRules?: AssetRules;
}

export interface AssetView {
  readonly asset: AssetConfig;
  readonly rules: AssetRules | null;
  readonly cycle: CycleRow | null;
  readonly state: string;
  readonly lastQuote: Quote | null;
}

export class AssetActor {
  private asset: AssetConfig;
  private rules: AssetRules | null = null;
  private host: CycleHost | null = null;
  /** The newest quote offered (numbers); its Decimals are made when someone looks (view). */
  private lastTick: QuoteTick | null = null;
  private lastQuote: Quote | null = null;
  private lastQuoteOf: QuoteTick | null = null;
  /** When (performance.now) the newest quote arrived, for tick-to-order. */
  private quoteArrivedAt: number | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private readonly mailbox: Mailbox;
  private readonly executor: OrderExecutor;
  private readonly log: Logger;

  constructor(
    asset: AssetConfig,
    private readonly deps: AssetActorDeps,
  ) {
    this.asset = asset;
    this.log = deps.logger.child({ actor: 'asset', asset: asset.symbol });
    this.mailbox = new Mailbox((err) => void this.crashed(err));
    this.executor = new OrderExecutor({
      exchange: deps.exchange,
      db: deps.pool,
      logger: this.log,
      ...(deps.retryMs ? { retryMs: deps.retryMs } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      quoteArrivedAt: () => this.quoteArrivedAt,
      ...(deps.market
        ? { lastLook: (o) => this.lastLook(o), onImplausible: (o, v) => this.implausible(o, v) }
        : {}),
    });
  }

  /** An order against the market's plausible price; a buy against the USD amount it was sized from. */
  private lastLook(order: OrderIntent): BandVerdict {
    const market = this.deps.market!;
    const step = readClientOrderId(order.clientOrderId)?.step;
    const usd =
      order.side !== 'buy'
        ? null
        : step === 'base'
          ? this.asset.baseOrderAmount
          : // A safety order is sized from its own scaled amount (so<n>, decisions.ts).
            safetyOrderAmountOf(this.asset, Number(step?.slice(2) ?? 1));
    return orderWithinBand(order, market.referencePrice(order.symbol), market.bandPercent, usd);
  }

  private implausible(order: OrderIntent, verdict: Exclude<BandVerdict, { ok: true }>): void {
    this.deps.alert({
      level: 'error',
      code: 'ORDER_IMPLAUSIBLE',
      asset: this.asset.symbol,
      ...(this.cycleId === null ? {} : { cycleId: this.cycleId }),
      message: `order ${order.clientOrderId} not sent (${verdict.code}): ${verdict.message}`,
    });
  }

  get symbol(): string {
    return this.asset.symbol;
  }

  get cycleId(): number | null {
    return this.host?.row?.id ?? null;
  }

  /**
   * Since when (ms since the epoch) the lane has been busy with one piece of work, or null when it
   * is idle: the watchdog and /healthz stop vouching for the process when a lane stays busy too long.
   */
  laneBusySince(): number | null {
    return this.mailbox.busySince;
  }

  view(): AssetView {
    return {
      asset: this.asset,
      rules: this.rules,
      cycle: this.host?.row ?? null,
      state: this.host?.state ?? 'starting',
      lastQuote: this.latestQuote(),
    };
  }

  private latestQuote(): Quote | null {
    const tick = this.lastTick;
    if (tick === null) return null;
    if (this.lastQuoteOf !== tick) {
      this.lastQuote = toQuote(tick);
      this.lastQuoteOf = tick;
    }
    return this.lastQuote;
  }

  /** Loads (or creates) the current cycle, starts its machine and reconciles an in-flight order. */
  async start(): Promise<void> {
    const { pool, exchange } = this.deps;
    this.rules = this.deps.admittedRules ?? (await exchange.getAssetRules(this.asset.symbol));
    if (!this.rules.tradable) {
      this.deps.alert({
        level: 'error',
        code: 'ASSET_NOT_TRADABLE',
        asset: this.asset.symbol,
        message: `${this.asset.symbol} is not tradable on the exchange; the asset is idle`,
      });
    }
    let cycle = await getLatestCycle(pool, this.asset.id);
    if (!cycle) {
      cycle = await createCycle(pool, this.asset.id, 'watching');
      this.log.info({ cycleId: cycle.id }, 'first cycle created');
    } else if (cycle.status === 'complete' || cycle.status === 'error') {
      // Only rows written outside the bot end without a successor: finishCycle creates it atomically.
      cycle = await createCycle(pool, this.asset.id, cycle.status === 'complete' ? 'cooldown' : 'watching');
      this.log.info({ cycleId: cycle.id, status: cycle.status }, 'next cycle created');
    }
    this.host = new CycleHost(this.asset, this.rules, {
      pool,
      logger: this.log,
      feeRate: this.deps.feeRate,
      installationId: this.deps.installationId,
      now: this.deps.now,
      alert: this.deps.alert,
      mailbox: this.mailbox,
      executor: this.executor,
      ...(this.deps.policy ? { policy: this.deps.policy } : {}),
      ...(this.deps.inspect ? { inspect: this.deps.inspect } : {}),
      ...(this.deps.unrecorded ? { unrecorded: this.deps.unrecorded } : {}),
    });
    await this.host.host(cycle);
    // Each TICK also tells whether the order gate is open: a cycle it kept an order from waits for it.
    const ordersOpen = exchange.ordersOpen?.bind(exchange);
    this.ticker = setInterval(
      () =>
        this.send({
          type: 'TICK',
          now: this.deps.now(),
          ...(ordersOpen ? { ordersOpen: ordersOpen() } : {}),
        }),
      this.deps.tickMs ?? 1000,
    );
    this.ticker.unref();
  }

  /** Stops taking decisions, lets in-flight writes and requests finish, then stops the machine. */
  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    await this.mailbox.stop();
    // A POST already sent still gets its answer recorded (the order id); nothing new is decided.
    this.executor.halt();
    for (;;) {
      await this.executor.drain();
      await this.mailbox.idle();
      if (this.executor.busy === 0) break;
    }
    this.host?.stopMachine();
  }

  /**
   * The newest quote for this asset. Quotes are state, not a queue: an unprocessed one is replaced,
   * and the cycle host makes Decimals only of one that may trigger (architecture §2).
   */
  offerQuote(quote: QuoteTick): void {
    this.lastTick = quote;
    this.quoteArrivedAt = performance.now();
    this.mailbox.offerQuote(quote, this.handleQuote);
  }

  private readonly handleQuote = (tick: QuoteTick): Promise<void> | undefined => this.host?.offerQuote(tick);

  /** Resolves once everything queued for this asset so far (and what it queued) has run. */
  idle(): Promise<void> {
    return this.mailbox.idle();
  }

  /** Quotes the gate held back and quotes stepped through the machine, this cycle host (benchmark). */
  get quoteCounts(): { readonly held: number; readonly stepped: number } {
    return this.host?.quoteCounts ?? { held: 0, stepped: 0 };
  }

  /** A trade update for one of this asset's orders: recorded in the ledger, then given to the cycle. */
  onTradeUpdate(update: TradeUpdate): void {
    this.mailbox.post(async () => {
      // Test hook (no-op in production): a crash with the fill on the wire and nothing recorded.
      if (update.event === 'fill') failpoint(`before-fill-persisted-${update.order.side}`);
      await recordOrderState(this.deps.pool, update.order);
      if (update.event === 'fill') this.deps.metrics?.fill(this.asset.symbol, update.order.side);
      const event = tradeUpdateToEvent(update);
      if (event) await this.process(event);
    });
  }

  /** Looks the in-flight order up over REST (after a stream reconnect or on a caretaker's request). */
  /**
   * The order this actor is sending under `clientOrderId`, as its ledger row will record it; null
   * when it sends none (trade updates check against it while the row's COMMIT is in flight).
   */
  sendingOrder(clientOrderId: string): PlacedOrder | null {
    const order = this.executor.sendingOrder(clientOrderId);
    if (!order) return null;
    return {
      assetId: this.asset.id,
      clientOrderId,
      alpacaOrderId: null,
      side: order.side,
      orderType: order.type,
      qty: order.qty,
      limitPrice: order.limitPrice,
    };
  }

  reconcile(): void {
    this.mailbox.post(() => this.host?.reconcile());
  }

  /** Any other machine event, from a caretaker (POSITION_MISSING, TICK) or the asset poller. */
  send(event: CycleEvent): void {
    this.mailbox.post(() => this.process(event));
  }

  /** The asset row changed (e.g. an operator edited it); takes effect for the next decision. */
  updateAsset(asset: AssetConfig): void {
    const wasEnabled = this.asset.enabled;
    this.asset = asset;
    this.host?.setAsset(asset);
    this.send({ type: 'CONFIG_CHANGED', asset });
    if (wasEnabled !== asset.enabled) this.send({ type: asset.enabled ? 'ENABLE' : 'DISABLE' });
  }

  /** An operator's take profit now (the dashboard): the machine decides, after its position check. */
  takeProfitNow(): void {
    this.send({ type: 'TAKE_PROFIT_NOW' });
  }

  /**
   * An operator's cancel of the order the cycle waits on, requested as the order manager cancels a
   * stale order: the outcome (canceled, or filled first) comes back as a trade update the cycle
   * books, so nothing is written here. Null when there is no order in flight; `sent` is false
   * while its POST is unanswered (no exchange id to cancel yet).
   */
  async cancelInFlight(): Promise<{ clientOrderId: string; sent: boolean } | null> {
    const order = this.host?.inFlight ?? null;
    if (order === null) return null;
    if (order.orderId === null) return { clientOrderId: order.clientOrderId, sent: false };
    await this.deps.exchange.cancelOrder(order.orderId);
    return { clientOrderId: order.clientOrderId, sent: true };
  }

  private async process(event: CycleEvent): Promise<void> {
    await this.host?.process(event);
  }

  /** The lane has stopped: wait (bounded) for what was sent, then let the supervisor restart us. */
  private async crashed(err: unknown): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.executor.halt();
    this.log.error(
      { err, inFlight: this.executor.busy },
      'asset actor failed; waiting for its requests in flight, then the supervisor restarts it',
    );
    const drained = await this.executor.drain(this.deps.crashDrainMs ?? CRASH_DRAIN_MS);
    if (!drained)
      this.log.warn({ inFlight: this.executor.busy }, 'requests still in flight after the crash wait');
    this.host?.stopMachine();
    this.deps.fail(err);
  }
}
