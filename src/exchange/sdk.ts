/**
 * The official Alpaca SDK (v4), pointed at arbitrary endpoints. The v4 `Alpaca` facade derives its
 * hosts from `paper`/`sandbox` flags and has no base-path option, so the generated API classes are
 * built directly with an explicit `basePath`, and the stream clients get an explicit `url`.
 *
 * Transport settings chosen here (the generated `Configuration` differs from the facade):
 * - timeout: the SDK default is 30 s per attempt; we use 10 s so a hung POST turns into an
 *   `ambiguous` error quickly. A timeout is never retried by the SDK, for any verb.
 * - retry: the generated `Configuration` does not retry at all unless `retry.maxRetries > 0` (only
 *   the facade turns it on). We enable it for safe verbs only — the SDK never replays a POST/DELETE —
 *   on 408/425/429/5xx and connection errors, 250 ms..5 s backoff.
 * - rate limit: left off; one bot process stays far below Alpaca's 200 requests/minute.
 * - transport: node:http(s) on a keep-alive agent (keepAliveFetch.ts; idle connections retired
 *   after 4 s) unless a fetchApi is given.
 */
import { marketData, streaming, trading } from '@alpacahq/alpaca-trade-api';
import WebSocket from 'ws';
import { sharedKeepAliveFetch } from './keepAliveFetch.js';
import type { ExchangeEndpoints } from './types.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_GET_RETRIES = 2;

/** Reconnect policy for both websockets: forever, doubling from ~1 s up to 30 s. */
export const STREAM_RECONNECT = {
  reconnect: true,
  maxReconnectAttempts: streaming.UNLIMITED_RECONNECT_ATTEMPTS,
  backoff: true,
  initialReconnectMs: 1_000,
  maxReconnectMs: 30_000,
  reconnectJitter: 0.2,
} as const;

/**
 * The largest websocket message either stream accepts. A quote is ~150 bytes and a trade update ~2
 * KB; `ws` would otherwise take up to 100 MiB per frame, and a broken or hostile server sending a
 * few such frames exhausts the heap. Past this size the socket is closed (1009) as soon as the
 * frame's header arrives, before its body is buffered; the SDK reports the error and reconnects.
 */
export const MAX_STREAM_FRAME_BYTES = 1024 * 1024;

/** A stream socket as both websocket clients open one: no compression, frames capped, the codec asked for. */
export function boundedWebSocket(url: string, maxPayload: number, msgpack: boolean): WebSocket {
  return new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload,
    ...(msgpack ? { headers: { 'Content-Type': 'application/msgpack' } } : {}),
  });
}

/** The SDK's own socket factory, with the frame cap added. */
function boundedSocket(maxPayload: number): streaming.WebSocketFactory {
  return (url, codec) =>
    boundedWebSocket(url, maxPayload, codec === 'msgpack') as unknown as streaming.WebSocketLike;
}

export interface SdkClientOptions {
  /** Per-attempt REST timeout; a POST that times out is ambiguous. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Automatic retries of GET requests (never POST/DELETE). Default 2; 0 disables. */
  readonly getRetries?: number;
  /** Replaces the keep-alive fetch (keepAliveFetch.ts), e.g. to count or fail requests. */
  readonly fetchApi?: trading.FetchAPI;
  /** Overrides the stream reconnect policy (tests use short delays). */
  readonly reconnect?: Partial<
    Pick<streaming.AlpacaWebSocketOptions, 'initialReconnectMs' | 'maxReconnectMs' | 'reconnectJitter'>
  >;
}

/** Extra per-stream options a caller may set (e.g. disabling reconnect in a test). */
export type StreamOverrides = Partial<
  Omit<streaming.AlpacaWebSocketOptions, 'url' | 'codec' | 'credentials'>
>;

export interface SdkClients {
  readonly orders: trading.OrdersApi;
  readonly positions: trading.PositionsApi;
  readonly account: trading.AccountsApi;
  readonly assets: trading.AssetsApi;
  /** Market-data crypto REST (latest quotes etc.). */
  readonly crypto: marketData.CryptoApi;
  /** A new, unconnected trade_updates stream client (JSON). */
  tradeStream(overrides?: StreamOverrides): streaming.TradingStream;
  /** A new, unconnected crypto market-data stream client (msgpack). */
  cryptoStream(overrides?: StreamOverrides): streaming.CryptoDataStream;
}

/** Strips trailing slashes so `basePath + '/v2/orders'` never doubles a slash. */
function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function createSdkClients(endpoints: ExchangeEndpoints, opts: SdkClientOptions = {}): SdkClients {
  const getRetries = opts.getRetries ?? DEFAULT_GET_RETRIES;
  const shared: trading.ConfigurationParameters = {
    keyId: endpoints.keyId,
    secret: endpoints.secretKey,
    timeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ...(getRetries > 0 ? { retry: { maxRetries: getRetries } } : {}),
    fetchApi: opts.fetchApi ?? sharedKeepAliveFetch,
  };
  const tradingConfig = new trading.Configuration({ ...shared, basePath: trimSlash(endpoints.baseUrl) });
  const dataConfig = new marketData.Configuration({ ...shared, basePath: trimSlash(endpoints.dataUrl) });
  const credentials = { keyId: endpoints.keyId, secret: endpoints.secretKey };
  const reconnect = { ...STREAM_RECONNECT, ...opts.reconnect };
  const wsFactory = boundedSocket(MAX_STREAM_FRAME_BYTES);

  return {
    orders: new trading.OrdersApi(tradingConfig),
    positions: new trading.PositionsApi(tradingConfig),
    account: new trading.AccountsApi(tradingConfig),
    assets: new trading.AssetsApi(tradingConfig),
    crypto: new marketData.CryptoApi(dataConfig),
    tradeStream: (overrides = {}) =>
      new streaming.TradingStream({
        credentials,
        wsFactory,
        ...reconnect,
        ...overrides,
        url: endpoints.streamUrl,
      }),
    cryptoStream: (overrides = {}) =>
      new streaming.CryptoDataStream({
        credentials,
        wsFactory,
        ...reconnect,
        ...overrides,
        url: endpoints.dataStreamUrl,
      }),
  };
}
