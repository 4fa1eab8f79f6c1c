import { describe, expect, it } from 'vitest';
import { configSecrets, loadConfig, loadDbConfig, redactedConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const KEYS = { APCA_API_KEY_ID: 'PKTESTKEYID', APCA_API_SECRET_KEY: 'test-secret-value' };

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('fills every default in paper mode when only the keys are set', () => {
    const c = loadConfig(KEYS);
    expect(c.mode).toBe('paper');
    expect(c.liveTrading).toBe(false);
    expect(c.alpaca).toEqual({
      keyId: 'PKTESTKEYID',
      secretKey: 'test-secret-value',
      baseUrl: 'https://paper-api.alpaca.markets',
      dataUrl: 'https://data.alpaca.markets',
      streamUrl: 'wss://paper-api.alpaca.markets/stream',
      dataStreamUrl: 'wss://stream.data.alpaca.markets/v1beta3/crypto/us',
    });
    expect(c.db).toEqual({
      host: '127.0.0.1',
      port: 3306,
      user: 'dca_bot',
      password: '',
      database: 'dca_bot',
      socket: null,
      connectTimeoutSeconds: 120,
    });
    expect(c.log).toEqual({ level: 'info', file: null, pretty: false });
    expect(c.intervals).toEqual({
      orderStaleSeconds: 300,
      orderManagerSeconds: 60,
      consistencySeconds: 300,
    });
    expect(c.feeRate.toFixed()).toBe('0.0025');
    expect(c.dashboard).toEqual({ port: 0, host: '127.0.0.1', token: null });
    expect(c.health).toEqual({ port: 0, host: '127.0.0.1' });
    expect([c.inspect, c.assetPollSeconds, c.quoteStaleSeconds, c.simPort]).toEqual([false, 30, 60, 0]);
    expect([c.quoteBand.percent.toFixed(), c.quoteBand.confirmSeconds]).toEqual(['10', 5]);
    expect(c.alertEmail).toBeNull();
  });

  it('reads the quote band and refuses a band of zero or wider than 50 %', () => {
    const c = loadConfig({ ...KEYS, DCA_QUOTE_BAND_PERCENT: '12.5', DCA_QUOTE_CONFIRM_SECONDS: '2' });
    expect([c.quoteBand.percent.toFixed(), c.quoteBand.confirmSeconds]).toEqual(['12.5', 2]);
    for (const bad of ['0', '51', '-5', 'ten']) {
      expect(() => loadConfig({ ...KEYS, DCA_QUOTE_BAND_PERCENT: bad })).toThrow(
        `DCA_QUOTE_BAND_PERCENT: expected a percent above 0 and at most 50, got "${bad}"`,
      );
    }
    expect(() => loadConfig({ ...KEYS, DCA_QUOTE_CONFIRM_SECONDS: '0' })).toThrow(
      /DCA_QUOTE_CONFIRM_SECONDS/,
    );
  });

  it('reads the probes listener and refuses a port out of range', () => {
    const c = loadConfig({ ...KEYS, HEALTH_PORT: '9464', HEALTH_HOST: '0.0.0.0' });
    expect(c.health).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(problemsOf({ ...KEYS, HEALTH_PORT: '70000' })).toEqual([
      'HEALTH_PORT: expected an integer from 0 to 65535, got "70000"',
    ]);
  });

  it('returns a deeply frozen object', () => {
    const c = loadConfig(KEYS);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.alpaca)).toBe(true);
    expect(Object.isFrozen(c.db)).toBe(true);
    expect(() => {
      (c.db as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({ ...KEYS, DB_PORT: '', LOG_LEVEL: '  ', APCA_API_BASE_URL: '' });
    expect(c.db.port).toBe(3306);
    expect(c.log.level).toBe('info');
    expect(c.alpaca.baseUrl).toBe('https://paper-api.alpaca.markets');
  });

  it('derives the trade stream URL from a custom trading URL', () => {
    const c = loadConfig({ ...KEYS, APCA_API_BASE_URL: 'http://127.0.0.1:4010/' });
    expect(c.alpaca.baseUrl).toBe('http://127.0.0.1:4010');
    expect(c.alpaca.streamUrl).toBe('ws://127.0.0.1:4010/stream');
  });

  it('lists every bad variable at once, one line each', () => {
    const problems = problemsOf({
      ...KEYS,
      DB_PORT: 'abc',
      LOG_LEVEL: 'loud',
      DCA_FEE_BPS: '-3',
      LOG_PRETTY: 'maybe',
      APCA_API_DATA_STREAM_URL: 'https://not-a-socket',
      ORDER_STALE_SECONDS: '0',
    });
    expect(problems).toEqual([
      'APCA_API_DATA_STREAM_URL: expected a wss or ws URL, got "https://not-a-socket"',
      'DB_PORT: expected an integer from 1 to 65535, got "abc"',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'LOG_PRETTY: expected true or false, got "maybe"',
      'ORDER_STALE_SECONDS: expected an integer from 1 to 86400, got "0"',
      'DCA_FEE_BPS: expected basis points from 0 to 10000, got "-3"',
    ]);
  });

  it('requires the keys in paper mode but not in sim mode', () => {
    expect(problemsOf({})).toEqual([
      'APCA_API_KEY_ID: required in paper mode (set DCA_MODE=sim to run without keys)',
      'APCA_API_SECRET_KEY: required in paper mode (set DCA_MODE=sim to run without keys)',
    ]);
    expect(loadConfig({ DCA_MODE: 'sim' }).alpaca.secretKey).toBe('');
  });

  it('keeps sim mode in its own database, and DB_NAME may only name another _sim one', () => {
    expect(loadConfig({ DCA_MODE: 'sim' }).db.database).toBe('dca_bot_sim');
    expect(loadConfig(KEYS).db.database).toBe('dca_bot');
    expect(loadConfig({ DCA_MODE: 'sim', DB_NAME: 'mine_sim' }).db.database).toBe('mine_sim');
  });

  it('refuses sim mode on a database whose name does not end in _sim, so simulated trades never reach a real ledger', () => {
    expect(problemsOf({ DCA_MODE: 'sim', DB_NAME: 'dca_bot' })).toEqual([
      'DB_NAME: sim mode uses only a database whose name ends in _sim (default dca_bot_sim), got "dca_bot"; unset DB_NAME or name a _sim database',
    ]);
    // paper and live mode name any database they like.
    expect(loadConfig({ ...KEYS, DB_NAME: 'dca_bot' }).db.database).toBe('dca_bot');
  });

  it('refuses a dashboard on a non-loopback address without DASHBOARD_TOKEN', () => {
    expect(problemsOf({ ...KEYS, DASHBOARD_PORT: '8080', DASHBOARD_HOST: '0.0.0.0' })).toEqual([
      'DASHBOARD_TOKEN: required when DASHBOARD_HOST is not a loopback address (got "0.0.0.0"); set a token or bind 127.0.0.1',
    ]);
    const open = loadConfig({
      ...KEYS,
      DASHBOARD_PORT: '8080',
      DASHBOARD_HOST: '0.0.0.0',
      DASHBOARD_TOKEN: 't0ken-long',
    });
    expect(open.dashboard.host).toBe('0.0.0.0');
    expect(
      loadConfig({ ...KEYS, DASHBOARD_PORT: '8080', DASHBOARD_HOST: '127.0.0.2' }).dashboard.token,
    ).toBeNull();
    // Off (port 0), the host does not matter.
    expect(loadConfig({ ...KEYS, DASHBOARD_HOST: '0.0.0.0' }).dashboard.port).toBe(0);
  });

  it('binds the inspector relay to 127.0.0.1 unless DCA_INSPECT_HOST says otherwise', () => {
    expect(loadConfig(KEYS).inspectHost).toBe('127.0.0.1');
    expect(loadConfig({ ...KEYS, DCA_INSPECT_HOST: '0.0.0.0' }).inspectHost).toBe('0.0.0.0');
  });

  it('allows plaintext SMTP only with ALERT_EMAIL_SMTP_INSECURE exactly yes', () => {
    const mail = {
      ...KEYS,
      ALERT_EMAIL_SENDER: 'bot@example.com',
      ALERT_EMAIL_RECEIVER: 'me@example.com',
      ALERT_EMAIL_SMTP_SERVER: '127.0.0.1',
    };
    expect(loadConfig(mail).alertEmail?.smtpInsecure).toBe(false);
    expect(loadConfig({ ...mail, ALERT_EMAIL_SMTP_INSECURE: 'yes' }).alertEmail?.smtpInsecure).toBe(true);
    expect(problemsOf({ ...mail, ALERT_EMAIL_SMTP_INSECURE: 'true' })).toEqual([
      'ALERT_EMAIL_SMTP_INSECURE: expected yes or no, got "true"',
    ]);
  });

  it('refuses live mode without DCA_LIVE_TRADING=yes', () => {
    expect(problemsOf({ ...KEYS, DCA_MODE: 'live', DCA_LIVE_TRADING: 'true' })).toEqual([
      'DCA_LIVE_TRADING: must be "yes" to trade real money in live mode, got "true"',
    ]);
  });

  it('uses the live trading host in live mode with DCA_LIVE_TRADING=yes', () => {
    const c = loadConfig({ ...KEYS, DCA_MODE: 'live', DCA_LIVE_TRADING: 'yes' });
    expect(c.liveTrading).toBe(true);
    expect(c.alpaca.baseUrl).toBe('https://api.alpaca.markets');
    expect(c.alpaca.streamUrl).toBe('wss://api.alpaca.markets/stream');
  });

  it('builds the alert e-mail settings only when sender, receiver and server are all set', () => {
    expect(problemsOf({ ...KEYS, ALERT_EMAIL_SENDER: 'bot@example.com' })).toEqual([
      'ALERT_EMAIL_RECEIVER: required when any ALERT_EMAIL_* is set',
      'ALERT_EMAIL_SMTP_SERVER: required when any ALERT_EMAIL_* is set',
    ]);
    const c = loadConfig({
      ...KEYS,
      ALERT_EMAIL_SENDER: 'bot@example.com',
      ALERT_EMAIL_RECEIVER: 'me@example.com',
      ALERT_EMAIL_SMTP_SERVER: 'smtp.example.com',
      ALERT_EMAIL_SMTP_PASSWORD: 'smtp-pass',
    });
    expect(c.alertEmail).toEqual({
      sender: 'bot@example.com',
      receiver: 'me@example.com',
      smtpServer: 'smtp.example.com',
      smtpPort: 587,
      smtpUser: null,
      smtpPassword: 'smtp-pass',
      smtpInsecure: false,
      minIntervalSeconds: 300,
    });
  });

  it('reads only the DB variables for tools that need no keys', () => {
    expect(loadDbConfig({ DB_NAME: 'other', DB_PORT: '3307' })).toEqual({
      host: '127.0.0.1',
      port: 3307,
      user: 'dca_bot',
      password: '',
      database: 'other',
      socket: null,
      connectTimeoutSeconds: 120,
    });
    expect(
      loadDbConfig({ DB_SOCKET: '/run/mysqld/mysqld.sock', DB_CONNECT_TIMEOUT_SECONDS: '5' }),
    ).toMatchObject({
      socket: '/run/mysqld/mysqld.sock',
      connectTimeoutSeconds: 5,
    });
    expect(() => loadDbConfig({ DB_CONNECT_TIMEOUT_SECONDS: 'soon' })).toThrow(/DB_CONNECT_TIMEOUT_SECONDS/);
    expect(() => loadDbConfig({ DB_PORT: '70000' })).toThrow(ConfigError);
  });

  it('gives the tools the database the bot uses in sim mode, and refuses a non-_sim one there too', () => {
    expect(loadDbConfig({ DCA_MODE: 'sim' }).database).toBe('dca_bot_sim');
    expect(loadDbConfig({ DCA_MODE: 'sim', DB_NAME: 'mine_sim' }).database).toBe('mine_sim');
    expect(() => loadDbConfig({ DCA_MODE: 'sim', DB_NAME: 'dca_bot' })).toThrow(/ends in _sim/);
  });
});

describe('redactedConfig', () => {
  it('masks every secret and keeps the rest', () => {
    const c = loadConfig({ ...KEYS, DB_PASSWORD: 'db-pass-123', DASHBOARD_TOKEN: 'dash-token-9' });
    const text = JSON.stringify(redactedConfig(c));
    for (const secret of configSecrets(c)) expect(text).not.toContain(secret);
    expect(configSecrets(c)).toEqual(['PKTESTKEYID', 'test-secret-value', 'db-pass-123', 'dash-token-9']);
    expect(text).toContain('paper-api.alpaca.markets');
  });

  it('says whether the dashboard needs a token instead of a placeholder for one', () => {
    const without = redactedConfig(loadConfig(KEYS)) as { dashboard: Record<string, unknown> };
    expect(without.dashboard).toEqual({ port: 0, host: '127.0.0.1', tokenRequired: false });
    const withToken = redactedConfig(loadConfig({ ...KEYS, DASHBOARD_TOKEN: 'dash-token-9' })) as {
      dashboard: Record<string, unknown>;
    };
    expect(withToken.dashboard).toEqual({ port: 0, host: '127.0.0.1', tokenRequired: true });
  });
});
