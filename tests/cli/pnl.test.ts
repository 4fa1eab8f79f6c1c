import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { createTestDatabase, insertAsset, insertCycle, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase();
  env = dbEnv(db.cfg);
  const btc = await insertAsset(db.pool);
  const eth = await insertAsset(db.pool, { asset_symbol: 'ETH/USD' });
  const done = (pnl: string, at: string) => ({
    status: 'complete',
    realized_pnl: pnl,
    completed_at: new Date(at),
  });
  await insertCycle(db.pool, btc, done('0.1', '2025-12-31T23:59:59Z'));
  await insertCycle(db.pool, btc, done('0.2', '2026-01-01T00:00:00Z'));
  await insertCycle(db.pool, btc, done('-0.05', '2026-01-15T10:00:00Z'));
  await insertCycle(db.pool, eth, done('0.3', '2026-01-31T23:00:00Z'));
  await insertCycle(db.pool, eth, done('0.4', '2026-02-01T00:00:00Z'));
  // Neither counts: an error cycle and one still holding coin.
  await insertCycle(db.pool, btc, { status: 'error', completed_at: new Date('2026-01-10T00:00:00Z') });
  await insertCycle(db.pool, eth, { status: 'watching', quantity: '1' });
});
afterAll(async () => {
  await db?.drop();
});

describe('pnl', () => {
  it('sums realized P&L per asset and in total over a period of whole UTC days', async () => {
    const run = await cli(['pnl', '--since', '2026-01-01', '--until', '2026-01-31', '--json'], env);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-02-01T00:00:00.000Z',
      assets: [
        { symbol: 'BTC/USD', cycles: 2, realizedPnl: '0.15' },
        { symbol: 'ETH/USD', cycles: 1, realizedPnl: '0.3' },
      ],
      total: { cycles: 3, realizedPnl: '0.45' },
    });
  });

  it('counts every completed cycle when no period is given, as a table with a total', async () => {
    const run = await cli(['pnl'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('period: the beginning to now');
    expect(lines.slice(2).map((l) => l.split(/\s+/))).toEqual([
      ['BTC/USD', '3', '0.25'],
      ['ETH/USD', '2', '0.7'],
      ['TOTAL', '5', '0.95'],
    ]);
  });

  it('takes exact timestamps: --until stops just before it', async () => {
    const run = await cli(
      ['pnl', '--since', '2026-01-15T10:00:00Z', '--until', '2026-02-01T00:00:00Z', '--json'],
      env,
    );
    expect(run.json<{ total: unknown }>().total).toEqual({ cycles: 2, realizedPnl: '0.25' });
  });

  it('reports zero for a period without completed cycles', async () => {
    const run = await cli(['pnl', '--since', '2027-01-01', '--json'], env);
    expect(run.json()).toMatchObject({ assets: [], total: { cycles: 0, realizedPnl: '0' } });
  });

  it('refuses (exit 1) a date that is not one, or a period that ends before it starts', async () => {
    const bad = await cli(['pnl', '--since', '2026-02-30'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--since: "2026-02-30" is not a date');
    const zoneless = await cli(['pnl', '--until', '2026-01-01T10:00'], env);
    expect(zoneless.code).toBe(1);
    const backwards = await cli(['pnl', '--since', '2026-02-01', '--until', '2026-01-01'], env);
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toContain('--since must be before --until');
  });
});
