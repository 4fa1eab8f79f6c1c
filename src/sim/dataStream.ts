/**
 * The crypto market-data websocket (`/v1beta3/crypto/us`). Frames are arrays of messages; msgpack
 * when the upgrade request says `Content-Type: application/msgpack` (the SDK does), JSON text
 * otherwise. Messages queued in one tick go out together in one frame, as Alpaca batches them.
 * Error codes as Alpaca: 400 invalid syntax, 401 not authenticated, 402 auth failed, 403 already
 * authenticated, 405 symbol limit exceeded, 406 connection limit exceeded. Timestamps: the msgpack
 * timestamp extension, or RFC-3339 strings in JSON (Date.toJSON).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { decode, encode } from '@msgpack/msgpack';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Keys } from './tradingStream.js';
import type { SimQuote, SimTrade } from './types.js';

/** The stream's faults (faults.ts): refused authentications and subscriptions. */
export interface DataStreamFaults {
  takeAuthRefusal(stream: 'data'): boolean;
  takeSubscriptionRefusal(): boolean;
}

export interface DataStreamLimits {
  /** Concurrent authenticated connections per key (Alpaca's basic plan allows 1). */
  readonly maxConnections: number;
  /** Symbols per connection across channels. */
  readonly maxSymbols: number;
}

interface Client {
  readonly ws: WebSocket;
  readonly msgpack: boolean;
  authenticated: boolean;
  readonly quotes: Set<string>;
  readonly trades: Set<string>;
  outbox: unknown[];
}

export class DataStreamServer {
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #clients = new Set<Client>();
  #flushScheduled = false;

