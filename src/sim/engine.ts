/**
 * The matching engine: one account, its orders, the latest quote per symbol. Synchronous and free of
 * I/O so it can be tested directly; the server wires its events to the streams. Every state change
 * is reported as a SimTradeUpdate (the trade_updates stream) and every fill as a SimTrade.
 */
import { randomUUID } from 'node:crypto';
import { type Decimal, type DecimalInput, dec, ZERO } from '../money.js';
import { normalizeSymbol } from './assets.js';
import { insufficientBalance, notFound, unprocessable } from './errors.js';
import { Ledger } from './ledger.js';
import { decideFill, isComplete } from './matching.js';
import {
  OPEN_STATUSES,
  type SimAccount,
  type SimAsset,
  type SimOrder,
  type SimOrderRequest,
  type SimPosition,
  type SimQuote,
  type SimTrade,
  type SimTradeUpdate,
} from './types.js';
import { checkOrderRequest } from './validation.js';

export interface EngineOptions {
  readonly assets: ReadonlyMap<string, SimAsset>;
  readonly cash: Decimal;
  readonly feeRate: Decimal;
  readonly now: () => Date;
  /** Fill this share of each order per matching quote (null: fill completely). */
  readonly partialFillRatio: Decimal | null;
  /** Market-order collar, 0.02 as Alpaca. */
  readonly collar?: Decimal;
}

export interface EngineEvents {
  tradeUpdate(update: SimTradeUpdate): void;
  trade(trade: SimTrade): void;
  quote(quote: SimQuote): void;
}

export class Engine {
  readonly assets: ReadonlyMap<string, SimAsset>;
  readonly ledger: Ledger;
  readonly #orders: SimOrder[] = [];
  /** Open orders in creation order (a Set keeps insertion order): matching scans only these. */
  readonly #open = new Set<SimOrder>();
  readonly #byId = new Map<string, SimOrder>();
  readonly #byClientId = new Map<string, SimOrder>();
  readonly #quotes = new Map<string, SimQuote>();
  readonly #trades = new Map<string, SimTrade>();
  readonly #listeners: Partial<EngineEvents>[] = [];
  readonly #now: () => Date;
  readonly #collar: Decimal;
  readonly #accountId = randomUUID();
  readonly #createdAt: Date;
  #tradeId = 1;
  /** While true, quotes are published but nothing fills (the "hold orders" fault). */
  matchingPaused = false;
  partialFillRatio: Decimal | null;

  constructor(opts: EngineOptions) {
    this.assets = opts.assets;
    this.ledger = new Ledger(opts.cash, opts.feeRate);
    this.#now = opts.now;
    this.#collar = opts.collar ?? dec('0.02');
    this.partialFillRatio = opts.partialFillRatio;
    this.#createdAt = opts.now();
  }

  on(listener: Partial<EngineEvents>): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  asset(symbol: string): SimAsset {
    const asset = this.assets.get(normalizeSymbol(symbol));
    if (!asset) throw notFound(`asset not found for ${symbol}`);
    return asset;
  }

  quote(symbol: string): SimQuote | undefined {
    return this.#quotes.get(normalizeSymbol(symbol));
  }

  latestTrade(symbol: string): SimTrade | undefined {
    return this.#trades.get(normalizeSymbol(symbol));
  }

