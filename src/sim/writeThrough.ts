/**
 * Write-through of the simulator's account to its store: every change the engine reports is
 * written, in order, one transaction at a time. The engine is synchronous and fast, the database is
 * not, so the changes made while a write is out are gathered into the next one (an order written
 * twice in between is written once, in its newest state). `flush()` waits until everything changed
 * so far is stored; the simulator's `close()` calls it, so a graceful stop loses nothing. A failed
 * write is retried every second with what changed since (nothing is dropped); `onError` hears of
 * the first failure of each outage.
 *
 * `afterStored(fn)` runs `fn` once every change made so far is stored: the simulator sends its
 * trade updates through it, so a client never hears of a fill that a crash could take back.
 */
import type { SimAccountStore, SimAccountWrite } from './accountStore.js';
import type { Engine } from './engine.js';
import type { SimOrder, SimQuote } from './types.js';

const RETRY_MS = 1_000;

export interface WriteThrough {
  /** Resolves once every change made before the call is stored (or the store failed for good). */
  flush(): Promise<void>;
  /** Runs `fn` once every change made before the call is stored (in call order). */
  afterStored(fn: () => void): void;
  /** Stops listening to the engine (after a last `flush`). */
  stop(): void;
}

export function writeThrough(
  engine: Engine,
  store: SimAccountStore,
  opts: { seqs?: ReadonlyMap<string, number>; writeNow?: boolean; onError?: (err: unknown) => void },
): WriteThrough {
  const seqOf = new Map<string, number>(opts.seqs ?? []);
  let nextSeq = 1;
  for (const seq of seqOf.values()) if (seq >= nextSeq) nextSeq = seq + 1;
  const orders = new Map<string, SimOrder>();
  const positions = new Set<string>();
  const quotes = new Map<string, SimQuote>();
  let dirty = false;
  /** What waits for the next write, and for the write that is out. */
  let waiting: (() => void)[] = [];
  let riding: (() => void)[] = [];
  let writing: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  let failing = false;

  const take = (): SimAccountWrite => {
    const ledger = engine.ledger;
    const write: SimAccountWrite = {
      account: { ...engine.identity, cash: ledger.cash },
      orders: [...orders.values()].map((order) => ({ seq: seqOf.get(order.id)!, order: { ...order } })),
      positions: [...positions].map((symbol) => ({ symbol, position: ledger.position(symbol) ?? null })),
      quotes: [...quotes.values()],
    };
    orders.clear();
    positions.clear();
    quotes.clear();
    dirty = false;
    riding = waiting;
    waiting = [];
    return write;
  };
  /** A failed write's parts come back unless something newer replaced them meanwhile. */
  const giveBack = (w: SimAccountWrite) => {
    for (const { order } of w.orders) if (!orders.has(order.id)) orders.set(order.id, order);
    for (const { symbol } of w.positions) positions.add(symbol);
    for (const q of w.quotes) if (!quotes.has(q.symbol)) quotes.set(q.symbol, q);
    waiting = [...riding, ...waiting];
    riding = [];
    dirty = true;
  };
  const drain = async () => {
    while (dirty) {
      const w = take();
      try {
        await store.write(w);
      } catch (err) {
        giveBack(w);
        if (!failing) opts.onError?.(err);
        failing = true;
        if (stopped) return;
        retryTimer = setTimeout(() => {
          retryTimer = null;
          kick();
        }, RETRY_MS);
        retryTimer.unref();
        return;
      }
      failing = false;
      const stored = riding;
      riding = [];
      for (const fn of stored) fn();
    }
  };
  const kick = () => {
    if (writing || retryTimer || stopped) return;
    writing = drain().finally(() => {
      writing = null;
      if (dirty && !retryTimer) kick();
    });
  };

  const unsubscribe = engine.on({
    changed({ order, symbol }) {
      if (order) {
        if (!seqOf.has(order.id)) seqOf.set(order.id, nextSeq++);
        orders.set(order.id, order);
      }
      if (symbol) positions.add(symbol);
      dirty = true;
      kick();
    },
    quote(q) {
      quotes.set(q.symbol, q);
      dirty = true;
      kick();
    },
  });

  // A new account is stored at once, so that a restart before its first trade keeps its identity.
  if (opts.writeNow) {
    dirty = true;
    kick();
  }

  return {
    async flush() {
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = null;
      }
      if (writing) await writing;
      if (dirty && !writing) kick();
      if (writing) await writing;
      // A store that failed again: give up here rather than hang a shutdown.
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = null;
      }
    },
    afterStored(fn) {
      if (dirty || retryTimer) waiting.push(fn);
      else if (writing) riding.push(fn);
      else fn();
    },
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      unsubscribe();
    },
  };
}
