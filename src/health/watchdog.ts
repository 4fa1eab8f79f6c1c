/**
 * The systemd watchdog's check: WATCHDOG=1 is sent only from a timer that first verifies the
 * process is doing its work — the event loop was not stalled since the last check, and no asset
 * actor's lane has been stuck on one piece of work. A hung process therefore stops pinging and
 * systemd restarts it (`WatchdogSec=`), while a process that merely waits (no quotes, MySQL
 * refusing connections) keeps pinging: those are the readiness probe's business, not a restart's.
 *
 * Pings come every third of the timeout, so one withheld ping (a single long stall) is survived
 * and two in a row are not.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { stuckLaneReason, stuckLanes } from './checks.js';
import type { Notifier } from './notify.js';

/** Something with a serial lane: the asset actors. */
export interface Lane {
  readonly symbol: string;
  laneBusySince(): number | null;
}

export interface WatchdogOptions {
  readonly notifier: Notifier;
  /** WATCHDOG_USEC in ms: systemd restarts the process after this long without a ping. */
  readonly timeoutMs: number;
  readonly lanes: () => Iterable<Lane>;
  readonly logger: Logger;
  /** Longest event-loop stall that still lets the next ping go (default a third of the timeout, ≤ 10 s). */
  readonly maxLoopLagMs?: number;
  /** Longest time one lane may spend on one piece of work (default twice the timeout, ≥ 60 s). */
  readonly laneStuckMs?: number;
  /** Time between checks (default a third of the timeout). */
  readonly intervalMs?: number;
}

export interface WatchdogCheck {
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

export class Watchdog {
  private timer: NodeJS.Timeout | null = null;
  private readonly delay: IntervalHistogram;
  private sending = false;
  private withheld = false;
  private readonly log: Logger;
  readonly intervalMs: number;
  readonly maxLoopLagMs: number;
  readonly laneStuckMs: number;
  /** Pings handed to systemd so far. */
  pings = 0;

  constructor(private readonly opts: WatchdogOptions) {
    this.log = opts.logger.child({ actor: 'watchdog' });
    this.intervalMs = opts.intervalMs ?? Math.max(50, Math.floor(opts.timeoutMs / 3));
    this.maxLoopLagMs = opts.maxLoopLagMs ?? Math.min(10_000, Math.floor(opts.timeoutMs / 3));
    this.laneStuckMs = opts.laneStuckMs ?? Math.max(60_000, opts.timeoutMs * 2);
    this.delay = monitorEventLoopDelay({ resolution: 20 });
  }

  start(): void {
    if (this.timer) return;
    this.delay.enable();
    this.log.info(
      { intervalMs: this.intervalMs, maxLoopLagMs: this.maxLoopLagMs, laneStuckMs: this.laneStuckMs },
      'watchdog on',
    );
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.delay.disable();
  }

  /** Whether the process may vouch for itself now; resets the loop-delay window. */
  check(now = Date.now()): WatchdogCheck {
    const reasons: string[] = [];
    const lagMs = this.delay.max / 1e6;
    this.delay.reset();
    if (lagMs > this.maxLoopLagMs) reasons.push(`event loop stalled for ${Math.round(lagMs)} ms`);
    for (const lane of stuckLanes(this.opts.lanes(), this.laneStuckMs, now))
      reasons.push(stuckLaneReason(lane));
    return { ok: reasons.length === 0, reasons };
  }

  private tick(): void {
    const verdict = this.check();
    if (!verdict.ok) {
      if (!this.withheld) this.log.error({ reasons: verdict.reasons }, 'watchdog ping withheld');
      this.withheld = true;
      return;
    }
    if (this.withheld) this.log.info('watchdog pings again');
    this.withheld = false;
    // A send still under way (PID 1 busy) is not doubled; the next tick tries again.
    if (this.sending) return;
    this.sending = true;
    void this.opts.notifier.notify('WATCHDOG=1').then((sent) => {
      this.sending = false;
      if (sent) this.pings++;
    });
  }
}
