/**
 * Impossible trade updates injected on the simulator's trading stream against the running tree
 * (startBot + the simulator + a throwaway MariaDB). The take-profit sell is resting; the exchange
 * then fills it for real, but its own fill frame is held back, so the only way the bot can learn the
 * truth is by asking REST. Each bad frame must book nothing, raise an alert and make the asset
 * reconcile over REST, whose fill then completes the cycle with the true P&L.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/money.js';
import type { Simulator } from '../../src/sim/index.js';
import type { SimOrder } from '../../src/sim/types.js';
import { orderJson } from '../../src/sim/wire.js';
import { cyclesOf, ledgerOf, quoteUntil } from '../helpers/bot.js';
import type { TestDatabase } from '../helpers/db.js';
import { invariantViolations } from '../helpers/invariants.js';
import { type RealisticBot, startRealisticBot } from '../helpers/realisticBot.js';
import { waitForOrder } from '../helpers/sim.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');
const BUY_QUOTE = ['49990', '50000'] as const;
const SELL_QUOTE = ['50600', '50610'] as const;

let fixture: RealisticBot;
let sim: Simulator;
let db: TestDatabase;
let assetId: number;

beforeEach(async () => {
  fixture = await startRealisticBot();
  ({ sim, db, assetId } = fixture);
});

afterEach(() => fixture.close());

const cycles = () => cyclesOf(db.pool, assetId);
const sellOrder = (): SimOrder | undefined => sim.listOrders().find((o) => o.side === 'sell');

/** Holds coin from the base order and has the take-profit sell resting on the exchange. */
async function restingTakeProfit(): Promise<SimOrder> {
  await quoteUntil(sim, BTC, ...BUY_QUOTE, async () => dec((await cycles())[0]?.quantity ?? 0).gt(0));
  sim.faults.holdOrders();
  await quoteUntil(sim, BTC, ...SELL_QUOTE, () => sellOrder() !== undefined);
  // The bot has recorded the order id: the sell is in flight as far as it knows.
  await waitUntil(
    async () => (await cycles())[0]?.latest_order_id,
    (id) => id === sellOrder()?.id,
    { what: 'the sell order id recorded' },
  );
  return sellOrder()!;
}

/** A trade_updates `data` built from the order as it was placed, with `order` fields overridden. */
function frame(event: string, placed: Record<string, unknown>, order: Record<string, unknown>) {
  return {
    event,
    timestamp: new Date().toISOString(),
    execution_id: randomUUID(),
    price: '50600',
    qty: String(order['filled_qty'] ?? placed['qty']),
    position_qty: '0',
    order: { ...placed, ...order },
  };
}

type FrameOf = (placed: Record<string, unknown>) => Record<string, unknown>;

const BAD_FRAMES: Array<[string, FrameOf]> = [
  [
    'a fill of 1,000,000 coin on the sell, with the wrong side',
    (p) =>
      frame('fill', p, { filled_qty: '1000000', side: 'buy', status: 'filled', filled_avg_price: '50600' }),
  ],
  [
    'a fill with filled_qty 0 and a garbage status',
    (p) => frame('fill', p, { filled_qty: '0', status: 'garbage', filled_avg_price: null }),
  ],
  [
    'a fill of the whole order for another symbol',
    (p) =>
      frame('fill', p, {
        symbol: 'ETH/USD',
        filled_qty: p['qty'],
        status: 'filled',
        filled_avg_price: '3000',
      }),
  ],
  [
    'a fill event whose order status says canceled',
    (p) => frame('fill', p, { filled_qty: p['qty'], status: 'canceled', filled_avg_price: '90000' }),
  ],
  [
    'a fill of the real order id under a client order id that was never placed',
    (p) =>
      frame('fill', p, {
        client_order_id: `${String(p['client_order_id'])}9`,
        filled_qty: p['qty'],
        status: 'filled',
        filled_avg_price: '90000',
      }),
  ],
];

describe('impossible trade updates', () => {
  it.each(BAD_FRAMES)(
    'books nothing from %s, alerts, and completes the cycle from REST',
    async (_what, bad) => {
      const bot = fixture;
      const sell = await restingTakeProfit();
      const placed = orderJson(sell);
      // The exchange fills the sell; its own fill frame is held until another frame would follow it.
      sim.faults.reorderTradeUpdates(2);
      sim.faults.releaseOrders();
      await waitForOrder(sim, sell.id, 'filled');

      sim.injectTradeUpdate(bad(placed));

      const done = await waitUntil(
        async () => (await cycles())[0],
        (c) => c?.status === 'complete',
        { what: 'the cycle completed from REST' },
      );
      const filled = sim.getOrder(sell.id)!;
      const proceeds = filled.filledValue.mul(dec(1).minus(FEE));
      expect(dec(done!.sell_proceeds).toFixed(8)).toBe(proceeds.toFixed(8));
      expect(dec(done!.realized_pnl!).abs().lt(1)).toBe(true);
      // No second sell was placed and the ledger shows the exchange's fill, not the frame's.
      expect(sim.listOrders().filter((o) => o.side === 'sell')).toHaveLength(1);
      const row = (await ledgerOf(db.pool, assetId)).find((r) => r.side === 'sell')!;
      expect(dec(row.filled_qty).eq(filled.filledQty)).toBe(true);
      expect(row.status).toBe('filled');
      expect(
        bot.lines.filter((l) => l['alert'] === true && l['code'] === 'TRADE_UPDATE_REJECTED'),
      ).toHaveLength(1);

      // The held real frame arrives late and changes nothing.
      sim.faults.reset();
      expect(await invariantViolations(db.pool, assetId, sim.listOrders(), FEE)).toEqual([]);
    },
  );
});
