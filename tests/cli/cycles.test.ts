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
  for (let i = 1; i <= 3; i++) {
    await insertCycle(db.pool, btc, {
      status: 'complete',
      bought_quantity: '0.2',
      cost_basis: '20',
      sell_proceeds: `20.${i}`,
      realized_pnl: `0.${i}`,
      completed_at: new Date(`2026-01-0${i}T12:00:00Z`),
    });
  }
  await insertCycle(db.pool, btc, { status: 'cooldown' });
  await insertAsset(db.pool, { asset_symbol: 'ETH/USD' });
});
afterAll(async () => {
  await db?.drop();
});

describe('cycles', () => {
  it("lists an asset's cycles newest first", async () => {
    const run = await cli(['cycles', 'BTC/USD'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^CYCLE\s+STATUS\s+QUANTITY\s+AVG PRICE\s+SAFETY\s+COST USD\s+PROCEEDS USD\s+PNL USD/,
    );
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 2))).toEqual([
      ['4', 'cooldown'],
      ['3', 'complete'],
      ['2', 'complete'],
      ['1', 'complete'],
    ]);
    expect(lines[2]).toMatch(/\s20\s+20\.3\s+0\.3\s+\S+\s+2026-01-03T12:00:00Z$/);
  });

  it('shows only the newest N with --limit', async () => {
    const run = await cli(['cycles', 'BTC/USD', '--limit', '2', '--json'], env);
    expect(run.code).toBe(0);
    const out = run.json<{ symbol: string; cycles: Record<string, unknown>[] }>();
    expect(out.symbol).toBe('BTC/USD');
    expect(out.cycles.map((c) => c['id'])).toEqual([4, 3]);
    expect(out.cycles[1]).toMatchObject({
      status: 'complete',
      costBasis: '20',
      sellProceeds: '20.3',
      realizedPnl: '0.3',
      completedAt: '2026-01-03T12:00:00.000Z',
    });
    expect(out.cycles[0]).toMatchObject({ status: 'cooldown', realizedPnl: null, completedAt: null });
  });

  it('says so when an asset has no cycles yet', async () => {
    const run = await cli(['cycles', 'ETH/USD'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('ETH/USD has no cycles yet\n');
  });

  it('refuses an unknown symbol', async () => {
    const run = await cli(['cycles', 'DOGE/USD'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no asset "DOGE/USD"');
  });

  it('refuses (exit 1) a limit that is not a whole number', async () => {
    const run = await cli(['cycles', 'BTC/USD', '--limit', 'all'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--limit expects a whole number');
  });
});
