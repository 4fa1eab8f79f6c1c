/**
 * One dca_cycles row as a state machine (architecture §3). Pure: time arrives as TICK events, side effects
 * leave as emitted intents, and the host persists `toCyclePatch(snapshot)` before executing them.
 *
 *   watching ──base/safety order──▶ buying ──fill / dead order──▶ watching
 *   watching ──take-profit / trailing pullback / stop-loss──▶ selling ──fill──▶ complete
 *   selling ──dead order──▶ watching
 *   cooldown ──expiry or price drop──▶ watching               watching ──position gone──▶ error
 *   (restored holding coin) ──looking for an unrecorded safety order──▶ buying ──not found──▶ watching
 *   watching ──TAKE_PROFIT_NOW (an operator)──▶ selling (market sell of the open cycle)
 *   watching ──position gone, last sell given up──▶ selling (looked up once more) ──not found──▶ error
 *
 * An order whose POST is unanswered is unknown, never "not accepted": only a definitive refusal, or
 * two look-ups a grace period apart after the POST ended, return buying/selling to watching; an order
 * given up that way lends its id to the next order of its step, and a sell given up that way is looked
 * up once more before the cycle fails for a vanished position (selling, `lastLookFor`). A
 * refusal starts a back-off episode (context.backoff, persisted) in which no order is decided. An
 * order the closed order gate kept home (no instance lock, architecture §2) returns to watching with
 * no back-off and no alert; no order is decided until a TICK says the gate is open (gateClosed).
 *
 * Trailing take-profit is a mode of `watching`, not a state: from the take-profit price on, the
 * ledger's ttpPeakPrice (persisted) follows the highest bid, and a bid the trailing deviation below it
 * sells. A stop-loss sells the same way (step `sl`); both complete the cycle like a take-profit.
 */
import {
  type ActorRefFrom,
  and,
  assign,
  type DoneStateEvent,
  emit,
  enqueueActions,
  not,
  or,
  type SnapshotFrom,
  setup,
} from 'xstate';
import type { CycleStatus } from '../domain.js';
import { cyclePatchOf, initialContext, outputOf } from './cycleContext.js';
import type {
  CycleContext,
  CycleEvent,
  CycleInput,
  CycleIntent,
  CycleOutput,
  CyclePatchFromMachine,
  PositionPurpose,
} from './cycleTypes.js';
import { cycleGuards } from './guards.js';
import * as intents from './intents.js';
import * as update from './updates.js';
import { POSITION_VANISHED } from './updates.js';

export type { CycleInput, CycleIntent, CycleOutput, CyclePatchFromMachine } from './cycleTypes.js';

/**
 * What buying and selling share while they wait on their order: the POST's answer, partial fills,
 * and the second look-up a grace period after the first one found nothing.
 */
const waitingOnOrder = {
  ORDER_SUBMITTED: { guard: 'isInFlightSubmission', actions: ['recordOrderId', 'endBackoff'] },
  ORDER_SUBMIT_FAILED: [
    {
      guard: and(['isInFlightSubmission', 'isAmbiguousFailure']),
      actions: ['markPostEnded', 'askToReconcile'],
    },
    {
      guard: and(['isInFlightSubmission', 'isGateRefusal']),
      target: 'watching',
      actions: ['abandonOrder', 'closeGate'],
    },
    {
      guard: and(['isInFlightSubmission', 'isInRefusalEpisode']),
      target: 'watching',
      actions: ['abandonOrder', 'backOff'],
    },
    {
      guard: 'isInFlightSubmission',
      target: 'watching',
      actions: ['abandonOrder', 'backOff', 'reportRefusal'],
    },
  ],
  ORDER_PARTIALLY_FILLED: { guard: 'isInFlightOrder', actions: ['adoptUnrecordedOrder', 'recordOpenOrder'] },
  TICK: { guard: 'isLookupRecheckDue', actions: ['recordNow', 'askToReconcileAgain'] },
} as const;

