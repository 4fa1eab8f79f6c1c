import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatClientOrderId } from '../../src/clientOrderId.js';
import type { OrderIntent, OrderSnapshot } from '../../src/domain.js';
import { StaleWriteError } from '../../src/errors.js';
import { dec } from '../../src/money.js';
import { createCycle, getCycle, updateStoredCycle } from '../../src/store/cycles.js';
import {
  closeUnsentOrder,
  getLedgerOrder,
  listLedgerOrders,
  recordOrderState,
  writeAheadOrder,
} from '../../src/store/orders.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { aBaseIntent, orderFor, writtenAheadBase } from '../helpers/orders.js';

let db: TestDatabase;
let assetId: number;
beforeAll(async () => {
  db = await createTestDatabase();
  assetId = await insertAsset(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

/** The exchange's answer for `intent`, submitted at 10:00 on 1 March. */
function snapshot(intent: OrderIntent, over: Partial<OrderSnapshot>): OrderSnapshot {
  return orderFor(intent, { id: 'alpaca-order-1', createdAt: new Date('2026-03-01T10:00:00Z'), ...over });
}

const writtenAhead = () => writtenAheadBase(db.pool, assetId);

describe('writeAheadOrder', () => {
  it('moves the cycle and writes a pending ledger row in one go', async () => {
    const { cycle, intent } = await writtenAhead();
    expect(cycle).toMatchObject({ status: 'buying', clientOrderId: intent.clientOrderId, version: 1 });
    const row = await getLedgerOrder(db.pool, intent.clientOrderId);
    expect(row).toMatchObject({
      cycleId: cycle.id,
      assetId,
      clientOrderId: intent.clientOrderId,
      alpacaOrderId: null,
      step: 'base',
      side: 'buy',
      orderType: 'limit',
      timeInForce: 'gtc',
      status: 'pending',
      filledAvgPrice: null,
      submittedAt: null,
      closedAt: null,
    });
    expect(row?.qty.toFixed()).toBe('0.000312');
    expect(row?.limitPrice?.toFixed()).toBe('64100.5');
    expect(row?.filledQty.isZero()).toBe(true);
  });

  it('keeps the existing ledger row when the same client order id is written again', async () => {
    const { cycle, intent } = await writtenAhead();
    await writeAheadOrder(db.pool, {
      cycle,
      assetId,
      patch: { status: 'buying' },
      step: 'base',
      intent: { ...intent, qty: dec('9') },
    });
    const rows = await listLedgerOrders(db.pool, { cycleId: cycle.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.qty.toFixed()).toBe('0.000312');
  });

  it('reopens the row of an id given up as never accepted, with the new size', async () => {
    const { cycle, intent } = await writtenAhead();
    await closeUnsentOrder(db.pool, intent.clientOrderId, 'not_accepted');
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.closedAt).not.toBeNull();
    // The cycle gave the order up (back to watching, the id kept), then decided the same step again.
    const watching = await updateStoredCycle(db.pool, cycle, {
      status: 'watching',
      givenUpClientOrderId: intent.clientOrderId,
    });
    await writeAheadOrder(db.pool, {
      cycle: watching,
      assetId,
      patch: { status: 'buying', givenUpClientOrderId: null },
      step: 'base',
      intent: { ...intent, qty: dec('0.000315'), limitPrice: dec('63500') },
    });
    const rows = await listLedgerOrders(db.pool, { cycleId: cycle.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', closedAt: null, alpacaOrderId: null });
    expect(rows[0]?.qty.toFixed()).toBe('0.000315');
    expect(rows[0]?.limitPrice?.toFixed()).toBe('63500');
    expect(await getCycle(db.pool, cycle.id)).toMatchObject({
      status: 'buying',
      clientOrderId: intent.clientOrderId,
      givenUpClientOrderId: null,
    });
  });

  it.each([
    ['refused', (intent: OrderIntent) => closeUnsentOrder(db.pool, intent.clientOrderId, 'rejected')],
    [
      'open',
      (intent: OrderIntent) =>
        recordOrderState(db.pool, snapshot(intent, { id: `a-${intent.clientOrderId}`, status: 'new' })),
    ],
    [
      'filled',
      (intent: OrderIntent) =>
        recordOrderState(
          db.pool,
          snapshot(intent, {
            id: `a-${intent.clientOrderId}`,
            status: 'filled',
            filledQty: dec('0.000312'),
            filledAvgPrice: dec('64000'),
          }),
        ),
    ],
  ])('leaves a %s row alone when its id is written again', async (_, reach) => {
    const { cycle, intent } = await writtenAhead();
    await reach(intent);
    const before = await getLedgerOrder(db.pool, intent.clientOrderId);
    await writeAheadOrder(db.pool, {
      cycle,
      assetId,
      patch: { status: 'buying' },
      step: 'base',
      intent: { ...intent, qty: dec('0.000315'), limitPrice: dec('63500') },
    });
    const after = await getLedgerOrder(db.pool, intent.clientOrderId);
    expect({ ...after, updatedAt: null }).toEqual({ ...before, updatedAt: null });
  });

  it('writes nothing when the cycle moved on', async () => {
    const { cycle } = await writtenAhead();
    const intent = {
      ...aBaseIntent(cycle.id),
      clientOrderId: formatClientOrderId('testinst', { cycleId: cycle.id, step: 'so1', attempt: 1 }),
    };
    await expect(
      writeAheadOrder(db.pool, {
        cycle: { ...cycle, version: 0 },
        assetId,
        patch: {},
        step: 'so1',
        intent,
      }),
    ).rejects.toBeInstanceOf(StaleWriteError);
    expect(await getLedgerOrder(db.pool, intent.clientOrderId)).toBeNull();
    expect((await getCycle(db.pool, cycle.id))?.version).toBe(1);
  });
});

describe('writeAheadOrder without reading the row back', () => {
  it('returns exactly the row a read returns, decimals rounded to their column and times to the second', async () => {
    const created = await createCycle(db.pool, assetId, 'watching');
    const intent = aBaseIntent(created.id);
    const cycle = await writeAheadOrder(db.pool, {
      cycle: created,
      assetId,
      patch: {
        status: 'buying',
        // More places than DECIMAL(20, 10) / DECIMAL(30, 15) keep: the server rounds half away from zero.
        averagePurchasePrice: dec('64100.12345678905'),
        quantity: dec('-0.0000000000000005'),
        completedAt: new Date('2026-03-01T10:00:07.999Z'),
        backoffUntil: new Date('2026-03-01T10:05:00.123Z'),
      },
      step: 'base',
      intent,
    });
    expect(await getCycle(db.pool, created.id)).toEqual(cycle);
    expect(cycle.averagePurchasePrice.toFixed()).toBe('64100.1234567891');
    expect(cycle.version).toBe(created.version + 1);
  });

  it('writes no ledger row for a cycle that does not exist, and says the write was stale', async () => {
    const created = await createCycle(db.pool, assetId, 'watching');
    const intent = aBaseIntent(created.id + 1_000_000);
    await expect(
      writeAheadOrder(db.pool, {
        cycle: { ...created, id: created.id + 1_000_000 },
        assetId,
        patch: { status: 'buying' },
        step: 'base',
        intent,
      }),
    ).rejects.toBeInstanceOf(StaleWriteError);
    expect(await getLedgerOrder(db.pool, intent.clientOrderId)).toBeNull();
  });

  it('rolls the cycle update back when the ledger row cannot be written', async () => {
    const created = await createCycle(db.pool, assetId, 'watching');
    const intent = aBaseIntent(created.id);
    // Longer than the step column: the strict session refuses the INSERT after the UPDATE ran.
    await expect(
      writeAheadOrder(db.pool, {
        cycle: created,
        assetId,
        patch: { status: 'buying' },
        step: 'x'.repeat(300),
        intent,
      }),
    ).rejects.toThrow(/too long|Data/i);
    expect(await getCycle(db.pool, created.id)).toEqual(created);
    expect(await getLedgerOrder(db.pool, intent.clientOrderId)).toBeNull();
  });

  it('leaves the pool usable after stale writes', async () => {
    const created = await createCycle(db.pool, assetId, 'watching');
    const stale = { ...created, version: created.version + 5 };
    const intent = aBaseIntent(created.id);
    for (let i = 0; i < 6; i++) {
      await expect(
        writeAheadOrder(db.pool, {
          cycle: stale,
          assetId,
          patch: { status: 'buying' },
          step: 'base',
          intent,
        }),
      ).rejects.toBeInstanceOf(StaleWriteError);
    }
    const cycle = await writeAheadOrder(db.pool, {
      cycle: created,
      assetId,
      patch: { status: 'buying' },
      step: 'base',
      intent,
    });
    expect(cycle.status).toBe('buying');
    expect(await listLedgerOrders(db.pool, { cycleId: created.id })).toHaveLength(1);
  });
});

describe('recordOrderState', () => {
  it('records the exchange id, status and cumulative fills', async () => {
    const { intent } = await writtenAhead();
    await recordOrderState(db.pool, snapshot(intent, { status: 'new' }));
    await recordOrderState(
      db.pool,
      snapshot(intent, {
        status: 'filled',
        filledQty: dec('0.000312'),
        filledAvgPrice: dec('64099.75'),
        filledAt: new Date('2026-03-01T10:00:07Z'),
      }),
      dec('0.00000078'),
    );
    const row = await getLedgerOrder(db.pool, intent.clientOrderId);
    expect(row).toMatchObject({
      alpacaOrderId: 'alpaca-order-1',
      status: 'filled',
      submittedAt: new Date('2026-03-01T10:00:00Z'),
      closedAt: new Date('2026-03-01T10:00:07Z'),
    });
    expect(row?.filledQty.toFixed()).toBe('0.000312');
    expect(row?.filledAvgPrice?.toFixed()).toBe('64099.75');
    expect(row?.fee.toFixed()).toBe('0.00000078');
  });

  it('never moves filled quantity, price or status backwards on a late or replayed update', async () => {
    const { intent } = await writtenAhead();
    const id = { id: 'alpaca-order-2' };
    await recordOrderState(
      db.pool,
      snapshot(intent, {
        ...id,
        status: 'partially_filled',
        filledQty: dec('0.0002'),
        filledAvgPrice: dec('64000'),
      }),
    );
    await recordOrderState(
      db.pool,
      snapshot(intent, {
        ...id,
        status: 'partially_filled',
        filledQty: dec('0.0001'),
        filledAvgPrice: dec('63000'),
      }),
    );
    await recordOrderState(db.pool, snapshot(intent, { ...id, status: 'new' }));
    let row = await getLedgerOrder(db.pool, intent.clientOrderId);
    expect(row?.status).toBe('partially_filled');
    expect(row?.filledQty.toFixed()).toBe('0.0002');
    expect(row?.filledAvgPrice?.toFixed()).toBe('64000');

    await recordOrderState(
      db.pool,
      snapshot(intent, { ...id, status: 'canceled', filledQty: dec('0.0002'), filledAvgPrice: dec('64000') }),
    );
    await recordOrderState(
      db.pool,
      snapshot(intent, {
        ...id,
        status: 'partially_filled',
        filledQty: dec('0.0002'),
        filledAvgPrice: dec('64000'),
      }),
    );
    row = await getLedgerOrder(db.pool, intent.clientOrderId);
    expect(row?.status).toBe('canceled');
    expect(row?.closedAt).toBeInstanceOf(Date);
  });

  it('ignores an order the ledger does not know', async () => {
    const stranger = snapshot(aBaseIntent(999_999), { clientOrderId: 'manual-order' });
    await expect(recordOrderState(db.pool, stranger)).resolves.toBeUndefined();
    expect(await getLedgerOrder(db.pool, 'manual-order')).toBeNull();
  });
});

describe('listLedgerOrders', () => {
  it('lists newest first, by asset or cycle, with a limit', async () => {
    const a = await writtenAhead();
    const b = await writtenAhead();
    const all = await listLedgerOrders(db.pool, { assetId });
    expect(all[0]?.clientOrderId).toBe(b.intent.clientOrderId);
    expect(all[1]?.clientOrderId).toBe(a.intent.clientOrderId);
    expect(await listLedgerOrders(db.pool, { assetId, limit: 1 })).toHaveLength(1);
    expect((await listLedgerOrders(db.pool, { cycleId: a.cycle.id })).map((o) => o.cycleId)).toEqual([
      a.cycle.id,
    ]);
  });
});

describe('closeUnsentOrder', () => {
  it('closes a pending row the exchange refused', async () => {
    const { intent } = await writtenAhead();
    await closeUnsentOrder(db.pool, intent.clientOrderId, 'rejected');
    const row = await getLedgerOrder(db.pool, intent.clientOrderId);
    expect(row?.status).toBe('rejected');
    expect(row?.closedAt).toBeInstanceOf(Date);
  });

  it('leaves a row the exchange already reported on alone', async () => {
    const { intent } = await writtenAhead();
    await recordOrderState(db.pool, snapshot(intent, { id: 'alpaca-order-unsent-1', status: 'new' }));
    await closeUnsentOrder(db.pool, intent.clientOrderId, 'not_accepted');
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('new');
  });

  it('yields to the real state if the order turns up after all', async () => {
    const { intent } = await writtenAhead();
    await closeUnsentOrder(db.pool, intent.clientOrderId, 'not_accepted');
    await recordOrderState(
      db.pool,
      snapshot(intent, {
        id: 'alpaca-order-unsent-2',
        status: 'filled',
        filledQty: intent.qty,
        filledAvgPrice: dec('64000'),
      }),
    );
    expect((await getLedgerOrder(db.pool, intent.clientOrderId))?.status).toBe('filled');
  });

  it('opens the row again if the order turns up still working', async () => {
    const { intent } = await writtenAhead();
    await closeUnsentOrder(db.pool, intent.clientOrderId, 'not_accepted');
    await recordOrderState(db.pool, snapshot(intent, { id: 'alpaca-order-unsent-3', status: 'new' }));
    expect(await getLedgerOrder(db.pool, intent.clientOrderId)).toMatchObject({
      status: 'new',
      closedAt: null,
    });
  });
});
