/**
 * The trade_updates stream actor: routes each order update to the asset actor that owns the order
 * and, after every (re)connect, asks every asset actor to reconcile its in-flight order over REST —
 * Alpaca does not replay updates missed while the socket was down.
 *
 * An update is checked before it is routed: against the order the bot placed (its `dca_orders` row,
 * written ahead of the POST; one read per update, updates are rare) and against itself. One that
 * cannot be true (more filled than ordered, another side or symbol, an event its status denies, a
 * status Alpaca does not have) is never delivered: it raises an alert and the owning asset actor
 * reconciles over REST instead, so a fill that looks off is booked only as REST reports it.
 */
import type { Logger } from 'pino';
import type { TradeUpdate } from '../domain.js';
import { ExchangeError } from '../errors.js';
import type { ExchangeStreams, StreamHandle } from '../exchange/types.js';
import { type PriceRange, tradeUpdateProblems } from '../sanity/tradeUpdateChecks.js';
import type { Queryable } from '../store/db.js';
import { getLedgerOrder } from '../store/orders.js';
import type { AlertSink } from './alerts.js';
import type { AssetActor } from './asset.js';
import type { AssetRegistry } from './registry.js';

export interface TradeUpdatesDeps {
  readonly exchange: ExchangeStreams;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
  /** Where the placed orders (`dca_orders`) are read from. */
  readonly db: Queryable;
  readonly alert: AlertSink;
  /** The plausible price range of a symbol now (the market-data actor's band), if known. */
  readonly plausibleRange?: (symbol: string) => PriceRange | null;
}

export class TradeUpdatesActor {
  private stream: StreamHandle | null = null;
  /** Updates are checked one at a time, so they reach the asset actors in the order they came. */
  private lane: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  readonly counters = { received: 0, routed: 0, foreign: 0, rejected: 0, reconnects: 0 };

  constructor(private readonly deps: TradeUpdatesDeps) {
    this.log = deps.logger.child({ actor: 'tradeUpdates' });
  }

  /** `onFatal`: the stream gave up for good (refused credentials); the supervisor decides what next. */
  start(onFatal?: (err: Error) => void): void {
    this.stream = this.deps.exchange.tradeUpdates({
      onMessage: (u) => this.route(u),
      onConnected: ({ reconnect }) => {
        this.log.info({ reconnect }, 'trade updates connected');
        if (reconnect) this.counters.reconnects++;
        // Also on the first connect: an update that arrived before the socket was up is gone.
        this.reconcileAll();
      },
      onDisconnected: (reason) => this.log.warn({ reason }, 'trade updates disconnected; reconnecting'),
      onError: (err) => {
        this.log.warn({ err }, 'trade updates stream error');
        if (err instanceof ExchangeError && err.kind === 'auth') onFatal?.(err);
        // A frame that could not be read may have been one of ours: REST knows what it said.
        else this.reconcileAll();
      },
    });
  }

  async stop(): Promise<void> {
    await this.stream?.close();
    this.stream = null;
    await this.lane;
  }

  route(update: TradeUpdate): void {
    this.counters.received++;
    const owner = this.deps.registry.ownerOf(update.order);
    if (!owner) {
      this.counters.foreign++;
      this.log.info(this.fields(update), 'trade update for an order the bot does not own');
      return;
    }
    this.lane = this.lane
      .then(() => this.checkAndDeliver(update, owner))
      .catch((err: unknown) =>
        this.log.error({ err, ...this.fields(update) }, 'trade update routing failed'),
      );
  }

  private async checkAndDeliver(update: TradeUpdate, owner: AssetActor): Promise<void> {
    let problems: string[];
    try {
      const id = update.order.clientOrderId;
      // A safety order's update can outrun its ledger row (its POST leaves while the row commits):
      // then the order its actor is sending is what was placed; once that is answered, the row is in.
      const placed =
        (await getLedgerOrder(this.deps.db, id)) ??
        owner.sendingOrder(id) ??
        (await getLedgerOrder(this.deps.db, id));
      const asset = { id: owner.view().asset.id, symbol: owner.symbol };
      problems = tradeUpdateProblems(update, placed, asset, this.deps.plausibleRange?.(owner.symbol) ?? null);
    } catch (err) {
      // Unchecked is not delivered: REST (through the asset actor) is asked instead.
      this.log.error({ err, ...this.fields(update) }, 'trade update could not be checked; reconciling');
      owner.reconcile();
      return;
    }
    if (problems.length === 0) {
      this.counters.routed++;
      this.log.debug(this.fields(update), 'trade update');
      owner.onTradeUpdate(update);
      return;
    }
    this.counters.rejected++;
    this.log.warn({ ...this.fields(update), problems }, 'trade update rejected; reconciling over REST');
    this.deps.alert({
      level: 'error',
      code: 'TRADE_UPDATE_REJECTED',
      asset: owner.symbol,
      cycleId: owner.cycleId ?? undefined,
      message: `${update.event} update for order ${update.order.clientOrderId} cannot be true (${problems.join('; ')}); not booked, asking REST instead`,
    });
    owner.reconcile();
  }

  private reconcileAll(): void {
    for (const actor of this.deps.registry.all()) actor.reconcile();
  }

  private fields(update: TradeUpdate) {
    return {
      event: update.event,
      orderId: update.order.id,
      clientOrderId: update.order.clientOrderId,
      asset: update.order.symbol,
      status: update.order.status,
      filledQty: update.order.filledQty.toFixed(),
    };
  }
}
