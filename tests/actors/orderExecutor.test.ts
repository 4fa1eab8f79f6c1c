/**
 * The order executor on its own, without a cycle machine: real REST calls to the simulator through
 * the official SDK, answers recorded in a throwaway MariaDB's dca_orders, machine events returned.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OrderExecutor } from '../../src/actors/asset/orderExecutor.js';
import type { OrderIntent } from '../../src/domain.js';
import { ExchangeError } from '../../src/errors.js';
import { createAlpacaExchange } from '../../src/exchange/alpaca.js';
import { guardOrders } from '../../src/exchange/orderGate.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { dec } from '../../src/money.js';
import { orderWithinBand } from '../../src/sanity/orderBand.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { getLedgerOrder } from '../../src/store/orders.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { aBaseIntent, writtenAheadBase } from '../helpers/orders.js';

const BTC = 'BTC/USD';
let sim: Simulator;
let db: TestDatabase;
let assetId: number;
let executor: OrderExecutor;
let seq = 0;

beforeAll(async () => {
  [sim, db] = await Promise.all([startSimulator(), createTestDatabase()]);
  assetId = await insertAsset(db.pool);
});
afterAll(async () => {
  await Promise.all([sim.close(), db.drop()]);
});
beforeEach(() => {
  sim.faults.reset();
  sim.publishQuote(BTC, '49990', '50000');
  executor = new OrderExecutor({
    exchange: createAlpacaExchange(sim.endpoints, { requestTimeoutMs: 1_000 }),
    db: db.pool,
    logger: pino({ level: 'silent' }),
    retryMs: { initial: 50, max: 200 },
  });
});
afterEach(async () => {
  executor.halt();
  await executor.drain(5_000);
});

/** A limit buy whose write-ahead (cycle row + pending ledger row) is committed, as the host does. */
async function writtenAhead(): Promise<OrderIntent> {
  const { intent } = await writtenAheadBase(db.pool, assetId, (cycleId) =>
    aBaseIntent(cycleId, {
      clientOrderId: `dca-${cycleId}-base-${++seq}`,
      qty: dec('0.0004'),
      limitPrice: dec('50000'),
    }),
  );
  return intent;
}

