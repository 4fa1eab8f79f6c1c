/**
 * The dashboard as `npm start` wires it (a real child process on the simulator): the chart library
 * is served from the installed package, the account is read through the bot's exchange client,
 * and a control with the token disables an asset through the assets supervisor, logged at info.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { getAssetBySymbol } from '../../src/store/assets.js';
import { type BotProcess, spawnBot, waitUntilTrading } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';

const TOKEN = 'process-dash-token-91c2';
let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess;
let url: string;

/** A port free right now (the bot binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  await insertAsset(db.pool, { asset_symbol: 'BTC/USD' });
  const port = await freePort();
  bot = spawnBot({ sim, db, env: { DASHBOARD_PORT: String(port), DASHBOARD_TOKEN: TOKEN } });
  await waitUntilTrading(bot, ['BTC/USD']);
  const line = await bot.waitForLog((l) => l.msg.startsWith('dashboard on'), 20_000, 'the dashboard');
  url = String(line['url']);
}, 60_000);

afterAll(async () => {
  await bot?.kill();
  await Promise.all([sim?.close(), db?.drop()]);
});

const auth = { Authorization: `Bearer ${TOKEN}` };
// biome-ignore lint/suspicious/noExplicitAny: the page state as the page reads it
const state = async (): Promise<any> => (await fetch(new URL('state.json', url), { headers: auth })).json();

describe('the dashboard of a running bot', () => {
  it('serves lightweight-charts from the installed package', async () => {
    const res = await fetch(new URL('chart.js', url));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('LightweightCharts');
  });

  it('shows the account and offers the controls', async () => {
    await expect.poll(async () => (await state()).account?.cash, { timeout: 20_000 }).toMatch(/^\d+\.\d\d$/);
    expect((await state()).controls).toEqual({ enabled: true, reason: null });
  });

  it('disables an asset from a control, logged at info with what it did', async () => {
    const res = await fetch(new URL('control', url), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'disable', asset: 'BTC/USD' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { message: string }).message).toMatch(/^disabled/);
    expect((await getAssetBySymbol(db.pool, 'BTC/USD'))?.enabled).toBe(false);
    const line = await bot.waitForLog((l) => l['event'] === 'dashboard_control', 5_000, 'the control log');
    expect(line).toMatchObject({ level: 30, control: 'disable', asset: 'BTC/USD', ok: true });
    await bot.waitForLog(
      (l) => String(l.msg).startsWith('asset removed or disabled'),
      10_000,
      'the actor stopped',
    );
  });
});
