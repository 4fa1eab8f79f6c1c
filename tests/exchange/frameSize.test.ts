/**
 * Inbound websocket frames are capped. Without a cap `ws` accepts up to 100 MiB per frame, so a
 * broken or hostile stream server could fill the bot's heap with a few frames. Here a tiny
 * websocket server (node:http upgrade, frames written by hand) announces an 8 MiB frame on each
 * stream and sends only its first 64 KiB: with the cap the bot closes the socket on the header
 * alone (nothing of the body is buffered, it does not wait for the rest), reports the error and
 * reconnects; the process carries on.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlpacaExchange } from '../../src/exchange/alpaca.js';
import { MAX_STREAM_FRAME_BYTES } from '../../src/exchange/sdk.js';
import type { StreamHandle, StreamHandlers } from '../../src/exchange/types.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';

const ANNOUNCED = 8 * 1024 * 1024;
const SENT = 64 * 1024;

interface Oversized {
  readonly url: string;
  /** One entry per connection: the close code the client sent, and when (ms after the frame). */
  readonly connections: Connection[];
  close(): Promise<void>;
}

interface Connection {
  closeCode: number | null;
  closedAfterMs: number | null;
}

/** Client frames are small and masked: opcode, payload (unmasked), and the bytes they took. */
function nextClientFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (buf.length < 2) return null;
  let len = buf[1]! & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + 4 + len) return null;
  const mask = buf.subarray(offset, offset + 4);
  const payload = Buffer.from(buf.subarray(offset + 4, offset + 4 + len));
  for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return { opcode: buf[0]! & 0x0f, payload, size: offset + 4 + len };
}

/** A websocket server that answers every connection with the start of one oversized frame. */
async function startOversizedServer(): Promise<Oversized> {
  const sockets = new Set<Socket>();
  const connections: Oversized['connections'] = [];
  const server: Server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    // FIN + binary opcode, unmasked, 64-bit length: the header promises ANNOUNCED bytes.
    const header = Buffer.alloc(10);
    header[0] = 0x82;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(ANNOUNCED), 2);
    const entry: Connection = { closeCode: null, closedAfterMs: null };
    connections.push(entry);
    const sentAt = Date.now();
    socket.write(Buffer.concat([header, Buffer.alloc(SENT, 0x41)]));
    // Read what the client sends (its auth, then its close frame) and answer a close as a server does.
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let frame = nextClientFrame(pending); frame; frame = nextClientFrame(pending)) {
        pending = pending.subarray(frame.size);
        if (frame.opcode !== 0x8) continue;
        entry.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        entry.closedAfterMs = Date.now() - sentAt;
        socket.end(Buffer.from([0x88, 0x00]));
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let sim: Simulator;
let oversized: Oversized;
const open: StreamHandle[] = [];

beforeAll(async () => {
  [sim, oversized] = await Promise.all([startSimulator({ port: 0 }), startOversizedServer()]);
});
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
afterAll(async () => {
  await Promise.all([sim?.close(), oversized?.close()]);
});

function recorder<T>() {
  const errors: Error[] = [];
  const handlers: StreamHandlers<T> = { onMessage: () => undefined, onError: (e) => errors.push(e) };
  return { errors, handlers };
}

describe('an inbound frame larger than the cap', () => {
  for (const stream of ['trade_updates', 'crypto quotes'] as const) {
    it(`closes the ${stream} socket on the frame's header, reports the error and reconnects`, async () => {
      expect(ANNOUNCED).toBeGreaterThan(MAX_STREAM_FRAME_BYTES);
      const before = oversized.connections.length;
      const exchange = createAlpacaExchange(
        { ...sim.endpoints, streamUrl: oversized.url, dataStreamUrl: oversized.url },
        { reconnect: { initialReconnectMs: 20, maxReconnectMs: 50, reconnectJitter: 0 } },
      );
      const { errors, handlers } = recorder();
      open.push(
        stream === 'trade_updates' ? exchange.tradeUpdates(handlers) : exchange.quotes(['BTC/USD'], handlers),
      );

      // The client closed the first connection as "message too big" (1009) without waiting for the
      // 8 MiB it was promised...
      await expect
        .poll(() => oversized.connections[before]?.closeCode ?? null, { timeout: 5_000 })
        .toBe(1009);
      expect(oversized.connections[before]?.closedAfterMs).toBeLessThan(2_000);
      expect(errors.map((e) => e.message).join('\n')).toMatch(/max payload size exceeded/i);
      // ...and came back for more: the stream is alive, reconnecting as after any drop.
      await expect
        .poll(() => oversized.connections.length - before, { timeout: 5_000 })
        .toBeGreaterThanOrEqual(2);
    });
  }
});
