/**
 * The start-up banner of `npm start -- --sim`: it names the simulator's endpoints (never Alpaca's,
 * which the demo does not talk to), and a pretty screen is not flooded by the full configuration,
 * which moves to debug there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { type BotProcess, spawnBot } from '../helpers/bot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase({ sim: true })]);
});
afterEach(async () => {
  await bot?.kill();
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

describe('the start-up banner in sim mode', () => {
  it('shows the built-in simulator endpoints in the endpoints and in the config', async () => {
    bot = spawnBot({ sim, db, args: ['--sim'], env: { LOG_LEVEL: 'info' } });
    const banner = await bot.waitForLog(
      (l) => String(l.msg ?? '').startsWith('dca-bot starting in sim mode'),
      20_000,
      'banner',
    );
    const endpoints = banner['endpoints'] as Record<string, string>;
    expect(endpoints['exchange']).toBe('built-in simulator');
    expect(endpoints['baseUrl']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const alpaca = (banner['config'] as { alpaca: Record<string, string> }).alpaca;
    expect(alpaca['baseUrl']).toBe(endpoints['baseUrl']);
    expect(JSON.stringify(banner)).not.toContain('alpaca.markets');
  });

  it('in pretty mode prints the banner without the full configuration at info', async () => {
    bot = spawnBot({ sim, db, args: ['--sim'], env: { LOG_LEVEL: 'info', LOG_PRETTY: 'true' } });
    await bot.waitForLog((l) => String(l.msg ?? '').includes('cycle resumed'), 20_000, 'a cycle resumed');
    const text = bot.rawLines.join('\n');
    expect(text).toContain('dca-bot starting in sim mode');
    expect(text).toContain('built-in simulator');
    expect(text).not.toContain('orderStaleSeconds');
    expect(text).not.toContain('alpaca.markets');
  });
});
