/**
 * Which quotes can change the cycle (architecture §2, "Quotes are state, not a queue"). Most quotes
 * change nothing but the machine's latest quote; the gate answers, from two cached numbers, whether
 * a quote could do more, so the host makes Decimals and steps the machine only for those.
 *
 * `quoteTriggers` reads the conditions under which a QUOTE takes a transition other than the
 * fallback `recordQuote` off the machine's context, as prices: an ask at or below `askAtOrBelow` (a
 * safety order at its scaled deviation, an early restart), a bid at or above `bidAtOrAbove` (the
 * take-profit price, which sells or starts the trailing; while trailing, any bid above the peak,
 * which the machine records as the new peak), a bid at or below `bidAtOrBelow` (the trailing stop
 * price, an armed stop-loss), or `always` (a base order is due on any quote; a resume; a state this
 * file does not know). Several conditions on one side are merged into the one nearest the market
 * (the lowest "at or above", the highest "at or below"). Conditions that only ever turn a trigger off
 * (quote age, a back-off, a position question out) are left out where in doubt, so the gate may let
 * through a quote the machine ignores, never the other way round.
 *
 * `QuoteGate` compares a quote's numbers with those prices drawn a safe margin away
 * (`safelyAbove`/`safelyBelow`, money.ts): a quote it lets pass is stepped through the machine with
 * Decimals, where the guards decide exactly; a quote it holds back provably triggers nothing
 * (tests/machines/quoteGate.test.ts checks it against the guards).
 *
 * The machine may grow new QUOTE transitions. The gate knows the transitions it was written for
 * (KNOWN_QUOTE_HANDLING); a state whose QUOTE or eventless transitions differ from those lets every
 * quote through until this file is taught the new condition (the test names the state).
 */
import { type Decimal, safelyAbove, safelyBelow } from '../money.js';
import { cycleMachine } from './cycle.js';
import type { CycleContext } from './cycleTypes.js';
import { earlyRestartPrice, triggerPrices } from './decisions.js';

export interface QuoteTriggers {
  /** Any quote may take a transition: feed them all. */
  readonly always: boolean;
  /** An ask at or below this may trigger (null: no ask condition). */
  readonly askAtOrBelow: Decimal | null;
  /** A bid at or above this may trigger (null: no such condition). */
  readonly bidAtOrAbove: Decimal | null;
  /** A bid at or below this may trigger (null: no such condition). */
  readonly bidAtOrBelow: Decimal | null;
}

const ALWAYS: QuoteTriggers = { always: true, askAtOrBelow: null, bidAtOrAbove: null, bidAtOrBelow: null };
const NEVER: QuoteTriggers = { always: false, askAtOrBelow: null, bidAtOrAbove: null, bidAtOrBelow: null };

/** The lower of two optional prices (a merged "at or above" condition). */
function lower(a: Decimal | null, b: Decimal | null): Decimal | null {
  if (a === null) return b;
  return b === null || a.lte(b) ? a : b;
}

/** The higher of two optional prices (a merged "at or below" condition). */
function higher(a: Decimal | null, b: Decimal | null): Decimal | null {
  if (a === null) return b;
  return b === null || a.gte(b) ? a : b;
}

