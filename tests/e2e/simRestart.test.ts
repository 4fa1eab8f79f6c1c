/**
 * The demo survives a restart: `npm start -- --sim` keeps the built-in simulator's account in the
 * sim database (`sim_*` tables), so a cycle holding coin when the bot stops goes on to its
 * take-profit after the next start instead of ending in error ("position vanished"). `--fresh`
 * starts both over. The bot runs as a child process with its own in-process simulator; prices come
 * through the simulator's control API (SIM_FEED=off) so the test decides when the price moves.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { clearSimAccount } from '../../src/sim/index.js';
import { freePort } from '../../testkit/net.js';
import {
  type BotProcess,
  cyclesOf,
  quoteUntil,
  SIM_MODE,
  spawnBot,
  waitUntilTrading,
} from '../helpers/bot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
let db: TestDatabase;
let port: number;
const bots: BotProcess[] = [];

beforeEach(async () => {
  [db, port] = await Promise.all([createTestDatabase({ sim: true }), freePort()]);
});
afterEach(async () => {
  for (const bot of bots.splice(0)) await bot.kill();
  await db.drop();
});

function startDemo(...flags: string[]): BotProcess {
  const bot = spawnBot({
    sim: SIM_MODE,
    db,
    args: ['--sim', ...flags],
    env: { SIM_PORT: String(port), SIM_FEED: 'off', LOG_LEVEL: 'info' },
  });
  bots.push(bot);
  return bot;
}

async function control<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/_sim${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The simulator inside the bot process, driven over HTTP. */
const market = {
  publishQuote(symbol: string, bid: unknown, ask: unknown) {
    void control('/quotes', { symbol, bid: String(bid), ask: String(ask) }).catch(() => undefined);
  },
};

interface OrderJson {
  readonly side: string;
  readonly status: string;
  readonly client_order_id: string;
}

const filled = async (side: 'buy' | 'sell') =>
  (await control<OrderJson[]>('/orders')).filter((o) => o.side === side && o.status === 'filled').length;

async function demoAssetId(): Promise<number> {
  const [rows] = await db.pool.query('SELECT id FROM dca_assets WHERE asset_symbol = ?', [BTC]);
  return (rows as { id: number }[])[0]!.id;
}

/** Starts the demo, buys the base order and stops the bot while the cycle holds the coin. */
async function holdAndStop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number> {
  const bot = startDemo();
  await waitUntilTrading(bot, [BTC]);
  const assetId = await demoAssetId();
  await quoteUntil(market, BTC, '59990', '60000', () => filled('buy').then((n) => n === 1), {
    timeoutMs: 20_000,
  });
  await waitUntil(
    () => cyclesOf(db.pool, assetId),
    (cs) => cs.length === 1 && cs[0]!.status === 'watching' && dec(cs[0]!.quantity).gt(0),
    { what: 'the base fill booked', timeoutMs: 15_000 },
  );
  const exit = await bot.stop(signal);
  expect(exit).toEqual(signal === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' });
  return assetId;
}

async function takeProfitAfterRestart(assetId: number): Promise<BotProcess> {
  const again = startDemo();
  await waitUntilTrading(again, [BTC]);
  // The account the base order was paid from, not a new one.
  expect(dec((await control<{ cash: string }>('/account')).cash).lt(100_000)).toBe(true);
  // The demo asset takes profit at 0.5% above its average of 60000.
  await quoteUntil(
    market,
    BTC,
    '60400',
    '60410',
    async () => (await cyclesOf(db.pool, assetId))[0]?.status === 'complete',
    { timeoutMs: 20_000 },
  );
  const cycles = await cyclesOf(db.pool, assetId);
  expect(cycles.map((c) => c.status)).not.toContain('error');
  expect(dec(cycles[0]!.realized_pnl ?? '0').gt(0)).toBe(true);
  expect(await filled('sell')).toBe(1);
  expect(again.lines.some((l) => String(l.msg).includes('vanished'))).toBe(false);
  return again;
}

describe('npm start -- --sim across a restart', () => {
  it('goes on to the take-profit of a cycle that held coin when the bot stopped, with no error row', async () => {
    const assetId = await holdAndStop();
    const [held] = await cyclesOf(db.pool, assetId);
    const [positions] = await db.pool.query('SELECT symbol, qty FROM sim_positions');
    expect(positions).toEqual([{ symbol: BTC, qty: expect.any(String) }]);
    expect(dec((positions as { qty: string }[])[0]!.qty).toFixed()).toBe(dec(held!.quantity).toFixed());

    const again = await takeProfitAfterRestart(assetId);
    expect((await cyclesOf(db.pool, assetId))[0]!.id).toBe(held!.id);
    expect(await again.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('goes on the same way after the process was killed (SIGKILL) holding coin', async () => {
    const assetId = await holdAndStop('SIGKILL');
    const again = await takeProfitAfterRestart(assetId);
    expect(await again.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('--fresh empties the simulator account and the sim cycles and orders, and says what it cleared', async () => {
    const assetId = await holdAndStop();
    const fresh = startDemo('--fresh');
    const line = await fresh.waitForLog(
      (l) => String(l.msg).startsWith('--fresh:'),
      20_000,
      'the --fresh line',
    );
    expect(line.msg).toBe(
      "--fresh: emptied the simulator's account (sim_account, sim_positions, sim_orders, sim_quotes) and the bot's sim cycles and orders (dca_orders, dca_cycles, dca_asset_supervision), and cleared dca_assets.last_sell_price; kept the assets (dca_assets) and the installation id",
    );
    await waitUntilTrading(fresh, [BTC]);
    expect((await control<{ cash: string }>('/account')).cash).toBe('100000');
    expect(await control<unknown[]>('/positions')).toEqual([]);
    expect(await control<unknown[]>('/orders')).toEqual([]);
    // The asset stays; its one cycle is a new one with nothing bought.
    expect(await demoAssetId()).toBe(assetId);
    const cycles = await cyclesOf(db.pool, assetId);
    expect(cycles.map((c) => [c.status, dec(c.quantity).toFixed()])).toEqual([['watching', '0']]);
    const [ledger] = await db.pool.query('SELECT COUNT(*) AS n FROM dca_orders');
    expect((ledger as { n: string }[])[0]!.n).toBe('0');
    expect(await fresh.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('warns when sim cycles hold coin but the simulator has no stored account (a database from before)', async () => {
    await holdAndStop();
    await clearSimAccount(db.pool);
    const again = startDemo();
    const warning = await again.waitForLog(
      (l) => l.level === 40 && String(l.msg).includes('no stored account'),
    );
    expect(warning.msg).toBe(
      'the simulator has no stored account yet, but 1 sim cycle(s) hold coin from an earlier run: they will end in error (position vanished); `npm start -- --sim --fresh` starts the demo over',
    );
  }, 120_000);

  it('refuses --fresh without --sim: exit 2 and one line, nothing emptied', async () => {
    const bot = spawnBot({ sim: SIM_MODE, db, args: ['--fresh'], env: { LOG_LEVEL: 'info' } });
    bots.push(bot);
    expect((await bot.exited).code).toBe(2);
    expect(bot.stderr()).toBe(
      'dca-bot: --fresh starts the simulator demo over; use it with --sim (see --help)\n',
    );
  });
});
