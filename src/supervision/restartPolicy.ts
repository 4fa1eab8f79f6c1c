import { assign, emit, not, setup } from 'xstate';
import { DcaError } from '../errors.js';

/**
 * The restart policy of one supervised child, as a pure machine: OTP's one_for_one decisions
 * (restart or not, how long to wait, when to give up) without any I/O. Time arrives on the events
 * (`at`), and every effect leaves as an emitted intent that the supervisor carries out, so the
 * whole policy can be walked by `createTestModel`.
 *
 * Past its intensity a child either escalates (the root's children: the process exits and systemd
 * restarts it) or is parked (one asset's crash loop is that asset's problem): it stays down, its
 * supervisor raises one alert, and it is tried again after a growing delay or when asked (its
 * configuration changed), with a fresh intensity window.
 */

export type RestartType = 'permanent' | 'transient' | 'temporary';

/** More than `maxRestarts` restarts within `periodMs` and the supervisor gives up (OTP intensity/period). */
export interface Intensity {
  maxRestarts: number;
  periodMs: number;
}

/** Delay before restart n (0-based, counted within the intensity period): initialMs · factorⁿ, capped. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/** What happens past the intensity: give up for the whole tree, or park this child only. */
export type GiveUp = 'escalate' | 'park';

export interface PolicyInput {
  restart: RestartType;
  intensity: Intensity;
  backoff: Backoff;
  giveUp?: GiveUp;
  /** Delay before the n-th retry of a parked child (n counted since it was added or last retried by hand). */
  parkBackoff?: Backoff;
}

export interface PolicyContext extends PolicyInput {
  giveUp: GiveUp;
  parkBackoff: Backoff;
  /** Times of the restarts still inside the intensity period, oldest first. */
  restartTimes: number[];
  /** Every restart since the child was added, for the dashboard. */
  restarts: number;
  lastError: string | undefined;
  /** The newest time an event brought; restarts are counted against it. */
  now: number;
  /** The delay of the restart currently waited for. */
  pendingDelayMs: number;
  /** Times parked since added or last retried by hand: the next park waits longer. */
  parks: number;
  /** Why the child is parked (the give-up reason), while it is. */
  parkedReason: string | undefined;
}

/** A parked child waits this long (1 min, doubling, at most 1 h) unless its spec says otherwise. */
export const DEFAULT_PARK_BACKOFF: Backoff = { initialMs: 60_000, maxMs: 3_600_000, factor: 2 };

export type PolicyEvent =
  | { type: 'START' }
  | { type: 'STARTED' }
  | { type: 'CRASHED'; at: number; error: unknown }
  | { type: 'EXITED'; at: number }
  | { type: 'RESTART_DUE'; at: number }
  /** Try a parked child now (e.g. its configuration changed); ignored in any other state. */
  | { type: 'RETRY'; at: number }
  | { type: 'STOP'; reason: string }
  | { type: 'STOPPED' };

/** What the policy wants done; the supervisor performs each one. */
export type PolicyIntent =
  | { type: 'startChild' }
  /** Let go of the current instance: abort its signal and have it release what it still holds. */
  | { type: 'releaseChild'; reason: 'crashed' | 'exited' }
  | { type: 'scheduleRestart'; delayMs: number }
  | { type: 'cancelRestart' }
  | { type: 'stopChild'; reason: string }
  | { type: 'escalate'; reason: string; error: unknown }
  /** Past the intensity with `giveUp: 'park'`: the child stays down until `retryAt`. */
  | { type: 'park'; reason: string; error: unknown; retryAt: number };

export function restartsWithin(times: readonly number[], now: number, periodMs: number): number[] {
  return times.filter((t) => now - t < periodMs);
}

