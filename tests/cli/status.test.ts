import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putAssetSupervision } from '../../src/store/assetSupervision.js';
import { cli } from '../helpers/cli.js';
import { createTestDatabase, insertAsset, insertCycle, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase();
  env = dbEnv(db.cfg);
  const btc = await insertAsset(db.pool);
  await insertCycle(db.pool, btc, { status: 'complete', realized_pnl: '1.5', completed_at: new Date() });
  // Holding after a base fill at 100 and one safety order at 98.5; a safety buy is in flight.
  await insertCycle(db.pool, btc, {
    status: 'buying',
    quantity: '0.4',
    average_purchase_price: '99.25',
    safety_orders: 1,
    last_order_fill_price: '98.5',
    client_order_id: 'dca-2-so2-1',
    latest_order_id: 'alpaca-7',
  });
  const eth = await insertAsset(db.pool, { asset_symbol: 'ETH/USD', is_enabled: false });
  await insertCycle(db.pool, eth, { status: 'cooldown' });
  await insertAsset(db.pool, { asset_symbol: 'SOL/USD' });
  await insertAsset(db.pool, { asset_symbol: 'DOGE/USD', base_order_amount: '0' });
  // What a running bot reported: one asset parked after a crash loop, one the exchange does not list.
  const avax = await insertAsset(db.pool, { asset_symbol: 'AVAX/USD' });
  await insertCycle(db.pool, avax, { status: 'watching' });
  await putAssetSupervision(db.pool, {
    assetId: avax,
    state: 'parked',
    reason: 'crashed after 10 restarts within 120000 ms',
    since: new Date('2026-01-02T03:04:05.000Z'),
    nextRetryAt: new Date('2026-01-02T03:05:05.000Z'),
  });
  const xyz = await insertAsset(db.pool, { asset_symbol: 'XYZ/USD' });
  await putAssetSupervision(db.pool, {
    assetId: xyz,
    state: 'idle',
    reason: 'is not listed by the exchange',
    since: new Date('2026-01-02T03:04:05.000Z'),
    nextRetryAt: null,
  });
});
afterAll(async () => {
  await db?.drop();
});

