/**
 * Out-of-range values. A `trade_updates` frame claiming a fill at 1e300 used to reach the database
 * as it came: the write failed with a bare ER_WARN_DATA_OUT_OF_RANGE (no column, nothing the asset
 * actor could act on, so it crash-looped), and in a non-strict session MySQL would have stored the
 * column's maximum instead. Now every pool connection is strict and the store refuses a value that
 * does not fit its DECIMAL column with a named error, before any SQL runs.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatClientOrderId } from '../../src/clientOrderId.js';
import type { OrderIntent } from '../../src/domain.js';
import { ValueOutOfRangeError } from '../../src/errors.js';
import { dec } from '../../src/money.js';
import { DECIMAL_COLUMNS, fits } from '../../src/store/columns.js';
import { createCycle, finishCycle, getCycle, updateCycle } from '../../src/store/cycles.js';
import { selectRows } from '../../src/store/db.js';
import { getLedgerOrder, recordOrderState, writeAheadOrder } from '../../src/store/orders.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { orderFor, writtenAheadBase } from '../helpers/orders.js';

let db: TestDatabase;
let assetId: number;
beforeAll(async () => {
  db = await createTestDatabase();
  assetId = await insertAsset(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

const HUGE = dec('1e300');

const buyingCycle = () => writtenAheadBase(db.pool, assetId);

describe('every pool connection', () => {
  it('runs in strict sql_mode (STRICT_ALL_TABLES), whatever the server default', async () => {
    // Several connections: the mode is set per connection, not once for the pool.
    const conns = await Promise.all([db.pool.getConnection(), db.pool.getConnection()]);
    try {
      for (const conn of conns) {
        const [rows] = await conn.query('SELECT @@SESSION.sql_mode AS mode');
        const mode = String((rows as { mode: string }[])[0]?.mode);
        expect(mode.split(',')).toEqual(
          expect.arrayContaining(['STRICT_ALL_TABLES', 'NO_ZERO_DATE', 'ERROR_FOR_DIVISION_BY_ZERO']),
        );
      }
    } finally {
      for (const conn of conns) conn.release();
    }
  });

  it('is needed: a non-strict session silently clips 1e300 to the column maximum', async () => {
    const { cycle } = await buyingCycle();
    const loose = await mysql.createConnection({ ...db.cfg, timezone: 'Z' });
    try {
      await loose.query("SET SESSION sql_mode = ''");
      await loose.query('UPDATE dca_cycles SET average_purchase_price = ? WHERE id = ?', ['1e300', cycle.id]);
      const [rows] = await loose.query('SELECT average_purchase_price AS p FROM dca_cycles WHERE id = ?', [
        cycle.id,
      ]);
      expect((rows as { p: string }[])[0]?.p).toBe('9999999999.9999999999');
    } finally {
      await loose.end();
    }
  });
});

describe('a value that does not fit its DECIMAL column', () => {
  it('a fill at 1e300 is refused as VALUE_OUT_OF_RANGE naming the column, and the order row is unchanged', async () => {
    const { intent } = await buyingCycle();
    const before = await getLedgerOrder(db.pool, intent.clientOrderId);
    const fill = orderFor(intent, {
      id: 'alpaca-huge-1',
      status: 'filled',
      filledQty: intent.qty,
      filledAvgPrice: HUGE,
    });
    const error = await recordOrderState(db.pool, fill).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueOutOfRangeError);
    expect(error).toMatchObject({
      code: 'VALUE_OUT_OF_RANGE',
      retryable: false,
      table: 'dca_orders',
      column: 'filled_avg_price',
      value: '1e+300',
    });
    expect(await getLedgerOrder(db.pool, intent.clientOrderId)).toEqual(before);
  });

  it('a cycle patch with a 1e300 average is refused before the update, so the version does not move', async () => {
    const { cycle } = await buyingCycle();
    const patch = { quantity: dec('0.0003'), averagePurchasePrice: HUGE, status: 'watching' as const };
    await expect(updateCycle(db.pool, cycle.id, cycle.version, patch)).rejects.toMatchObject({
      code: 'VALUE_OUT_OF_RANGE',
      column: 'average_purchase_price',
    });
    expect(await getCycle(db.pool, cycle.id)).toEqual(cycle);
  });

  it('a take-profit that would book 1e300 leaves the cycle, the asset and the next cycle unwritten', async () => {
    const { cycle } = await buyingCycle();
    const cyclesBefore = await selectRows(db.pool, 'SELECT COUNT(*) AS n FROM dca_cycles');
    const finishing = finishCycle(db.pool, {
      cycleId: cycle.id,
      expectedVersion: cycle.version,
      patch: { sellProceeds: HUGE, realizedPnl: HUGE },
      lastSellPrice: dec('65000'),
      nextStatus: 'cooldown',
    });
    await expect(finishing).rejects.toMatchObject({ code: 'VALUE_OUT_OF_RANGE', table: 'dca_cycles' });
    expect(await getCycle(db.pool, cycle.id)).toEqual(cycle);
    expect(await selectRows(db.pool, 'SELECT COUNT(*) AS n FROM dca_cycles')).toEqual(cyclesBefore);
    const [asset] = await selectRows(db.pool, 'SELECT last_sell_price FROM dca_assets WHERE id = ?', [
      assetId,
    ]);
    expect(asset?.['last_sell_price']).toBeNull();
  });

  it('an order of 1e300 coins is refused before the write-ahead', async () => {
    const cycle = await createCycle(db.pool, assetId, 'watching');
    const intent: OrderIntent = {
      clientOrderId: formatClientOrderId('testinst', { cycleId: cycle.id, step: 'base', attempt: 1 }),
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      qty: HUGE,
      limitPrice: dec('1'),
      timeInForce: 'gtc',
    };
    const writing = writeAheadOrder(db.pool, {
      cycle,
      assetId,
      patch: { status: 'buying' },
      step: 'base',
      intent,
    });
    await expect(writing).rejects.toMatchObject({ code: 'VALUE_OUT_OF_RANGE', column: 'qty' });
    expect(await getLedgerOrder(db.pool, intent.clientOrderId)).toBeNull();
    expect(await getCycle(db.pool, cycle.id)).toEqual(cycle);
  });
});

describe('fits', () => {
  const price = DECIMAL_COLUMNS.dca_cycles.average_purchase_price;
  it('accepts the largest value a DECIMAL(20, 10) holds and refuses one that rounds past it', () => {
    expect(fits(dec('9999999999.9999999999'), price)).toBe(true);
    expect(fits(dec('-9999999999.9999999999'), price)).toBe(true);
    expect(fits(dec('9999999999.99999999995'), price)).toBe(false);
    expect(fits(dec('10000000000'), price)).toBe(false);
    // Extra decimals are rounded by MySQL, not refused.
    expect(fits(dec('64100.123456789012345'), price)).toBe(true);
  });

  it('lists every DECIMAL column of the schema with its precision and scale', async () => {
    const rows = await selectRows(
      db.pool,
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, NUMERIC_PRECISION AS p, NUMERIC_SCALE AS s
         FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE = 'decimal'`,
    );
    const actual: Record<string, Record<string, { precision: number; scale: number }>> = {};
    for (const r of rows) {
      const table = String(r['t']);
      actual[table] ??= {};
      actual[table][String(r['c'])] = { precision: Number(r['p']), scale: Number(r['s']) };
    }
    expect(actual).toEqual(DECIMAL_COLUMNS);
  });
});
