/**
 * An `Exchange` that answers from memory at once, for the process-tree benchmark: it measures the
 * tree (marketData → asset actors → machine → MySQL write-ahead), not the network. Orders are kept
 * in a map and stay `new` until the benchmark fills them through the trade_updates handlers, the way
 * a real fill arrives. Quotes are fed straight into `marketData.accept`, so the quote stream is idle.
 */
import type {
  Account,
  AssetRules,
  OrderIntent,
  OrderSnapshot,
  Position,
  TradeUpdate,
} from '../src/domain.js';
import type { Exchange, QuoteStreamHandle, StreamHandle, StreamHandlers } from '../src/exchange/types.js';
import { type Decimal, dec } from '../src/money.js';
import { orderFor } from './orders.js';

export interface MemoryExchange extends Exchange {
  /** Called synchronously when the bot POSTs an order (after its write-ahead). */
  onSubmit: ((intent: OrderIntent) => void) | null;
  /** Fills an open order completely at `price` and pushes the `fill` trade update. */
  fill(clientOrderId: string, price: Decimal): void;
  readonly submitted: number;
}

const RULES = {
  tradable: true,
  minOrderSize: dec('0.0001'),
  minTradeIncrement: dec('0.000000001'),
  priceIncrement: dec('0.01'),
  minOrderValue: dec('10'),
};

/** `latestAsk`: REST's latest quote for every symbol (the market-data actor confirms its first quote). */
export function createMemoryExchange(opts: { readonly latestAsk?: Decimal } = {}): MemoryExchange {
  const byClientId = new Map<string, OrderSnapshot>();
  let tradeHandlers: StreamHandlers<TradeUpdate> | null = null;
  let nextId = 1;
  let submitted = 0;
  const idle: StreamHandle = { state: 'connected', close: async () => {} };

  const exchange: MemoryExchange = {
    onSubmit: null,
    get submitted() {
      return submitted;
    },

    async getAccount(): Promise<Account> {
      return { cash: dec('1000000000'), buyingPower: dec('1000000000'), currency: 'USD' };
    },
    async submitOrder(intent: OrderIntent): Promise<OrderSnapshot> {
      submitted++;
      exchange.onSubmit?.(intent);
      const order = orderFor(intent, { id: `mem-${nextId++}`, createdAt: new Date() });
      byClientId.set(order.clientOrderId, order);
      return order;
    },
    async getOrderByClientId(clientOrderId: string) {
      return byClientId.get(clientOrderId) ?? null;
    },
    async getOrder(orderId: string) {
      for (const order of byClientId.values()) if (order.id === orderId) return order;
      return null;
    },
    async cancelOrder() {},
    async listOrders() {
      return [...byClientId.values()];
    },
    async getPosition(): Promise<Position | null> {
      return null;
    },
    async listPositions() {
      return [];
    },
    async getAssetRules(symbol: string): Promise<AssetRules> {
      return { symbol, ...RULES };
    },
    async getBars() {
      return { bars: [], nextPageToken: null };
    },
    async getLatestQuote(symbol: string) {
      const ask = opts.latestAsk;
      return ask === undefined ? null : { symbol, bid: ask.minus(10), ask, at: new Date() };
    },

    tradeUpdates(handlers) {
      tradeHandlers = handlers;
      return idle;
    },
    quotes(): QuoteStreamHandle {
      return { ...idle, setSymbols: () => {} };
    },

    fill(clientOrderId, price) {
      const open = byClientId.get(clientOrderId);
      if (!open || !tradeHandlers) throw new Error(`no open order ${clientOrderId} to fill`);
      const now = new Date();
      const order: OrderSnapshot = {
        ...open,
        status: 'filled',
        filledQty: open.qty ?? dec(0),
        filledAvgPrice: price,
        updatedAt: now,
        filledAt: now,
      };
      byClientId.set(clientOrderId, order);
      tradeHandlers.onMessage({
        event: 'fill',
        order,
        at: now,
        executionId: null,
        price,
        qty: order.filledQty,
        positionQty: null,
      });
    },
  };
  return exchange;
}
