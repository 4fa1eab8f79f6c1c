/**
 * The crypto quote websocket (`/v1beta3/crypto/{loc}`), a thin client on `ws` that speaks Alpaca's
 * market-data protocol itself (https://docs.alpaca.markets/docs/streaming-market-data): connect,
 * `{action: auth}`, `success: authenticated`, `{action: subscribe, quotes}`, the `subscription` ack,
 * `error` frames by code, pings, reconnect with back-off. The SDK keeps REST and trade_updates; this
 * stream is the bot's hot path, where per quote the SDK built an RFC 3339 string nothing used and
 * decoded with a fresh msgpack decoder (architecture §2, "Quotes are state, not a queue").
 *
 * Per quote this costs one decode into plain values (one reused `Decoder`, the msgpack timestamp
 * read straight into milliseconds) and one small `QuoteTick` of numbers: no Decimal, no Date.
 *
 * Failures: a frame that cannot be decoded, or one message in it that is not a valid quote, is
 * reported through `onError` and skipped — the other messages of the frame are still delivered and
 * the stream goes on. Refused credentials (401/402/404) are terminal (an `auth` ExchangeError, no
 * reconnect: retrying would only be refused again); every other error code is reported, and a
 * server that closes the socket (406 connection limit, 407 slow client) is reconnected to with
 * back-off. Nothing may escape a socket callback: a throwing handler is logged and reported.
 */
import { Decoder, EXT_TIMESTAMP, ExtensionCodec, encode } from '@msgpack/msgpack';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { ExchangeError } from '../errors.js';
import { maskSecrets } from '../secrets.js';
import { quoteTickOf } from './mappers.js';
import { boundedWebSocket } from './sdk.js';
import { StreamLifecycle } from './streamLifecycle.js';
import type { QuoteStreamHandle, QuoteTick, StreamHandlers, StreamState } from './types.js';

/** Alpaca's market-data error codes (the text sent is echoed too, with secrets masked). */
export const DATA_STREAM_ERRORS: ReadonlyMap<number, string> = new Map([
  [400, 'invalid syntax'],
  [401, 'not authenticated'],
  [402, 'auth failed'],
  [403, 'already authenticated'],
  [404, 'auth timeout'],
  [405, 'symbol limit exceeded'],
  [406, 'connection limit exceeded'],
  [407, 'slow client'],
  [408, 'v2 not enabled'],
  [409, 'insufficient subscription'],
  [500, 'internal error'],
]);

/** Codes after which the credentials will only be refused again: no reconnect. */
const AUTH_FAILURES = new Set([401, 402, 404]);

export interface QuoteStreamOptions {
  readonly url: string;
  readonly keyId: string;
  readonly secretKey: string;
  /** `msgpack` (as Alpaca's own clients ask for) or `json`. Default msgpack. */
  readonly codec?: 'msgpack' | 'json';
  /** Largest inbound frame; past it the socket is closed (1009) on the frame's header. */
  readonly maxFrameBytes: number;
  /** Reconnect delays: doubling from `initialMs` to `maxMs`, ±`jitter` (a fraction). */
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number; readonly jitter: number };
  /** Keep-alive ping interval (0: none) and how long a pong may take before the socket is dropped. */
  readonly pingIntervalMs?: number;
  readonly pongWaitMs?: number;
  readonly logger: Logger;
  /** Masked out of any text a server echoes back. */
  readonly secrets: readonly string[];
}

const STREAM = 'crypto_quotes';

/**
 * The msgpack timestamp extension (-1) as milliseconds since the epoch: timestamp 32 (seconds),
 * 64 (30-bit nanoseconds, 34-bit seconds) or 96 (32-bit nanoseconds, 64-bit signed seconds).
 */
export function timestampMs(data: Uint8Array): number {
  switch (data.length) {
    case 4:
      return u32(data, 0) * 1000;
    case 8: {
      const hi = u32(data, 0);
      const nsec = hi >>> 2;
      const sec = (hi & 0x3) * 0x1_0000_0000 + u32(data, 4);
      return sec * 1000 + nsec / 1e6;
    }
    case 12: {
      const nsec = u32(data, 0);
      const hi = u32(data, 4) | 0; // signed high word
      const sec = hi * 0x1_0000_0000 + u32(data, 8);
      return sec * 1000 + nsec / 1e6;
    }
    default:
      return Number.NaN;
  }
}

