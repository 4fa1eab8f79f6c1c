/**
 * The dashboard's HTTP surface: the token, the Host check, the SSE rate limit and the secret
 * scrubber, against a real server and database (no bot needed: an empty registry and a supervisor
 * status are enough for these).
 */
import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { AssetRegistry } from '../../src/actors/registry.js';
import { loadConfig } from '../../src/config.js';
import { createDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { createInspectionHub } from '../../src/inspect.js';
import { createLogger } from '../../src/logger.js';
import type { ChildStatus } from '../../src/supervisor.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { logSink } from '../helpers/logSink.js';

const TOKEN = 'dash-token-7f3a9c';
const SECRET_KEY = 'SECRET-KEY-1234567';

let db: TestDatabase;
let dashboard: Dashboard;
const hub = createInspectionHub();
const children: ChildStatus[] = [
  {
    id: 'marketData',
    state: 'restarting',
    restarts: 2,
    since: new Date(),
    lastError: `auth failed for ${SECRET_KEY}`,
  },
];

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({
    DCA_MODE: 'paper',
    APCA_API_KEY_ID: 'KEYID-abcdef',
    APCA_API_SECRET_KEY: SECRET_KEY,
    DB_NAME: db.cfg.database,
    DASHBOARD_TOKEN: TOKEN,
  });
  dashboard = await createDashboard({
    bot: {
      registry: new AssetRegistry({ id: 'testinst', legacyCycleMax: null }),
      supervisor: { status: () => children },
      assets: { refresh: async () => undefined },
    },
    pool: db.pool,
    config,
    logger: pino({ level: 'silent' }),
    inspection: hub,
  });
});

afterAll(async () => {
  await dashboard.close();
  await db.drop();
});

interface Answer {
  status: number;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, dashboard.url), { headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function send(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      new URL(path, base),
      { method, headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        let out = '';
        res.on('data', (c) => {
          out += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Collects `data:` lines from /events for `ms` milliseconds while `during` runs. */
function collectEvents(ms: number, during: () => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const messages: string[] = [];
    const req = request(new URL(`events?token=${TOKEN}`, dashboard.url), (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.startsWith('data: ')) messages.push(line.slice(6));
      });
      during();
      setTimeout(() => {
        req.destroy();
        resolve(messages);
      }, ms);
    });
    req.on('error', (err) => (messages.length ? undefined : reject(err)));
    req.end();
  });
}