/**
 * A look-up that found nothing: meaningless while the POST is out, conclusive only after the grace.
 * An order given up keeps its id for the next order of its step (a late creation then collides).
 */
const lookUpMisses = [
  { guard: 'isLookupBeforePostEnded' },
  { guard: 'isFirstNotFound', actions: 'noteNotFound' },
  {
    guard: 'isNotFoundAfterGrace',
    target: 'watching',
    actions: ['reportSubmitFailed', 'closeUnsentOrder', 'giveUpOrder'],
  },
] as const;

export const cycleMachine = setup({
  types: {
    input: {} as CycleInput,
    context: {} as CycleContext,
    events: {} as CycleEvent,
    emitted: {} as CycleIntent,
    output: {} as CycleOutput,
  },
  guards: cycleGuards,
  actions: {
    recordQuote: assign(({ context, event }) => update.recordQuote(context, event)),
    recordNow: assign(({ context, event }) => update.recordNow(context, event)),
    reportBadQuote: emit(({ context, event }) => intents.badQuote(context, event)),

    askPosition: enqueueActions(({ context, enqueue }, params: { purpose: PositionPurpose }) => {
      enqueue.assign(update.positionCheck(context, { purpose: params.purpose, state: 'pending' }));
      enqueue.emit({ type: 'checkPosition', purpose: params.purpose });
    }),
    blockBaseOrder: assign(({ context }) =>
      update.positionCheck(context, { purpose: 'base', state: 'exists' }),
    ),
    allowPositionRecheck: assign({ positionCheck: null }),
    reportPositionExists: emit(({ context, event }) => intents.positionExists(context, event)),
    reportDust: emit(({ context, event }) => intents.dustPosition(context, event)),
    reportBuyTooSmall: emit(({ context }, params: { what: 'base' | 'safety' }) =>
      intents.buyTooSmall(context, params.what),
    ),
    reportBaseOrderDeclined: emit(({ context }) => intents.baseOrderDeclined(context)),
    reportSellTooSmall: emit(({ context, event }) => intents.sellTooSmall(context, event)),

    placeBaseOrder: assign(({ context, event }) => update.placeBaseOrder(context, event)),
    placeSafetyOrder: assign(({ context }) => update.placeSafetyOrder(context)),
    placeSell: assign(({ context, event }, params: { step: 'tp' | 'sl' }) =>
      update.placeSell(context, event, params.step),
    ),
    trackTrailingPeak: assign(({ context, event }) => update.trackTrailingPeak(context, event)),
    reportTrailingStarted: emit(({ context, event }) => intents.trailingStarted(context, event)),
    reportStopLoss: emit(({ context }) => intents.stopLoss(context)),
    submitOrder: emit(({ context }) => intents.submitOrder(context)),

    recordOrderId: assign(({ context, event }) => update.recordOrderId(context, event)),
    adoptUnrecordedOrder: assign(({ context }) => update.adoptUnrecordedOrder(context)),
    reportNoUnrecordedOrder: emit(({ context }) => intents.noUnrecordedOrder(context)),
    recordOpenOrder: assign(({ context, event }) => update.recordOpenOrder(context, event)),
    askToReconcile: emit(({ context }) => intents.reconcileOrder(context)),
    markPostEnded: assign(({ context }) => update.markPostEnded(context)),
    noteNotFound: assign(({ context }) => update.noteNotFound(context)),
    askToReconcileAgain: enqueueActions(({ context, enqueue }) => {
      enqueue.assign(update.markRecheckAsked(context));
      enqueue.emit(intents.reconcileOrder(context));
    }),
    closeUnsentOrder: emit(({ context }) => intents.closeUnsentOrder(context)),
    reportSubmitFailed: emit(({ context, event }) => intents.submitFailed(context, event)),
    backOff: assign(({ context, event }) => update.backOff(context, event)),
    endBackoff: assign({ backoff: null }),
    closeGate: assign({ gateClosed: true }),
    reportRefusal: emit(({ context, event }) => intents.refusal(context, event)),
    reportOrderEnded: emit(({ context, event }) => intents.orderEnded(context, event)),
    abandonOrder: assign({ inFlight: null }),
    giveUpOrder: assign(({ context }) => update.giveUpOrder(context)),
    lookUpGivenUpSell: assign(({ context, event }) => update.lookUpGivenUpSell(context, event)),
    bookBuyFill: assign(({ context, event }) => update.bookBuyFill(context, event)),
    bookSellFill: assign(({ context, event }) => update.bookSellFill(context, event)),
    completeCycle: assign(({ context, event }) => update.completeCycle(context, event)),

    failCycle: assign(({ context }, params: { reason: string }) => update.failCycle(context, params.reason)),
    failAfterLastLook: assign(({ context }) => update.failAfterLastLook(context)),
    reportCycleFailed: emit(({ context }) => intents.cycleFailed(context)),

    finishResume: assign({ resume: null }),
    reportOrderLost: emit(({ context }) => intents.orderLost(context)),
    disable: assign({ enabled: false }),
    enable: assign({ enabled: true }),
    applyConfig: assign(({ context, event }) => update.applyConfig(context, event)),
  },
}).createMachine({
  id: 'cycle',
  context: ({ input }) => initialContext(input),
  initial: 'watching',
  output: ({ event }) => (event as unknown as DoneStateEvent<CycleOutput>).output,
  // Fallbacks for every state: a state's own transitions for the same event win when one applies.
  on: {
    QUOTE: [{ guard: 'isBadQuote', actions: 'reportBadQuote' }, { actions: 'recordQuote' }],
    TICK: { actions: 'recordNow' },
    DISABLE: { actions: 'disable' },
    ENABLE: { actions: 'enable' },
    CONFIG_CHANGED: { actions: 'applyConfig' },
  },
  states: {
    watching: {
      // A restored row resumes in its persisted status; a fresh cycle starts here.
      always: [
        {
          guard: { type: 'isResumingIn', params: { status: 'cooldown' } },
          target: 'cooldown',
          actions: 'finishResume',
        },
        {
          guard: { type: 'isResumingIn', params: { status: 'buying' } },
          target: 'buying',
          actions: 'finishResume',
        },
        {
          guard: { type: 'isResumingIn', params: { status: 'selling' } },
          target: 'selling',
          actions: 'finishResume',
        },
        {
          guard: { type: 'isResumingIn', params: { status: 'complete' } },
          target: 'complete',
          actions: 'finishResume',
        },
        {
          guard: { type: 'isResumingIn', params: { status: 'error' } },
          target: 'error',
          actions: 'finishResume',
        },
        { guard: 'isResumingWithLostOrder', actions: ['reportOrderLost', 'finishResume'] },
      ],
      on: {
        QUOTE: [
          // A stop-loss, then a trailing take-profit's pullback, win over a safety order on the same quote.
          {
            guard: 'isStopLossDue',
            actions: ['recordQuote', { type: 'askPosition', params: { purpose: 'sell' } }],
          },
          {
            guard: 'isTrailingTakeProfitDue',
            actions: ['recordQuote', { type: 'askPosition', params: { purpose: 'sell' } }],
          },
          {
            guard: and(['isSafetyOrderDue', 'safetyOrderFits']),
            target: 'buying',
            actions: ['recordQuote', 'placeSafetyOrder', 'submitOrder'],
          },
          {
            guard: 'isSafetyOrderDue',
            actions: ['recordQuote', { type: 'reportBuyTooSmall', params: { what: 'safety' } }],
          },
          {
            guard: 'isTakeProfitDue',
            actions: ['recordQuote', { type: 'askPosition', params: { purpose: 'sell' } }],
          },
          // Trailing take-profit: the take-profit price starts following the highest bid, no order yet.
          {
            guard: 'isTrailingStartDue',
            actions: ['recordQuote', 'trackTrailingPeak', 'reportTrailingStarted'],
          },
          { guard: 'isNewTrailingPeak', actions: ['recordQuote', 'trackTrailingPeak'] },
          {
            guard: and(['isBaseOrderDue', 'baseOrderFitsQuote']),
            actions: ['recordQuote', { type: 'askPosition', params: { purpose: 'base' } }],
          },
          {
            guard: 'isBaseOrderDue',
            actions: ['recordQuote', { type: 'reportBuyTooSmall', params: { what: 'base' } }],
          },
        ],
        // Take profit now (an operator's control): the same position question and market sell as
        // the take-profit, without its price condition.
        TAKE_PROFIT_NOW: {
          guard: 'canTakeProfitNow',
          actions: { type: 'askPosition', params: { purpose: 'sellNow' } },
        },
        POSITION_NONE: [
          // A sell given up as never accepted may have been created late and sold it: looked up once more.
          {
            guard: and([or(['isAwaitingSellPosition', 'isAwaitingSellNowPosition']), 'isLastSellGivenUp']),
            target: 'selling',
            actions: ['lookUpGivenUpSell', 'askToReconcile'],
          },
          {
            guard: 'isAwaitingSellNowPosition',
            target: 'error',
            actions: [
              { type: 'failCycle', params: { reason: POSITION_VANISHED.sellNow } },
              'reportCycleFailed',
            ],
          },
          {
            guard: 'isAwaitingSellPosition',
            target: 'error',
            actions: [{ type: 'failCycle', params: { reason: POSITION_VANISHED.sell } }, 'reportCycleFailed'],
          },
          {
            guard: and(['isAwaitingBasePosition', 'canPlaceBaseOrder']),
            target: 'buying',
            actions: ['placeBaseOrder', 'submitOrder'],
          },
          {
            guard: 'isAwaitingBasePosition',
            actions: ['allowPositionRecheck', 'reportBaseOrderDeclined'],
          },
        ],
        POSITION_FOUND: [
          {
            guard: and(['isAwaitingSellNowPosition', 'sellFits']),
            target: 'selling',
            actions: [{ type: 'placeSell', params: { step: 'tp' } }, 'submitOrder'],
          },
          { guard: 'isAwaitingSellNowPosition', actions: ['allowPositionRecheck', 'reportSellTooSmall'] },
          {
            guard: and(['isAwaitingSellPosition', not('isSellStillDue')]),
            actions: 'allowPositionRecheck',
          },
          {
            guard: and(['isAwaitingSellPosition', 'isStopLossStillDue', 'sellFits']),
            target: 'selling',
            actions: [{ type: 'placeSell', params: { step: 'sl' } }, 'reportStopLoss', 'submitOrder'],
          },
          {
            guard: and(['isAwaitingSellPosition', 'sellFits']),
            target: 'selling',
            actions: [{ type: 'placeSell', params: { step: 'tp' } }, 'submitOrder'],
          },
          {
            guard: and(['isAwaitingSellPosition', 'isInRefusalEpisode']),
            actions: ['allowPositionRecheck', 'backOff'],
          },
          {
            guard: 'isAwaitingSellPosition',
            actions: ['allowPositionRecheck', 'backOff', 'reportSellTooSmall'],
          },
          {
            guard: and(['isAwaitingBasePosition', 'isDustPosition', 'canPlaceBaseOrder']),
            target: 'buying',
            actions: ['reportDust', 'placeBaseOrder', 'submitOrder'],
          },
          {
            guard: and(['isAwaitingBasePosition', 'isDustPosition']),
            actions: ['reportDust', 'allowPositionRecheck', 'reportBaseOrderDeclined'],
          },
          {
            guard: 'isAwaitingBasePosition',
            actions: ['blockBaseOrder', 'reportPositionExists'],
          },
        ],
        POSITION_MISSING: [
          {
            guard: and(['isHolding', 'isLastSellGivenUp']),
            target: 'selling',
            actions: ['lookUpGivenUpSell', 'askToReconcile'],
          },
          {
            guard: 'isHolding',
            target: 'error',
            actions: [
              { type: 'failCycle', params: { reason: POSITION_VANISHED.missing } },
              'reportCycleFailed',
            ],
          },
        ],
        TICK: { guard: 'isPositionRecheckDue', actions: ['recordNow', 'allowPositionRecheck'] },
      },
    },
    // A buy restored as only looked for (unrecorded) is adopted by the first event that shows it.
    buying: {
      on: {
        ...waitingOnOrder,
        ORDER_FILLED: {
          guard: 'isInFlightOrder',
          target: 'watching',
          actions: ['adoptUnrecordedOrder', 'bookBuyFill'],
        },
        ORDER_CANCELED: {
          guard: 'isInFlightOrder',
          target: 'watching',
          actions: ['adoptUnrecordedOrder', 'reportOrderEnded', 'bookBuyFill'],
        },
        ORDER_REJECTED: {
          guard: 'isInFlightOrder',
          target: 'watching',
          actions: ['adoptUnrecordedOrder', 'reportOrderEnded', 'bookBuyFill'],
        },
        ORDER_EXPIRED: {
          guard: 'isInFlightOrder',
          target: 'watching',
          actions: ['adoptUnrecordedOrder', 'reportOrderEnded', 'bookBuyFill'],
        },
        RECONCILED: [
          // Never created: the row was never moved, and nothing is wrong.
          {
            guard: and(['isLookingForUnrecordedOrder', 'isNotFoundAfterGrace']),
            target: 'watching',
            actions: ['abandonOrder', 'reportNoUnrecordedOrder'],
          },
          ...lookUpMisses,
          { guard: 'isReconciledOpen', actions: ['adoptUnrecordedOrder', 'recordOpenOrder'] },
          {
            guard: 'isReconciledFilled',
            target: 'watching',
            actions: ['adoptUnrecordedOrder', 'bookBuyFill'],
          },
          {
            guard: 'isReconciledDead',
            target: 'watching',
            actions: ['adoptUnrecordedOrder', 'reportOrderEnded', 'bookBuyFill'],
          },
        ],
      },
    },
    selling: {
      on: {
        ...waitingOnOrder,
        ORDER_FILLED: { guard: 'isInFlightOrder', target: 'complete', actions: 'completeCycle' },
        ORDER_CANCELED: {
          guard: 'isInFlightOrder',
          target: 'watching',
          actions: ['reportOrderEnded', 'bookSellFill'],
        },
        ORDER_REJECTED: {
          guard: 'isInFlightOrder',
          target: 'watching',
          actions: ['reportOrderEnded', 'bookSellFill'],
        },
        ORDER_EXPIRED: {
          guard: 'isInFlightOrder',
          target: 'watching',
          actions: ['reportOrderEnded', 'bookSellFill'],
        },
        RECONCILED: [
          // The given-up sell looked up once more, because the position vanished: not there either.
          { guard: 'isLastLookMiss', target: 'error', actions: ['failAfterLastLook', 'reportCycleFailed'] },
          ...lookUpMisses,
          { guard: 'isReconciledOpen', actions: 'recordOpenOrder' },
          { guard: 'isReconciledFilled', target: 'complete', actions: 'completeCycle' },
          { guard: 'isReconciledDead', target: 'watching', actions: ['reportOrderEnded', 'bookSellFill'] },
        ],
      },
    },
    cooldown: {
      on: {
        TICK: { guard: 'hasCooldownExpired', target: 'watching', actions: 'recordNow' },
        QUOTE: { guard: 'isEarlyRestartDue', target: 'watching', actions: 'recordQuote' },
      },
    },
    complete: { type: 'final', output: ({ context }) => outputOf('complete', context) },
    error: { type: 'final', output: ({ context }) => outputOf('error', context) },
  },
});

export type CycleActor = ActorRefFrom<typeof cycleMachine>;
export type CycleSnapshot = SnapshotFrom<typeof cycleMachine>;

/** The dca_cycles columns this snapshot implies; the host persists them when they change. */
export function toCyclePatch(snapshot: SnapshotFrom<typeof cycleMachine>): CyclePatchFromMachine {
  return cyclePatchOf(snapshot.value as CycleStatus, snapshot.context);
}
