/**
 * The trade_updates websocket (JSON) behind StreamHandle, through the SDK. (The crypto quote stream
 * is the bot's own thin client: quoteStream.ts.)
 *
 * The SDK reconnects by itself (policy in sdk.ts) and re-sends the subscription after each
 * authentication. What it does not do is say when the server has *acknowledged* the subscription:
 * its `authenticated` event fires before the subscribe frame is even sent. Alpaca does not replay
 * missed trade updates, so the caller reconciles over REST on `onConnected`; doing that before the
 * server listens would leave a gap. So `onConnected` waits for the acknowledgement (`listening` on
 * trade_updates), once per connection.
 *
 * Handlers are called inside the SDK's socket callbacks: nothing may escape them. A bad frame or a
 * throwing handler is reported through `onError` and the logger.
 */
import { streaming } from '@alpacahq/alpaca-trade-api';
import type { Logger } from 'pino';
import type { TradeUpdate } from '../domain.js';
import { ExchangeError } from '../errors.js';
import { maskSecrets } from '../secrets.js';
import { isSupportedOrderType, mapTradeUpdate } from './mappers.js';
import type { SdkClients } from './sdk.js';
import { StreamLifecycle } from './streamLifecycle.js';
import type { StreamHandle, StreamHandlers, StreamState } from './types.js';

type SdkStream = streaming.TradingStream;

/** Connection bookkeeping of the SDK stream. */
class StreamSession<T> {
  private readonly life: StreamLifecycle<T>;

  constructor(
    private readonly name: string,
    private readonly stream: SdkStream,
    private readonly handlers: StreamHandlers<T>,
    logger: Logger,
    secrets: readonly string[],
  ) {
    const life = new StreamLifecycle(name, handlers, logger);
    this.life = life;
    stream.onError((raw) => {
      // Server error frames are echoed as they came; never let a credential ride along.
      const message = maskSecrets(raw, secrets);
      life.lastError = message;
      life.report(new Error(`${name}: ${message}`));
    });
    stream.onDisconnect(() => this.disconnected());
  }

  get state(): StreamState {
    return this.life.state;
  }

  /** The server acknowledged the subscription (or there is nothing to subscribe to). */
  subscribed(): void {
    this.life.subscribed();
  }

  deliver(map: () => T): void {
    let message: T;
    try {
      message = map();
    } catch (error) {
      this.life.report(new Error(`${this.name}: malformed message: ${(error as Error).message}`));
      return;
    }
    this.life.call('onMessage', () => this.handlers.onMessage(message));
  }

  close(): void {
    this.life.close();
    this.stream.disconnect();
  }

  private disconnected(): void {
    const life = this.life;
    life.disconnected();
    if (life.closing) return;
    // The SDK schedules its reconnect right after this event; if it did not, it gave up for good
    // (it treats rejected credentials as terminal), and waiting would be waiting forever.
    queueMicrotask(() => {
      if (life.closing || this.stream.getState() !== streaming.STATE.DISCONNECTED) return;
      life.state = 'closed';
      life.report(
        new ExchangeError('auth', `${this.name}: the server refused the credentials; not reconnecting`),
      );
    });
  }
}

export function openTradeUpdates(
  sdk: SdkClients,
  handlers: StreamHandlers<TradeUpdate>,
  logger: Logger,
  secrets: readonly string[],
): StreamHandle {
  const stream = sdk.tradeStream();
  const session = new StreamSession('trade_updates', stream, handlers, logger, secrets);
  stream.on(streaming.EVENT.SUBSCRIPTION, () => session.subscribed());
  stream.onTradeUpdate((update) => {
    // Updates for order types the bot never places (a person's stop_limit) are not its business.
    if (!isSupportedOrderType(update.order.type ?? update.order.orderType)) {
      logger.debug(
        { orderId: update.order.id, type: update.order.type },
        'trade update for unsupported order type',
      );
      return;
    }
    session.deliver(() => mapTradeUpdate(update));
  });
  stream.subscribeTradeUpdates();
  stream.connect();
  return {
    get state() {
      return session.state;
    },
    close: async () => session.close(),
  };
}
