import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Alert, createAlerts, RecentAlerts } from '../src/actors/alerts.js';
import { createEmailChannel, type MailTransport } from '../src/actors/email.js';
import type { AlertEmailConfig } from '../src/config.js';
import { logSink } from './helpers/logSink.js';
import { type SmtpServer, startSmtpServer } from './helpers/smtp.js';
import { waitFor } from './helpers/wait.js';

const emailConfig = (overrides: Partial<AlertEmailConfig> = {}): AlertEmailConfig => ({
  sender: 'bot@example.test',
  receiver: 'owner@example.test',
  smtpServer: '127.0.0.1',
  smtpPort: 25,
  smtpUser: null,
  smtpPassword: null,
  smtpInsecure: false,
  minIntervalSeconds: 300,
  ...overrides,
});

/** nodemailer's JSON transport (the message is built but not delivered), keeping each mail. */
function jsonTransport(): MailTransport & { mails: { subject: string; text: string }[] } {
  const json = nodemailer.createTransport({ jsonTransport: true });
  const mails: { subject: string; text: string }[] = [];
  return {
    mails,
    async sendMail(mail) {
      const info = await json.sendMail(mail);
      mails.push(JSON.parse(String(info.message)));
      return info;
    },
    close: () => json.close(),
  };
}

const escalated: Alert = {
  level: 'error',
  code: 'SUPERVISOR_ESCALATED',
  message: 'asset:BTC/USD went past its restart intensity; stopping the bot',
};
const rejected: Alert = {
  level: 'warn',
  code: 'ORDER_REJECTED',
  asset: 'ETH/USD',
  cycleId: 4,
  message: 'order dca-4-base-1 rejected: insufficient balance',
};

describe('the alert path', () => {
  it('writes every alert as a pino line at its level with code, asset and cycle', () => {
    const { lines, logger } = logSink();
    createAlerts(logger)(rejected);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        alert: true,
        code: 'ORDER_REJECTED',
        asset: 'ETH/USD',
        cycleId: 4,
      }),
    ]);
  });

  it('counts a repeat of the same code and asset within the quiet window instead of repeating it', () => {
    const { lines, logger } = logSink();
    let t = 0;
    const alert = createAlerts(logger, { quietMs: 1_000, now: () => t });
    alert(rejected);
    t = 500;
    alert(rejected);
    alert({ ...rejected, asset: 'SOL/USD' });
    t = 1_500;
    alert(rejected);
    expect(lines.map((l) => [l['asset'], l['suppressed']])).toEqual([
      ['ETH/USD', undefined],
      ['SOL/USD', undefined],
      ['ETH/USD', 1],
    ]);
  });

  it('logs a failing channel and still reaches the others', () => {
    const { lines, logger } = logSink();
    const reached: Alert[] = [];
    const broken = () => {
      throw new Error('channel down');
    };
    createAlerts(logger, { channels: [broken, (a) => reached.push(a)] })(escalated);
    expect(reached).toEqual([escalated]);
    expect(lines.some((l) => l['msg'] === 'alert channel failed')).toBe(true);
  });
});