export function backoffDelay(backoff: Backoff, priorRestarts: number): number {
  return Math.min(backoff.maxMs, Math.round(backoff.initialMs * backoff.factor ** priorRestarts));
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function eventTime(event: PolicyEvent, fallback: number): number {
  return 'at' in event ? event.at : fallback;
}

/** Restarts in the period if one more happened now. */
function recentRestarts(context: PolicyContext, event: PolicyEvent): number[] {
  const at = eventTime(event, context.now);
  return restartsWithin(context.restartTimes, at, context.intensity.periodMs);
}

/**
 * A crash that a restart cannot mend: the same data would fail the same way (a value no column can
 * hold). A child that may park is parked at once instead of crash-looping through its intensity.
 */
export function isQuarantine(error: unknown): boolean {
  return error instanceof DcaError && error.code === 'VALUE_OUT_OF_RANGE';
}

function quarantines(context: PolicyContext, event: PolicyEvent): boolean {
  return context.giveUp === 'park' && event.type === 'CRASHED' && isQuarantine(event.error);
}

function giveUpReason(context: PolicyContext, event: PolicyEvent): string {
  if (quarantines(context, event) && event.type === 'CRASHED') {
    return `quarantined: ${describeError(event.error)}`;
  }
  const what = event.type === 'EXITED' ? 'exited' : 'crashed';
  const { maxRestarts, periodMs } = context.intensity;
  return `${what} after ${maxRestarts} restarts within ${periodMs} ms`;
}

export const restartPolicyMachine = setup({
  types: {
    input: {} as PolicyInput,
    context: {} as PolicyContext,
    events: {} as PolicyEvent,
    emitted: {} as PolicyIntent,
  },
  guards: {
    isTemporary: ({ context }) => context.restart === 'temporary',
    isPermanent: ({ context }) => context.restart === 'permanent',
    restartAllowed: ({ context, event }) =>
      recentRestarts(context, event).length < context.intensity.maxRestarts && !quarantines(context, event),
    parks: ({ context }) => context.giveUp === 'park',
  },
  actions: {
    noteTime: assign({ now: ({ context, event }) => Math.max(context.now, eventTime(event, context.now)) }),
    noteError: assign({
      lastError: ({ context, event }) =>
        event.type === 'CRASHED' ? describeError(event.error) : context.lastError,
    }),
    countRestart: assign(({ context, event }) => {
      const recent = recentRestarts(context, event);
      return {
        pendingDelayMs: backoffDelay(context.backoff, recent.length),
        restartTimes: [...recent, eventTime(event, context.now)],
        restarts: context.restarts + 1,
      };
    }),
    countPark: assign(({ context, event }) => ({
      pendingDelayMs: backoffDelay(context.parkBackoff, context.parks),
      parks: context.parks + 1,
      parkedReason: giveUpReason(context, event),
    })),
    /** A retry starts a fresh intensity window: the crashes that parked the child are behind it. */
    countRetry: assign(({ context }) => ({
      restartTimes: [],
      restarts: context.restarts + 1,
      parkedReason: undefined,
    })),
    forgetParks: assign({ parks: 0 }),
    startChild: emit({ type: 'startChild' }),
    releaseCrashed: emit({ type: 'releaseChild', reason: 'crashed' }),
    releaseExited: emit({ type: 'releaseChild', reason: 'exited' }),
    scheduleRestart: emit(({ context }) => ({ type: 'scheduleRestart', delayMs: context.pendingDelayMs })),
    cancelRestart: emit({ type: 'cancelRestart' }),
    stopChild: emit(({ event }) => ({
      type: 'stopChild',
      reason: event.type === 'STOP' ? event.reason : 'stop',
    })),
    escalate: emit(({ context, event }) => ({
      type: 'escalate',
      reason: giveUpReason(context, event),
      error: event.type === 'CRASHED' ? event.error : undefined,
    })),
    park: emit(({ context, event }) => ({
      type: 'park',
      reason: context.parkedReason ?? giveUpReason(context, event),
      error: event.type === 'CRASHED' ? event.error : undefined,
      retryAt: context.now + context.pendingDelayMs,
    })),
  },
}).createMachine({
  id: 'restartPolicy',
  initial: 'idle',
  context: ({ input }) => ({
    ...input,
    giveUp: input.giveUp ?? 'escalate',
    parkBackoff: input.parkBackoff ?? DEFAULT_PARK_BACKOFF,
    parks: 0,
    parkedReason: undefined,
    restartTimes: [],
    restarts: 0,
    lastError: undefined,
    now: 0,
    pendingDelayMs: 0,
  }),
  states: {
    idle: {
      on: { START: 'up', STOP: 'stopped' },
    },
    /** The child is alive or coming up; a crash or exit in either phase is judged the same way. */
    up: {
      initial: 'starting',
      states: {
        starting: {
          entry: 'startChild',
          on: { STARTED: 'running' },
        },
        running: {},
      },
      on: {
        CRASHED: [
          { guard: 'isTemporary', target: 'failed', actions: ['noteTime', 'noteError', 'releaseCrashed'] },
          {
            guard: 'restartAllowed',
            target: 'backingOff',
            actions: ['noteTime', 'noteError', 'releaseCrashed', 'countRestart', 'scheduleRestart'],
          },
          {
            guard: 'parks',
            target: 'parked',
            actions: ['noteTime', 'noteError', 'releaseCrashed', 'countPark', 'park', 'scheduleRestart'],
          },
          { target: 'escalated', actions: ['noteTime', 'noteError', 'releaseCrashed', 'escalate'] },
        ],
        EXITED: [
          { guard: not('isPermanent'), target: 'stopped', actions: ['noteTime', 'releaseExited'] },
          {
            guard: 'restartAllowed',
            target: 'backingOff',
            actions: ['noteTime', 'releaseExited', 'countRestart', 'scheduleRestart'],
          },
          {
            guard: 'parks',
            target: 'parked',
            actions: ['noteTime', 'releaseExited', 'countPark', 'park', 'scheduleRestart'],
          },
          { target: 'escalated', actions: ['noteTime', 'releaseExited', 'escalate'] },
        ],
        STOP: 'stopping',
      },
    },
    backingOff: {
      on: {
        RESTART_DUE: { target: 'up', actions: 'noteTime' },
        STOP: { target: 'stopped', actions: 'cancelRestart' },
      },
    },
    /** Past the intensity, contained: down until the retry timer or a RETRY; never escalates. */
    parked: {
      on: {
        RESTART_DUE: { target: 'up', actions: ['noteTime', 'countRetry'] },
        RETRY: { target: 'up', actions: ['noteTime', 'cancelRestart', 'countRetry', 'forgetParks'] },
        STOP: { target: 'stopped', actions: 'cancelRestart' },
      },
    },
    // A crash or exit reported while stopping is the stop itself showing; it changes nothing.
    stopping: {
      entry: 'stopChild',
      on: { STOPPED: 'stopped' },
    },
    stopped: { type: 'final' },
    /** A temporary child crashed: it stays down, and its siblings are not concerned. */
    failed: { type: 'final' },
    /** Past the restart intensity: the supervisor stops everything and exits not-ok. */
    escalated: { type: 'final' },
  },
});
