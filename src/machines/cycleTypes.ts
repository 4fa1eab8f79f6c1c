/**
 * The cycle machine's vocabulary: what it is given, what it hears, what it asks the host to do, and
 * what it remembers. The asset actor is written against these shapes.
 */
import type { OrderStep } from '../clientOrderId.js';
import type {
  AssetConfig,
  AssetRules,
  CycleRow,
  CycleStatus,
  OrderIntent,
  OrderSide,
  OrderSnapshot,
} from '../domain.js';
import type { Decimal } from '../money.js';
import type { CycleLedger } from './decisions.js';

export interface CycleInput {
  asset: AssetConfig;
  rules: AssetRules;
  /** The restored row; the machine starts in `cycle.status`. */
  cycle: CycleRow;
  /** completed_at of the cycle before this one (cooldown expiry). */
  previousCompletedAt: Date | null;
  /**
   * The coin the cycle before this one knowingly left behind when it completed (its baseline plus
   * the rounding its take-profit left); a dust position up to this is no surprise. Default 0.
   */
  previousLeftover?: Decimal;
  /** e.g. 0.0025; the buy fee is taken in the coin received. */
  feeRate: Decimal;
  now: Date;
  /** This database's installation id: every client order id the cycle issues carries it. */
  installationId: string;
  /** How long to wait on unknown orders, stale quotes and refusals; defaults to ORDER_POLICY_DEFAULTS. */
  policy?: OrderPolicy;
  /**
   * A restored row that holds coin may have sent a safety order whose write-ahead never committed
   * (architecture §4, "A safety order leaves while its write-ahead commits"): when true, such a
   * cycle starts by looking for that one order before it decides anything. Default false.
   */
  lookForUnrecordedOrder?: boolean;
}

/** The waiting rules of the order path (architecture §4), in milliseconds. */
export interface OrderPolicy {
  /** Two look-ups that find nothing, at least this far apart, before an order counts as never accepted. */
  readonly lookupGraceMs: number;
  /** No order is decided on a quote older than this. */
  readonly quoteStaleMs: number;
  /** After a refusal no new order for `initialMs`, doubling per refusal up to `maxMs`. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

export const ORDER_POLICY_DEFAULTS: OrderPolicy = {
  lookupGraceMs: 5_000,
  quoteStaleMs: 60_000,
  backoff: { initialMs: 5_000, maxMs: 300_000 },
};

export type CycleEvent =
  | { type: 'QUOTE'; bid: Decimal; ask: Decimal; at: Date }
  | {
      type: 'TICK';
      now: Date;
      /** Whether an order may leave now (the order gate, architecture §2); absent: no news. */
      ordersOpen?: boolean;
    }
  | { type: 'POSITION_FOUND'; qty: Decimal; qtyAvailable: Decimal }
  | { type: 'POSITION_NONE' }
  | { type: 'POSITION_MISSING' }
  | { type: 'ORDER_SUBMITTED'; clientOrderId: string; orderId: string }
  | {
      type: 'ORDER_SUBMIT_FAILED';
      clientOrderId: string;
      /** True when the order may exist (timeout, reset, 5xx): it is looked up, never retried blind. */
      ambiguous: boolean;
      reason: string;
      /** A 429: not created, and the asset backs off like after a refusal. */
      rateLimited?: boolean;
      /** Kept home by the closed order gate: never sent, no back-off; nothing is decided until it opens. */
      gateClosed?: boolean;
    }
  | { type: 'ORDER_PARTIALLY_FILLED'; order: OrderSnapshot; positionQty?: Decimal | null }
  | { type: 'ORDER_FILLED'; order: OrderSnapshot; positionQty?: Decimal | null }
  | { type: 'ORDER_CANCELED'; order: OrderSnapshot; positionQty?: Decimal | null }
  | { type: 'ORDER_REJECTED'; order: OrderSnapshot; positionQty?: Decimal | null }
  | { type: 'ORDER_EXPIRED'; order: OrderSnapshot; positionQty?: Decimal | null }
  | { type: 'RECONCILED'; order: OrderSnapshot | null }
  | { type: 'CONFIG_CHANGED'; asset: AssetConfig; rules?: AssetRules }
  | { type: 'DISABLE' }
  | { type: 'ENABLE' }
  /** An operator asked to sell the open cycle at market now, whatever the take-profit price. */
  | { type: 'TAKE_PROFIT_NOW' };

export type AlertLevel = 'info' | 'warn' | 'error';

/** Side effects leave the machine as emitted intents; the host executes them after persisting. */
export type CycleIntent =
  | { type: 'submitOrder'; step: OrderStep; order: OrderIntent }
  | { type: 'checkPosition'; purpose: PositionPurpose }
  | { type: 'reconcileOrder'; clientOrderId: string; orderId: string | null }
  /** The order was looked up twice a grace period apart and never found: close its ledger row. */
  | { type: 'closeUnsentOrder'; clientOrderId: string }
  | { type: 'alert'; level: AlertLevel; code: string; message: string }
  /** Worth a log line, not an alert (nothing for a person to do). */
  | { type: 'log'; level: 'debug' | 'info'; event: string; message: string };

export interface CycleOutput {
  status: 'complete' | 'error';
  completedAt: Date;
  sellPrice: Decimal | null;
  realizedPnl: Decimal | null;
  nextStatus: 'cooldown' | 'watching';
  reason?: string;
}

