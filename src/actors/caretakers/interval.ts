/**
 * The shared heartbeat of the caretakers: run a job every `everyMs`, never two at once, and sort
 * its failures. A failure the outside world causes (the exchange or the database is away) is logged
 * and the job waits for its next turn; anything else is a bug, so the caretaker stops and reports a
 * crash, and the supervisor restarts it (crash-only, architecture §2).
 */
import type { Logger } from 'pino';
import { DcaError, ExchangeError } from '../../errors.js';
import type { AssetActor } from '../asset.js';
import type { AssetRegistry } from '../registry.js';

export interface PeriodicOptions {
  readonly everyMs: number;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly run: (now: Date) => Promise<void>;
}

/** Errors a later run may not see again: exchange failures, retryable bot errors, a lost DB link. */
const DB_LINK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
]);

export function isPassingFailure(err: unknown): boolean {
  if (err instanceof ExchangeError) return true;
  if (err instanceof DcaError) return err.retryable;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DB_LINK_CODES.has(code);
}

export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private active = false;
  private onCrash: (err: unknown) => void = () => undefined;

  constructor(private readonly opts: PeriodicOptions) {}

  /** Schedules the first run one interval from now; `onCrash` hears about an unexpected failure. */
  start(onCrash: (err: unknown) => void): void {
    this.onCrash = onCrash;
    this.active = true;
    this.schedule();
  }

  /** No further runs; waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    if (!this.active) return;
    // A chain of timeouts rather than an interval: a slow run delays the next one instead of overlapping it.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.turn().finally(() => {
        this.running = null;
      });
    }, this.opts.everyMs);
    this.timer.unref();
  }

  private async turn(): Promise<void> {
    try {
      await this.opts.run(this.opts.now());
    } catch (err) {
      if (!isPassingFailure(err)) {
        this.active = false;
        this.opts.logger.error({ err }, 'caretaker run failed unexpectedly; the supervisor restarts it');
        this.onCrash(err);
        return;
      }
      this.opts.logger.warn({ err }, 'caretaker run failed; trying again next interval');
    }
    this.schedule();
  }
}

export interface CaretakerOptions {
  readonly logger: Logger;
  readonly everyMs: number;
  readonly now: () => Date;
}

/** A caretaker: one named job on the shared heartbeat. Subclasses write `runOnce`; tests call it directly. */
export abstract class Caretaker<Run> {
  protected readonly log: Logger;
  private readonly periodic: Periodic;

  constructor(name: string, opts: CaretakerOptions) {
    this.log = opts.logger.child({ actor: name });
    this.periodic = new Periodic({
      everyMs: opts.everyMs,
      now: opts.now,
      logger: this.log,
      run: (now) => this.runOnce(now).then(() => undefined),
    });
  }

  start(onCrash: (err: unknown) => void): void {
    this.periodic.start(onCrash);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  abstract runOnce(now: Date): Promise<Run>;
}

/** The live actors by the id of the cycle each hosts, built once per run instead of a scan per cycle. */
export function actorsByCycle(registry: AssetRegistry): Map<number, AssetActor> {
  const byCycle = new Map<number, AssetActor>();
  for (const actor of registry.all()) if (actor.cycleId !== null) byCycle.set(actor.cycleId, actor);
  return byCycle;
}