function u32(data: Uint8Array, i: number): number {
  return (
    (((data[i] as number) << 24) |
      ((data[i + 1] as number) << 16) |
      ((data[i + 2] as number) << 8) |
      (data[i + 3] as number)) >>>
    0
  );
}

function decoder(): Decoder {
  const codec = new ExtensionCodec();
  codec.register({ type: EXT_TIMESTAMP, encode: () => null, decode: timestampMs });
  return new Decoder({ extensionCodec: codec });
}

interface Frame {
  readonly T?: unknown;
  readonly msg?: unknown;
  readonly code?: unknown;
  readonly quotes?: unknown;
}

export function openQuoteStream(
  symbols: readonly string[],
  handlers: StreamHandlers<QuoteTick>,
  opts: QuoteStreamOptions,
): QuoteStreamHandle {
  const client = new QuoteStreamClient(symbols, handlers, opts);
  client.connect();
  return client;
}

class QuoteStreamClient implements QuoteStreamHandle {
  private readonly life: StreamLifecycle<QuoteTick>;
  private ws: WebSocket | null = null;
  private wanted: string[];
  /** What the server last acknowledged on this connection (a refused subscription adds nothing). */
  private serverHas = new Set<string>();
  private authenticated = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  /** One decoder for the life of the stream: it keeps its buffers and its cache of keys. */
  private readonly decoder = decoder();
  private readonly msgpack: boolean;

  constructor(
    symbols: readonly string[],
    private readonly handlers: StreamHandlers<QuoteTick>,
    private readonly opts: QuoteStreamOptions,
  ) {
    this.wanted = [...new Set(symbols)];
    this.msgpack = (opts.codec ?? 'msgpack') === 'msgpack';
    this.life = new StreamLifecycle(STREAM, handlers, opts.logger);
  }

  get state(): StreamState {
    return this.life.state;
  }

