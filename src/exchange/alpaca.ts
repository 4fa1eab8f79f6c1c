/**
 * The Exchange interface implemented with the official Alpaca SDK (v4) for REST and trade_updates,
 * and the bot's own thin client for the crypto quote stream (quoteStream.ts: the hot path). Nothing
 * outside src/exchange sees the SDK: this file turns domain calls into SDK calls, SDK models into
 * domain types (mappers.ts) and SDK failures into ExchangeError kinds (errors.ts).
 */
import type { marketData } from '@alpacahq/alpaca-trade-api';
import { type Logger, pino } from 'pino';
import type { OrderIntent, OrderSnapshot, Position } from '../domain.js';
import { type Decimal, dec, toPlain } from '../money.js';
import { callSdk, type ErrorContext, isExchangeError } from './errors.js';
import {
  isSupportedOrderType,
  mapAccount,
  mapAssetRules,
  mapOrder,
  mapPosition,
  mapRestQuote,
} from './mappers.js';
import { openQuoteStream } from './quoteStream.js';
import { createSdkClients, MAX_STREAM_FRAME_BYTES, type SdkClientOptions, STREAM_RECONNECT } from './sdk.js';
import { openTradeUpdates } from './streams.js';
import { toCompactSymbol } from './symbols.js';
import type { Exchange, ExchangeEndpoints, ListOrdersQuery } from './types.js';

/** `requestTimeoutMs` (default 10 s; a POST that exceeds it is `ambiguous`) and the rest: sdk.ts. */
export interface AlpacaExchangeOptions extends SdkClientOptions {
  readonly logger?: Logger;
  /** Crypto market-data location for latest quotes. Default `us`. */
  readonly cryptoLoc?: marketData.CryptoLatestLoc;
  /** The exchange's minimum order value in USD, reported with each asset's rules. Default 10 (Alpaca's). */
  readonly minOrderValue?: Decimal;
  /** Wire format of the crypto quote stream; default msgpack (as Alpaca's own clients). */
  readonly quoteCodec?: 'msgpack' | 'json';
  /** Keep-alive of the quote stream (default a ping every 10 s, 5 s for the pong); tests shorten it. */
  readonly quotePing?: { readonly pingIntervalMs?: number; readonly pongWaitMs?: number };
}

/** Alpaca refuses a crypto order worth less: 403 "cost basis must be >= minimal amount of order 10". */
export const DEFAULT_MIN_ORDER_VALUE = dec(10);

/** Alpaca's largest `GET /v2/orders` page. */
const MAX_ORDERS_PAGE = 500;

/** Alpaca's largest bars page. */
const MAX_BARS_PAGE = 10_000;

