/**
 * What both websocket clients (trade_updates through the SDK, streams.ts; crypto quotes, the bot's
 * own, quoteStream.ts) share about a connection's life: `onConnected` once per connection, when the
 * server acknowledged the subscription; a drop reported once, not once per failed reconnect; and no
 * handler's throw escaping a socket callback (it is logged and reported through `onError`).
 * Reconnecting stays each client's own: the SDK's policy for one, quoteStream's back-off for the other.
 */
import type { Logger } from 'pino';
import type { StreamHandlers, StreamState } from './types.js';

export class StreamLifecycle<T> {
  state: StreamState = 'connecting';
  /** The last error seen on this connection: the reason a drop is reported with. */
  lastError: string | undefined;
  /** Set by `close` (or a terminal failure): nothing is reported as connected or dropped any more. */
  closing = false;
  private connections = 0;
  private acked = false;

  constructor(
    private readonly name: string,
    private readonly handlers: StreamHandlers<T>,
    private readonly logger: Logger,
  ) {}

  /** The server acknowledged the subscription (or there is nothing to subscribe to). */
  subscribed(): void {
    if (this.closing || this.acked) return;
    this.acked = true;
    this.lastError = undefined;
    const reconnect = this.connections > 0;
    this.connections += 1;
    this.state = 'connected';
    this.logger.info({ stream: this.name, reconnect }, 'stream connected');
    this.call('onConnected', () => this.handlers.onConnected?.({ reconnect }));
  }

  /** The connection ended. The next one waits for its own acknowledgement. */
  disconnected(): void {
    this.acked = false;
    if (this.closing) return;
    // Each failed reconnect attempt closes again; report the drop once, not once per attempt.
    if (this.state !== 'disconnected') {
      this.state = 'disconnected';
      const reason = this.lastError ?? 'connection closed';
      this.logger.warn({ stream: this.name, reason }, 'stream disconnected');
      this.call('onDisconnected', () => this.handlers.onDisconnected?.(reason));
    }
  }

  close(): void {
    this.closing = true;
    this.state = 'closed';
  }

  report(error: Error): void {
    this.logger.warn({ stream: this.name, err: error.message }, 'stream error');
    this.call('onError', () => this.handlers.onError?.(error));
  }

  /** A handler threw inside a socket callback: logged, and reported unless it was `onError`. */
  threw(handler: string, error: unknown): void {
    this.logger.error({ stream: this.name, handler, err: error }, 'stream handler threw');
    if (handler !== 'onError')
      this.report(new Error(`${this.name}: ${handler} handler threw: ${String(error)}`));
  }

  call(handler: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.threw(handler, error);
    }
  }
}
