/**
 * Liveness and readiness as values, from what the running bot shows. Liveness (`/healthz`): the
 * process answers, its supervisor runs and no asset lane is stuck; failing it means "restart me". Readiness (`/readyz`):
 * the bot can trade right now — MySQL answers, both streams are connected, no symbol's quotes are
 * stale, no asset is parked and every supervised child runs; failing it means "do not count on me"
 * (an alert, a rollout that waits), never a restart.
 */
import type { StreamName, StreamWatch } from '../metrics/exchange.js';
import { STREAM_NAMES } from '../metrics/exchange.js';
import type { ChildStatus, SupervisorExit } from '../supervisor.js';

export interface Verdict {
  readonly ok: boolean;
  /** One line per failed check; empty when ok. */
  readonly reasons: readonly string[];
}

export interface LivenessInput {
  /** False while the bot is still starting (migrations, the lock, the first connects). */
  readonly started: boolean;
  /** How the supervisor ended, once it has. */
  readonly exit: SupervisorExit | null;
  /** Asset lanes busy on one piece of work for longer than they may be, with how long (ms). */
  readonly stuckLanes: readonly { readonly symbol: string; readonly forMs: number }[];
}

/** The same rule as the systemd watchdog's, for hosts without one (Kubernetes): a stuck lane is a hang. */
export function liveness(input: LivenessInput): Verdict & { readonly status: string } {
  if (input.exit) {
    return {
      ok: false,
      status: 'stopped',
      reasons: [`the supervisor stopped: ${input.exit.reason}`],
    };
  }
  if (input.stuckLanes.length > 0) {
    return {
      ok: false,
      status: 'hung',
      reasons: input.stuckLanes.map(stuckLaneReason),
    };
  }
  return { ok: true, status: input.started ? 'running' : 'starting', reasons: [] };
}

/** The line a stuck lane is reported with, by the probes and the watchdog alike. */
export function stuckLaneReason(lane: { readonly symbol: string; readonly forMs: number }): string {
  return `lane ${lane.symbol} stuck for ${Math.round(lane.forMs / 1000)} s`;
}

/** The lanes busy on one piece of work for more than `limitMs`. */
export function stuckLanes(
  lanes: Iterable<{ readonly symbol: string; laneBusySince(): number | null }>,
  limitMs: number,
  now: number,
): { symbol: string; forMs: number }[] {
  const stuck: { symbol: string; forMs: number }[] = [];
  for (const lane of lanes) {
    const since = lane.laneBusySince();
    if (since !== null && now - since > limitMs) stuck.push({ symbol: lane.symbol, forMs: now - since });
  }
  return stuck;
}

export interface ReadinessInput {
  readonly started: boolean;
  readonly exit: SupervisorExit | null;
  /** null when MySQL answered; otherwise why not. */
  readonly database: string | null;
  readonly streams: StreamWatch;
  /** Symbols whose quotes are stale (the market-data actor's verdict). */
  readonly staleSymbols: readonly string[];
  readonly supervision: readonly ChildStatus[];
  /** False while the instance lock is lost (no order is sent); absent where no lock is kept. */
  readonly lockHeld?: boolean;
}

export function readiness(input: ReadinessInput): Verdict {
  if (!input.started) return { ok: false, reasons: ['the bot is starting'] };
  if (input.exit) return { ok: false, reasons: [`the supervisor stopped: ${input.exit.reason}`] };
  const reasons: string[] = [];
  if (input.database !== null) reasons.push(`MySQL unreachable: ${input.database}`);
  if (input.lockHeld === false)
    reasons.push('the instance lock is not held: no order is sent until it is taken again');
  for (const stream of STREAM_NAMES) {
    const state = input.streams.state(stream as StreamName);
    if (state !== 'connected') reasons.push(`stream ${stream} is ${state}`);
  }
  if (input.staleSymbols.length > 0) reasons.push(`quotes stale for ${input.staleSymbols.join(', ')}`);
  for (const child of input.supervision) {
    if (child.state === 'parked') reasons.push(`${child.id} is parked: ${child.reason ?? 'no reason given'}`);
    else if (child.state !== 'running' && child.state !== 'idle') {
      reasons.push(`${child.id} is ${child.state}${child.lastError ? ` (${child.lastError})` : ''}`);
    }
  }
  return { ok: reasons.length === 0, reasons };
}
