import type { Logger } from 'pino';
import { type Actor, createActor } from 'xstate';
import {
  type Backoff,
  describeError,
  type GiveUp,
  type Intensity,
  type PolicyIntent,
  restartPolicyMachine,
} from './restartPolicy.js';
import type { Child, ChildContext, ChildSpec, ChildState, ChildStatus, SupervisorClock } from './types.js';

export interface SupervisedChildDeps {
  clock: SupervisorClock;
  logger: Logger;
  intensity: Intensity;
  backoff: Backoff;
  shutdownMs: number;
  giveUp: GiveUp;
  parkBackoff: Backoff;
  onEscalate: (childId: string, reason: string, error: unknown) => void;
  onPark: (childId: string, reason: string, error: unknown, retryAt: Date) => void;
}

/** One start of the child. Reports from an instance the supervisor has let go of are ignored. */
interface Instance {
  controller: AbortController;
  child: Child | undefined;
  /** Settles (never rejects) once `start` has resolved or failed. */
  started: Promise<void>;
}

/**
 * Hosts the restart-policy machine of one child and carries out its intents: starting, releasing
 * and stopping instances, and the backoff timer that comes back as a RESTART_DUE event.
 */
export class SupervisedChild {
  readonly id: string;
  private readonly actor: Actor<typeof restartPolicyMachine>;
  private current: Instance | undefined;
  private timer: unknown;
  private since: number;
  private readonly releases = new Set<Promise<void>>();
  private readonly ended: Promise<void>;
  private readonly log: Logger;

  constructor(
    private readonly spec: ChildSpec,
    private readonly deps: SupervisedChildDeps,
  ) {
    this.id = spec.id;
    this.log = deps.logger;
    this.since = deps.clock.now();
    this.actor = createActor(restartPolicyMachine, {
      input: {
        restart: spec.restart,
        intensity: spec.intensity ?? deps.intensity,
        backoff: spec.backoff ?? deps.backoff,
        giveUp: spec.giveUp ?? deps.giveUp,
        parkBackoff: spec.parkBackoff ?? deps.parkBackoff,
      },
    });
    this.actor.on('*', (intent) => this.perform(intent));
    let lastState = this.state();
    this.ended = new Promise((resolve) => {
      this.actor.subscribe((snapshot) => {
        const state = this.state();
        if (state !== lastState) {
          lastState = state;
          this.since = deps.clock.now();
        }
        if (snapshot.status === 'done') resolve();
      });
    });
    this.actor.start();
  }

  /** Starts the child; resolves once the first attempt has succeeded or crashed. */
  async begin(): Promise<void> {
    this.actor.send({ type: 'START' });
    await this.current?.started;
  }

  /** Stops the child (within its shutdownMs) and resolves once it is down for good. */
  async stop(reason: string): Promise<void> {
    if (!this.isFinished()) this.actor.send({ type: 'STOP', reason });
    await this.settled();
  }

  /** Tries a parked child now (its configuration changed); a no-op in any other state. */
  retry(): void {
    this.actor.send({ type: 'RETRY', at: this.deps.clock.now() });
  }

  /** True once the policy has reached a final state: stopped, failed or escalated. */
  isFinished(): boolean {
    return this.actor.getSnapshot().status === 'done';
  }

  /** Resolves when the policy is final and every released instance has finished stopping. */
  async settled(): Promise<void> {
    await this.ended;
    while (this.releases.size > 0) await Promise.all([...this.releases]);
  }

  status(): ChildStatus {
    const { context } = this.actor.getSnapshot();
    const state = this.state();
    return {
      id: this.id,
      state,
      restarts: context.restarts,
      ...(context.lastError === undefined ? {} : { lastError: context.lastError }),
      since: new Date(this.since),
      ...(state === 'parked' && context.parkedReason !== undefined
        ? { reason: context.parkedReason, nextRetryAt: new Date(context.now + context.pendingDelayMs) }
        : {}),
    };
  }

  /** The status of what this child supervises, if it is a supervisor itself. */
  nested(): ChildStatus[] {
    return this.current?.child?.children?.() ?? [];
  }

