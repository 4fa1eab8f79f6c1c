import { type Logger, pino } from 'pino';
import { DcaError } from './errors.js';
import {
  type Backoff,
  DEFAULT_PARK_BACKOFF,
  type GiveUp,
  type Intensity,
} from './supervision/restartPolicy.js';
import { SupervisedChild } from './supervision/supervisedChild.js';
import type { ChildSpec, ChildStatus, SupervisorClock, SupervisorExit } from './supervision/types.js';

export type { Backoff, GiveUp, Intensity, RestartType } from './supervision/restartPolicy.js';
export type {
  Child,
  ChildContext,
  ChildSpec,
  ChildState,
  ChildStatus,
  SupervisorClock,
  SupervisorExit,
} from './supervision/types.js';

/**
 * A supervisor, OTP one_for_one. Children start in order and stop in reverse; a crashed child is
 * restarted on its own after a backoff. Past a child's restart intensity the root supervisor
 * (`giveUp: 'escalate'`, the default) stops everything and `done` resolves not-ok, so main.ts exits
 * non-zero and systemd restarts the process (architecture §2, §11; systemd's watchdog covers a hung
 * process, which no supervisor inside it can see). A nested
 * supervisor of dynamic children (`giveUp: 'park'`, OTP's simple_one_for_one: the asset actors)
 * parks such a child instead: it stays down, `onPark` raises the alert, and it is tried again later.
 */
export interface SupervisorOptions {
  children: ChildSpec[];
  intensity?: Intensity;
  backoff?: Backoff;
  /** Default for children without their own `shutdownMs`. */
  shutdownMs?: number;
  logger?: Logger;
  clock?: SupervisorClock;
  /** Past a child's intensity: stop the tree (default) or park that child. */
  giveUp?: GiveUp;
  /** Retry delays of a parked child (default 1 min doubling to 1 h). */
  parkBackoff?: Backoff;
  onEscalate?: (err: DcaError | Error, childId: string) => void;
  /** A child was parked; it is tried again at `retryAt` or on `retryChild`. */
  onPark?: (childId: string, reason: string, retryAt: Date) => void;
}

export interface Supervisor {
  /** Starts the static children in order. A failing start is a crash for the restart policy. */
  start(): Promise<void>;
  /** Graceful shutdown (SIGTERM): stops every child in reverse, then `done` resolves ok. */
  stop(reason?: string): Promise<void>;
  /** Adds and starts a child at runtime (e.g. an asset added to `dca_assets`). */
  startChild(spec: ChildSpec): Promise<void>;
  /** Stops and removes a child; a no-op for an unknown id. */
  stopChild(id: string): Promise<void>;
  /** Tries a parked child now; a no-op for an unknown id or a child that is not parked. */
  retryChild(id: string): void;
  /** Every child, each followed by what it supervises (a nested supervisor's children). */
  status(): ChildStatus[];
  done: Promise<SupervisorExit>;
}

/** A child went past its restart intensity; `cause` is its last crash, if it crashed. */
export class SupervisorGaveUpError extends DcaError {
  readonly childId: string;
  constructor(childId: string, reason: string, cause: unknown) {
    super('INVARIANT', `child ${childId} ${reason}`, { details: { childId }, cause });
    this.name = 'SupervisorGaveUpError';
    this.childId = childId;
  }
}

// OTP's default (1 restart in 5 s) suits processes that restart in microseconds; these children
// reconnect sockets and reload from MySQL, so they get a wider window and a backoff.
export const DEFAULT_INTENSITY: Intensity = { maxRestarts: 5, periodMs: 60_000 };
export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000, factor: 2 };
export const DEFAULT_SHUTDOWN_MS = 5_000;

const systemClock: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

