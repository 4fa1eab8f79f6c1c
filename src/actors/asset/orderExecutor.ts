/**
 * Every REST call an intent of the cycle implies — submit an order, look it up, read the position —
 * with its retries, its de-duplication and the rules for unknown orders. Each answer is recorded in
 * the order ledger (dca_orders) *here*, before it is handed back as a machine event, so an answer
 * is never lost even when the actor that asked has crashed meanwhile (it only waits for the drain).
 *
 * The unknown-order rules this file owns:
 * - only a definitive refusal (4xx with the exchange's error body) or a 429 means "not created";
 *   a timeout, a reset or a 5xx leaves the order unknown and the machine looks it up;
 * - an order the closed order gate kept home (orderGate.ts: no instance lock) was never sent: it is
 *   neither refused nor rate limited, so no back-off and no alert; the machine waits for the gate;
 * - a look-up never runs while this executor's POST for the same client order id is unanswered:
 *   the exchange may not have created the order yet, so a 404 then would mean nothing;
 * - concurrent look-ups of one order, and concurrent position reads, share one request.
 * And the last look: an order that is not plausible against the market (its limit outside the quote
 * band, a buy larger than its USD amount buys at the lowest plausible price) never leaves; it is
 * refused here like an exchange refusal, so the machine backs off.
 */
import type { Logger } from 'pino';
import type { OrderIntent, OrderSnapshot } from '../../domain.js';
import { ExchangeError } from '../../errors.js';
import { GATE_CLOSED_REASON, isGateRefusal } from '../../exchange/orderGate.js';
import type { ExchangeRest } from '../../exchange/types.js';
import { failpoint } from '../../failpoints.js';
import type { OrderMetrics } from '../../metrics/metrics.js';
import type { BandVerdict } from '../../sanity/orderBand.js';
import type { Queryable } from '../../store/db.js';
import { closeUnsentOrder, recordOrderState } from '../../store/orders.js';
import type { CycleEvent } from '../assetEvents.js';
import { type RetryOptions, retrying } from '../retry.js';

export interface OrderExecutorDeps {
  readonly exchange: ExchangeRest;
  readonly db: Queryable;
  readonly logger: Logger;
  /** Retry delays for the GETs the machine waits on (look-ups, position reads). */
  readonly retryMs?: { readonly initial: number; readonly max: number };
  /** The last look before a POST (see orderWithinBand); every order passes when absent. */
  readonly lastLook?: (order: OrderIntent) => BandVerdict;
  /** Told when the last look refuses an order. */
  readonly onImplausible?: (order: OrderIntent, verdict: Exclude<BandVerdict, { ok: true }>) => void;
  /** Orders sent and refused, tick-to-order latency (/metrics). */
  readonly metrics?: OrderMetrics;
  /** When (performance.now) the newest quote arrived: the order is decided on it. */
  readonly quoteArrivedAt?: () => number | null;
}

export interface SubmitOptions {
  /** The order's write-ahead, when the POST leaves before its COMMIT answered (cycleHost.ts). */
  readonly written?: Promise<unknown>;
  /**
   * When the quote the order was decided on arrived (performance.now), for tick-to-order; taken at
   * the decision, since a newer quote may arrive while a write-ahead commits. Default: now's newest.
   */
  readonly quoteArrivedAt?: number | null;
}

/** A submission's answer, as the machine hears it. */
export type SubmitAnswer = Extract<CycleEvent, { type: 'ORDER_SUBMITTED' | 'ORDER_SUBMIT_FAILED' }>;
export type LookUpAnswer = Extract<CycleEvent, { type: 'RECONCILED' }>;
export type PositionAnswer = Extract<CycleEvent, { type: 'POSITION_FOUND' | 'POSITION_NONE' }>;

/** A POST's failure, sorted by what it lets the caller conclude. */
export function classifySubmitFailure(err: unknown): 'refused' | 'rate_limited' | 'gate_closed' | 'unknown' {
  if (!(err instanceof ExchangeError)) return 'unknown';
  // A reused id is refused because an order with it exists (one whose record was lost, created
  // late): never "not created"; it is looked up and adopted.
  if (err.kind === 'rejected' && /client_order_id must be unique/i.test(err.message)) return 'unknown';
  if (err.kind === 'rejected') return 'refused';
  // The closed order gate kept it home: not the exchange's limit, nor the budget's (architecture §2).
  if (isGateRefusal(err)) return 'gate_closed';
  // Alpaca's rate limiter answers before the order is looked at: nothing was created. Nor was
  // anything when the account's REST budget never let the POST leave (budget.ts, `notSent`).
  if (err.kind === 'unavailable' && err.status === 429) return 'rate_limited';
  if (err.kind === 'unavailable' && err.details['notSent'] === true) return 'rate_limited';
  return 'unknown';
}

