/**
 * systemd's notification protocol (sd_notify(3)): READY=1 once the tree runs, WATCHDOG=1 while the
 * watchdog check passes, STOPPING=1 on shutdown.
 *
 * Node cannot send a unix datagram by itself (node:dgram has udp4/udp6 only), so the messages go
 * through systemd's own `systemd-notify`, present wherever systemd is. Because that process, not
 * the bot's main process, sends them, the unit needs `NotifyAccess=all`; and `systemd-notify`
 * waits (its default barrier, systemd ≥ 246) until PID 1 has read the message, so the message is
 * attributed to the unit before the sender exits. A native sender (see README, Operations) can
 * replace it behind the same interface.
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';

export interface Notifier {
  /** Sends one `KEY=VALUE` assignment per entry; resolves once it was handed over (never rejects). */
  notify(...assignments: string[]): Promise<boolean>;
}

export interface SystemdEnv {
  readonly NOTIFY_SOCKET?: string | undefined;
  readonly WATCHDOG_USEC?: string | undefined;
  readonly WATCHDOG_PID?: string | undefined;
}

/** The notifier for this process, or null when systemd did not ask for notifications. */
export function notifierFromEnv(
  env: SystemdEnv,
  logger: Logger,
  command = 'systemd-notify',
): Notifier | null {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return null;
  return systemdNotifyCommand(socket, logger, command);
}

/**
 * The watchdog interval systemd expects pings within (WATCHDOG_USEC, in ms), or null when the
 * watchdog is off or meant for another process (WATCHDOG_PID).
 */
export function watchdogTimeoutMs(env: SystemdEnv, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.floor(usec / 1000);
}

const SEND_TIMEOUT_MS = 10_000;

/** Sends through `systemd-notify` (a child per message; pings are seconds apart). */
export function systemdNotifyCommand(socket: string, logger: Logger, command = 'systemd-notify'): Notifier {
  const log = logger.child({ actor: 'notify' });
  return {
    notify: (...assignments) =>
      new Promise<boolean>((resolve) => {
        const child = spawn(command, assignments, {
          env: { ...process.env, NOTIFY_SOCKET: socket },
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: SEND_TIMEOUT_MS,
        });
        let stderr = '';
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
        });
        child.once('error', (err) => {
          log.warn({ err, assignments }, 'systemd notification not sent');
          resolve(false);
        });
        child.once('close', (code) => {
          if (code === 0) return resolve(true);
          log.warn({ code, assignments, stderr: stderr.trim() }, 'systemd notification failed');
          resolve(false);
        });
      }),
  };
}
