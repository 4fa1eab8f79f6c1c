/**
 * What the dashboard reads from MySQL: realized P&L per asset and per day, and error cycles with
 * what they cost (spent, not sold back), never mixed into the realized total.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/dashboard/queries.js';
import { execute } from '../../src/store/db.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
let btc: number;
let eth: number;

async function finished(assetId: number, status: string, at: string, cost: string, proceeds: string) {
  const pnl = status === 'complete' ? `${proceeds} - ${cost}` : 'NULL';
  await execute(
    db.pool,
    `INSERT INTO dca_cycles (asset_id, status, cost_basis, sell_proceeds, realized_pnl, completed_at)
     VALUES (?, ?, ?, ?, ${pnl}, ?)`,
    [assetId, status, cost, proceeds, at],
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  btc = await insertAsset(db.pool, { asset_symbol: 'BTC/USD' });
  eth = await insertAsset(db.pool, { asset_symbol: 'ETH/USD', is_enabled: false });
  await finished(btc, 'complete', '2026-11-30 10:00:00', '20', '20.5');
  await finished(btc, 'complete', '2026-12-01 09:00:00', '40', '40.25');
  await finished(btc, 'error', '2026-12-01 11:00:00', '30', '0');
  await finished(eth, 'complete', '2026-12-01 12:00:00', '20', '19.9');
  await execute(db.pool, `INSERT INTO dca_cycles (asset_id, status) VALUES (?, 'watching')`, [btc]);
});

afterAll(async () => {
  await db.drop();
});

describe('readLedger', () => {
  it('sums realized P&L per asset and per UTC day, and error cycles apart with their cost', async () => {
    const ledger = await readLedger(db.pool);
    expect(ledger.total.toFixed()).toBe('0.65');
    expect(ledger.errorCost.toFixed()).toBe('30');
    const perAsset = ledger.perAsset.map((a) => [
      a.symbol,
      a.enabled,
      a.cycles,
      a.realizedPnl.toFixed(),
      a.errorCycles,
      a.errorCost.toFixed(),
    ]);
    expect(perAsset).toEqual([
      ['BTC/USD', true, 2, '0.75', 1, '30'],
      ['ETH/USD', false, 1, '-0.1', 0, '0'],
    ]);
    const perDay = ledger.perDay.map((d) => [d.day, d.cycles, d.realizedPnl.toFixed(), d.errorCycles]);
    expect(perDay).toEqual([
      ['2026-12-01', 2, '0.15', 1],
      ['2026-11-30', 1, '0.5', 0],
    ]);
  });

  it('lists error cycles beside completed ones, newest first', async () => {
    const { cycles } = await readLedger(db.pool);
    expect(cycles.map((c) => c.status)).toEqual(['complete', 'error', 'complete', 'complete']);
  });
});
