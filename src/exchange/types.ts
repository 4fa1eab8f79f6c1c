/**
 * The small exchange interface the rest of the bot sees. The Alpaca adapter implements it with the
 * official SDK; nothing outside src/exchange imports the SDK. Every failure is an ExchangeError
 * (src/errors.ts) whose `kind` says what the caller may conclude.
 */
import type {
  Account,
  AssetRules,
  OrderIntent,
  OrderSnapshot,
  Position,
  Quote,
  TradeUpdate,
} from '../domain.js';

export interface ListOrdersQuery {
  readonly status?: 'open' | 'closed' | 'all';
  readonly symbols?: readonly string[];
  readonly after?: Date;
  readonly until?: Date;
  readonly limit?: number;
}

export interface BarsQuery {
  /** Alpaca's timeframe, e.g. `1Min`. */
  readonly timeframe: string;
  readonly start: Date;
  readonly end: Date;
  readonly limit?: number;
  readonly pageToken?: string;
}

/** One page of historical bars (prices as the data API's numbers) and where the next one starts. */
export interface BarsPage {
  readonly bars: readonly { t: number; o: number; h: number; l: number; c: number; v: number }[];
  readonly nextPageToken: string | null;
}

export interface ExchangeRest {
  getAccount(): Promise<Account>;
  /** Submits a new order. Throws ExchangeError: `rejected` (definitive), `unavailable`, `ambiguous`. */
  submitOrder(intent: OrderIntent): Promise<OrderSnapshot>;
  /** null when the exchange has no order with this client order id. */
  getOrderByClientId(clientOrderId: string): Promise<OrderSnapshot | null>;
  /** null when the exchange has no order with this id. */
  getOrder(orderId: string): Promise<OrderSnapshot | null>;
  /** Requests a cancel; the outcome arrives as a trade update. A 404/422 (already final) is not an error. */
  cancelOrder(orderId: string): Promise<void>;
  listOrders(query?: ListOrdersQuery): Promise<OrderSnapshot[]>;
  /** null when there is no open position for the symbol (`BTC/USD`). */
  getPosition(symbol: string): Promise<Position | null>;
  listPositions(): Promise<Position[]>;
  getAssetRules(symbol: string): Promise<AssetRules>;
  getLatestQuote(symbol: string): Promise<Quote | null>;
  /** Historical crypto bars (`/v1beta3/crypto/us/bars`), one page. */
  getBars(symbol: string, query: BarsQuery): Promise<BarsPage>;
  /** Whether a new order or a cancel may leave now (the order gate, orderGate.ts); absent: always. */
  ordersOpen?(): boolean;
}

export type StreamState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface StreamHandlers<T> {
  onMessage(message: T): void;
  /** Authenticated and subscribed; `reconnect` is true for every connection after the first. */
  onConnected?(info: { reconnect: boolean }): void;
  onDisconnected?(reason: string): void;
  /** A malformed frame or a server error message: reported, never thrown. */
  onError?(error: Error): void;
}

export interface StreamHandle {
  close(): Promise<void>;
  readonly state: StreamState;
}

export interface QuoteStreamHandle extends StreamHandle {
  /** Replaces the subscribed symbols (`BTC/USD` form). */
  setSymbols(symbols: readonly string[]): void;
}

/**
 * A quote as the crypto stream delivered it: plain numbers, no Decimals yet. Quotes are state, not
 * a queue (architecture §2): most are superseded before an asset looks at them, so the Decimals of
 * a `Quote` are made (`toQuote`, mappers.ts) only for the quote an asset actually processes.
 */
export interface QuoteTick {
  /** `BTC/USD` form. */
  readonly symbol: string;
  /** Finite and above zero (checked at the edge); a crossed book is left to the market-data actor. */
  readonly bid: number;
  readonly ask: number;
  /** The quote's own time, ms since the epoch. */
  readonly at: number;
}

export interface ExchangeStreams {
  tradeUpdates(handlers: StreamHandlers<TradeUpdate>): StreamHandle;
  quotes(symbols: readonly string[], handlers: StreamHandlers<QuoteTick>): QuoteStreamHandle;
}

export interface Exchange extends ExchangeRest, ExchangeStreams {}

/** Where the exchange lives; from the APCA_API_* variables, or from the built-in simulator. */
export interface ExchangeEndpoints {
  /** Trading REST, e.g. https://paper-api.alpaca.markets */
  readonly baseUrl: string;
  /** Market-data REST, e.g. https://data.alpaca.markets */
  readonly dataUrl: string;
  /** trade_updates websocket, e.g. wss://paper-api.alpaca.markets/stream */
  readonly streamUrl: string;
  /** crypto quotes websocket, e.g. wss://stream.data.alpaca.markets/v1beta3/crypto/us */
  readonly dataStreamUrl: string;
  readonly keyId: string;
  readonly secretKey: string;
}