/** The machine's QUOTE and eventless transitions, state by state, as this file was written for them. */
export const KNOWN_QUOTE_HANDLING: Readonly<Record<string, readonly string[]>> = {
  '(root)': ['isBadQuote -> . : reportBadQuote', '- -> . : recordQuote'],
  watching: [
    'isStopLossDue -> . : recordQuote,askPosition{"purpose":"sell"}',
    'isTrailingTakeProfitDue -> . : recordQuote,askPosition{"purpose":"sell"}',
    'and(isSafetyOrderDue,safetyOrderFits) -> buying : recordQuote,placeSafetyOrder,submitOrder',
    'isSafetyOrderDue -> . : recordQuote,reportBuyTooSmall{"what":"safety"}',
    'isTakeProfitDue -> . : recordQuote,askPosition{"purpose":"sell"}',
    'isTrailingStartDue -> . : recordQuote,trackTrailingPeak,reportTrailingStarted',
    'isNewTrailingPeak -> . : recordQuote,trackTrailingPeak',
    'and(isBaseOrderDue,baseOrderFitsQuote) -> . : recordQuote,askPosition{"purpose":"base"}',
    'isBaseOrderDue -> . : recordQuote,reportBuyTooSmall{"what":"base"}',
    'always isResumingIn{"status":"cooldown"} -> cooldown : finishResume',
    'always isResumingIn{"status":"buying"} -> buying : finishResume',
    'always isResumingIn{"status":"selling"} -> selling : finishResume',
    'always isResumingIn{"status":"complete"} -> complete : finishResume',
    'always isResumingIn{"status":"error"} -> error : finishResume',
    'always isResumingWithLostOrder -> . : reportOrderLost,finishResume',
  ],
  buying: [],
  selling: [],
  cooldown: ['isEarlyRestartDue -> watching : recordQuote'],
  complete: [],
  error: [],
};

type Described = string | { type: string; params?: unknown } | ((...args: never[]) => unknown);

function describeRef(ref: Described | undefined): string {
  if (ref === undefined) return '-';
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'function') {
    const inner = (ref as { guards?: Described[] }).guards;
    return inner ? `${ref.name}(${inner.map(describeRef).join(',')})` : 'inline';
  }
  return ref.params === undefined ? ref.type : `${ref.type}${JSON.stringify(ref.params)}`;
}

interface RawTransition {
  readonly guard?: Described;
  readonly target?: string;
  readonly actions?: Described | readonly Described[];
}

function describeTransitions(raw: unknown, prefix: string): string[] {
  if (raw === undefined) return [];
  const list = (Array.isArray(raw) ? raw : [raw]) as (RawTransition | string)[];
  return list.map((t) => {
    const tr: RawTransition = typeof t === 'string' ? { target: t } : t;
    const actions = tr.actions === undefined ? [] : Array.isArray(tr.actions) ? tr.actions : [tr.actions];
    return `${prefix}${describeRef(tr.guard)} -> ${tr.target ?? '.'} : ${(actions as Described[]).map(describeRef).join(',')}`;
  });
}

interface RawStateNode {
  readonly config: { readonly on?: Record<string, unknown>; readonly always?: unknown };
  readonly states: Record<string, RawStateNode>;
}

/** The QUOTE and eventless transitions of the machine as it is, in KNOWN_QUOTE_HANDLING's form. */
export function quoteHandlingOf(
  machine: { readonly root: unknown } = cycleMachine,
): Record<string, string[]> {
  const root = machine.root as RawStateNode;
  const out: Record<string, string[]> = {
    '(root)': [
      ...describeTransitions(root.config.on?.QUOTE, ''),
      ...describeTransitions(root.config.always, 'always '),
    ],
  };
  for (const [name, node] of Object.entries(root.states)) {
    out[name] = [
      ...describeTransitions(node.config.on?.QUOTE, ''),
      ...describeTransitions(node.config.always, 'always '),
    ];
  }
  return out;
}

/** States (and '(root)') whose quote handling is not the one this file was written for. */
export function unknownQuoteHandling(machine: { readonly root: unknown } = cycleMachine): string[] {
  const now = quoteHandlingOf(machine);
  const names = new Set([...Object.keys(now), ...Object.keys(KNOWN_QUOTE_HANDLING)]);
  return [...names].filter(
    (name) => JSON.stringify(now[name] ?? null) !== JSON.stringify(KNOWN_QUOTE_HANDLING[name] ?? null),
  );
}

const UNKNOWN = new Set(unknownQuoteHandling());