  /**
   * The order this request would create, as Alpaca would first answer it (`pending_new`), or the
   * SimApiError it would be refused with now. Nothing is created.
   */
  draft(req: SimOrderRequest): SimOrder {
    return { ...this.#build(req, { external: false }), status: 'pending_new' };
  }

  /**
   * Accepts an order (or throws the SimApiError Alpaca would answer with) and matches it at once.
   * `id` presets the order id (a creation the client was already told about).
   */
  submit(req: SimOrderRequest, opts: { external?: boolean; id?: string } = {}): SimOrder {
    const order = this.#build(req, opts);
    const quote = this.#quotes.get(order.symbol);
    this.#orders.push(order);
    this.#open.add(order);
    this.#byId.set(order.id, order);
    this.#byClientId.set(order.clientOrderId, order);
    const accepted = { ...order };
    this.#emitUpdate('new', order);
    if (quote) this.#matchOrder(order, quote);
    return accepted;
  }

  #build(req: SimOrderRequest, opts: { external?: boolean; id?: string }): SimOrder {
    const c = checkOrderRequest(req, this.assets);
    const clientOrderId = c.clientOrderId ?? randomUUID();
    if (this.#byClientId.has(clientOrderId)) throw unprocessable('client_order_id must be unique');
    const quote = this.#quotes.get(c.asset.symbol);
    this.#checkBalance(c.asset, c.side, c.qty, c.notional, c.limitPrice, quote);
    const now = this.#now();
    return {
      id: opts.id ?? randomUUID(),
      clientOrderId,
      symbol: c.asset.symbol,
      assetId: c.asset.id,
      side: c.side,
      type: c.type,
      timeInForce: c.timeInForce,
      qty: c.qty,
      notional: c.notional,
      limitPrice: c.limitPrice,
      status: 'new',
      filledQty: ZERO,
      filledValue: ZERO,
      createdAt: now,
      updatedAt: now,
      filledAt: null,
      canceledAt: null,
      expiredAt: null,
      failedAt: null,
      // The collar is measured from the quote the order was placed against (or its first quote).
      collarReference: quote && c.type === 'market' ? (c.side === 'buy' ? quote.ask : quote.bid) : null,
      fillRatio: c.fillRatio,
      external: opts.external ?? false,
    };
  }

  /** Cancels an open order; 404 if unknown, 422 if it can no longer be canceled. */
  cancel(idOrClientId: string): SimOrder {
    const order = this.#find(idOrClientId);
    if (!order) throw notFound('order not found');
    if (!OPEN_STATUSES.includes(order.status))
      throw unprocessable(`order is not cancelable (status ${order.status})`);
    this.#finish(order, 'canceled');
    return { ...order };
  }

  /** Ends an open order as `expired` (what Alpaca does to a stale or halted order). */
  expire(idOrClientId: string): SimOrder {
    const order = this.#find(idOrClientId);
    if (!order) throw notFound('order not found');
    if (!OPEN_STATUSES.includes(order.status))
      throw unprocessable(`order is not open (status ${order.status})`);
    this.#finish(order, 'expired');
    return { ...order };
  }

  getOrder(idOrClientId: string): SimOrder | undefined {
    const order = this.#find(idOrClientId);
    return order ? { ...order } : undefined;
  }

  getOrderById(id: string): SimOrder | undefined {
    const order = this.#byId.get(id);
    return order ? { ...order } : undefined;
  }

  getOrderByClientId(clientOrderId: string): SimOrder | undefined {
    const order = this.#byClientId.get(clientOrderId);
    return order ? { ...order } : undefined;
  }

  /** All orders, oldest first. */
  listOrders(): SimOrder[] {
    return this.#orders.map((o) => ({ ...o }));
  }

  positions(): SimPosition[] {
    return this.ledger.positions();
  }

  setPosition(symbol: string, qty: DecimalInput, avgEntryPrice: DecimalInput): void {
    this.ledger.setPosition(this.asset(symbol), qty, avgEntryPrice);
  }

  account(): SimAccount {
    let longMarketValue = ZERO;
    for (const p of this.ledger.positions()) {
      const q = this.#quotes.get(p.symbol);
      longMarketValue = longMarketValue.plus(p.qty.mul(q ? q.bid : p.avgEntryPrice));
    }
    const cash = this.ledger.cash;
    return {
      id: this.#accountId,
      accountNumber: `PA${this.#accountId.replace(/-/g, '').slice(0, 10).toUpperCase()}`,
      cash,
      buyingPower: cash.minus(this.#reservedCash()),
      longMarketValue,
      equity: cash.plus(longMarketValue),
      createdAt: this.#createdAt,
    };
  }

  /** Records the quote, tells listeners, then matches the symbol's open orders against it. */
  publishQuote(symbol: string, bid: DecimalInput, ask: DecimalInput): SimQuote {
    const asset = this.asset(symbol);
    const quote: SimQuote = {
      symbol: asset.symbol,
      bid: dec(bid, 'bid'),
      ask: dec(ask, 'ask'),
      at: this.#now(),
    };
    if (quote.bid.gt(quote.ask)) throw unprocessable(`crossed quote for ${asset.symbol}: bid > ask`);
    this.#quotes.set(asset.symbol, quote);
    for (const l of this.#listeners) l.quote?.(quote);
    this.matchSymbol(asset.symbol);
    return quote;
  }

  /** Matches every open order of `symbol` (oldest first) against its latest quote. */
  matchSymbol(symbol: string): void {
    const quote = this.#quotes.get(symbol);
    if (!quote) return;
    for (const order of [...this.#open]) {
      if (order.symbol === symbol && this.#open.has(order)) this.#matchOrder(order, quote);
    }
  }

  matchAll(): void {
    for (const symbol of this.#quotes.keys()) this.matchSymbol(symbol);
  }

  #matchOrder(order: SimOrder, quote: SimQuote): void {
    if (this.matchingPaused) return;
    const asset = this.asset(order.symbol);
    if (order.type === 'market' && !order.collarReference) {
      order.collarReference = order.side === 'buy' ? quote.ask : quote.bid;
    }
    const decision = decideFill(order, quote, asset, order.fillRatio ?? this.partialFillRatio, this.#collar);
    if (decision.kind === 'collared') {
      this.#finish(order, order.filledQty.isZero() ? 'rejected' : 'canceled');
      return;
    }
    if (decision.kind === 'fill') {
      if (order.side === 'buy' && decision.qty.mul(decision.price).gt(this.ledger.cash)) {
        // The cash went elsewhere since the order was accepted; Alpaca would reject the rest.
        this.#finish(order, order.filledQty.isZero() ? 'rejected' : 'canceled');
        return;
      }
      this.#fill(order, asset, decision.qty, decision.price, quote);
    }
    if (order.timeInForce === 'ioc' && OPEN_STATUSES.includes(order.status)) this.#finish(order, 'canceled');
  }

  #fill(order: SimOrder, asset: SimAsset, qty: Decimal, price: Decimal, quote: SimQuote): void {
    const effect =
      order.side === 'buy'
        ? this.ledger.applyBuy(asset, qty, price)
        : this.ledger.applySell(asset, qty, price);
    const now = this.#now();
    order.filledQty = order.filledQty.plus(qty);
    order.filledValue = order.filledValue.plus(qty.mul(price));
    order.updatedAt = now;
    const done = isComplete(order, price, asset);
    order.status = done ? 'filled' : 'partially_filled';
    if (done) {
      order.filledAt = now;
      this.#open.delete(order);
    }
    const trade: SimTrade = {
      symbol: order.symbol,
      id: this.#tradeId++,
      price,
      size: qty,
      takerSide: order.side === 'buy' ? 'B' : 'S',
      at: quote.at,
    };
    this.#trades.set(order.symbol, trade);
    this.#emitUpdate(done ? 'fill' : 'partial_fill', order, { price, qty, positionQty: effect.positionQty });
    for (const l of this.#listeners) l.trade?.(trade);
  }

  #finish(order: SimOrder, status: 'canceled' | 'expired' | 'rejected'): void {
    const now = this.#now();
    order.status = status;
    order.updatedAt = now;
    this.#open.delete(order);
    if (status === 'canceled') order.canceledAt = now;
    if (status === 'expired') order.expiredAt = now;
    if (status === 'rejected') order.failedAt = now;
    this.#emitUpdate(status, order);
  }

  #emitUpdate(
    event: SimTradeUpdate['event'],
    order: SimOrder,
    fill?: { price: Decimal; qty: Decimal; positionQty: Decimal },
  ): void {
    const update: SimTradeUpdate = {
      event,
      order: { ...order },
      at: order.updatedAt,
      executionId: fill ? randomUUID() : null,
      price: fill?.price ?? null,
      qty: fill?.qty ?? null,
      positionQty: fill?.positionQty ?? null,
    };
    for (const l of this.#listeners) l.tradeUpdate?.(update);
  }

  #find(idOrClientId: string): SimOrder | undefined {
    return this.#byId.get(idOrClientId) ?? this.#byClientId.get(idOrClientId);
  }

  /** USD that open buy orders may still spend. */
  #reservedCash(): Decimal {
    let reserved = ZERO;
    for (const o of this.#open) {
      if (o.side !== 'buy') continue;
      if (o.notional) {
        reserved = reserved.plus(o.notional.minus(o.filledValue));
        continue;
      }
      const price = o.limitPrice ?? this.#quotes.get(o.symbol)?.ask ?? ZERO;
      reserved = reserved.plus(o.qty!.minus(o.filledQty).mul(price));
    }
    return reserved;
  }

  /** Coin that open sell orders already claim. */
  #reservedCoin(symbol: string): Decimal {
    let reserved = ZERO;
    for (const o of this.#open) {
      if (o.side === 'sell' && o.symbol === symbol && o.qty) {
        reserved = reserved.plus(o.qty.minus(o.filledQty));
      }
    }
    return reserved;
  }

  #checkBalance(
    asset: SimAsset,
    side: 'buy' | 'sell',
    qty: Decimal | null,
    notional: Decimal | null,
    limitPrice: Decimal | null,
    quote: SimQuote | undefined,
  ): void {
    const base = asset.symbol.split('/')[0];
    if (side === 'buy') {
      const price = limitPrice ?? quote?.ask ?? null;
      const cost = notional ?? (price ? qty!.mul(price) : ZERO);
      const available = this.ledger.cash.minus(this.#reservedCash());
      if (cost.gt(available)) {
        throw insufficientBalance(
          `insufficient balance for USD (requested: ${cost.toFixed()}, available: ${available.toFixed()})`,
        );
      }
      return;
    }
    const held = this.ledger.position(asset.symbol)?.qty ?? ZERO;
    const available = held.minus(this.#reservedCoin(asset.symbol));
    const wanted = qty ?? (quote?.bid.gt(0) ? notional!.div(quote.bid) : ZERO);
    if (wanted.gt(available)) {
      throw insufficientBalance(
        `insufficient balance for ${base} (requested: ${wanted.toFixed()}, available: ${available.toFixed()})`,
      );
    }
  }
}