describe('the e-mail channel', () => {
  let smtp: SmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it('delivers an alert to a real SMTP server with the sender, receiver, code and message', async () => {
    const { logger } = logSink();
    // A relay on this machine without TLS: allowed only with ALERT_EMAIL_SMTP_INSECURE=yes.
    const config = emailConfig({ smtpPort: smtp.port, smtpInsecure: true });
    const email = createEmailChannel({ config, logger });
    createAlerts(logger, { channels: [email.sink] })(escalated);
    await waitFor(() => smtp.mails.length === 1, 10_000, 'a mail');
    await email.close();

    const [mail] = smtp.mails;
    expect(mail?.from).toBe('bot@example.test');
    expect(mail?.to).toEqual(['owner@example.test']);
    expect(mail?.data).toMatch(/^Subject: \[dca-bot\] ERROR SUPERVISOR_ESCALATED$/m);
    expect(mail?.data).toContain('went past its restart intensity');
  });

  it('sends at most one mail per interval and batches the alerts in between into the next', async () => {
    const { logger } = logSink();
    const transport = jsonTransport();
    const email = createEmailChannel({ config: emailConfig({ minIntervalSeconds: 1 }), logger, transport });
    email.sink(escalated);
    email.sink(rejected);
    email.sink({ ...rejected, code: 'POSITION_SHORT', message: 'SOL/USD position is short' });
    await email.idle();
    expect(transport.mails).toHaveLength(1);
    expect(email.stats.pending).toBe(2);

    await waitFor(() => transport.mails.length === 2, 3_000, 'the batched mail');
    await email.close();
    expect(transport.mails).toHaveLength(2);
    const [first, batch] = transport.mails;
    expect(first?.text).toContain('SUPERVISOR_ESCALATED');
    expect(first?.text).not.toContain('ORDER_REJECTED');
    expect(batch?.subject).toBe('[dca-bot] 2 alerts, worst WARN ORDER_REJECTED');
    expect(batch?.text).toContain('ORDER_REJECTED  ETH/USD cycle 4');
    expect(batch?.text).toContain('SOL/USD position is short');
  });

  it('mails only warnings and errors', async () => {
    const { logger } = logSink();
    const transport = jsonTransport();
    const email = createEmailChannel({ config: emailConfig(), logger, transport });
    email.sink({ level: 'info', code: 'QUOTES_FLOWING', message: 'quotes are flowing again' });
    await email.close();
    expect(transport.mails).toEqual([]);
  });

  it('sends what is still waiting when it is closed', async () => {
    const { logger } = logSink();
    const transport = jsonTransport();
    const email = createEmailChannel({ config: emailConfig(), logger, transport });
    email.sink(escalated);
    email.sink(rejected);
    await email.idle();
    expect(transport.mails).toHaveLength(1);
    await email.close();
    expect(transport.mails).toHaveLength(2);
  });

  it('masks known secrets in the mail', async () => {
    const { logger } = logSink();
    const transport = jsonTransport();
    const config = emailConfig({ smtpUser: 'bot', smtpPassword: 'smtp-pass-123' });
    const email = createEmailChannel({ config, logger, transport, secrets: ['PKSECRETKEY42'] });
    email.sink({ ...escalated, message: 'auth failed for PKSECRETKEY42 with smtp-pass-123' });
    await email.close();
    expect(transport.mails[0]?.text).toContain('auth failed for [redacted] with [redacted]');
    expect(JSON.stringify(transport.mails)).not.toMatch(/PKSECRETKEY42|smtp-pass-123/);
  });

  it('never sends the SMTP password to a server that offers no STARTTLS, and says why in the log', async () => {
    const plain = await startSmtpServer({ auth: true });
    try {
      const { lines, logger } = logSink();
      const password = 'smtp-pass-123';
      const config = emailConfig({ smtpPort: plain.port, smtpUser: 'bot', smtpPassword: password });
      const email = createEmailChannel({ config, logger });
      email.sink(escalated);
      await email.idle();
      await email.close();
      const wire = plain.commands.join('\n');
      const encoded = [
        Buffer.from(password).toString('base64'),
        Buffer.from(`\u0000bot\u0000${password}`).toString('base64'),
      ];
      expect(plain.commands.some((c) => c.toUpperCase().startsWith('AUTH'))).toBe(false);
      for (const form of [password, ...encoded]) expect(wire).not.toContain(form);
      expect(plain.mails).toEqual([]);
      expect(email.stats).toMatchObject({ sent: 0, failed: 1 });
      expect(lines.find((l) => l['msg'] === 'alert mail could not be sent')).toMatchObject({
        level: 50,
        reason: expect.stringContaining('offers no STARTTLS'),
      });
    } finally {
      await plain.close();
    }
  });

  it('logs in over plaintext only when ALERT_EMAIL_SMTP_INSECURE=yes says the relay is local', async () => {
    const plain = await startSmtpServer({ auth: true });
    try {
      const { lines, logger } = logSink();
      const config = emailConfig({
        smtpPort: plain.port,
        smtpUser: 'bot',
        smtpPassword: 'smtp-pass-123',
        smtpInsecure: true,
      });
      const email = createEmailChannel({ config, logger });
      email.sink(escalated);
      await waitFor(() => plain.mails.length === 1, 10_000, 'a mail');
      await email.close();
      expect(plain.commands.some((c) => c.toUpperCase().startsWith('AUTH'))).toBe(true);
      expect(lines.some((l) => l['level'] === 40 && String(l['msg']).includes('without TLS'))).toBe(true);
    } finally {
      await plain.close();
    }
  });

  it('logs a mail that cannot be sent and never throws', async () => {
    const { lines, logger } = logSink();
    const closed = await startSmtpServer();
    await closed.close();
    const email = createEmailChannel({ config: emailConfig({ smtpPort: closed.port }), logger });
    expect(() => email.sink(escalated)).not.toThrow();
    await email.idle();
    await email.close();
    expect(email.stats).toMatchObject({ sent: 0, failed: 1 });
    expect(lines.find((l) => l['msg'] === 'alert mail could not be sent')).toMatchObject({ level: 50 });
  });
});

describe('RecentAlerts', () => {
  it('keeps the newest alerts with their time, newest first, without the repeats the quiet window holds back', () => {
    let t = 0;
    const recent = new RecentAlerts(2, () => new Date(t));
    const alert = createAlerts(logSink().logger, { channels: [recent.sink], now: () => t });
    const refusal: Alert = { level: 'warn', code: 'ORDER_REFUSED', message: 'refused', asset: 'BTC/USD' };
    alert(refusal);
    t = 1_000;
    alert(refusal);
    alert({ level: 'error', code: 'ASSET_PARKED', message: 'parked', asset: 'ETH/USD' });
    t = 2_000;
    alert({ level: 'info', code: 'ORDER_CANCELED', message: 'canceled', asset: 'BTC/USD' });
    expect(recent.list().map((a) => [a.code, a.at.getTime()])).toEqual([
      ['ORDER_CANCELED', 2_000],
      ['ASSET_PARKED', 1_000],
    ]);
  });
});
