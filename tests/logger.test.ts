import { errors } from '@alpacahq/alpaca-trade-api';
import { describe, expect, it } from 'vitest';
import { configSecrets, loadConfig, namedConfigSecrets } from '../src/config.js';
import { CENSOR, childLogger, createLogger, warnWeakSecrets } from '../src/logger.js';
import { logSink } from './helpers/logSink.js';

const KEY_ID = 'PKSECRETKEYID0001';
const SECRET = 'sk-live-very-secret-0002';
const DB_PASSWORD = 'db-password-0003';

const config = loadConfig({ APCA_API_KEY_ID: KEY_ID, APCA_API_SECRET_KEY: SECRET, DB_PASSWORD });

/** What the SDK throws on a 401: an ApiError holding the Response, here echoing the auth headers. */
function sdkAuthError(): Error {
  const response = new Response('{"code":40110000,"message":"request is not authorized"}', {
    status: 401,
    headers: { 'APCA-API-KEY-ID': KEY_ID, 'APCA-API-SECRET-KEY': SECRET, 'X-Request-ID': 'req-1' },
  });
  return new errors.AuthError(
    response,
    401,
    40110000,
    `request is not authorized for key ${KEY_ID}:${SECRET}`,
  );
}

describe('createLogger', () => {
  it('writes JSON lines with the level, message and bindings', () => {
    const out = logSink();
    const log = createLogger({ level: 'info' }, out.stream);
    childLogger(log, { actor: 'asset', asset: 'BTC/USD' }).info({ cycleId: 7 }, 'cycle started');
    log.debug('not at info');
    expect(out.lines).toEqual([
      expect.objectContaining({
        level: 30,
        actor: 'asset',
        asset: 'BTC/USD',
        cycleId: 7,
        msg: 'cycle started',
      }),
    ]);
  });

  it('never writes the key, secret or DB password when a whole config is logged', () => {
    const out = logSink();
    // No secret values passed in: the redact paths alone must hide them.
    const log = createLogger({ level: 'info' }, out.stream);
    log.info({ config }, 'nested under a key');
    log.info(config, 'merged into the line');
    log.info({ env: { APCA_API_KEY_ID: KEY_ID, APCA_API_SECRET_KEY: SECRET, DB_PASSWORD } }, 'raw env');
    log.info(
      { req: { headers: { authorization: `Bearer ${SECRET}`, 'apca-api-key-id': KEY_ID } } },
      'headers',
    );
    const text = out.text();
    for (const secret of [KEY_ID, SECRET, DB_PASSWORD]) expect(text).not.toContain(secret);
    expect(out.lines[0]).toMatchObject({
      config: { alpaca: { secretKey: CENSOR }, db: { password: CENSOR } },
    });
  });

  it('censors a secret-named key at any depth, in arrays, objects with a class and child bindings', () => {
    const out = logSink();
    const log = createLogger({ level: 'info' }, out.stream);
    class Options {
      secretKey = SECRET;
      nested = { deeper: { password: DB_PASSWORD } };
    }
    const line = { a: { b: { c: { d: { e: { f: { APCA_API_KEY_ID: KEY_ID } } } } } } };
    log.info(line, 'six levels down');
    log.info({ list: [{ token: SECRET }, 'plain', [{ 'APCA-API-SECRET-KEY': SECRET }]] }, 'in arrays');
    log.info({ options: new Options() }, 'a class instance');
    log.child({ actor: 'x', conn: { password: DB_PASSWORD } }).info('bound');
    log.info({ secretKey: SECRET, keyId: KEY_ID, 'apca-api-key-id': KEY_ID }, 'top level');
    const text = out.text();
    for (const secret of [KEY_ID, SECRET, DB_PASSWORD]) expect(text).not.toContain(secret);
    const lines = out.lines;
    expect(lines[0]).toMatchObject({ a: { b: { c: { d: { e: { f: { APCA_API_KEY_ID: CENSOR } } } } } } });
    expect(lines[1]).toMatchObject({
      list: [{ token: CENSOR }, 'plain', [{ 'APCA-API-SECRET-KEY': CENSOR }]],
    });
    expect(lines[2]).toMatchObject({
      options: { secretKey: CENSOR, nested: { deeper: { password: CENSOR } } },
    });
    expect(lines[3]).toMatchObject({ conn: { password: CENSOR } });
    expect(lines[4]).toMatchObject({ secretKey: CENSOR, keyId: CENSOR, 'apca-api-key-id': CENSOR });
    // The caller's objects are left as they were.
    expect(line.a.b.c.d.e.f.APCA_API_KEY_ID).toBe(KEY_ID);
  });

  it('censors a secret-named key an error carries, even one too short to be masked as text', () => {
    const out = logSink();
    const log = createLogger({ level: 'info', secrets: [] }, out.stream);
    const err = Object.assign(new Error('request failed'), {
      request: { headers: { authorization: 'Bearer abc', 'APCA-API-KEY-ID': 'PK1' } },
    });
    log.error({ err, error: { cause: { password: 'pw' } } }, 'failed');
    expect(out.lines[0]).toMatchObject({
      err: { request: { headers: { authorization: CENSOR, 'APCA-API-KEY-ID': CENSOR } } },
      error: { cause: { password: CENSOR } },
    });
    expect(out.text()).not.toContain('Bearer abc');
  });

  it('writes a line with nothing secret in it unchanged', () => {
    const out = logSink();
    const log = createLogger({ level: 'info' }, out.stream);
    log.info(
      { asset: 'BTC/USD', order: { qty: '0.1', limitPrice: '64000' }, tags: [1, 2] },
      'submitting order',
    );
    expect(out.lines[0]).toMatchObject({
      asset: 'BTC/USD',
      order: { qty: '0.1', limitPrice: '64000' },
      tags: [1, 2],
    });
  });

  it('scrubs the secrets from an SDK error message, stack and response headers', () => {
    const out = logSink();
    const log = createLogger({ level: 'info', secrets: configSecrets(config) }, out.stream);
    const err = sdkAuthError();
    log.error({ err }, 'order submit failed');
    log.error(err);
    log.warn(`retrying after: ${err.message}`);
    const text = out.text();
    for (const secret of [KEY_ID, SECRET]) expect(text).not.toContain(secret);
    const [first] = out.lines;
    expect(first).toMatchObject({
      err: {
        type: 'AuthError',
        status: 401,
        code: 40110000,
        response: { status: 401, headers: { 'x-request-id': 'req-1', 'apca-api-secret-key': CENSOR } },
      },
    });
  });

  it('also appends the lines to a file when one is configured', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'dca-log-'));
    const file = join(dir, 'logs', 'bot.log');
    const out = logSink();
    const log = createLogger({ level: 'info', file }, out.stream);
    log.info({ secretKey: SECRET }, 'to both');
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    // The file stream is asynchronous: wait for the line to land.
    let content = '';
    for (let i = 0; i < 50 && !content.includes('to both'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      content = await readFile(file, 'utf8').catch(() => '');
    }
    expect(content).toContain('"msg":"to both"');
    expect(content).not.toContain(SECRET);
    expect(out.text()).toContain('"msg":"to both"');
    await rm(dir, { recursive: true });
  });
});

