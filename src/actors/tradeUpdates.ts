/**
 * The trade_updates stream actor: routes each order update to the asset actor that owns the order
 * and, after every (re)connect, asks every asset actor to reconcile its in-flight order over REST —
 * Alpaca does not replay updates missed while the socket was down.
 */
import type { Logger } from 'pino';
import type { TradeUpdate } from '../domain.js';
import { ExchangeError } from '../errors.js';
import type { ExchangeStreams, StreamHandle } from '../exchange/types.js';
import type { AssetRegistry } from './registry.js';

export interface TradeUpdatesDeps {
  readonly exchange: ExchangeStreams;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
}

export class TradeUpdatesActor {
  private stream: StreamHandle | null = null;
  private readonly log: Logger;
  readonly counters = { received: 0, routed: 0, foreign: 0, reconnects: 0 };

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
        for (const actor of this.deps.registry.all()) actor.reconcile();
      },
      onDisconnected: (reason) => this.log.warn({ reason }, 'trade updates disconnected; reconnecting'),
      onError: (err) => {
        this.log.warn({ err }, 'trade updates stream error');
        if (err instanceof ExchangeError && err.kind === 'auth') onFatal?.(err);
      },
    });
  }

  async stop(): Promise<void> {
    await this.stream?.close();
    this.stream = null;
  }

  route(update: TradeUpdate): void {
    this.counters.received++;
    const owner = this.deps.registry.ownerOf(update.order);
    const fields = {
      event: update.event,
      orderId: update.order.id,
      clientOrderId: update.order.clientOrderId,
      asset: update.order.symbol,
      filledQty: update.order.filledQty.toFixed(),
    };
    if (!owner) {
      this.counters.foreign++;
      this.log.info(fields, 'trade update for an order the bot does not own');
      return;
    }
    this.counters.routed++;
    this.log.debug(fields, 'trade update');
    owner.onTradeUpdate(update);
  }
}
