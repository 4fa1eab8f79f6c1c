/**
 * The matching engine: one account, its orders, the latest quote per symbol. Free of I/O so it can
 * be tested directly (timers come in as `schedule`); the server wires its events to the streams.
 * Every state change is reported as a SimTradeUpdate (the trade_updates stream), every fill as a
 * SimTrade.
 *
 * Order life (with latencies, the default in `startSimulator`): submit → `pending_new` → after
 * `accept` ms `new` → after `fill` ms the order may match → fills as quotes allow. A REST cancel
 * makes it `pending_cancel`; it still matches until `cancel` ms later it is `canceled` and its
 * reservation is released. Without latencies (`latency: null`), as for orders placed by hand, the
 * order is `new` and matched inside submit, and a cancel is immediate.
 */
import { randomUUID } from 'node:crypto';
import { type Decimal, type DecimalInput, dec, ZERO } from '../money.js';
import { normalizeSymbol } from './assets.js';
import { fieldError, notFound, unprocessable } from './errors.js';
import { mulberry32 } from './feeds.js';
import { checkBalance, checkMinimumValue, type FundsRequest } from './funds.js';
import type { Latency } from './latency.js';
import { Ledger } from './ledger.js';
import { decideFill, isComplete } from './matching.js';
import { newOrder, reservedCash, reservedCoin } from './orderRecord.js';
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
  /** Fee rate of market orders (the taker), and of limit orders unless `makerFeeRate` is given. */
  readonly feeRate: Decimal;
  /** Fee rate of limit orders (the maker), default `feeRate`. */
  readonly makerFeeRate?: Decimal;
  readonly now: () => Date;
  /** Fill this share of each order per matching quote (null: fill completely). */
  readonly partialFillRatio: Decimal | null;
  /** Market-order collar, 0.02 as Alpaca. */
  readonly collar?: Decimal;
  /** Smallest order value in USD, default 10 (Alpaca's crypto minimum); 0 turns the check off. */
  readonly minOrderValue?: Decimal;
  /** Order-life latencies; null or absent: instant. */
  readonly latency?: Latency | null;
  /** Runs `fn` after `ms` (default an unref'd setTimeout). */
  readonly schedule?: (ms: number, fn: () => void) => void;
  /** Also send `pending_new` and `pending_cancel` trade updates (default false). */
  readonly pendingEvents?: boolean;
}

export interface EngineEvents {
  tradeUpdate(update: SimTradeUpdate): void;
  trade(trade: SimTrade): void;
  quote(quote: SimQuote): void;
  /**
   * The account moved: `order` was created or changed, and/or the cash and the position of `symbol`
   * (a fill, a position set by hand). Every change of what `restore` takes back is reported here.
   */
  changed(change: EngineChange): void;
}

export interface EngineChange {
  readonly order: SimOrder | null;
  /** The position that changed (the cash may have changed with it). */
  readonly symbol: string | null;
}

/** What an account is made of, for `restore` after a restart (src/sim/accountStore.ts keeps it). */
export interface SimAccountState {
  readonly accountId: string;
  readonly createdAt: Date;
  readonly cash: Decimal;
  /** The id the next trade (fill) gets on the data stream. */
  readonly nextTradeId: number;
  readonly positions: readonly SimPosition[];
  /** Oldest first. */
  readonly orders: readonly SimOrder[];
  /** The latest quote per symbol (where a feed goes on from). */
  readonly quotes: readonly SimQuote[];
}

const defaultSchedule = (ms: number, fn: () => void) => {
  setTimeout(fn, ms).unref();
};

