import type { Child, ChildContext, ChildSpec, RestartType } from '../../src/supervisor.js';

/**
 * A child the test can drive: it records its starts and stops in a shared journal, can crash or
 * exit on command, can hold its start or its stop until released, and can tick on a real interval.
 */
export interface ProbeOptions {
  restart?: RestartType;
  shutdownMs?: number;
  /** Shared across probes so the order of starts and stops is visible. */
  journal?: string[];
  /** The first n starts reject. */
  failStarts?: number;
  /** Starts wait for `finishStart()` / `failStart()`. */
  holdStart?: boolean;
  /** A stop whose reason this accepts waits for `finishStop()` (`() => true`: every stop hangs). */
  holdStop?: (reason: string) => boolean;
  tickMs?: number;
}

/** Lets every settled promise run its callbacks; a simulated clock does not move. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Deferred {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Probe {
  starts = 0;
  stops: string[] = [];
  ticks = 0;
  ctx: ChildContext | undefined;
  private pendingStart: Deferred | undefined;
  private pendingStop: (() => void) | undefined;

  constructor(
    readonly id: string,
    private readonly opts: ProbeOptions = {},
  ) {}

  get spec(): ChildSpec {
    return {
      id: this.id,
      restart: this.opts.restart ?? 'permanent',
      ...(this.opts.shutdownMs === undefined ? {} : { shutdownMs: this.opts.shutdownMs }),
      start: (ctx) => this.start(ctx),
    };
  }

  get startPending(): boolean {
    return this.pendingStart !== undefined;
  }

  crash(message = `${this.id} crashed`): void {
    this.ctx?.fail(new Error(message));
  }

  exit(): void {
    this.ctx?.exit();
  }

  finishStart(): void {
    const pending = this.pendingStart;
    this.pendingStart = undefined;
    pending?.resolve();
  }

  failStart(message = `${this.id} failed to start`): void {
    const pending = this.pendingStart;
    this.pendingStart = undefined;
    pending?.reject(new Error(message));
  }

  finishStop(): void {
    const pending = this.pendingStop;
    this.pendingStop = undefined;
    pending?.();
  }

  private async start(ctx: ChildContext): Promise<Child> {
    this.starts += 1;
    this.ctx = ctx;
    this.opts.journal?.push(`start ${this.id}`);
    if (this.starts <= (this.opts.failStarts ?? 0)) throw new Error(`${this.id} start ${this.starts} failed`);
    if (this.opts.holdStart) {
      await new Promise<void>((resolve, reject) => {
        this.pendingStart = { resolve, reject };
      });
    }
    const ticker =
      this.opts.tickMs === undefined ? undefined : setInterval(() => this.ticks++, this.opts.tickMs);
    ctx.signal.addEventListener('abort', () => clearInterval(ticker));
    return {
      stop: async (reason) => {
        clearInterval(ticker);
        this.stops.push(reason);
        this.opts.journal?.push(`stop ${this.id}`);
        if (this.opts.holdStop?.(reason)) {
          await new Promise<void>((resolve) => {
            this.pendingStop = resolve;
          });
        }
      },
    };
  }
}
