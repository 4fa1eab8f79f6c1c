import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAssetBySymbol } from '../../src/store/assets.js';
import { BTC_ADD_ARGS, cli } from '../helpers/cli.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase();
  env = dbEnv(db.cfg);
});
afterAll(async () => {
  await db?.drop();
});

/** `assets add` for another symbol with the README settings, overriding some flags. */
function addArgs(symbol: string, ...extra: string[]): string[] {
  return ['assets', 'add', symbol, ...BTC_ADD_ARGS.slice(3), ...extra];
}

describe('assets add', () => {
  it('stores a valid asset the bot can load and prints its worst-case capital', async () => {
    const run = await cli(BTC_ADD_ARGS, env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('added BTC/USD');
    expect(run.stdout).toContain('worst-case capital: 120 USD (base 20 + 5 × safety 20)');
    expect(run.stdout).toContain('exchange check skipped: no APCA_API_KEY_ID');
    const stored = await getAssetBySymbol(db.pool, 'BTC/USD');
    expect(stored?.enabled).toBe(true);
    expect(stored?.safetyOrderDeviation.toFixed()).toBe('1.5');
    expect(stored?.cooldownPeriod).toBe(300);
    expect(stored?.buyOrderPriceDeviationPercent.toFixed()).toBe('2');
  });

  it('refuses a duplicate symbol with exit 1 and stores nothing new', async () => {
    const run = await cli(BTC_ADD_ARGS, env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('asset BTC/USD already exists');
    const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM dca_assets WHERE asset_symbol = 'BTC/USD'");
    expect(Number((rows as { n: number }[])[0]?.n)).toBe(1);
  });

  it('refuses a negative amount with the same reason the bot would give', async () => {
    const run = await cli(addArgs('ETH/USD', '--base=-5'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('base_order_amount must be greater than 0, got -5');
    expect(await getAssetBySymbol(db.pool, 'ETH/USD')).toBeNull();
  });

  it('refuses a symbol that does not look like BTC/USD', async () => {
    const run = await cli(addArgs('btc-usd'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('asset_symbol must look like BTC/USD, got "btc-usd"');
  });

  it('lists every problem of a nonsensical asset at once', async () => {
    const run = await cli(
      addArgs('ETH/USD', '--max-safety', '2.5', '--take-profit', '100', '--cooldown', 'soon'),
      env,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('max_safety_orders must be an integer from 0 to 100, got 2.5');
    expect(run.stderr).toContain('take_profit_percent must be between 0 and 100 (exclusive), got 100');
    expect(run.stderr).toContain('cooldown_period must be a whole number of seconds');
  });

  it('refuses an amount its column would round instead of storing a different number', async () => {
    const run = await cli(addArgs('ETH/USD', '--deviation', '1.23456'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('safety_order_deviation allows at most 4 decimal places');
  });

  it('is a usage error (exit 2) when a setting is missing', async () => {
    const run = await cli(['assets', 'add', 'ETH/USD', '--base', '20'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --safety, --max-safety, --deviation');
    expect(run.stderr).toContain('usage: dca-bot assets add');
  });

  it('stores a disabled asset with --disabled', async () => {
    const run = await cli(addArgs('SOL/USD', '--disabled'), env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('added SOL/USD');
    expect((await getAssetBySymbol(db.pool, 'SOL/USD'))?.enabled).toBe(false);
  });
});

describe('assets set', () => {
  it('changes only the given settings and prints the new worst-case capital', async () => {
    const run = await cli(['assets', 'set', 'BTC/USD', '--safety', '30', '--max-safety', '3'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('safety_order_amount: 20 -> 30');
    expect(run.stdout).toContain('max_safety_orders: 5 -> 3');
    expect(run.stdout).toContain('worst-case capital: 110 USD');
    const stored = await getAssetBySymbol(db.pool, 'BTC/USD');
    expect(stored?.baseOrderAmount.toFixed()).toBe('20');
    expect(stored?.safetyOrderAmount.toFixed()).toBe('30');
    expect(stored?.maxSafetyOrders).toBe(3);
  });

  it('refuses an unknown symbol', async () => {
    const run = await cli(['assets', 'set', 'DOGE/USD', '--base', '10'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no asset "DOGE/USD"');
  });

  it('refuses a change that would make the asset invalid and keeps the old value', async () => {
    const run = await cli(['assets', 'set', 'BTC/USD', '--take-profit', '0'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('take_profit_percent must be between 0 and 100');
    expect((await getAssetBySymbol(db.pool, 'BTC/USD'))?.takeProfitPercent.toFixed()).toBe('1');
  });

  it('is a usage error without any setting to change', async () => {
    const run = await cli(['assets', 'set', 'BTC/USD'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nothing to change');
  });
});

describe('assets enable and disable', () => {
  it('disables and enables an asset', async () => {
    const off = await cli(['assets', 'disable', 'BTC/USD'], env);
    expect(off.code).toBe(0);
    expect((await getAssetBySymbol(db.pool, 'BTC/USD'))?.enabled).toBe(false);
    const on = await cli(['assets', 'enable', 'BTC/USD'], env);
    expect(on.code).toBe(0);
    expect(on.stdout).toContain('BTC/USD enabled');
    expect((await getAssetBySymbol(db.pool, 'BTC/USD'))?.enabled).toBe(true);
  });

  it('says so when the asset is already in that state', async () => {
    const run = await cli(['assets', 'enable', 'BTC/USD'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('BTC/USD is already enabled');
  });

  it('refuses an unknown symbol', async () => {
    const run = await cli(['assets', 'disable', 'DOGE/USD'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no asset "DOGE/USD"');
  });
});

describe('assets list', () => {
  let invalidId: number;
  beforeAll(async () => {
    // Written by hand, the way the README shows, with a take-profit the bot refuses.
    invalidId = await insertAsset(db.pool, { asset_symbol: 'ETH/USD', take_profit_percent: '0' });
  });

  it('refuses to enable a row the bot would skip', async () => {
    const run = await cli(['assets', 'enable', 'ETH/USD'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('take_profit_percent must be between 0 and 100');
  });

  it('prints every row as an aligned table and flags invalid rows with their reason', async () => {
    const run = await cli(['assets', 'list'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+SYMBOL\s+ENABLED\s+BASE/);
    expect(lines.filter((l) => /^\d+\s/.test(l)).map((l) => l.split(/\s+/)[1])).toEqual([
      'BTC/USD',
      'SOL/USD',
      'ETH/USD',
    ]);
    // Columns line up: every row has the SYMBOL column at the header's offset.
    const offset = lines[0]?.indexOf('SYMBOL');
    for (const line of lines.slice(1, 4)) expect(line.indexOf('/USD') - 3).toBe(offset);
    expect(run.stdout).toContain(
      `asset ${invalidId} (ETH/USD) is invalid and skipped by the bot: take_profit_percent must be between 0 and 100`,
    );
  });

  it('prints JSON with decimals as strings and invalid rows flagged', async () => {
    const run = await cli(['assets', 'list', '--json'], env);
    expect(run.code).toBe(0);
    const { assets } = run.json<{ assets: Record<string, unknown>[] }>();
    expect(assets).toHaveLength(3);
    expect(assets[0]).toEqual({
      id: expect.any(Number),
      symbol: 'BTC/USD',
      enabled: true,
      baseOrderAmount: '20',
      safetyOrderAmount: '30',
      maxSafetyOrders: 3,
      safetyOrderDeviation: '1.5',
      takeProfitPercent: '1',
      cooldownPeriod: 300,
      buyOrderPriceDeviationPercent: '2',
      lastSellPrice: null,
      ttpEnabled: false,
      ttpDeviationPercent: null,
      stopLossPercent: null,
      stopLossAfterSafetyOrders: true,
      safetyOrderVolumeScale: '1',
      safetyOrderStepScale: '1',
      worstCaseCapital: '110',
      valid: true,
      reason: null,
    });
    expect(assets[2]).toMatchObject({
      id: invalidId,
      symbol: 'ETH/USD',
      valid: false,
      takeProfitPercent: '0.0000',
      worstCaseCapital: null,
      reason: expect.stringContaining('take_profit_percent'),
    });
  });

  it('prints its own help with --help', async () => {
    const run = await cli(['assets', 'list', '--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: dca-bot assets list [--json]');
  });
});

describe('strategy controls', () => {
  it('adds an asset with a trailing take-profit, a stop-loss and scaled safety orders', async () => {
    const run = await cli(
      addArgs(
        'ADA/USD',
        '--ttp-deviation',
        '0.3',
        '--stop-loss',
        '8',
        '--stop-loss-after-safety',
        'no',
        '--volume-scale',
        '1.5',
        '--step-scale',
        '1.2',
      ),
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // 20 + 20 + 30 + 45 + 67.5 + 101.25: each safety order 1.5 × the one before.
    expect(run.stdout).toContain(
      'worst-case capital: 283.75 USD (base 20 + safety orders 20 + 30 + 45 + 67.5 + 101.25)',
    );
    const stored = await getAssetBySymbol(db.pool, 'ADA/USD');
    expect(stored).toMatchObject({ ttpEnabled: true, stopLossAfterSafetyOrders: false });
    expect(stored?.ttpDeviationPercent?.toFixed()).toBe('0.3');
    expect(stored?.stopLossPercent?.toFixed()).toBe('8');
    expect(stored?.safetyOrderVolumeScale.toFixed()).toBe('1.5');
    expect(stored?.safetyOrderStepScale.toFixed()).toBe('1.2');
  });

  it('switches the trailing take-profit and the stop-loss off with `off`', async () => {
    const run = await cli(['assets', 'set', 'ADA/USD', '--ttp-deviation', 'off', '--stop-loss', 'off'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ttp_deviation_percent: 0.3 -> null  (--ttp-deviation)');
    expect(run.stdout).toContain('stop_loss_percent: 8 -> null  (--stop-loss)');
    expect(run.stdout).toContain('ttp_enabled: 1 -> 0');
    expect(await getAssetBySymbol(db.pool, 'ADA/USD')).toMatchObject({
      ttpEnabled: false,
      ttpDeviationPercent: null,
      stopLossPercent: null,
    });
  });

  it('refuses a trailing deviation as wide as the take-profit, and a yes/no flag given anything else', async () => {
    const wide = await cli(['assets', 'set', 'ADA/USD', '--ttp-deviation', '1'], env);
    expect(wide.code).toBe(1);
    expect(wide.stderr).toContain('ttp_deviation_percent (1) must be less than take_profit_percent (1)');
    const vague = await cli(['assets', 'set', 'ADA/USD', '--stop-loss-after-safety', 'maybe'], env);
    expect(vague.code).toBe(1);
    expect(vague.stderr).toContain('--stop-loss-after-safety takes yes or no, got "maybe"');
    expect((await getAssetBySymbol(db.pool, 'ADA/USD'))?.ttpEnabled).toBe(false);
  });

  it('documents the flags in the help of add and set', async () => {
    for (const command of ['add', 'set']) {
      const run = await cli(['assets', command, '--help'], env);
      for (const flag of [
        '--ttp-deviation',
        '--stop-loss',
        '--stop-loss-after-safety',
        '--volume-scale',
        '--step-scale',
      ]) {
        expect(run.stdout).toContain(flag);
      }
    }
  });
});