export class OrderExecutor {
  private halted = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Unanswered POSTs by client order id: a look-up of one of them waits for its answer first. */
  private readonly posts = new Map<string, Promise<unknown>>();
  /** The intents of those POSTs, for a trade update that outruns the ledger row (sendingOrder). */
  private readonly sending = new Map<string, OrderIntent>();
  private readonly lookUps = new Map<string, Promise<LookUpAnswer | undefined>>();
  private positionRead: Promise<PositionAnswer | undefined> | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: OrderExecutorDeps) {
    this.log = deps.logger;
  }

  /** Requests still running (POSTs, look-ups, position reads). */
  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * No new retries from now on. A POST already sent still runs to its answer (bounded by the
   * client's request timeout) and that answer is still recorded; a retrying GET gives up.
   */
  halt(): void {
    this.halted = true;
  }

  /** Waits until every request has ended, at most `timeoutMs`; true when nothing is left running. */
  async drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      if (!Number.isFinite(timeoutMs)) {
        await Promise.allSettled([...this.inFlight]);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(resolve, left);
      });
      await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
      clearTimeout(timer);
    }
    return true;
  }

  /**
   * Sends the order and records the answer in the ledger. `written` is the order's write-ahead when
   * the POST leaves while it commits (a safety order, architecture §4): the answer is recorded only
   * once it has settled, so the ledger row is there to take it. Without it, the write-ahead has
   * committed already.
   */
  submit(order: OrderIntent, opts: SubmitOptions = {}): Promise<SubmitAnswer> {
    const written = opts.written?.then(
      () => undefined,
      () => undefined,
    );
    const arrived = opts.quoteArrivedAt === undefined ? this.latestQuoteArrival() : opts.quoteArrivedAt;
    const work = this.post(order, arrived, written);
    this.posts.set(order.clientOrderId, work);
    this.sending.set(order.clientOrderId, order);
    const done = work.finally(() => {
      this.posts.delete(order.clientOrderId);
      this.sending.delete(order.clientOrderId);
    });
    return this.track(done);
  }

  /**
   * The order this executor is sending under `clientOrderId`, until its answer is recorded: its
   * ledger row may not be committed yet (a safety order POSTs while its write-ahead commits).
   */
  sendingOrder(clientOrderId: string): OrderIntent | undefined {
    return this.sending.get(clientOrderId);
  }

  /**
   * Looks the order up by client order id (then by Alpaca id), retrying until it gets an answer or
   * the executor halts. Returns null when a look-up of the same order is already running: its
   * caller will hand the answer to the machine.
   */
  lookUp(clientOrderId: string, orderId: string | null): Promise<LookUpAnswer | undefined> | null {
    if (this.lookUps.has(clientOrderId)) return null;
    const work = this.find(clientOrderId, orderId).finally(() => this.lookUps.delete(clientOrderId));
    this.lookUps.set(clientOrderId, work);
    return this.track(work);
  }

  /** Reads the position; null when a read is already running (its caller gets the answer). */
  position(symbol: string): Promise<PositionAnswer | undefined> | null {
    if (this.positionRead) return null;
    const work = retrying(() => this.deps.exchange.getPosition(symbol), this.retryOptions('position read'))
      .then((p): PositionAnswer | undefined => {
        if (p === undefined) return undefined;
        return p
          ? { type: 'POSITION_FOUND', qty: p.qty, qtyAvailable: p.qtyAvailable }
          : { type: 'POSITION_NONE' };
      })
      .finally(() => {
        this.positionRead = null;
      });
    this.positionRead = work;
    return this.track(work);
  }

  /** When (performance.now) the newest quote arrived: taken when an order is decided on it. */
  latestQuoteArrival(): number | null {
    return this.deps.quoteArrivedAt?.() ?? null;
  }

  private async post(o: OrderIntent, arrived: number | null, written?: Promise<void>): Promise<SubmitAnswer> {
    const clientOrderId = o.clientOrderId;
    const submitting = {
      event: 'order_submit',
      clientOrderId,
      side: o.side,
      type: o.type,
      qty: o.qty.toFixed(),
      limitPrice: o.limitPrice?.toFixed() ?? null,
    };
    const look = this.deps.lastLook?.(o);
    if (look && !look.ok) {
      this.log.info(submitting, 'submitting order');
      this.log.error(
        { event: 'order_implausible', clientOrderId, code: look.code, reason: look.message },
        'order not sent: implausible against the market',
      );
      this.deps.onImplausible?.(o, look);
      this.deps.metrics?.orderRefused(o.symbol, o.side, 'ORDER_IMPLAUSIBLE');
      await written;
      await closeUnsentOrder(this.deps.db, clientOrderId, 'rejected');
      return {
        type: 'ORDER_SUBMIT_FAILED',
        clientOrderId,
        ambiguous: false,
        reason: `not sent: ${look.message}`,
      };
    }
    const { metrics } = this.deps;
    const decidedFor = arrived === null ? null : (performance.now() - arrived) / 1000;
    // Counted once the POST is known to have left: a call kept home (`notSent`) is no order sent.
    const sent = () => {
      if (decidedFor !== null) metrics?.tickToOrder(decidedFor);
      metrics?.orderSent(o.symbol, o.side);
    };
    const answer = this.deps.exchange.submitOrder(o);
    // Logged once the request has left: the check phase comes after this turn's socket writes, and
    // before any answer can be read.
    setImmediate(() => this.log.info(submitting, 'submitting order'));
    let order: OrderSnapshot;
    try {
      order = await answer;
    } catch (err) {
      if (!(err instanceof ExchangeError && err.details['notSent'] === true)) sent();
      await written;
      return this.failed(o, err);
    }
    sent();
    // Test hook (no-op in production): a crash after the exchange took the order, before we record it.
    failpoint(`after-post-${o.side}`);
    await written;
    await recordOrderState(this.deps.db, order);
    return { type: 'ORDER_SUBMITTED', clientOrderId, orderId: order.id };
  }

  private async failed(o: OrderIntent, err: unknown): Promise<SubmitAnswer> {
    const clientOrderId = o.clientOrderId;
    const kind = classifySubmitFailure(err);
    if (kind === 'gate_closed') return this.keptHome(o);
    if (kind !== 'unknown' && err instanceof ExchangeError) {
      this.deps.metrics?.orderRefused(o.symbol, o.side, err.code);
    }
    const reason = err instanceof Error ? err.message : String(err);
    const fields = { event: 'order_submit_failed', err, clientOrderId, kind };
    // A refusal is what a trader wants to read: what was refused and why (not created, nothing held).
    if (kind === 'refused') {
      this.log.warn(
        {
          ...fields,
          side: o.side,
          qty: o.qty.toFixed(),
          limitPrice: o.limitPrice?.toFixed() ?? null,
          reason,
        },
        `${o.side} order refused: ${reason}`,
      );
    } else this.log.warn(fields, 'order submit failed');
    if (kind === 'unknown') {
      return { type: 'ORDER_SUBMIT_FAILED', clientOrderId, ambiguous: true, reason };
    }
    await closeUnsentOrder(this.deps.db, clientOrderId, kind === 'refused' ? 'rejected' : 'not_accepted');
    return {
      type: 'ORDER_SUBMIT_FAILED',
      clientOrderId,
      ambiguous: false,
      reason,
      ...(kind === 'rate_limited' ? { rateLimited: true } : {}),
    };
  }

  /** The closed order gate kept the order home: logged and counted once, closed as not accepted. */
  private async keptHome(o: OrderIntent): Promise<SubmitAnswer> {
    const { clientOrderId } = o;
    this.log.warn(
      { event: 'order_not_sent', clientOrderId, side: o.side, reason: GATE_CLOSED_REASON },
      'order not sent: this instance does not hold the instance lock (the order gate is closed)',
    );
    this.deps.metrics?.orderNotSent(o.symbol, o.side, GATE_CLOSED_REASON);
    await closeUnsentOrder(this.deps.db, clientOrderId, 'not_accepted');
    return {
      type: 'ORDER_SUBMIT_FAILED',
      clientOrderId,
      ambiguous: false,
      reason: 'not sent: the instance lock is not held',
      gateClosed: true,
    };
  }

  private async find(clientOrderId: string, orderId: string | null): Promise<LookUpAnswer | undefined> {
    // The exchange may create an order after a look-up has already missed it: never ask meanwhile.
    const post = this.posts.get(clientOrderId);
    if (post) await post.catch(() => undefined);
    const { exchange } = this.deps;
    const order = await retrying(async () => {
      const byClient = await exchange.getOrderByClientId(clientOrderId);
      if (byClient || !orderId) return byClient;
      return exchange.getOrder(orderId);
    }, this.retryOptions('order look-up'));
    if (order === undefined) return undefined;
    if (order) await recordOrderState(this.deps.db, order);
    return { type: 'RECONCILED', order };
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }

  private retryOptions(what: string): RetryOptions {
    return {
      initialMs: this.deps.retryMs?.initial ?? 500,
      maxMs: this.deps.retryMs?.max ?? 30_000,
      shouldStop: () => this.halted,
      onRetry: (err: unknown, attempt: number, delayMs: number) =>
        this.log.warn({ err, attempt, delayMs }, `${what} failed; retrying`),
    };
  }
}
