import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaleWriteError } from '../../src/errors.js';
import { dec } from '../../src/money.js';
import { getAsset } from '../../src/store/assets.js';
import {
  createCycle,
  finishCycle,
  getCycle,
  getLatestCycle,
  getPreviousCompletedAt,
  listCycles,
  realizedPnlBySymbol,
  updateCycle,
} from '../../src/store/cycles.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
let assetId: number;
beforeAll(async () => {
  db = await createTestDatabase();
  assetId = await insertAsset(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

describe('cycles', () => {
  it('creates a cycle holding nothing and fetches it back', async () => {
    const created = await createCycle(db.pool, assetId, 'watching');
    expect(created).toMatchObject({ assetId, status: 'watching', safetyOrders: 0, version: 0 });
    expect(created.quantity.isZero()).toBe(true);
    expect(created.averagePurchasePrice.isZero()).toBe(true);
    expect([created.latestOrderId, created.lastOrderFillPrice, created.completedAt]).toEqual([
      null,
      null,
      null,
    ]);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await getCycle(db.pool, created.id)).toEqual(created);
    expect(await getCycle(db.pool, 999_999)).toBeNull();
  });

  it('updates the patched fields exactly and bumps the version', async () => {
    const c = await createCycle(db.pool, assetId, 'watching');
    const updated = await updateCycle(db.pool, c.id, 0, {
      status: 'buying',
      quantity: dec('0.000123456789012345'),
      averagePurchasePrice: dec('64000.1234567891'),
      clientOrderId: `dca-${c.id}-base-1`,
    });
    expect(updated.version).toBe(1);
    expect(updated.status).toBe('buying');
    expect(updated.quantity.toFixed()).toBe('0.000123456789012');
    expect(updated.averagePurchasePrice.toFixed()).toBe('64000.1234567891');
    expect(updated.clientOrderId).toBe(`dca-${c.id}-base-1`);
    expect(updated.safetyOrders).toBe(0);
  });

  it('refuses a write from a stale version and leaves the row alone', async () => {
    const c = await createCycle(db.pool, assetId, 'watching');
    await updateCycle(db.pool, c.id, 0, { status: 'buying' });
    await expect(updateCycle(db.pool, c.id, 0, { status: 'selling' })).rejects.toBeInstanceOf(
      StaleWriteError,
    );
    expect(await getCycle(db.pool, c.id)).toMatchObject({ status: 'buying', version: 1 });
  });

  it('finds the latest cycle and lists newest first, filtered by status', async () => {
    const other = await insertAsset(db.pool, { asset_symbol: 'LST/USD' });
    const a = await createCycle(db.pool, other, 'complete');
    const b = await createCycle(db.pool, other, 'cooldown');
    expect((await getLatestCycle(db.pool, other))?.id).toBe(b.id);
    expect((await listCycles(db.pool, { assetId: other })).map((c) => c.id)).toEqual([b.id, a.id]);
    expect((await listCycles(db.pool, { assetId: other, statuses: ['complete'] })).map((c) => c.id)).toEqual([
      a.id,
    ]);
    expect(await listCycles(db.pool, { assetId: other, limit: 1 })).toHaveLength(1);
    expect(await getLatestCycle(db.pool, 999_999)).toBeNull();
  });

  it("gives a cooldown the previous terminal cycle's completion time", async () => {
    const other = await insertAsset(db.pool, { asset_symbol: 'PRV/USD' });
    const done = await createCycle(db.pool, other, 'watching');
    const at = new Date('2026-01-02T03:04:05.000Z');
    await updateCycle(db.pool, done.id, 0, { status: 'complete', completedAt: at });
    const cooling = await createCycle(db.pool, other, 'cooldown');
    expect(await getPreviousCompletedAt(db.pool, other, cooling.id)).toEqual(at);
    expect(await getPreviousCompletedAt(db.pool, other, done.id)).toBeNull();
  });
});

describe('finishCycle', () => {
  it('completes the cycle, records the sell price and opens the next cycle together', async () => {
    const c = await createCycle(db.pool, assetId, 'selling');
    const { finished, next } = await finishCycle(db.pool, {
      cycleId: c.id,
      expectedVersion: 0,
      patch: { quantity: dec(0), realizedPnl: dec('0.42') },
      lastSellPrice: dec('65000.5'),
      nextStatus: 'cooldown',
    });
    expect(finished).toMatchObject({ status: 'complete', version: 1 });
    expect(finished.completedAt).toBeInstanceOf(Date);
    expect(finished.realizedPnl?.toFixed()).toBe('0.42');
    expect(next).toMatchObject({ assetId, status: 'cooldown', version: 0 });
    expect((await getAsset(db.pool, assetId))?.lastSellPrice?.toFixed()).toBe('65000.5');
  });

  it('changes nothing when the next-cycle insert fails', async () => {
    const other = await insertAsset(db.pool, { asset_symbol: 'ATM/USD' });
    const c = await createCycle(db.pool, other, 'selling');
    // A real failure inside the transaction, after the cycle update and the sell price were written.
    await db.pool.query(
      `CREATE TRIGGER refuse_next_cycle BEFORE INSERT ON dca_cycles FOR EACH ROW
         IF NEW.asset_id = ${other} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no next cycle'; END IF`,
    );
    try {
      await expect(
        finishCycle(db.pool, {
          cycleId: c.id,
          expectedVersion: 0,
          patch: {},
          lastSellPrice: dec('70000'),
          nextStatus: 'watching',
        }),
      ).rejects.toThrow(/no next cycle/);
    } finally {
      await db.pool.query('DROP TRIGGER refuse_next_cycle');
    }
    expect(await getCycle(db.pool, c.id)).toMatchObject({ status: 'selling', version: 0, completedAt: null });
    expect((await getAsset(db.pool, other))?.lastSellPrice).toBeNull();
    expect(await listCycles(db.pool, { assetId: other })).toHaveLength(1);
  });

  it('refuses a stale finish without opening a next cycle', async () => {
    const other = await insertAsset(db.pool, { asset_symbol: 'STL/USD' });
    const c = await createCycle(db.pool, other, 'selling');
    await updateCycle(db.pool, c.id, 0, {});
    await expect(
      finishCycle(db.pool, {
        cycleId: c.id,
        expectedVersion: 0,
        patch: {},
        lastSellPrice: null,
        nextStatus: 'watching',
      }),
    ).rejects.toBeInstanceOf(StaleWriteError);
    expect(await listCycles(db.pool, { assetId: other })).toHaveLength(1);
  });
});

describe('realizedPnlBySymbol', () => {
  it('sums the completed cycles of a period per symbol, exactly', async () => {
    const a = await insertAsset(db.pool, { asset_symbol: 'PNA/USD' });
    const b = await insertAsset(db.pool, { asset_symbol: 'PNB/USD' });
    const complete = async (assetId: number, pnl: string, at: string) => {
      const c = await createCycle(db.pool, assetId, 'selling');
      await updateCycle(db.pool, c.id, 0, {
        status: 'complete',
        realizedPnl: dec(pnl),
        completedAt: new Date(at),
      });
    };
    await complete(a, '0.1', '2030-01-01T00:00:00Z');
    await complete(a, '0.2', '2030-01-02T00:00:00Z');
    await complete(b, '-0.05', '2030-01-02T12:00:00Z');
    await complete(b, '9', '2030-01-03T00:00:00Z');
    const lines = await realizedPnlBySymbol(db.pool, {
      since: new Date('2030-01-01T00:00:00Z'),
      until: new Date('2030-01-03T00:00:00Z'),
    });
    expect(lines.map((l) => [l.symbol, l.cycles, l.realizedPnl.toFixed()])).toEqual([
      ['PNA/USD', 2, '0.3'],
      ['PNB/USD', 1, '-0.05'],
    ]);
  });
});
