/**
 * Implausible quotes injected on the simulator's market-data stream only (a feed glitch: the book and
 * REST's latest quote keep the real price) against the running tree (startBot + the simulator + a
 * throwaway MariaDB). No asset actor may size or trigger an order from such a quote; a jump that
 * REST confirms (a real crash) is followed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { cyclesOf, quoteUntil } from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { type InProcessBot, startInProcessBot } from '../helpers/inProcessBot.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const BUY_QUOTE = ['49990', '50000'] as const;

let sim: Simulator;
let db: TestDatabase;
let running: InProcessBot | null = null;
let assetId: number;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  assetId = await insertAsset(db.pool, { cooldown_period: 60 });
  // REST's latest quote is the real price before the bot listens: the stream never carried it.
  sim.publishQuote(BTC, ...BUY_QUOTE);
});

afterEach(async () => {
  await running?.bot.stop('test over');
  running = null;
  await Promise.all([sim.close(), db.drop()]);
});

async function startBot(env: Record<string, string> = {}): Promise<InProcessBot> {
  running = await startInProcessBot({ sim, db, env });
  await running.trading([BTC]);
  return running;
}

const baseBooked = async () => dec((await cyclesOf(db.pool, assetId))[0]?.quantity ?? 0).gt(0);
const alerts = (bot: InProcessBot, code: string) =>
  bot.lines.filter((l) => l['alert'] === true && l['code'] === code);

/**
 * Sends `count` glitch quotes on the stream and waits until the bot has received them all, sending
 * them again after a second without effect (the symbol's subscription may not be up yet).
 */
async function glitch(bot: InProcessBot, bid: number, ask: number, count: number): Promise<void> {
  const before = bot.bot.marketData.counters.received;
  let sentAt = 0;
  await waitUntil(
    () => {
      if (Date.now() - sentAt >= 1_000) {
        for (let i = 0; i < count; i++) sim.injectStreamQuote(BTC, bid, ask);
        sentAt = Date.now();
      }
      return bot.bot.marketData.counters.received;
    },
    (n) => n >= before + count,
    { what: `${count} glitch quotes received` },
  );
  // Anything the quotes would set off (a position check, a write-ahead, the POST) has had its turn.
  await new Promise((r) => setTimeout(r, 500));
}

describe('implausible quotes', () => {
  it('never buys a safety order from an injected ask of 2e-300, and alerts once for the episode', async () => {
    const bot = await startBot();
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked);
    await glitch(bot, 1e-300, 2e-300, 5);
    expect(sim.listOrders()).toHaveLength(1);
    expect(alerts(bot, 'QUOTE_OUT_OF_BAND')).toHaveLength(1);
  });

  it('never takes profit on an injected bid of 1e9', async () => {
    const bot = await startBot();
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked);
    await glitch(bot, 1e9, 1.00001e9, 3);
    expect(sim.listOrders().filter((o) => o.side === 'sell')).toEqual([]);
    expect(alerts(bot, 'QUOTE_OUT_OF_BAND')).toHaveLength(1);
  });

  it('keeps ignoring a glitch that lasts past the confirmation time, because REST disagrees', async () => {
    const bot = await startBot({ DCA_QUOTE_CONFIRM_SECONDS: '1' });
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked);
    for (let i = 0; i < 8; i++) await glitch(bot, 1e-300, 2e-300, 1);
    await waitUntil(
      () => bot.lines.some((l) => l.msg.startsWith("REST's latest quote agrees with the recent price")),
      Boolean,
      { what: 'REST asked and found to disagree with the stream' },
    );
    expect(sim.listOrders()).toHaveLength(1);
    expect(alerts(bot, 'QUOTE_REBASED')).toEqual([]);
  });

  it('follows a real crash beyond the band once REST confirms it', async () => {
    const bot = await startBot({ DCA_QUOTE_CONFIRM_SECONDS: '1' });
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked);
    // 30 % down on the book and the stream alike: first ignored, then confirmed and traded on.
    await quoteUntil(sim, BTC, '34990', '35000', () => sim.listOrders().length === 2, {
      republishMs: 200,
      timeoutMs: 10_000,
    });
    const safety = sim.listOrders()[1]!;
    expect(safety.side).toBe('buy');
    expect(safety.limitPrice?.toFixed()).toBe('35000');
    expect(alerts(bot, 'QUOTE_OUT_OF_BAND')).toHaveLength(1);
    expect(alerts(bot, 'QUOTE_REBASED')).toHaveLength(1);
  });

  it('confirms the first quote after start against REST before trading on it', async () => {
    const bot = await startBot({ DCA_QUOTE_CONFIRM_SECONDS: '1' });
    await glitch(bot, 1e-300, 2e-300, 1);
    expect(sim.listOrders()).toEqual([]);
    expect(alerts(bot, 'QUOTE_UNCONFIRMED')).toHaveLength(1);
    // A real quote (REST agrees with it) is traded on.
    await quoteUntil(sim, BTC, ...BUY_QUOTE, baseBooked);
    expect(sim.listOrders()[0]?.limitPrice?.toFixed()).toBe('50000');
  });
});
