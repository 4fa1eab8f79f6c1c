/**
 * The e-mail alert channel (the seed's ALERT_EMAIL_* settings), hung off the one alert path in
 * alerts.ts. Only warn/error alerts are mailed. At most one mail leaves per
 * ALERT_EMAIL_MIN_INTERVAL_SECONDS; alerts raised in between wait and go out together in the next
 * mail, so a flapping fault cannot flood an inbox. Sending never throws into the caller: a failed
 * mail is logged (the alert itself is already in the log). Known secrets are masked in every mail.
 */

import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type NodeMailer from 'nodemailer';
import type { Logger } from 'pino';
import type { AlertEmailConfig } from '../config.js';
import { maskSecrets } from '../secrets.js';
import type { Alert, AlertSink } from './alerts.js';

/** The part of a nodemailer transporter the channel uses. */
export interface MailTransport {
  sendMail(mail: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
  close(): void;
}

export interface EmailChannelOptions {
  readonly config: AlertEmailConfig;
  readonly logger: Logger;
  /** Values that must never appear in a mail (API keys, passwords). */
  readonly secrets?: readonly string[];
  /** Default: SMTP to config.smtpServer. Tests pass a capturing transport. */
  readonly transport?: MailTransport;
  readonly now?: () => Date;
}

export interface EmailChannel {
  readonly sink: AlertSink;
  readonly stats: { readonly sent: number; readonly failed: number; readonly pending: number };
  /** Resolves once no mail is being sent (a batch waiting for its interval does not count). */
  idle(): Promise<void>;
  /** Sends what is still waiting (a last mail on shutdown), then closes the transport. */
  close(): Promise<void>;
}

interface Pending {
  readonly alert: Alert;
  readonly at: Date;
}

/** Loaded with the first channel: a bot without alert mail never reads nodemailer's code. */
const requireLazily = createRequire(import.meta.url);

function createSmtpTransport(config: AlertEmailConfig): MailTransport {
  const nodemailer = requireLazily('nodemailer') as typeof NodeMailer;
  return nodemailer.createTransport({
    host: config.smtpServer,
    port: config.smtpPort,
    // 465 is implicit TLS; any other port must upgrade with STARTTLS before AUTH or the mail, or the
    // password and the alert would cross the network in cleartext. Only a relay on this machine may
    // be spoken to in plaintext, and only when ALERT_EMAIL_SMTP_INSECURE=yes says so.
    secure: config.smtpPort === 465,
    requireTLS: config.smtpPort !== 465 && !config.smtpInsecure,
    ...(config.smtpUser ? { auth: { user: config.smtpUser, pass: config.smtpPassword ?? '' } } : {}),
    // Bounded, so an unreachable server delays one mail instead of a shutdown.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

export function createEmailChannel(opts: EmailChannelOptions): EmailChannel {
  const { config } = opts;
  const log = opts.logger.child({ actor: 'email' });
  const transport = opts.transport ?? createSmtpTransport(config);
  if (config.smtpInsecure && config.smtpPort !== 465) {
    log.warn(
      { smtpServer: config.smtpServer, smtpPort: config.smtpPort },
      'alert mail may go to the SMTP server without TLS (ALERT_EMAIL_SMTP_INSECURE=yes): only for a relay on this machine',
    );
  }
  const now = opts.now ?? (() => new Date());
  const intervalMs = config.minIntervalSeconds * 1000;
  const secrets = [...(opts.secrets ?? []), config.smtpPassword ?? ''];
  const mask = (text: string) => maskSecrets(text, secrets);
  const pending: Pending[] = [];
  const stats = { sent: 0, failed: 0, pending: 0 };
  let lastSentAt: number | null = null;
  let sending: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function pump(): void {
    if (sending || timer || pending.length === 0) return;
    const wait = lastSentAt === null ? 0 : lastSentAt + intervalMs - now().getTime();
    if (wait <= 0) {
      send();
      return;
    }
    timer = setTimeout(() => {
      timer = null;
      pump();
    }, wait);
    timer.unref();
  }

  function send(): void {
    const batch = pending.splice(0);
    stats.pending = 0;
    lastSentAt = now().getTime();
    const mail = { from: config.sender, to: config.receiver, ...compose(batch, mask) };
    sending = transport
      .sendMail(mail)
      .then(() => {
        stats.sent++;
        log.debug({ alerts: batch.length }, 'alert mail sent');
      })
      .catch((err: unknown) => {
        stats.failed++;
        const error = err as { message?: unknown; code?: unknown };
        const reason =
          error.code === 'ETLS' && !config.smtpInsecure
            ? `the SMTP server offers no STARTTLS, so neither the password nor the mail was sent (${mask(String(error.message ?? err))}); use port 465 or a server with STARTTLS, or ALERT_EMAIL_SMTP_INSECURE=yes for a relay on this machine`
            : mask(String(error.message ?? err));
        log.error({ code: error.code, reason, alerts: batch.length }, 'alert mail could not be sent');
      })
      .finally(() => {
        sending = null;
        if (!closed) pump();
      });
  }

  return {
    sink(alert) {
      if (closed || alert.level === 'info') return;
      pending.push({ alert, at: now() });
      stats.pending = pending.length;
      pump();
    },
    stats,
    async idle() {
      while (sending) await sending;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      while (sending) await sending;
      if (pending.length > 0) {
        send();
        await sending;
      }
      transport.close();
    },
  };
}

const LEVEL_ORDER = { error: 0, warn: 1, info: 2 } as const;

/** Subject and plain-text body for one or more alerts, worst first in the subject. */
function compose(
  batch: readonly Pending[],
  mask: (text: string) => string,
): { subject: string; text: string } {
  const first = batch[0];
  if (!first) throw new Error('an alert mail needs at least one alert');
  const worst =
    [...batch].sort((a, b) => LEVEL_ORDER[a.alert.level] - LEVEL_ORDER[b.alert.level])[0] ?? first;
  const where = (a: Alert) =>
    [a.asset, a.cycleId === undefined ? '' : `cycle ${a.cycleId}`].filter(Boolean).join(' ');
  const subject =
    batch.length === 1
      ? `[dca-bot] ${first.alert.level.toUpperCase()} ${first.alert.code} ${where(first.alert)}`.trim()
      : `[dca-bot] ${batch.length} alerts, worst ${worst.alert.level.toUpperCase()} ${worst.alert.code}`;
  const lines = [
    `dca-bot on ${hostname()} raised ${batch.length === 1 ? 'an alert' : `${batch.length} alerts`}:`,
    '',
    ...batch.flatMap(({ alert, at }) => [
      `${at.toISOString()}  ${alert.level.toUpperCase()}  ${alert.code}  ${where(alert)}`.trimEnd(),
      `  ${alert.message}`,
      '',
    ]),
    'Every alert is also in the bot log (pino, `alert: true`).',
  ];
  return { subject: mask(subject), text: mask(lines.join('\n')) };
}