export class Engine {
  readonly assets: ReadonlyMap<string, SimAsset>;
  readonly ledger: Ledger;
  readonly #orders: SimOrder[] = [];
  /** Orders not yet final (they reserve cash or coin), in creation order. */
  readonly #live = new Set<SimOrder>();
  /** Live orders that may match now; matching scans only these. */
  readonly #matchable = new Set<SimOrder>();
  readonly #byId = new Map<string, SimOrder>();
  readonly #byClientId = new Map<string, SimOrder>();
  readonly #quotes = new Map<string, SimQuote>();
  readonly #trades = new Map<string, SimTrade>();
  readonly #listeners: Partial<EngineEvents>[] = [];
  readonly #now: () => Date;
  readonly #collar: Decimal;
  readonly #minOrderValue: Decimal;
  readonly #latency: Latency | null;
  readonly #schedule: (ms: number, fn: () => void) => void;
  readonly #pendingEvents: boolean;
  #accountId: string = randomUUID();
  #createdAt: Date;
  readonly #sizeRandom = mulberry32(7);
  #tradeId = 1;
  /** While true, quotes are published but nothing fills (the "hold orders" fault). */
  matchingPaused = false;
  partialFillRatio: Decimal | null;

  constructor(opts: EngineOptions) {
    this.assets = opts.assets;
    this.ledger = new Ledger(opts.cash, { taker: opts.feeRate, maker: opts.makerFeeRate ?? opts.feeRate });
    this.#now = opts.now;
    this.#collar = opts.collar ?? dec('0.02');
    this.#minOrderValue = opts.minOrderValue ?? dec(10);
    this.#latency = opts.latency ?? null;
    this.#schedule = opts.schedule ?? defaultSchedule;
    this.#pendingEvents = opts.pendingEvents ?? false;
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

  /** The parts of the account `restore` takes that `account()` and `positions()` do not show. */
  get identity(): { accountId: string; createdAt: Date; nextTradeId: number } {
    return { accountId: this.#accountId, createdAt: this.#createdAt, nextTradeId: this.#tradeId };
  }

  /**
   * Takes back a stored account (before any client connects): its cash, positions, orders and latest
   * quotes. Open orders go on where they were: a `pending_new` one starts its life again, a
   * `pending_cancel` one is canceled on a new timer, the others match on the next quote.
   * Positions and quotes of a symbol the simulator does not list are left out.
   */
  restore(state: SimAccountState): void {
    this.#accountId = state.accountId;
    this.#createdAt = state.createdAt;
    this.#tradeId = state.nextTradeId;
    this.ledger.setCash(state.cash);
    for (const p of state.positions) {
      const asset = this.assets.get(p.symbol);
      if (asset) this.ledger.setPosition(asset, p.qty, p.avgEntryPrice);
    }
    for (const q of state.quotes) if (this.assets.has(q.symbol)) this.#quotes.set(q.symbol, { ...q });
    for (const stored of state.orders) {
      const order = { ...stored };
      this.#orders.push(order);
      this.#byId.set(order.id, order);
      this.#byClientId.set(order.clientOrderId, order);
      if (!OPEN_STATUSES.includes(order.status)) continue;
      this.#live.add(order);
      if (order.status === 'pending_cancel') {
        // Its cancel timer did not survive: a new one (after the listeners are back) ends it.
        this.#schedule(this.#latency?.cancel() ?? 0, () => {
          if (order.status === 'pending_cancel') this.#finish(order, 'canceled');
        });
      } else if (order.status === 'pending_new' && this.#latency) this.activateLater(order.id);
      else {
        if (order.status === 'pending_new') order.status = 'new';
        this.#matchable.add(order);
      }
    }
  }

  /** Sets the cash directly (a demo top-up, a test). */
  setCash(cash: DecimalInput): void {
    this.ledger.setCash(cash);
    this.#changed(null, null);
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

  /** Whether orders go through pending states on timers (false: instant). */
  get timed(): boolean {
    return this.#latency !== null;
  }

  /**
   * The order this request would create, as Alpaca would first answer it (`pending_new`), or the
   * SimApiError it would be refused with now. Nothing is created.
   */
  draft(req: SimOrderRequest): SimOrder {
    return { ...this.#build(req, {}), status: 'pending_new' };
  }

  /**
   * Accepts an order (or throws the SimApiError Alpaca would answer with). With latencies and not
   * `instant`, it is `pending_new` until `activateLater` starts its life; otherwise it is `new`
   * and matched at once. `id` presets the order id (a creation the client was already told about);
   * `external` marks an order placed by hand, which is instant.
   */
  submit(req: SimOrderRequest, opts: { external?: boolean; id?: string; instant?: boolean } = {}): SimOrder {
    const order = this.#build(req, opts);
    const timed = this.#latency !== null && !opts.external && !opts.instant;
    if (timed) order.status = 'pending_new';
    this.#orders.push(order);
    this.#live.add(order);
    this.#byId.set(order.id, order);
    this.#byClientId.set(order.clientOrderId, order);
    this.#changed(order, null);
    const accepted = { ...order };
    if (timed) {
      if (this.#pendingEvents) this.#emitUpdate('pending_new', order);
      return accepted;
    }
    this.#emitUpdate('new', order);
    this.#makeMatchable(order);
    return accepted;
  }

  /**
   * Starts a `pending_new` order's life: `new` after the accept latency, matchable after the fill
   * latency. Called once the client has its answer, so nothing of the order's life precedes it.
   */
  activateLater(id: string): void {
    const order = this.#byId.get(id);
    const latency = this.#latency;
    if (order?.status !== 'pending_new' || latency === null) return;
    this.#schedule(latency.accept(), () => {
      // A cancel that came first wins; its own timer ends the order.
      if (order.status !== 'pending_new') return;
      order.status = 'new';
      order.updatedAt = this.#now();
      this.#changed(order, null);
      this.#emitUpdate('new', order);
      this.#schedule(latency.fill(), () => {
        if (this.#live.has(order)) this.#makeMatchable(order);
      });
    });
  }

  /**
   * Cancels an open order; 404 if unknown, 422 if it can no longer be canceled. With latencies and
   * `viaRest`, the order is `pending_cancel` (still matching) and canceled after the latency.
   */
  cancel(idOrClientId: string, opts: { viaRest?: boolean } = {}): SimOrder {
    const order = this.#find(idOrClientId);
    if (!order) throw notFound('order not found');
    if (order.status === 'pending_cancel') throw unprocessable('order is already pending cancel');
    if (!OPEN_STATUSES.includes(order.status))
      throw unprocessable(`order is not cancelable (status ${order.status})`);
    if (!opts.viaRest || !this.#latency) {
      this.#finish(order, 'canceled');
      return { ...order };
    }
    order.status = 'pending_cancel';
    order.updatedAt = this.#now();
    this.#changed(order, null);
    if (this.#pendingEvents) this.#emitUpdate('pending_cancel', order);
    this.#schedule(this.#latency.cancel(), () => {
      // A fill may have completed the order meanwhile; then there is nothing left to cancel.
      if (order.status === 'pending_cancel') this.#finish(order, 'canceled');
    });
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
    const asset = this.asset(symbol);
    this.ledger.setPosition(asset, qty, avgEntryPrice);
    this.#changed(null, asset.symbol);
  }

