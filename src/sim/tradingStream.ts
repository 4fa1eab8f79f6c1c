/**
 * The trade_updates websocket (`/stream`). JSON payloads sent as binary frames, as Alpaca's paper
 * endpoint does (the SDK decodes both). Protocol: `authenticate` → `authorization` reply, `listen` →
 * `listening` reply, then `trade_updates` frames. Nothing is replayed after a reconnect. A client
 * may also speak msgpack (binary frames that are not JSON), as Alpaca accepts; it is then answered
 * in msgpack.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { decode, encode } from '@msgpack/msgpack';
import { type WebSocket, WebSocketServer } from 'ws';

export interface Keys {
  readonly keyId: string;
  readonly secretKey: string;
}

interface Client {
  authenticated: boolean;
  listening: boolean;
  msgpack: boolean;
}

export class TradingStreamServer {
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #clients = new Map<WebSocket, Client>();

  constructor(
    private readonly keys: Keys,
    /** A refused authentication (faults.ts), whatever the keys. */
    private readonly refuseAuth: () => boolean = () => false,
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  /** Sends one `trade_updates` frame to every listening client. */
  broadcast(data: unknown): void {
    const payload = { stream: 'trade_updates', data };
    // Each encoding is rendered once, and only if some client needs it.
    let json: Buffer | null = null;
    let packed: Uint8Array | null = null;
    for (const [ws, c] of this.#clients) {
      if (!c.listening) continue;
      if (c.msgpack) {
        packed = packed ?? encode(payload);
        ws.send(packed);
      } else {
        json = json ?? Buffer.from(JSON.stringify(payload));
        ws.send(json);
      }
    }
  }

  get listeners(): number {
    let n = 0;
    for (const c of this.#clients.values()) if (c.listening) n++;
    return n;
  }

  /** Cuts every connection without a close handshake; returns how many. */
  drop(): number {
    const n = this.#clients.size;
    for (const ws of this.#clients.keys()) ws.terminate();
    this.#clients.clear();
    return n;
  }

  close(): void {
    this.drop();
    this.#wss.close();
  }

  #accept(ws: WebSocket): void {
    const client: Client = { authenticated: false, listening: false, msgpack: false };
    this.#clients.set(ws, client);
    ws.on('close', () => this.#clients.delete(ws));
    ws.on('error', () => this.#clients.delete(ws));
    ws.on('message', (raw, isBinary) => this.#onMessage(ws, client, raw as Buffer, isBinary));
  }

  #onMessage(ws: WebSocket, client: Client, raw: Buffer, isBinary: boolean): void {
    let msg: { action?: unknown; data?: Record<string, unknown> };
    try {
      msg = parseFrame(raw, isBinary, client);
      if (typeof msg !== 'object' || msg === null) throw new TypeError('not an object');
    } catch {
      this.#send(ws, client, { action: 'error', data: { error_message: 'invalid syntax' } });
      return;
    }
    if (msg.action === 'authenticate' || msg.action === 'auth') {
      const ok =
        !this.refuseAuth() &&
        msg.data?.key_id === this.keys.keyId &&
        msg.data?.secret_key === this.keys.secretKey;
      client.authenticated = ok;
      this.#send(ws, client, {
        stream: 'authorization',
        data: { action: 'authenticate', status: ok ? 'authorized' : 'unauthorized' },
      });
      if (!ok) ws.close(1008, 'unauthorized');
      return;
    }
    if (msg.action === 'listen') {
      if (!client.authenticated) {
        this.#send(ws, client, {
          stream: 'authorization',
          data: { action: 'listen', status: 'unauthorized' },
        });
        return;
      }
      const streams = Array.isArray(msg.data?.streams) ? (msg.data.streams as unknown[]) : [];
      client.listening = streams.includes('trade_updates');
      this.#send(ws, client, {
        stream: 'listening',
        data: { streams: client.listening ? ['trade_updates'] : [] },
      });
      return;
    }
    this.#send(ws, client, {
      action: 'error',
      data: { error_message: `unrecognized action ${String(msg.action)}` },
    });
  }

  #send(ws: WebSocket, client: Client, payload: unknown): void {
    ws.send(client.msgpack ? encode(payload) : Buffer.from(JSON.stringify(payload)));
  }
}

/** JSON text, JSON in a binary frame (what the SDK sends), or msgpack (which marks the client). */
function parseFrame(
  raw: Buffer,
  isBinary: boolean,
  client: Client,
): { action?: unknown; data?: Record<string, unknown> } {
  const text = raw.toString('utf8');
  if (!isBinary || text.trimStart().startsWith('{')) return JSON.parse(text);
  const msg = decode(raw) as { action?: unknown; data?: Record<string, unknown> };
  client.msgpack = true;
  return msg;
}