/** The prices at which a quote could take a transition other than recordQuote, in `state`. */
export function quoteTriggers(state: string, context: CycleContext): QuoteTriggers {
  if (UNKNOWN.has('(root)') || UNKNOWN.has(state)) return ALWAYS;
  switch (state) {
    case 'watching': {
      if (context.resume !== null) return ALWAYS;
      const { ledger, asset } = context;
      const holding = ledger.quantity.gt(0);
      // isBaseOrderDue holds for any quote: the position question is asked on the next one.
      if (!holding) return context.enabled && context.positionCheck === null ? ALWAYS : NEVER;
      // isSafetyOrderDue: the next safety order at its scaled deviation (a position question out or
      // not).
      const prices = triggerPrices(asset, ledger);
      const safety = prices.safety;
      const peak = ledger.ttpPeakPrice;
      const sellable = context.positionCheck === null;
      // isTakeProfitDue (no trailing, no position question out) and isTrailingStartDue (trailing,
      // not started yet, a position question out or not): the bid reaches the take-profit price.
      const takeProfit = (asset.ttpEnabled ? peak === null : sellable) ? prices.takeProfit : null;
      // isNewTrailingPeak: any bid above the peak moves it (with trailing on or not, a position
      // question out or not); the gate's "at or above" lets the peak itself through too.
      const bidUp = lower(takeProfit, peak);
      // isTrailingTakeProfitDue: the bid falls to the trailing stop price below the peak.
      const trailingStop = sellable ? prices.trailingStop : null;
      // isStopLossDue: the bid falls to the stop-loss price of an armed stop-loss.
      const stopLoss = sellable ? prices.stopLoss : null;
      return {
        always: false,
        askAtOrBelow: safety,
        bidAtOrAbove: bidUp,
        bidAtOrBelow: higher(trailingStop, stopLoss),
      };
    }
    case 'cooldown': {
      const { lastSellPrice, buyOrderPriceDeviationPercent } = context.asset;
      return lastSellPrice === null
        ? NEVER
        : {
            always: false,
            askAtOrBelow: earlyRestartPrice(lastSellPrice, buyOrderPriceDeviationPercent),
            bidAtOrAbove: null,
            bidAtOrBelow: null,
          };
    }
    case 'buying':
    case 'selling':
      return NEVER;
    default:
      return ALWAYS;
  }
}

/** The triggers as two numbers: a quote on the far side of both cannot trigger (see the header). */
export class QuoteGate {
  private always = true;
  /** An ask at or above this is certainly above askAtOrBelow. */
  private askSafeFrom = Number.NEGATIVE_INFINITY;
  /** A bid at or below this is certainly below bidAtOrAbove. */
  private bidSafeTo = Number.POSITIVE_INFINITY;
  /** A bid at or above this is certainly above bidAtOrBelow. */
  private bidSafeFrom = Number.NEGATIVE_INFINITY;

  set(triggers: QuoteTriggers): void {
    this.always = triggers.always;
    this.askSafeFrom =
      triggers.askAtOrBelow === null ? Number.NEGATIVE_INFINITY : safelyAbove(triggers.askAtOrBelow);
    this.bidSafeTo =
      triggers.bidAtOrAbove === null ? Number.POSITIVE_INFINITY : safelyBelow(triggers.bidAtOrAbove);
    this.bidSafeFrom =
      triggers.bidAtOrBelow === null ? Number.NEGATIVE_INFINITY : safelyAbove(triggers.bidAtOrBelow);
  }

  /** False only when the quote provably takes no transition but recordQuote. */
  mayTrigger(bid: number, ask: number): boolean {
    if (this.always) return true;
    // A quote the machine would call bad (isBadQuote) is its to report: let it through.
    if (!(bid > 0 && bid <= ask && ask < Number.POSITIVE_INFINITY)) return true;
    return ask < this.askSafeFrom || bid > this.bidSafeTo || bid < this.bidSafeFrom;
  }
}
