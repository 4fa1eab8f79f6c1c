import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from '@alpacahq/alpaca-trade-api';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createSdkClients } from '../../src/exchange/sdk.js';
import type { ExchangeEndpoints } from '../../src/exchange/types.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];

/** A plain HTTP server standing in for Alpaca: records each request and answers with `handler`. */
async function startHttp(handler: Handler): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function endpointsFor(http: string, ws = 'ws://127.0.0.1:1'): ExchangeEndpoints {
  return {
    baseUrl: `${http}/`,
    dataUrl: http,
    streamUrl: `${ws}/stream`,
    dataStreamUrl: `${ws}/v1beta3/crypto/us`,
    keyId: 'key-id',
    secretKey: 'secret-key',
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

describe('createSdkClients', () => {
  it('sends REST calls to the configured base URL with the key headers', async () => {
    const http = await startHttp((_req, res) => json(res, 200, { cash: '10.5', currency: 'USD' }));
    const sdk = createSdkClients(endpointsFor(http.url));

    const account = await sdk.account.getAccount();

    expect(account.cash).toBe('10.5');
    expect(http.seen[0]?.url).toBe('/v2/account');
    expect(http.seen[0]?.headers['apca-api-key-id']).toBe('key-id');
    expect(http.seen[0]?.headers['apca-api-secret-key']).toBe('secret-key');
  });

  it('sends market-data calls to the data URL', async () => {
    const http = await startHttp((_req, res) => json(res, 200, { quotes: {} }));
    const sdk = createSdkClients(endpointsFor(http.url));

    await sdk.crypto.cryptoLatestQuotes({ loc: 'us', symbols: 'BTC/USD' });

    expect(http.seen[0]?.url).toBe('/v1beta3/crypto/us/latest/quotes?symbols=BTC%2FUSD');
  });

  it('retries a GET that answered 503 but never retries a POST', async () => {
    const http = await startHttp((_req, res) => json(res, 503, { message: 'busy' }));
    const sdk = createSdkClients(endpointsFor(http.url), { getRetries: 1 });

    await expect(sdk.account.getAccount()).rejects.toBeInstanceOf(errors.ApiError);
    expect(http.seen.filter((s) => s.method === 'GET')).toHaveLength(2);

    await expect(
      sdk.orders.postOrder({
        postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', timeInForce: 'gtc', qty: '1' },
      }),
    ).rejects.toBeInstanceOf(errors.ApiError);
    expect(http.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });

  it('turns a hung request into a FetchError caused by a TimeoutError after the configured timeout', async () => {
    const http = await startHttp(() => {
      // never answer
    });
    const sdk = createSdkClients(endpointsFor(http.url), { requestTimeoutMs: 150 });
    const started = Date.now();

    const error = await sdk.orders
      .postOrder({
        postOrderRequest: { symbol: 'BTC/USD', side: 'buy', type: 'market', timeInForce: 'gtc', qty: '1' },
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(errors.FetchError);
    expect(((error as errors.FetchError).cause as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(http.seen).toHaveLength(1);
  });

  it('opens both streams at the configured URLs, asking msgpack only for market data', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const upgrades: { url: string; contentType: string | undefined }[] = [];
    wss.on('connection', (_socket, req) => {
      upgrades.push({ url: req.url ?? '', contentType: req.headers['content-type'] });
    });
    const sdk = createSdkClients(endpointsFor('http://127.0.0.1:1', wsUrl));
    const trade = sdk.tradeStream({ reconnect: false });
    const crypto = sdk.cryptoStream({ reconnect: false });
    try {
      trade.connect();
      crypto.connect();
      await expect.poll(() => upgrades.length).toBe(2);
      expect(upgrades).toContainEqual({ url: '/stream', contentType: undefined });
      expect(upgrades).toContainEqual({ url: '/v1beta3/crypto/us', contentType: 'application/msgpack' });
    } finally {
      trade.disconnect();
      crypto.disconnect();
      for (const c of wss.clients) c.terminate();
      wss.close();
    }
  });
});