  connect(): void {
    if (this.life.closing) return;
    let ws: WebSocket;
    try {
      ws = boundedWebSocket(this.opts.url, this.opts.maxFrameBytes, this.msgpack);
    } catch (error) {
      // A URL `ws` refuses: reported, and tried again like any failed connection.
      const message = (error as Error).message;
      this.life.lastError = message;
      this.report(new Error(`${STREAM}: ${this.mask(message)}`));
      this.disconnected();
      return;
    }
    this.ws = ws;
    this.authenticated = false;
    this.serverHas = new Set();
    // Each listener checks it still speaks for the current socket: an old one may still close late.
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.startPing(ws);
      this.send({ action: 'auth', key: this.opts.keyId, secret: this.opts.secretKey });
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws === ws) this.onFrame(data as Buffer, isBinary);
    });
    ws.on('pong', () => {
      if (this.ws === ws) this.clearPong();
    });
    ws.on('error', (err) => {
      if (this.ws !== ws) return;
      this.life.lastError = err.message;
      this.report(new Error(`${STREAM}: ${this.mask(err.message)}`));
    });
    ws.on('close', () => {
      if (this.ws === ws) this.disconnected();
    });
  }

  setSymbols(next: readonly string[]): void {
    this.wanted = [...new Set(next)];
    if (!this.authenticated) return; // sent with the subscription after authentication
    // Against what the server has, not what was last asked for: a refused request added nothing.
    const removed = [...this.serverHas].filter((s) => !this.wanted.includes(s));
    const added = this.wanted.filter((s) => !this.serverHas.has(s));
    if (removed.length > 0) this.send({ action: 'unsubscribe', quotes: removed });
    if (added.length > 0) this.send({ action: 'subscribe', quotes: added });
    if (removed.length === 0 && added.length === 0 && this.wanted.length === 0) this.onSubscribed();
  }

  async close(): Promise<void> {
    this.life.close();
    this.stopTimers();
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }

  private send(message: Record<string, unknown>): void {
    const ws = this.ws;
    if (ws?.readyState !== WebSocket.OPEN) return;
    ws.send(this.msgpack ? encode(message) : JSON.stringify(message));
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    let decoded: unknown;
    try {
      decoded = isBinary ? this.decoder.decode(data) : JSON.parse(data.toString('utf8'));
    } catch (error) {
      this.report(new Error(`${STREAM}: malformed frame: ${(error as Error).message}`));
      return;
    }
    if (!Array.isArray(decoded)) {
      this.report(new Error(`${STREAM}: malformed frame: not an array of messages`));
      return;
    }
    for (const message of decoded) {
      if (this.ws === null) return; // closed by a handler, or by an auth failure in this frame
      if (typeof message !== 'object' || message === null) {
        this.report(new Error(`${STREAM}: malformed message: not an object`));
        continue;
      }
      const frame = message as Frame;
      if (frame.T === 'q') this.quote(message as Record<string, unknown>);
      else this.control(frame);
    }
  }

  private quote(message: Record<string, unknown>): void {
    let tick: QuoteTick;
    try {
      tick = quoteTickOf(message);
    } catch (error) {
      this.report(new Error(`${STREAM}: malformed message: ${(error as Error).message}`));
      return;
    }
    try {
      this.handlers.onMessage(tick);
    } catch (error) {
      this.life.threw('onMessage', error);
    }
  }

  private control(frame: Frame): void {
    switch (frame.T) {
      case 'success':
        if (frame.msg === 'authenticated') this.onAuthenticated();
        return;
      case 'subscription':
        if (Array.isArray(frame.quotes))
          this.serverHas = new Set(frame.quotes.filter((q) => typeof q === 'string'));
        this.onSubscribed();
        return;
      case 'error':
        this.onServerError(frame);
        return;
      default:
        return; // trades, bars, orderbooks: not subscribed, not ours
    }
  }

  private onAuthenticated(): void {
    this.authenticated = true;
    this.attempts = 0;
    // With nothing to subscribe to no acknowledgement will come: the stream is as ready as it gets.
    if (this.wanted.length === 0) this.onSubscribed();
    else this.send({ action: 'subscribe', quotes: this.wanted });
  }

  /** The first acknowledgement on a connection: the server now sends what was asked for. */
  private onSubscribed(): void {
    this.life.subscribed();
  }

  private onServerError(frame: Frame): void {
    const code = typeof frame.code === 'number' ? frame.code : undefined;
    const text = typeof frame.msg === 'string' ? frame.msg : (DATA_STREAM_ERRORS.get(code ?? 0) ?? 'error');
    const message = this.mask(code === undefined ? text : `${code} ${text}`);
    this.life.lastError = message;
    if (code !== undefined && AUTH_FAILURES.has(code)) {
      // Retrying refused credentials only gets them refused again: stop, and say so once.
      this.life.close();
      this.stopTimers();
      const ws = this.ws;
      this.ws = null;
      ws?.close();
      this.report(
        new ExchangeError(
          'auth',
          `${STREAM}: the server refused the credentials (${message}); not reconnecting`,
        ),
      );
      return;
    }
    this.report(new Error(`${STREAM}: ${message}`));
  }

  private disconnected(): void {
    this.stopTimers();
    this.ws = null;
    this.authenticated = false;
    this.life.disconnected();
    if (this.life.closing) return;
    const { initialMs, maxMs, jitter } = this.opts.reconnect;
    const base = Math.min(initialMs * 2 ** this.attempts, maxMs);
    const delay = Math.min(maxMs, base * (1 - jitter + Math.random() * 2 * jitter));
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private startPing(ws: WebSocket): void {
    const every = this.opts.pingIntervalMs ?? 10_000;
    if (every <= 0) return;
    this.pingTimer = setInterval(() => {
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN || this.pongTimer) return;
      ws.ping();
      // A socket that stops answering pings is dead even if TCP has not noticed: drop it, reconnect.
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        if (this.ws !== ws) return;
        this.life.lastError = 'no pong from the server';
        ws.terminate();
      }, this.opts.pongWaitMs ?? 5_000);
    }, every);
    this.pingTimer.unref();
  }

  private clearPong(): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  private stopTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.clearPong();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private mask(text: string): string {
    return maskSecrets(text, this.opts.secrets);
  }

  private report(error: Error): void {
    this.life.report(error);
  }
}