export function createAlpacaExchange(
  endpoints: ExchangeEndpoints,
  opts: AlpacaExchangeOptions = {},
): Exchange {
  const logger = (opts.logger ?? pino({ enabled: false })).child({ component: 'exchange' });
  const sdk = createSdkClients(endpoints, opts);
  const secrets = [endpoints.secretKey, endpoints.keyId];
  const loc = opts.cryptoLoc ?? 'us';
  const minOrderValue = opts.minOrderValue ?? DEFAULT_MIN_ORDER_VALUE;

  const ctx = (method: ErrorContext['method'], operation: string): ErrorContext => ({
    method,
    operation,
    secrets,
  });

  /** Runs a lookup; a 404 means "no such thing" and becomes null. */
  async function orNull<T>(lookup: Promise<T>): Promise<T | null> {
    try {
      return await lookup;
    } catch (error) {
      if (isExchangeError(error, 'not_found')) return null;
      throw error;
    }
  }

  return {
    async getAccount() {
      return mapAccount(await callSdk(ctx('GET', 'get account'), () => sdk.account.getAccount()));
    },

    async submitOrder(intent: OrderIntent): Promise<OrderSnapshot> {
      const order = await callSdk(ctx('POST', `submit order ${intent.clientOrderId}`), () =>
        sdk.orders.postOrder({
          postOrderRequest: {
            symbol: intent.symbol,
            side: intent.side,
            type: intent.type,
            timeInForce: intent.timeInForce,
            clientOrderId: intent.clientOrderId,
            qty: toPlain(intent.qty),
            ...(intent.limitPrice === null ? {} : { limitPrice: toPlain(intent.limitPrice) }),
          },
        }),
      );
      return mapOrder(order);
    },

    async getOrderByClientId(clientOrderId: string) {
      const order = await orNull(
        callSdk(ctx('GET', `get order by client id ${clientOrderId}`), () =>
          sdk.orders.getOrderByClientOrderId({ clientOrderId }),
        ),
      );
      return order === null ? null : mapOrder(order);
    },

    async getOrder(orderId: string) {
      const order = await orNull(
        callSdk(ctx('GET', `get order ${orderId}`), () => sdk.orders.getOrderByOrderID({ orderId })),
      );
      return order === null ? null : mapOrder(order);
    },

    async cancelOrder(orderId: string) {
      try {
        // The raw call, read to its end: the SDK's plain deleteOrderByOrderID never reads the 204's
        // (empty) body, which leaves the request's timeout timer armed for the REST timeout.
        await callSdk(ctx('DELETE', `cancel order ${orderId}`), async () =>
          (await sdk.orders.deleteOrderByOrderIDRaw({ orderId })).value(),
        );
      } catch (error) {
        // 404: no such order; 422: no longer cancelable (already filled/canceled). Either way there
        // is nothing left to cancel, and the final state arrives through trade_updates/reconcile.
        if (isExchangeError(error, 'not_found') || (isExchangeError(error) && error.status === 422)) {
          logger.info({ orderId, status: error.status }, 'cancel: order already final');
          return;
        }
        throw error;
      }
    },

    async listOrders(query: ListOrdersQuery = {}) {
      const orders = await callSdk(ctx('GET', 'list orders'), () =>
        sdk.orders.getAllOrders({
          status: query.status ?? 'open',
          ...(query.symbols && query.symbols.length > 0 ? { symbols: query.symbols.join(',') } : {}),
          ...(query.after ? { after: query.after.toISOString() } : {}),
          ...(query.until ? { until: query.until.toISOString() } : {}),
          // Alpaca's default page is 50; a caretaker scanning for orphans wants all it can get.
          limit: query.limit ?? MAX_ORDERS_PAGE,
        }),
      );
      // A person may hold order types the bot never places (stop_limit…); they are not the
      // bot's business and have no OrderSnapshot form, so they are skipped, not fatal.
      const supported = orders.filter((o) => isSupportedOrderType(o.type ?? o.orderType));
      if (supported.length < orders.length) {
        logger.debug({ skipped: orders.length - supported.length }, 'list orders: skipped unsupported types');
      }
      return supported.map(mapOrder);
    },

    async getPosition(symbol: string): Promise<Position | null> {
      const position = await orNull(
        callSdk(ctx('GET', `get position ${symbol}`), () =>
          sdk.positions.getOpenPosition({ symbolOrAssetId: toCompactSymbol(symbol) }),
        ),
      );
      return position === null ? null : mapPosition(position);
    },

    async listPositions() {
      const positions = await callSdk(ctx('GET', 'list positions'), () =>
        sdk.positions.getAllOpenPositions(),
      );
      return positions.map(mapPosition);
    },

    async getAssetRules(symbol: string) {
      const asset = await callSdk(ctx('GET', `get asset ${symbol}`), () =>
        sdk.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: toCompactSymbol(symbol) }),
      );
      return mapAssetRules(asset, minOrderValue);
    },

    async getLatestQuote(symbol: string) {
      const response = await callSdk(ctx('GET', `get latest quote ${symbol}`), () =>
        sdk.crypto.cryptoLatestQuotes({ loc, symbols: symbol }),
      );
      const quote = response.quotes?.[symbol];
      return quote === undefined ? null : mapRestQuote(symbol, quote);
    },

    async getBars(symbol, query) {
      const response = await callSdk(ctx('GET', `get bars ${symbol}`), () =>
        sdk.crypto.cryptoBars({
          loc,
          symbols: symbol,
          timeframe: query.timeframe,
          start: query.start,
          end: query.end,
          limit: query.limit ?? MAX_BARS_PAGE,
          ...(query.pageToken ? { pageToken: query.pageToken } : {}),
        }),
      );
      const bars = (response.bars?.[symbol] ?? []).map((b) => ({
        t: new Date(b.t).getTime(),
        o: b.o,
        h: b.h,
        l: b.l,
        c: b.c,
        v: b.v,
      }));
      return { bars, nextPageToken: response.nextPageToken || null };
    },

    tradeUpdates(handlers) {
      return openTradeUpdates(sdk, handlers, logger, secrets);
    },

    quotes(symbols, handlers) {
      const reconnect = { ...STREAM_RECONNECT, ...opts.reconnect };
      return openQuoteStream(symbols, handlers, {
        url: endpoints.dataStreamUrl,
        keyId: endpoints.keyId,
        secretKey: endpoints.secretKey,
        codec: opts.quoteCodec ?? 'msgpack',
        maxFrameBytes: MAX_STREAM_FRAME_BYTES,
        reconnect: {
          initialMs: reconnect.initialReconnectMs,
          maxMs: reconnect.maxReconnectMs,
          jitter: reconnect.reconnectJitter,
        },
        ...(opts.quotePing ?? {}),
        logger,
        secrets,
      });
    },
  };
}
