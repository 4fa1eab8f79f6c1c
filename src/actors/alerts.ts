/**
 * The one alert path: every caretaker, asset actor and the supervisor's escalation raise alerts
 * here. An alert is always a pino line at warn/error; other channels (email) hang off `channels`.
 * The same alert (code + asset) repeated within `quietMs` is counted, not repeated, so a condition
 * that holds on every quote cannot flood the log or an inbox.
 */
import type { Logger } from 'pino';

export interface Alert {
  readonly level: 'info' | 'warn' | 'error';
  /** Stable code, e.g. POSITION_EXISTS, ORDER_REJECTED, SUPERVISOR_ESCALATED. */
  readonly code: string;
  readonly message: string;
  readonly asset?: string | undefined;
  readonly cycleId?: number | undefined;
}

export type AlertSink = (alert: Alert) => void;

export interface AlertOptions {
  readonly channels?: readonly AlertSink[];
  /** Window in which a repeat of the same code+asset is suppressed (default 5 minutes). */
  readonly quietMs?: number;
  readonly now?: () => number;
}

export function createAlerts(logger: Logger, opts: AlertOptions = {}): AlertSink {
  const log = logger.child({ actor: 'alerts' });
  const quietMs = opts.quietMs ?? 300_000;
  const now = opts.now ?? Date.now;
  const last = new Map<string, { at: number; suppressed: number }>();
  return (alert) => {
    const key = `${alert.code}|${alert.asset ?? ''}`;
    const t = now();
    const seen = last.get(key);
    if (seen && t - seen.at < quietMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    last.set(key, { at: t, suppressed: 0 });
    const { level, message, code, asset, cycleId } = alert;
    log[level]({ alert: true, code, asset, cycleId, ...(suppressed ? { suppressed } : {}) }, message);
    for (const channel of opts.channels ?? []) {
      try {
        channel(alert);
      } catch (err) {
        log.error({ err, code }, 'alert channel failed');
      }
    }
  };
}

/** An alert as it was raised, for the dashboard's alerts panel. */
export interface RecordedAlert extends Alert {
  readonly at: Date;
}

/**
 * The newest alerts, kept in memory as one more channel (repeats within the quiet window never
 * reach a channel, so it holds what the log shows). Lost on restart, like the page itself.
 */
export class RecentAlerts {
  private readonly alerts: RecordedAlert[] = [];
  readonly sink: AlertSink = (alert) => {
    this.alerts.push({ ...alert, at: this.now() });
    if (this.alerts.length > this.limit) this.alerts.shift();
  };

  constructor(
    private readonly limit = 50,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Newest first. */
  list(): readonly RecordedAlert[] {
    return [...this.alerts].reverse();
  }
}
