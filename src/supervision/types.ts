import type { Backoff, GiveUp, Intensity, RestartType } from './restartPolicy.js';

/** A running child as the supervisor sees it: something it can ask to stop. */
export interface Child {
  /**
   * Release everything the child holds. Also called after the child reported a crash or an exit,
   * so leftovers (sockets, timers) are released: it must tolerate being called on a dead child.
   */
  stop(reason: string): Promise<void>;
  /** A child that supervises others (e.g. the assets supervisor) shows them in its parent's status. */
  children?(): ChildStatus[];
}

/** Handed to `start`: how a child tells its supervisor that it ended. */
export interface ChildContext {
  readonly id: string;
  /** Aborted once the supervisor lets go of this instance (crash, exit, stop). */
  readonly signal: AbortSignal;
  /** The child crashed; the restart policy decides what happens next. */
  fail(error: unknown): void;
  /** The child finished normally (only `permanent` children are restarted after this). */
  exit(): void;
}

/**
 * One child as data (OTP child spec). `start` rejecting or throwing counts as a crash. Wrapping an
 * XState actor:
 *
 * ```ts
 * start: async (ctx) => {
 *   const actor = createActor(machine, { input });
 *   actor.subscribe({ error: ctx.fail, complete: ctx.exit });
 *   actor.start();
 *   return { stop: async () => void actor.stop() };
 * }
 * ```
 *
 * `complete` also fires on `actor.stop()`; that exit report is ignored, because the supervisor has
 * already let go of (or is stopping) that instance.
 */
export interface ChildSpec {
  id: string;
  start: (ctx: ChildContext) => Promise<Child>;
  restart: RestartType;
  /** How long `stop` may take before the child is abandoned with a warning. */
  shutdownMs?: number;
  /** Overrides the supervisor's intensity for this child. */
  intensity?: Intensity;
  /** Overrides the supervisor's backoff for this child. */
  backoff?: Backoff;
  /** Overrides the supervisor's choice past the intensity: escalate (default) or park this child. */
  giveUp?: GiveUp;
  /** Overrides the supervisor's retry delays for a parked child. */
  parkBackoff?: Backoff;
}

/**
 * `parked`: past its intensity and contained, retried at `nextRetryAt`. `idle`: not started on
 * purpose (e.g. an asset the exchange does not list), looked at again at `nextRetryAt`.
 */
export type ChildState =
  | 'starting'
  | 'running'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'failed'
  | 'parked'
  | 'idle';

export interface ChildStatus {
  id: string;
  state: ChildState;
  restarts: number;
  lastError?: string;
  /** When the child entered `state`. */
  since: Date;
  /** Why it is parked or idle. */
  reason?: string;
  /** When a parked or idle child is tried again. */
  nextRetryAt?: Date;
}

/** The time source; XState's `SimulatedClock` fits, so tests can move time by hand. */
export interface SupervisorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type SupervisorExit =
  | { ok: true; reason: string }
  | { ok: false; reason: string; childId: string; error: Error };
