/**
 * `startSimulator()`: a local Alpaca-compatible exchange. See architecture §6 and the module list in
 * src/sim: engine (matching), ledger (cash/positions), streams, feeds, faults, control.
 */
import type { AddressInfo } from 'node:net';
import type { ExchangeEndpoints } from '../exchange/types.js';
import { type DecimalInput, dec } from '../money.js';
import type { SimAccountStore } from './accountStore.js';
import { buildAssets, DEFAULT_ASSETS, normalizeSymbol, type SimAssetInput } from './assets.js';
import { BarBook, type SimBar } from './barBook.js';
import { DataStreamServer } from './dataStream.js';
import { Engine } from './engine.js';
import { SimFaults } from './faults.js';
import {
  type CsvFeedOptions,
  csvFeed,
  type Feed,
  type RandomWalkOptions,
  randomWalkFeed,
  runFeed,
} from './feeds.js';
import type { SimKeepAlive } from './keepAlive.js';
import { buildLatency, type LatencyOptions } from './latency.js';
import { RateLimiter } from './rateLimit.js';
import { createSimServer, DATA_STREAM_PATH, TRADING_STREAM_PATH } from './server.js';
import { TradingStreamServer } from './tradingStream.js';
import type { SimAccount, SimOrder, SimOrderRequest, SimPosition, SimQuote } from './types.js';
import { tradeUpdateJson } from './wire.js';
import { type WriteThrough, writeThrough } from './writeThrough.js';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly keyId?: string;
  readonly secretKey?: string;
  /** Crypto fee rate, default 0.0025 (25 bps): market orders', and limit orders' unless `makerFeeRate`. */
  readonly feeRate?: DecimalInput;
  /** Fee rate of limit orders (the maker side), e.g. 0.0015; default `feeRate`. */
  readonly makerFeeRate?: DecimalInput;
  /** Smallest order value in USD (Alpaca's crypto minimum), default 10; 0 turns the check off. */
  readonly minOrderValue?: DecimalInput;
  /**
   * Order-life latencies (see src/sim/latency.ts), on by default: POST answers `pending_new`,
   * `new` and fills follow, a DELETE leaves `pending_cancel` before `canceled`. `0`: instant (the
   * order is `new`, and maybe filled, before the POST is answered; cancels are immediate).
   */
  readonly latency?: LatencyOptions | 0;
  /** Also send `pending_new` / `pending_cancel` trade updates (default false). */
  readonly pendingEvents?: boolean;
  /** REST requests per minute per key (Alpaca: 200), default 200; 0 turns the limit off. */
  readonly rateLimitPerMinute?: number;
  /** Starting USD cash, default 100000. */
  readonly cash?: DecimalInput;
  readonly assets?: readonly SimAssetInput[];
  /** Clock for order timestamps and quote times. */
  readonly now?: () => Date;
  /** Fill this share of each order per matching quote; default null (fill at once). */
  readonly partialFillRatio?: DecimalInput | null;
  /** Concurrent crypto-stream connections per key, default 1 (as Alpaca's basic plan). */
  readonly maxDataConnections?: number;
  /** Symbols per crypto-stream connection, default 1000. */
  readonly maxDataSymbols?: number;
  /**
   * Where the account lives across restarts (`openSimAccountStore`): loaded at start (then `cash`
   * is ignored), written through on every change, flushed by `close()`. Absent: in memory only.
   */
  readonly store?: SimAccountStore;
  /** A write to `store` failed, first of an outage (it is retried with the changes made since). */
  readonly onStoreError?: (err: unknown) => void;
  /**
   * Idle keep-alive connections (src/sim/keepAlive.ts): how long one is kept, whether that is
   * announced, and whether it is closed or the next request on it reset. Unset: as any Node server,
   * closed after 5 s, announced in `Keep-Alive: timeout=5`.
   */
  readonly keepAlive?: SimKeepAlive;
}