describe('a secret too short to mask in text (a DB password `dca`)', () => {
  const weak = loadConfig({ APCA_API_KEY_ID: KEY_ID, APCA_API_SECRET_KEY: SECRET, DB_PASSWORD: 'dca' });

  it('leaves words that contain it intact instead of garbling them into [redacted]_assets', () => {
    const out = logSink();
    const log = createLogger({ level: 'info', secrets: configSecrets(weak) }, out.stream);
    log.info('loaded 3 rows from dca_assets');
    log.error({ err: new Error("Table 'x.dca_assets' doesn't exist") }, 'asset poll failed');
    const [info, error] = out.lines;
    expect(info?.['msg']).toBe('loaded 3 rows from dca_assets');
    expect(error?.['err']).toMatchObject({ message: "Table 'x.dca_assets' doesn't exist" });
    expect(out.text()).not.toContain(`${CENSOR}_assets`);
  });

  it('still censors a field named like a secret, and still masks the long secrets in text', () => {
    const out = logSink();
    const log = createLogger({ level: 'info', secrets: configSecrets(weak) }, out.stream);
    log.info({ db: { password: 'dca' } }, `auth with ${SECRET}`);
    const [line] = out.lines;
    expect(line?.['db']).toEqual({ password: CENSOR });
    expect(line?.['msg']).toBe(`auth with ${CENSOR}`);
  });

  it('is named (never shown) in one warning at start-up', () => {
    const out = logSink();
    const log = createLogger({ level: 'info', secrets: configSecrets(weak) }, out.stream);
    warnWeakSecrets(log, namedConfigSecrets(weak));
    warnWeakSecrets(createLogger({ level: 'info' }, out.stream), namedConfigSecrets(config));
    const warnings = out.lines.filter((l) => l['level'] === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ weakSecrets: ['DB_PASSWORD'] });
    expect(String(warnings[0]?.['msg'])).toContain('DB_PASSWORD shorter than 6 characters');
    expect(out.text()).not.toContain('"dca"');
  });
});