/** The order the cycle is waiting on (only in buying/selling). */
export interface InFlightOrder {
  readonly clientOrderId: string;
  /** Alpaca's id, known once the POST answered (or the order was looked up). */
  readonly orderId: string | null;
  readonly step: OrderStep;
  readonly side: OrderSide;
  /** Null when rebuilt from a persisted row: the row does not keep the order's size. */
  readonly qty: Decimal | null;
  readonly limitPrice: Decimal | null;
  readonly submittedAt: Date;
  /** Cumulative partial fill seen so far, for display; accounting waits for the final state. */
  readonly filledQty: Decimal;
  /**
   * False while this incarnation's POST is unanswered: a look-up that finds nothing then says
   * nothing (the exchange may not have created the order yet). True once it answered, failed
   * ambiguously, or the order was restored from a row (the POST that wrote it has ended).
   */
  readonly postEnded: boolean;
  /** When a look-up after the POST ended first found nothing; null until then. */
  readonly notFoundSince: Date | null;
  /** The second look-up, due a grace period after `notFoundSince`, has been asked for. */
  readonly recheckAsked: boolean;
  /**
   * True for the safety order a restored row may have sent without recording it: only looked for.
   * Until the exchange shows it, the row stays as stored (watching, the previous client order id);
   * found, it is adopted; not found twice a grace period apart, it was never created.
   */
  readonly unrecorded?: boolean;
  /**
   * Set on a sell given up as never accepted, looked up once more because the position it would have
   * sold is gone (the exchange may have created it late): found, it is the cycle's sell; not found,
   * the cycle fails as the answer that found no position would have made it fail.
   */
  readonly lastLookFor?: VanishedPosition;
}

/**
 * Who found the cycle's position gone: the position question of a sell (`sell`), of an operator's
 * sell now (`sellNow`), or the consistency caretaker (`missing`, POSITION_MISSING).
 */
export type VanishedPosition = 'sell' | 'sellNow' | 'missing';

/** A refusal episode: no new order before `until`; one alert per episode, not per attempt. */
export interface Backoff {
  readonly until: Date;
  readonly reason: string;
  /** The delay that set `until`; the next refusal doubles it. */
  readonly delayMs: number;
}

export interface LatestQuote {
  readonly bid: Decimal;
  readonly ask: Decimal;
  readonly at: Date;
}

/**
 * A position question in progress: `pending` until the host answers, `exists` after a real position
 * blocked the base order. Either way quotes do not ask again until a TICK 5 minutes later.
 */
/** What a position question is for: a base order, the take-profit, or an operator's sell now. */
export type PositionPurpose = 'base' | 'sell' | 'sellNow';

export interface PositionCheck {
  readonly purpose: PositionPurpose;
  readonly state: 'pending' | 'exists';
  readonly since: Date;
}

/** Where a restored row resumes; `orderLost` when it was buying/selling with no client order id. */
export interface ResumePlan {
  readonly status: CycleStatus;
  readonly orderLost: boolean;
}

export interface CycleContext {
  readonly cycleId: number;
  readonly installationId: string;
  readonly asset: AssetConfig;
  readonly rules: AssetRules;
  readonly feeRate: Decimal;
  readonly enabled: boolean;
  /** Latest known time (TICK, or a later quote timestamp). */
  readonly now: Date;
  readonly previousCompletedAt: Date | null;
  /** See CycleInput.previousLeftover. */
  readonly previousLeftover: Decimal;
  readonly quote: LatestQuote | null;
  readonly ledger: CycleLedger;
  /** The cycle's most recent client order id, kept after the order ends so the next id is known. */
  readonly clientOrderId: string | null;
  /**
   * That order was given up as never accepted (not found twice a grace period apart; never after a
   * refusal, a 429 or the closed gate): its id, reused by the next order of its step so a late
   * creation collides instead of doubling (architecture §4). Cleared by the next order placed.
   */
  readonly givenUp: string | null;
  readonly inFlight: InFlightOrder | null;
  readonly positionCheck: PositionCheck | null;
  /**
   * The fee of the order booked last (coin for a buy, measured from the position when the trade
   * update told it; USD at the configured rate for a sell): the host records it in dca_orders.fee.
   */
  readonly lastFee: { readonly clientOrderId: string; readonly fee: Decimal } | null;
  /** Set by a refusal, cleared when an order is accepted. */
  readonly backoff: Backoff | null;
  /**
   * The order gate is closed (no instance lock): set by an order it kept home or a TICK saying so,
   * cleared by a TICK saying it is open. No order is decided meanwhile. Not persisted: a restarted
   * actor learns it from its first TICK.
   */
  readonly gateClosed: boolean;
  readonly policy: OrderPolicy;
  readonly completedAt: Date | null;
  /** filled_avg_price of the take-profit that ended the cycle. */
  readonly sellPrice: Decimal | null;
  readonly reason: string | null;
  readonly resume: ResumePlan | null;
}

/** The dca_cycles columns the machine owns; the host persists them whenever they change. */
export type CyclePatchFromMachine = Pick<
  CycleRow,
  | 'status'
  | 'quantity'
  | 'averagePurchasePrice'
  | 'boughtQuantity'
  | 'costBasis'
  | 'sellProceeds'
  | 'realizedPnl'
  | 'safetyOrders'
  | 'latestOrderId'
  | 'clientOrderId'
  | 'lastOrderFillPrice'
  | 'ttpPeakPrice'
  | 'positionBaseline'
  | 'completedAt'
  | 'backoffUntil'
  | 'backoffReason'
  | 'givenUpClientOrderId'
>;