describe('OrderExecutor', () => {
  it('answers ORDER_SUBMITTED and records the order in the ledger', async () => {
    const intent = await writtenAhead();
    const answer = await executor.submit(intent);
    expect(answer).toMatchObject({ type: 'ORDER_SUBMITTED', clientOrderId: intent.clientOrderId });
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.alpacaOrderId).toBe(
      sim.getOrder(intent.clientOrderId)?.id,
    );
  });

  it('calls a 403 a definitive refusal and closes the ledger row as rejected', async () => {
    const intent = await writtenAhead();
    sim.faults.failNextOrders(1, 403);
    expect(await executor.submit(intent)).toMatchObject({ type: 'ORDER_SUBMIT_FAILED', ambiguous: false });
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('rejected');
  });

  it('sends no order the last look finds implausible, and answers it as a refusal', async () => {
    const intent = await writtenAhead();
    const refused: string[] = [];
    const looking = new OrderExecutor({
      exchange: createAlpacaExchange(sim.endpoints, { requestTimeoutMs: 1_000 }),
      db: db.pool,
      logger: pino({ level: 'silent' }),
      // The reference says 60,000 ±10 %: a limit at 50,000 is outside the band.
      lastLook: (o) => orderWithinBand(o, dec('60000'), dec('10'), dec('20')),
      onImplausible: (_o, verdict) => refused.push(verdict.code),
    });
    expect(await looking.submit(intent)).toMatchObject({ type: 'ORDER_SUBMIT_FAILED', ambiguous: false });
    expect(refused).toEqual(['LIMIT_OUT_OF_BAND']);
    expect(sim.getOrder(intent.clientOrderId)).toBeUndefined();
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('rejected');
  });

  it('calls a 429 rate limited, not ambiguous, and closes the ledger row as not accepted', async () => {
    const intent = await writtenAhead();
    sim.faults.failNextOrders(1, 429);
    expect(await executor.submit(intent)).toMatchObject({ ambiguous: false, rateLimited: true });
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('not_accepted');
  });

  it('calls a POST the REST budget never let leave not created, so nothing is looked up', async () => {
    const intent = await writtenAhead();
    const exchange = createAlpacaExchange(sim.endpoints, { requestTimeoutMs: 1_000 });
    const metrics = createMetrics();
    const held = new OrderExecutor({
      exchange: {
        ...exchange,
        submitOrder: () =>
          Promise.reject(
            new ExchangeError('unavailable', 'submit order: not sent, the budget is exhausted', {
              details: { notSent: true },
            }),
          ),
      },
      db: db.pool,
      logger: pino({ level: 'silent' }),
      metrics,
      quoteArrivedAt: () => performance.now(),
    });
    expect(await held.submit(intent)).toMatchObject({ ambiguous: false, rateLimited: true });
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('not_accepted');
    // It never left: no order sent, and no tick-to-order latency for it.
    const text = await metrics.text();
    expect(text).not.toMatch(/^dca_orders_sent_total\{/m);
    expect(text).toMatch(/^dca_tick_to_order_seconds_count 0$/m);
  });

  it('calls an order the closed gate kept home not sent: no back-off, no refusal, no rate limit', async () => {
    const intent = await writtenAhead();
    const metrics = createMetrics();
    const gated = new OrderExecutor({
      exchange: guardOrders(createAlpacaExchange(sim.endpoints, { requestTimeoutMs: 1_000 }), () => false),
      db: db.pool,
      logger: pino({ level: 'silent' }),
      metrics,
    });
    const answer = await gated.submit(intent);
    expect(answer).toMatchObject({ type: 'ORDER_SUBMIT_FAILED', ambiguous: false, gateClosed: true });
    expect(answer).not.toHaveProperty('rateLimited');
    expect(sim.getOrder(intent.clientOrderId)).toBeUndefined();
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('not_accepted');
    const text = await metrics.text();
    expect(text).toContain('dca_orders_not_sent_total{asset="BTC/USD",side="buy",reason="instance_lock"} 1');
    expect(text).not.toMatch(/^dca_orders_sent_total\{/m);
    expect(text).not.toMatch(/^dca_orders_refused_total\{/m);
    expect(text).toMatch(/^dca_rest_rate_limited_total 0$/m);
  });

  it('calls a submit that timed out ambiguous and leaves the ledger row pending', async () => {
    const intent = await writtenAhead();
    sim.faults.delayNextOrders(2_000);
    expect(await executor.submit(intent)).toMatchObject({ type: 'ORDER_SUBMIT_FAILED', ambiguous: true });
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('pending');
  });

  it('holds a look-up back until its own POST is answered, so an order created late is found', async () => {
    const intent = await writtenAhead();
    sim.faults.delayNextCreations(600, 1, 'after');
    const posted = executor.submit(intent);
    const found = executor.lookUp(intent.clientOrderId, null);
    expect(await found).toMatchObject({ type: 'RECONCILED', order: { clientOrderId: intent.clientOrderId } });
    expect((await posted).type).toBe('ORDER_SUBMITTED');
  });

  it('shares one look-up between callers asking at the same time', async () => {
    const intent = await writtenAhead();
    await executor.submit(intent);
    const first = executor.lookUp(intent.clientOrderId, null);
    expect(executor.lookUp(intent.clientOrderId, null)).toBeNull();
    expect((await first)?.order?.clientOrderId).toBe(intent.clientOrderId);
    expect(executor.lookUp(intent.clientOrderId, null)).not.toBeNull();
  });

  it('answers "nothing found" for an order the exchange never had', async () => {
    expect(await executor.lookUp('dca-999-base-1', null)).toEqual({ type: 'RECONCILED', order: null });
  });

  it('shares one position read and answers POSITION_NONE without a position', async () => {
    // The other tests bought BTC; nothing here ever bought ETH.
    const read = executor.position('ETH/USD');
    expect(executor.position('ETH/USD')).toBeNull();
    expect(await read).toEqual({ type: 'POSITION_NONE' });
  });

  it('after halt still records the answer of a POST already sent, and drain waits for it', async () => {
    const intent = await writtenAhead();
    sim.faults.delayNextOrders(400);
    const posted = executor.submit(intent);
    executor.halt();
    expect(executor.busy).toBe(1);
    expect(await executor.drain(5_000)).toBe(true);
    expect((await posted).type).toBe('ORDER_SUBMITTED');
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.alpacaOrderId).not.toBeNull();
  });

  it('stops retrying a look-up once halted', async () => {
    sim.faults.failNextRest(1_000, 503);
    const found = executor.lookUp('dca-998-base-1', null);
    executor.halt();
    expect(await found).toBeUndefined();
  });
});
