/**
 * Coin left behind every cycle: the exchange charges a lower fee than the bot assumes (the simulator
 * takes 15 bps, Alpaca's lowest maker tier; the bot's DCA_FEE_BPS stays at the 25 bps default). The
 * bot runs as `npm start` does (a child process) for three full cycles and a fourth base order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import {
  type BotProcess,
  cyclesOf,
  ledgerOf,
  quoteUntil,
  spawnBot,
  waitUntilTrading,
} from '../helpers/bot.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const SIM_FEE = dec('0.0015');
/** $20 at 50000 buys 0.0004 BTC gross; the account receives 0.0004 × (1 − 0.0015) = 0.0003994. */
const GROSS = dec('0.0004');
const RECEIVED = GROSS.mul(dec(1).minus(SIM_FEE));

let sim: Simulator;
let db: TestDatabase;
let bot: BotProcess | null = null;
let assetId: number;

beforeEach(async () => {
  [sim, db] = await Promise.all([startSimulator({ feeRate: SIM_FEE }), createTestDatabase()]);
  assetId = await insertAsset(db.pool, { cooldown_period: 1 });
});

afterEach(async () => {
  await bot?.kill();
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

const btcPosition = () => sim.positions().find((p) => p.symbol === BTC)?.qty ?? dec(0);
const filledOrders = (side: 'buy' | 'sell') =>
  sim.listOrders().filter((o) => o.side === side && o.status === 'filled').length;
const completed = async () =>
  (await cyclesOf(db.pool, assetId)).filter((c) => c.status === 'complete').length;

describe('coin left behind every cycle (a lower actual fee than assumed)', () => {
  it('sells what each cycle received, leaves no more than rounding dust, and never blocks the next base order', async () => {
    bot = spawnBot({ sim, db });
    await waitUntilTrading(bot, [BTC]);
    const opts = { timeoutMs: 15_000 };

    for (let n = 1; n <= 3; n++) {
      await quoteUntil(sim, BTC, '49990', '50000', () => filledOrders('buy') === n, opts);
      // The cycle's quantity converges on what the account received (position_qty of the fill).
      await quoteUntil(
        sim,
        BTC,
        '49990',
        '50000',
        async () =>
          (await cyclesOf(db.pool, assetId)).some(
            (c) => c.status === 'watching' && dec(c.quantity).eq(RECEIVED),
          ),
        { ...opts, republishMs: 60_000 },
      );
      await quoteUntil(sim, BTC, '50600', '50610', async () => (await completed()) === n, opts);
      // No more than rounding dust (below one min_trade_increment per cycle) is left.
      expect(btcPosition().lte(dec('0.000000001').mul(n))).toBe(true);
    }

    // The fourth cycle is not blocked: once its cooldown is over, its base order goes out.
    await quoteUntil(sim, BTC, '49990', '50000', () => filledOrders('buy') === 4, opts);
    await waitUntil(
      () => cyclesOf(db.pool, assetId),
      (cs) => cs.length === 4 && dec(cs[3]!.quantity).eq(RECEIVED),
      { what: 'the fourth base fill booked', ...opts },
    );

    const cycles = await cyclesOf(db.pool, assetId);
    expect(cycles.slice(0, 3).map((c) => [c.status, dec(c.quantity).toFixed()])).toEqual([
      ['complete', '0'],
      ['complete', '0'],
      ['complete', '0'],
    ]);
    const sells = sim.listOrders().filter((o) => o.side === 'sell');
    expect(sells.map((o) => o.filledQty.toFixed())).toEqual(
      [RECEIVED, RECEIVED, RECEIVED].map((q) => q.toFixed()),
    );

    // The fee the exchange really kept is recorded per order: 0.0004 × 0.0015 BTC on each buy.
    const ledger = await ledgerOf(db.pool, assetId);
    const buyFees = ledger
      .filter((o) => o.side === 'buy' && dec(o.filled_qty).gt(0))
      .map((o) => dec(o.fee).toFixed());
    expect(buyFees).toEqual(['0.0000006', '0.0000006', '0.0000006', '0.0000006']);
    const sellFees = ledger.filter((o) => o.side === 'sell').map((o) => dec(o.fee));
    expect(sellFees).toHaveLength(3);
    for (const fee of sellFees) expect(fee.gt(0)).toBe(true);
  }, 120_000);
});