  constructor(
    private readonly keys: Keys,
    private readonly limits: DataStreamLimits,
    private readonly faults: DataStreamFaults | null = null,
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const msgpack = String(req.headers['content-type'] ?? '').includes('msgpack');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, msgpack));
  }

  publishQuote(q: SimQuote): void {
    let msg: Record<string, unknown> | null = null;
    for (const c of this.#clients) {
      if (!c.authenticated || !(c.quotes.has(q.symbol) || c.quotes.has('*'))) continue;
      msg ??= {
        T: 'q',
        S: q.symbol,
        bp: q.bid.toNumber(),
        bs: q.bidSize.toNumber(),
        ap: q.ask.toNumber(),
        as: q.askSize.toNumber(),
        t: q.at,
      };
      this.#queue(c, msg);
    }
  }

  /**
   * A quote message exactly as given (any numbers, even ones the engine would refuse) to the
   * symbol's subscribers: a glitch on the feed that the order book and REST never see.
   */
  publishRawQuote(symbol: string, bp: number, ap: number, at: Date): void {
    const msg = { T: 'q', S: symbol, bp, bs: 1, ap, as: 1, t: at };
    for (const c of this.#clients) {
      if (c.authenticated && (c.quotes.has(symbol) || c.quotes.has('*'))) this.#queue(c, msg);
    }
  }

  /**
   * A broken feed, for tests: `messages` encoded in each client's format, or a frame exactly as given
   * (bytes, or text) to every authenticated client, whatever it subscribed to.
   */
  publishFrame(frame: readonly unknown[] | string | Uint8Array): void {
    for (const c of this.#clients) {
      if (!c.authenticated || c.ws.readyState !== c.ws.OPEN) continue;
      if (Array.isArray(frame)) this.#sendNow(c, frame as unknown[]);
      else c.ws.send(frame as string | Uint8Array);
    }
  }

  publishTrade(t: SimTrade): void {
    for (const c of this.#clients) {
      if (!c.authenticated || !(c.trades.has(t.symbol) || c.trades.has('*'))) continue;
      this.#queue(c, {
        T: 't',
        S: t.symbol,
        i: t.id,
        p: t.price.toNumber(),
        s: t.size.toNumber(),
        t: t.at,
        tks: t.takerSide,
      });
    }
  }

  /** Cuts every connection without a close handshake; returns how many. */
  drop(): number {
    const n = this.#clients.size;
    for (const c of this.#clients) c.ws.terminate();
    this.#clients.clear();
    return n;
  }

  close(): void {
    this.drop();
    this.#wss.close();
  }

  #accept(ws: WebSocket, msgpack: boolean): void {
    const client: Client = {
      ws,
      msgpack,
      authenticated: false,
      quotes: new Set(),
      trades: new Set(),
      outbox: [],
    };
    this.#clients.add(client);
    ws.on('close', () => this.#clients.delete(client));
    ws.on('error', () => this.#clients.delete(client));
    ws.on('message', (raw, isBinary) => this.#onMessage(client, raw as Buffer, isBinary));
    this.#sendNow(client, [{ T: 'success', msg: 'connected' }]);
  }

  #onMessage(c: Client, raw: Buffer, isBinary: boolean): void {
    let msg: Record<string, unknown>;
    try {
      msg = (isBinary ? decode(raw) : JSON.parse(raw.toString())) as Record<string, unknown>;
      if (typeof msg !== 'object' || msg === null) throw new TypeError('not an object');
    } catch {
      this.#sendNow(c, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
      return;
    }
    if (msg.action === 'auth') {
      this.#auth(c, msg);
      return;
    }
    if (!c.authenticated) {
      this.#sendNow(c, [{ T: 'error', code: 401, msg: 'not authenticated' }]);
      return;
    }
    if (msg.action === 'subscribe' || msg.action === 'unsubscribe') this.#subscribe(c, msg);
    else this.#sendNow(c, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
  }

  #auth(c: Client, msg: Record<string, unknown>): void {
    if (c.authenticated) {
      this.#sendNow(c, [{ T: 'error', code: 403, msg: 'already authenticated' }]);
      return;
    }
    const refused = this.faults?.takeAuthRefusal('data') ?? false;
    if (refused || msg.key !== this.keys.keyId || msg.secret !== this.keys.secretKey) {
      this.#sendNow(c, [{ T: 'error', code: 402, msg: 'auth failed' }]);
      c.ws.close(1008, 'auth failed');
      return;
    }
    let open = 0;
    for (const other of this.#clients)
      if (other.authenticated && other.ws.readyState === other.ws.OPEN) open++;
    if (open >= this.limits.maxConnections) {
      this.#sendNow(c, [{ T: 'error', code: 406, msg: 'connection limit exceeded' }]);
      c.ws.close(1008, 'connection limit exceeded');
      return;
    }
    c.authenticated = true;
    this.#sendNow(c, [{ T: 'success', msg: 'authenticated' }]);
  }

  #subscribe(c: Client, msg: Record<string, unknown>): void {
    const add = msg.action === 'subscribe';
    const quotes = symbolsOf(msg.quotes);
    const trades = symbolsOf(msg.trades);
    if (add && this.faults?.takeSubscriptionRefusal()) {
      this.#sendNow(c, [{ T: 'error', code: 409, msg: 'insufficient subscription' }]);
      return;
    }
    if (add) {
      const total = new Set([...c.quotes, ...quotes]).size + new Set([...c.trades, ...trades]).size;
      if (total > this.limits.maxSymbols) {
        this.#sendNow(c, [{ T: 'error', code: 405, msg: 'symbol limit exceeded' }]);
        return;
      }
    }
    for (const s of quotes) add ? c.quotes.add(s) : c.quotes.delete(s);
    for (const s of trades) add ? c.trades.add(s) : c.trades.delete(s);
    this.#sendNow(c, [
      {
        T: 'subscription',
        trades: [...c.trades],
        quotes: [...c.quotes],
        orderbooks: [],
        bars: [],
        updatedBars: [],
        dailyBars: [],
      },
    ]);
  }

  #queue(c: Client, msg: unknown): void {
    c.outbox.push(msg);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const c of this.#clients) {
      if (c.outbox.length === 0) continue;
      const batch = c.outbox;
      c.outbox = [];
      this.#sendNow(c, batch);
    }
  }

  #sendNow(c: Client, messages: unknown[]): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (c.msgpack) c.ws.send(encode(messages));
    else c.ws.send(JSON.stringify(messages));
  }
}

function symbolsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}