describe('status', () => {
  it("shows each asset's current cycle with its trigger prices, one line each", async () => {
    const run = await cli(['status'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^SYMBOL\s+ENABLED\s+CYCLE\s+STATUS\s+QUANTITY\s+AVG PRICE\s+SAFETY\s+IN FLIGHT/,
    );
    // Next safety: 98.5 × (1 − 1.5 %) = 97.0225; take profit: 99.25 × 1.01 = 100.2425.
    expect(lines[1]?.split(/\s+/)).toEqual([
      'BTC/USD',
      'yes',
      '2',
      'buying',
      '0.4',
      '99.25',
      '1/5',
      'dca-2-so2-1',
      '97.0225',
      '100.2425',
    ]);
    expect(lines[2]?.split(/\s+/)).toEqual([
      'ETH/USD',
      'no',
      '3',
      'cooldown',
      '0',
      '-',
      '0/5',
      '-',
      '-',
      '-',
    ]);
    expect(lines[3]).toMatch(/^SOL\/USD\s+yes\s+-\s+no cycle yet/);
    expect(lines[4]).toMatch(/^DOGE\/USD\s+yes\s+-\s+INVALID/);
    expect(run.stdout).toContain(
      'DOGE/USD is invalid and skipped by the bot: base_order_amount must be greater than 0',
    );
  });

  it('shows the assets the bot parked or keeps idle, with the reason and the next retry', async () => {
    const run = await cli(['status'], env);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[5]).toMatch(/^AVAX\/USD\s+yes\s+\d+\s+PARKED\s+0\s/);
    expect(lines[6]).toMatch(/^XYZ\/USD\s+yes\s+-\s+IDLE\s/);
    expect(run.stdout).toContain(
      'AVAX/USD is parked by the bot since 2026-01-02T03:04:05.000Z: crashed after 10 restarts within ' +
        '120000 ms; retried at 2026-01-02T03:05:05.000Z or when its row changes',
    );
    expect(run.stdout).toContain(
      'XYZ/USD is idle in the bot since 2026-01-02T03:04:05.000Z: is not listed by the exchange; ' +
        'checked again at every asset poll',
    );

    const { assets } = (await cli(['status', '--json'], env)).json<{ assets: Record<string, unknown>[] }>();
    expect(assets.find((a) => a['symbol'] === 'AVAX/USD')?.['supervision']).toEqual({
      state: 'parked',
      reason: 'crashed after 10 restarts within 120000 ms',
      since: '2026-01-02T03:04:05.000Z',
      nextRetryAt: '2026-01-02T03:05:05.000Z',
    });
  });

  it('prints JSON with decimals as strings', async () => {
    const run = await cli(['status', '--json'], env);
    expect(run.code).toBe(0);
    const { assets } = run.json<{ assets: Record<string, unknown>[] }>();
    expect(assets.map((a) => a['symbol'])).toEqual([
      'BTC/USD',
      'ETH/USD',
      'SOL/USD',
      'DOGE/USD',
      'AVAX/USD',
      'XYZ/USD',
    ]);
    expect(assets[0]).toEqual({
      symbol: 'BTC/USD',
      enabled: true,
      valid: true,
      reason: null,
      supervision: null,
      cycle: {
        id: 2,
        status: 'buying',
        quantity: '0.4',
        averagePurchasePrice: '99.25',
        safetyOrders: 1,
        maxSafetyOrders: 5,
        inFlightOrder: { clientOrderId: 'dca-2-so2-1', orderId: 'alpaca-7' },
        lastOrderFillPrice: '98.5',
        costBasis: '0',
        nextSafetyPrice: '97.0225',
        takeProfitPrice: '100.2425',
        trailingPeakPrice: null,
        trailingSellPrice: null,
        stopLossPrice: null,
        createdAt: expect.any(String),
        backoff: null,
      },
    });
    expect(assets[2]).toMatchObject({ symbol: 'SOL/USD', cycle: null });
    expect(assets[3]).toMatchObject({ symbol: 'DOGE/USD', valid: false, cycle: null });
  });

  it('says which asset is waiting after a refusal, why and until when', async () => {
    const until = new Date(Date.now() + 60_000);
    const ltc = await insertAsset(db.pool, { asset_symbol: 'LTC/USD' });
    await insertCycle(db.pool, ltc, {
      backoff_until: until,
      backoff_reason: 'insufficient balance for USD (requested: 20, available: 3)',
    });
    const run = await cli(['status'], env);
    expect(run.stdout).toContain(
      `LTC/USD waiting after refusal: insufficient balance for USD (requested: 20, available: 3) until ${until.toISOString()}`,
    );
    const json = await cli(['status', '--json'], env);
    const { assets } = json.json<{ assets: Array<{ cycle: { backoff: unknown } | null }> }>();
    expect(assets.at(-1)?.cycle?.backoff).toEqual({
      reason: 'insufficient balance for USD (requested: 20, available: 3)',
      until: until.toISOString(),
    });
  });

  it('shows a trailing take-profit under way and the stop-loss price once it is armed', async () => {
    const ada = await insertAsset(db.pool, { asset_symbol: 'ADA/USD', max_safety_orders: 1 });
    await db.pool.query(
      'UPDATE dca_assets SET ttp_enabled = TRUE, ttp_deviation_percent = 0.5, stop_loss_percent = 4 WHERE id = ?',
      [ada],
    );
    await insertCycle(db.pool, ada, {
      status: 'watching',
      quantity: '20',
      average_purchase_price: '0.5',
      safety_orders: 1,
      ttp_peak_price: '0.52',
    });
    const run = await cli(['status'], env);
    // 0.5 % below the 0.52 peak is 0.5174; 4 % below the 0.5 average is 0.48.
    expect(run.stdout).toContain('ADA/USD trailing take-profit: peak bid 0.52, sells at 0.5174 or below');
    expect(run.stdout).toContain('ADA/USD stop-loss: sells at 0.48 or below');
    const json = await cli(['status', '--json'], env);
    const { assets } = json.json<{
      assets: Array<{ symbol: string; cycle: Record<string, unknown> | null }>;
    }>();
    expect(assets.find((a) => a.symbol === 'ADA/USD')?.cycle).toMatchObject({
      trailingPeakPrice: '0.52',
      trailingSellPrice: '0.5174',
      stopLossPrice: '0.48',
    });
  });

  it('is a usage error with an argument it does not take', async () => {
    const run = await cli(['status', 'BTC/USD'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unexpected argument "BTC/USD"');
  });
});