export interface Simulator {
  readonly endpoints: ExchangeEndpoints;
  readonly controlUrl: string;
  /** Sizes default to a varying amount. */
  publishQuote(
    symbol: string,
    bid: DecimalInput,
    ask: DecimalInput,
    sizes?: { bidSize?: DecimalInput; askSize?: DecimalInput },
  ): void;
  /** 1-minute bars as history for the bars endpoint (beside those the quotes leave). */
  loadBars(symbol: string, bars: readonly SimBar[]): void;
  listOrders(): SimOrder[];
  getOrder(idOrClientId: string): SimOrder | undefined;
  positions(): SimPosition[];
  account(): SimAccount;
  /** The latest quote of `symbol` (after a restart with a store: the stored one), if any. */
  latestQuote(symbol: string): SimQuote | undefined;
  /** An order placed as if by hand (not through REST); trade updates flow as for any order. */
  placeOrder(req: SimOrderRequest): SimOrder;
  cancelOrder(idOrClientId: string): SimOrder;
  expireOrder(idOrClientId: string): SimOrder;
  setPosition(symbol: string, qty: DecimalInput, avgPrice: DecimalInput): void;
  setCash(cash: DecimalInput): void;
  /**
   * A raw quote on the market-data stream only (a feed glitch): the book, matching and REST's latest
   * quote keep the last published quote.
   */
  injectStreamQuote(symbol: string, bid: number, ask: number): void;
  /** A raw `trade_updates` frame (`data` as given) to every listener; the engine knows nothing of it. */
  injectTradeUpdate(data: Record<string, unknown>): void;
  /**
   * A raw market-data frame to every authenticated data client: messages (encoded in each client's
   * format), or bytes/text exactly as given (a frame that does not decode).
   */
  injectDataFrame(frame: readonly unknown[] | string | Uint8Array): void;
  readonly faults: SimFaults;
  /** REST requests made so far with the simulator's key, trading and market data apart. */
  restRequests(): { trading: number; data: number };
  /** Runs a seeded GBM walk over the given symbols; returns stop. */
  startRandomWalk(opts: RandomWalkOptions): () => void;
  /** Replays CSV quotes or bars (text or file path) every `intervalMs`; returns stop. */
  startCsvReplay(source: string, opts: CsvFeedOptions & { intervalMs?: number }): () => void;
  /** Steps any feed on a timer; returns stop. */
  startFeed(feed: Feed, intervalMs: number): () => void;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const keys = { keyId: opts.keyId ?? 'SIMKEY', secretKey: opts.secretKey ?? 'SIMSECRET' };
  const ratio = opts.partialFillRatio;
  const configuredRatio = ratio === undefined || ratio === null ? null : dec(ratio, 'partialFillRatio');
  const now = opts.now ?? (() => new Date());
  const engine = new Engine({
    assets: buildAssets(opts.assets ?? DEFAULT_ASSETS),
    cash: dec(opts.cash ?? '100000', 'cash'),
    feeRate: dec(opts.feeRate ?? '0.0025', 'feeRate'),
    ...(opts.makerFeeRate === undefined ? {} : { makerFeeRate: dec(opts.makerFeeRate, 'makerFeeRate') }),
    minOrderValue: dec(opts.minOrderValue ?? '10', 'minOrderValue'),
    latency: buildLatency(opts.latency),
    pendingEvents: opts.pendingEvents ?? false,
    now,
    partialFillRatio: configuredRatio,
  });
  let persistence: WriteThrough | null = null;
  if (opts.store) {
    const stored = await opts.store.load();
    if (stored) engine.restore(stored.state);
    persistence = writeThrough(engine, opts.store, {
      ...(stored ? { seqs: stored.seqs } : {}),
      writeNow: stored === null,
      ...(opts.onStoreError ? { onError: opts.onStoreError } : {}),
    });
  }
  const rateLimiter = new RateLimiter(opts.rateLimitPerMinute ?? 200);
  // The streams consult the faults only once connections arrive, after `faults` exists.
  const tradingStream: TradingStreamServer = new TradingStreamServer(keys, (): boolean =>
    faults.takeAuthRefusal('trading'),
  );
  const dataStream: DataStreamServer = new DataStreamServer(
    keys,
    { maxConnections: opts.maxDataConnections ?? 1, maxSymbols: opts.maxDataSymbols ?? 1000 },
    {
      takeAuthRefusal: (s): boolean => faults.takeAuthRefusal(s),
      takeSubscriptionRefusal: (): boolean => faults.takeSubscriptionRefusal(),
    },
  );
  const faults: SimFaults = new SimFaults({
    dropStream: (s) => (s === 'trading' ? tradingStream.drop() : dataStream.drop()),
    setMatchingPaused(paused) {
      engine.matchingPaused = paused;
      if (!paused) engine.matchAll();
    },
    setPartialFillRatio(r) {
      engine.partialFillRatio = r === null ? null : dec(r, 'partial fill ratio');
    },
    restorePartialFillRatio() {
      engine.partialFillRatio = configuredRatio;
    },
  });
  const emitUpdate = (frame: unknown) => tradingStream.broadcast(frame);
  // With a store, an update leaves only once what it reports is stored: a client never books a fill
  // that a crash of the simulator would take back.
  const afterStored = (fn: () => void) => (persistence ? persistence.afterStored(fn) : fn());
  engine.on({
    // Rendering costs more than matching; skip it when nobody listens (nothing is replayed anyway).
    tradeUpdate: (u) => {
      if (tradingStream.listeners === 0) return;
      const frame = tradeUpdateJson(u);
      afterStored(() => faults.routeTradeUpdate(frame, emitUpdate));
    },
    quote: (q) => dataStream.publishQuote(q),
    trade: (t) => dataStream.publishTrade(t),
  });