  private state(): ChildState {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.matches({ up: 'starting' })) return 'starting';
    if (snapshot.matches({ up: 'running' })) return 'running';
    if (snapshot.matches('backingOff')) return 'restarting';
    if (snapshot.matches('parked')) return 'parked';
    if (snapshot.matches('stopping')) return 'stopping';
    if (snapshot.matches('failed') || snapshot.matches('escalated')) return 'failed';
    return 'stopped';
  }

  private perform(intent: PolicyIntent): void {
    switch (intent.type) {
      case 'startChild':
        this.startInstance();
        break;
      case 'releaseChild':
        this.release(intent.reason);
        break;
      case 'scheduleRestart':
        this.scheduleRestart(intent.delayMs);
        break;
      case 'cancelRestart':
        this.deps.clock.clearTimeout(this.timer);
        this.timer = undefined;
        break;
      case 'stopChild':
        this.stopInstance(intent.reason);
        break;
      case 'escalate':
        this.log.error({ restarts: this.status().restarts }, `child gave up: ${intent.reason}`);
        this.deps.onEscalate(this.id, intent.reason, intent.error);
        break;
      case 'park':
        this.log.error(
          { restarts: this.status().restarts, retryAt: new Date(intent.retryAt) },
          `child parked: ${intent.reason}`,
        );
        this.deps.onPark(this.id, intent.reason, intent.error, new Date(intent.retryAt));
        break;
    }
  }

  private startInstance(): void {
    const controller = new AbortController();
    const instance: Instance = { controller, child: undefined, started: Promise.resolve() };
    const { clock } = this.deps;
    const ctx: ChildContext = {
      id: this.id,
      signal: controller.signal,
      fail: (error) => {
        if (this.current === instance) this.actor.send({ type: 'CRASHED', at: clock.now(), error });
      },
      exit: () => {
        if (this.current === instance) this.actor.send({ type: 'EXITED', at: clock.now() });
      },
    };
    this.current = instance;
    instance.started = (async () => {
      try {
        // A microtask first, so a child that fails inside `start` reports after START is handled.
        await Promise.resolve();
        const child = await this.spec.start(ctx);
        instance.child = child;
        if (this.current === instance) {
          this.log.info('child running');
          this.actor.send({ type: 'STARTED' });
        } else {
          // It crashed or exited while starting; what it opened must still be closed.
          this.track(this.stopWithin(child, 'released'));
        }
      } catch (error) {
        if (this.current === instance) this.actor.send({ type: 'CRASHED', at: clock.now(), error });
      }
    })();
  }

  private release(reason: 'crashed' | 'exited'): void {
    const instance = this.current;
    this.current = undefined;
    if (instance === undefined) return;
    instance.controller.abort(reason);
    const { lastError } = this.actor.getSnapshot().context;
    if (reason === 'crashed') this.log.warn({ lastError }, 'child crashed');
    else this.log.info('child exited');
    if (instance.child !== undefined) this.track(this.stopWithin(instance.child, reason));
  }

  private scheduleRestart(delayMs: number): void {
    const { clock } = this.deps;
    this.log.info({ delayMs }, 'child restart scheduled');
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.actor.send({ type: 'RESTART_DUE', at: clock.now() });
    }, delayMs);
  }

  private stopInstance(reason: string): void {
    const instance = this.current;
    this.track(
      (async () => {
        if (instance !== undefined) {
          // A start in flight is let finish, so whatever it opened is stopped too.
          await instance.started;
          if (instance.child !== undefined) await this.stopWithin(instance.child, reason);
          instance.controller.abort(reason);
          if (this.current === instance) this.current = undefined;
        }
        this.log.info({ reason }, 'child stopped');
        this.actor.send({ type: 'STOPPED' });
      })(),
    );
  }

  /** Asks the child to stop; past shutdownMs it is abandoned so one stuck child cannot hang shutdown. */
  private stopWithin(child: Child, reason: string): Promise<void> {
    const { clock } = this.deps;
    const shutdownMs = this.spec.shutdownMs ?? this.deps.shutdownMs;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(() => {
        this.log.warn({ shutdownMs, reason }, 'child did not stop in time; abandoned');
        resolve();
      }, shutdownMs);
      const finish = () => {
        clock.clearTimeout(timer);
        resolve();
      };
      Promise.resolve()
        .then(() => child.stop(reason))
        .then(finish, (error: unknown) => {
          this.log.warn({ reason, stopError: describeError(error) }, 'child stop failed');
          finish();
        });
    });
  }

  private track(work: Promise<void>): void {
    this.releases.add(work);
    void work.finally(() => this.releases.delete(work));
  }
}