describe('the dashboard server', () => {
  it('refuses the page, the state and the feed without the token', async () => {
    for (const path of ['/', '/state.json', '/events']) expect((await get(path)).status).toBe(401);
  });

  it('refuses a wrong token', async () => {
    expect((await get('/state.json?token=nope')).status).toBe(401);
    expect((await get('/state.json', { Authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('accepts the token as a query parameter or as a bearer header', async () => {
    expect((await get(`/?token=${TOKEN}`)).status).toBe(200);
    expect((await get('/state.json', { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('serves the page code without the token, since it holds no data', async () => {
    expect((await get('/app.js')).status).toBe(200);
    expect((await get('/statechart.js')).status).toBe(200);
  });

  it('answers only to loopback host names, so DNS rebinding cannot reach it', async () => {
    const answer = await get(`/state.json?token=${TOKEN}`, { Host: 'attacker.example:8080' });
    expect(answer.status).toBe(403);
  });

  it('never sends a configured secret, even inside an error message', async () => {
    const { body } = await get(`/state.json?token=${TOKEN}`);
    const state = JSON.parse(body);
    expect(state.supervisor[0].lastError).toBe('auth failed for [redacted]');
    expect(body).not.toContain(SECRET_KEY);
    expect(body).not.toContain(TOKEN);
  });

  it('refuses to start on a port in use and leaves no feed listening to the actors', async () => {
    let listening = 0;
    const inspection = {
      subscribe: () => {
        listening++;
        return () => void listening--;
      },
    };
    const taken = Number(new URL(dashboard.url).port);
    const config = loadConfig({ DCA_MODE: 'sim', DASHBOARD_PORT: String(taken) });
    const second = createDashboard({
      bot: {
        registry: new AssetRegistry({ id: 'testinst', legacyCycleMax: null }),
        supervisor: { status: () => [] },
      },
      pool: db.pool,
      config,
      logger: pino({ level: 'silent' }),
      inspection,
    });
    await expect(second).rejects.toThrow(/EADDRINUSE/);
    expect(listening).toBe(0);
  });

  it('refuses to listen on a non-loopback address without a token, even with a Config built by hand', async () => {
    const base = loadConfig({ DCA_MODE: 'sim' });
    const config = { ...base, dashboard: { port: 0, host: '0.0.0.0', token: null } };
    const open = createDashboard({
      bot: {
        registry: new AssetRegistry({ id: 'testinst', legacyCycleMax: null }),
        supervisor: { status: () => [] },
      },
      pool: db.pool,
      config,
      logger: pino({ level: 'silent' }),
    });
    await expect(open).rejects.toThrow(
      /DASHBOARD_TOKEN: required when DASHBOARD_HOST is not a loopback address/,
    );
  });

  it('says on start-up whether a token is required, not a redacted placeholder', async () => {
    const { lines, stream } = logSink();
    // The bot's own logger, whose redaction censors any key named `token`.
    const logger = createLogger({ level: 'info' }, stream);
    const config = loadConfig({ DCA_MODE: 'sim', DASHBOARD_PORT: '0' });
    const plain = await createDashboard({
      bot: {
        registry: new AssetRegistry({ id: 'testinst', legacyCycleMax: null }),
        supervisor: { status: () => [] },
      },
      pool: db.pool,
      config,
      logger,
    });
    await plain.close();
    const line = lines.find((l) => String(l['msg']).startsWith('dashboard on'));
    expect(line).toMatchObject({ tokenRequired: false });
    expect(JSON.stringify(line)).not.toContain('[redacted]');
  });

  it('refuses every control without DASHBOARD_TOKEN, and says in its state that it is read-only', async () => {
    let refreshed = 0;
    const config = loadConfig({ DCA_MODE: 'sim', DASHBOARD_PORT: '0' });
    const readOnly = await createDashboard({
      bot: {
        registry: new AssetRegistry({ id: 'testinst', legacyCycleMax: null }),
        supervisor: { status: () => [] },
        assets: { refresh: async () => void refreshed++ },
      },
      pool: db.pool,
      config,
      logger: pino({ level: 'silent' }),
    });
    try {
      const answer = await send(readOnly.url, 'POST', '/control', { action: 'disable', asset: 'BTC/USD' });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body).message).toMatch(/read-only: set DASHBOARD_TOKEN/);
      expect(refreshed).toBe(0);
      const state = JSON.parse((await send(readOnly.url, 'GET', '/state.json')).body);
      expect(state.controls).toEqual({
        enabled: false,
        reason: 'read-only: set DASHBOARD_TOKEN to enable the controls',
      });
    } finally {
      await readOnly.close();
    }
  });

  it('answers no CORS preflight, so another site cannot send a control with the token header', async () => {
    const answer = await send(dashboard.url, 'OPTIONS', '/control', undefined, {
      Origin: 'http://evil.example',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type',
    });
    expect(answer.status).toBe(405);
  });

  it('refuses a control that is not JSON, and an unknown action', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const form = await send(dashboard.url, 'POST', '/control', 'action=disable', {
      ...auth,
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const unknown = await send(
      dashboard.url,
      'POST',
      '/control',
      { action: 'sell-all', asset: 'BTC/USD' },
      auth,
    );
    expect(unknown.status).toBe(400);
  });

  it('sends at most five states a second however fast the actors change', async () => {
    let timer: NodeJS.Timeout | undefined;
    const event = {
      type: '@xstate.snapshot',
      actorRef: { id: 'cycle-1', sessionId: 'x:1' },
      snapshot: { value: 'watching', context: {} },
      event: { type: 'QUOTE' },
    } as unknown as InspectionEvent;
    const messages = await collectEvents(1_000, () => {
      timer = setInterval(() => hub.inspect(event), 2);
    });
    clearInterval(timer);
    // The current state on connect, then at most one per 200 ms.
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(messages.length).toBeLessThanOrEqual(6);
  });
});