  /** Coin that open sell orders of `symbol` already claim (not in `qty_available`). */
  reservedCoin(symbol: string): Decimal {
    return reservedCoin(this.#live, symbol);
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

  /**
   * Records the quote, tells listeners, then matches the symbol's open orders against it. Sizes
   * default to a varying amount, as real books' depth varies.
   */
  publishQuote(
    symbol: string,
    bid: DecimalInput,
    ask: DecimalInput,
    sizes: { bidSize?: DecimalInput; askSize?: DecimalInput } = {},
  ): SimQuote {
    const asset = this.asset(symbol);
    const quote: SimQuote = {
      symbol: asset.symbol,
      bid: dec(bid, 'bid'),
      ask: dec(ask, 'ask'),
      bidSize: sizes.bidSize === undefined ? this.#someSize() : dec(sizes.bidSize, 'bidSize'),
      askSize: sizes.askSize === undefined ? this.#someSize() : dec(sizes.askSize, 'askSize'),
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
    for (const order of [...this.#matchable]) {
      if (order.symbol === symbol && this.#matchable.has(order)) this.#matchOrder(order, quote);
    }
  }

  matchAll(): void {
    for (const symbol of this.#quotes.keys()) this.matchSymbol(symbol);
  }

  #build(req: SimOrderRequest, opts: { external?: boolean; id?: string }): SimOrder {
    const c = checkOrderRequest(req, this.assets);
    const clientOrderId = c.clientOrderId ?? randomUUID();
    if (this.#byClientId.has(clientOrderId)) throw fieldError('client_order_id must be unique');
    const quote = this.#quotes.get(c.asset.symbol);
    const funds: FundsRequest = { ...c, quote };
    checkMinimumValue(funds, this.#minOrderValue);
    const base = this.ledger.position(c.asset.symbol);
    checkBalance(funds, {
      cash: this.ledger.cash,
      reservedCash: this.#reservedCash(),
      coin: base?.qty ?? ZERO,
      reservedCoin: this.reservedCoin(c.asset.symbol),
    });
    return newOrder(c, quote, {
      id: opts.id ?? randomUUID(),
      clientOrderId,
      external: opts.external ?? false,
      now: this.#now(),
    });
  }

  #makeMatchable(order: SimOrder): void {
    this.#matchable.add(order);
    const quote = this.#quotes.get(order.symbol);
    if (quote) this.#matchOrder(order, quote);
  }

  #matchOrder(order: SimOrder, quote: SimQuote): void {
    if (this.matchingPaused) return;
    const asset = this.asset(order.symbol);
    if (order.type === 'market' && !order.collarReference) {
      order.collarReference = order.side === 'buy' ? quote.ask : quote.bid;
      this.#changed(order, null);
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
    const role = order.type === 'limit' ? 'maker' : 'taker';
    const effect =
      order.side === 'buy'
        ? this.ledger.applyBuy(asset, qty, price, role)
        : this.ledger.applySell(asset, qty, price, role);
    const now = this.#now();
    order.filledQty = order.filledQty.plus(qty);
    order.filledValue = order.filledValue.plus(qty.mul(price));
    order.updatedAt = now;
    const done = isComplete(order, price, asset);
    // A pending cancel stays pending through a partial fill; only the rest is canceled.
    if (done) order.status = 'filled';
    else if (order.status !== 'pending_cancel') order.status = 'partially_filled';
    if (done) {
      order.filledAt = now;
      this.#live.delete(order);
      this.#matchable.delete(order);
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
    this.#changed(order, order.symbol);
    this.#emitUpdate(done ? 'fill' : 'partial_fill', order, { price, qty, positionQty: effect.positionQty });
    for (const l of this.#listeners) l.trade?.(trade);
  }

  #finish(order: SimOrder, status: 'canceled' | 'expired' | 'rejected'): void {
    const now = this.#now();
    order.status = status;
    order.updatedAt = now;
    this.#live.delete(order);
    this.#matchable.delete(order);
    if (status === 'canceled') order.canceledAt = now;
    if (status === 'expired') order.expiredAt = now;
    if (status === 'rejected') order.failedAt = now;
    this.#changed(order, null);
    this.#emitUpdate(status, order);
  }

  #changed(order: SimOrder | null, symbol: string | null): void {
    for (const l of this.#listeners) l.changed?.({ order, symbol });
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

  #reservedCash(): Decimal {
    return reservedCash(this.#live, (symbol) => this.#quotes.get(symbol));
  }

  /** A quote size between 0.05 and 5 (three decimals), deterministic per run. */
  #someSize(): Decimal {
    return dec(Math.round((0.05 + 4.95 * this.#sizeRandom()) * 1000)).div(1000);
  }
}