type Phase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const logger = (opts.logger ?? pino({ level: 'silent' })).child({ actor: 'supervisor' });
  const clock = opts.clock ?? systemClock;
  const children: SupervisedChild[] = [];
  let phase: Phase = 'idle';
  let shutdown: Promise<void> | undefined;
  let resolveDone!: (exit: SupervisorExit) => void;
  const done = new Promise<SupervisorExit>((resolve) => {
    resolveDone = resolve;
  });

  const supervise = (spec: ChildSpec): SupervisedChild =>
    new SupervisedChild(spec, {
      clock,
      logger: logger.child({ child: spec.id }),
      intensity: opts.intensity ?? DEFAULT_INTENSITY,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      shutdownMs: opts.shutdownMs ?? DEFAULT_SHUTDOWN_MS,
      giveUp: opts.giveUp ?? 'escalate',
      parkBackoff: opts.parkBackoff ?? DEFAULT_PARK_BACKOFF,
      onEscalate: (childId, reason, cause) => giveUp(childId, reason, cause),
      onPark: (childId, reason, _cause, retryAt) => {
        if (shutdown !== undefined) return;
        try {
          opts.onPark?.(childId, reason, retryAt);
        } catch (hookError) {
          logger.error({ err: hookError }, 'onPark hook threw');
        }
      },
    });

  const stopAll = (reason: string, exit: SupervisorExit): Promise<void> => {
    if (shutdown !== undefined) return shutdown;
    phase = 'stopping';
    shutdown = (async () => {
      for (const child of [...children].reverse()) await child.stop(reason);
      phase = 'stopped';
      logger.info({ ok: exit.ok, reason: exit.reason }, 'supervisor stopped');
      resolveDone(exit);
    })();
    return shutdown;
  };

  function giveUp(childId: string, reason: string, cause: unknown): void {
    const error = new SupervisorGaveUpError(childId, reason, cause);
    if (shutdown !== undefined) {
      logger.warn({ childId, reason }, 'child gave up during shutdown');
      return;
    }
    logger.error({ childId, code: error.code, reason }, 'restart intensity exceeded; stopping all children');
    try {
      opts.onEscalate?.(error, childId);
    } catch (hookError) {
      // The shutdown below must happen whatever the hook does.
      logger.error({ err: hookError }, 'onEscalate hook threw');
    }
    void stopAll('escalation', { ok: false, reason: error.message, childId, error });
  }

  const assertOpen = (action: string): void => {
    if (phase === 'stopping' || phase === 'stopped') {
      throw new DcaError('INVARIANT', `cannot ${action}: the supervisor is ${phase}`);
    }
  };

  for (const spec of opts.children) {
    if (children.some((c) => c.id === spec.id))
      throw new DcaError('INVARIANT', `duplicate child id ${spec.id}`);
    children.push(supervise(spec));
  }

  return {
    done,
    async start() {
      assertOpen('start');
      if (phase !== 'idle') throw new DcaError('INVARIANT', 'the supervisor was already started');
      phase = 'starting';
      logger.info({ children: children.map((c) => c.id) }, 'supervisor starting');
      for (const child of [...children]) {
        // An escalation or a stop() while starting ends the start-up loop.
        if (phase !== 'starting') return;
        await child.begin();
      }
      if (phase === 'starting') phase = 'running';
    },

    stop(reason = 'shutdown') {
      return stopAll(reason, { ok: true, reason });
    },

    async startChild(spec) {
      assertOpen(`start child ${spec.id}`);
      const existing = children.findIndex((c) => c.id === spec.id);
      if (existing >= 0) {
        const previous = children[existing]!;
        if (!previous.isFinished()) throw new DcaError('INVARIANT', `child ${spec.id} is already supervised`);
        // A child that stayed down (temporary crash, normal exit) may be started afresh.
        children.splice(existing, 1);
      }
      const child = supervise(spec);
      children.push(child);
      await child.begin();
    },

    async stopChild(id) {
      const child = children.find((c) => c.id === id);
      if (child === undefined) return;
      await child.stop('removed');
      const index = children.indexOf(child);
      if (index >= 0) children.splice(index, 1);
    },

    retryChild(id) {
      children.find((c) => c.id === id)?.retry();
    },

    status() {
      return children.flatMap((c) => [c.status(), ...c.nested()]);
    },
  };
}