  const stops = new Set<() => void>();
  const track = (stop: () => void) => {
    stops.add(stop);
    return () => {
      stop();
      stops.delete(stop);
    };
  };
  const publish = (
    symbol: string,
    bid: DecimalInput,
    ask: DecimalInput,
    sizes?: { bidSize?: DecimalInput; askSize?: DecimalInput },
  ) => {
    engine.publishQuote(symbol, bid, ask, sizes);
  };
  const incrementOf = (symbol: string) => engine.asset(symbol).priceIncrement;

  // Every quote, from any feed, leaves 1-minute bars behind for the bars endpoint.
  const bars = new BarBook();
  engine.on({ quote: (q) => bars.record(q) });

  let simulator: Simulator | undefined;
  const host = opts.host ?? '127.0.0.1';
  const server = createSimServer({
    keys,
    host,
    rateLimiter,
    engine,
    bars,
    faults,
    tradingStream,
    dataStream,
    simulator: () => simulator!,
    ...(opts.keepAlive ? { keepAlive: opts.keepAlive } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const http = `http://${urlHost}:${port}`;
  const ws = `ws://${urlHost}:${port}`;

  simulator = {
    endpoints: {
      baseUrl: http,
      dataUrl: http,
      streamUrl: `${ws}${TRADING_STREAM_PATH}`,
      dataStreamUrl: `${ws}${DATA_STREAM_PATH}`,
      ...keys,
    },
    controlUrl: `${http}/_sim`,
    publishQuote: publish,
    loadBars: (symbol, list) => bars.load(normalizeSymbol(symbol), list),
    listOrders: () => engine.listOrders(),
    getOrder: (id) => engine.getOrder(id),
    positions: () => engine.positions(),
    account: () => engine.account(),
    latestQuote: (symbol) => engine.quote(symbol),
    placeOrder: (req) => engine.submit(req, { external: true }),
    cancelOrder: (id) => engine.cancel(id),
    expireOrder: (id) => engine.expire(id),
    setPosition: (symbol, qty, avgPrice) => engine.setPosition(symbol, qty, avgPrice),
    setCash: (cash) => engine.setCash(cash),
    injectStreamQuote: (symbol, bid, ask) =>
      dataStream.publishRawQuote(engine.asset(symbol).symbol, bid, ask, now()),
    injectTradeUpdate: (data) => tradingStream.broadcast(data),
    injectDataFrame: (frame) => dataStream.publishFrame(frame),
    faults,
    restRequests: () => ({
      trading: rateLimiter.total(`trading:${keys.keyId}`),
      data: rateLimiter.total(`data:${keys.keyId}`) + rateLimiter.total('data:'),
    }),
    startRandomWalk: (o) => track(runFeed(randomWalkFeed(o, publish, incrementOf), o.intervalMs ?? 250)),
    startCsvReplay: (source, o) =>
      track(runFeed(csvFeed(source, o, publish, incrementOf), o.intervalMs ?? 250)),
    startFeed: (feed, intervalMs) => track(runFeed(feed, intervalMs)),
    async close() {
      for (const stop of stops) stop();
      stops.clear();
      tradingStream.close();
      dataStream.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await persistence?.flush();
      persistence?.stop();
    },
  };
  return simulator;
}
