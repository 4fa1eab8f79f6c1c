import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DcaError } from '../../src/errors.js';
import { dec } from '../../src/money.js';
import {
  assetColumnProblems,
  findAssetRow,
  getAsset,
  getAssetBySymbol,
  loadAssets,
  parseAssetRow,
  setAssetEnabled,
  setLastSellPrice,
  insertAsset as storeAsset,
  updateAssetSettings,
} from '../../src/store/assets.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
let btc: number;
let eth: number;
let bad: number;
let disabled: number;
beforeAll(async () => {
  db = await createTestDatabase();
  btc = await insertAsset(db.pool);
  bad = await insertAsset(db.pool, {
    asset_symbol: 'btc-usd',
    take_profit_percent: '0',
    max_safety_orders: 101,
  });
  eth = await insertAsset(db.pool, { asset_symbol: 'ETH/USD', base_order_amount: '15.5' });
  disabled = await insertAsset(db.pool, { asset_symbol: 'SOL/USD', is_enabled: false });
});
afterAll(async () => {
  await db?.drop();
});

describe('assets', () => {
  it("fetches an asset inserted with only the seed's columns", async () => {
    const asset = await getAsset(db.pool, btc);
    expect(asset).not.toBeNull();
    expect(asset?.symbol).toBe('BTC/USD');
    expect(asset?.enabled).toBe(true);
    expect(asset?.baseOrderAmount.toFixed()).toBe('20');
    expect(asset?.safetyOrderAmount.toFixed()).toBe('20');
    expect(asset?.maxSafetyOrders).toBe(5);
    expect(asset?.safetyOrderDeviation.toFixed()).toBe('1.5');
    expect(asset?.takeProfitPercent.toFixed()).toBe('1');
    expect(asset?.cooldownPeriod).toBe(300);
    expect(asset?.buyOrderPriceDeviationPercent.toFixed()).toBe('2');
    expect(asset?.lastSellPrice).toBeNull();
  });

  it('fetches by symbol, and null for an unknown one', async () => {
    expect((await getAssetBySymbol(db.pool, 'ETH/USD'))?.id).toBe(eth);
    expect(await getAssetBySymbol(db.pool, 'DOGE/USD')).toBeNull();
    expect(await getAsset(db.pool, 999_999)).toBeNull();
  });

  it('skips invalid rows with their id and reasons while the valid ones load', async () => {
    const { assets, invalid } = await loadAssets(db.pool);
    expect(assets.map((a) => a.id)).toEqual([btc, eth, disabled]);
    expect(invalid).toEqual([
      {
        id: bad,
        symbol: 'btc-usd',
        reason:
          'asset_symbol must look like BTC/USD, got "btc-usd"; ' +
          'max_safety_orders must be an integer from 0 to 100, got 101; ' +
          'take_profit_percent must be between 0 and 100 (exclusive), got 0',
      },
    ]);
  });

  it('loads only enabled assets when asked', async () => {
    const { assets } = await loadAssets(db.pool, { enabledOnly: true });
    expect(assets.map((a) => a.symbol)).toEqual(['BTC/USD', 'ETH/USD']);
  });

  it('stores the last sell price exactly', async () => {
    await setLastSellPrice(db.pool, eth, dec('3456.1234567891'));
    expect((await getAsset(db.pool, eth))?.lastSellPrice?.toFixed()).toBe('3456.1234567891');
  });
});

describe('operator writes', () => {
  it('stores a new asset, rewrites its settings and toggles it, keeping the last sell price', async () => {
    const template = await getAsset(db.pool, btc);
    if (template === null) throw new Error('seed asset missing');
    const id = await storeAsset(db.pool, { ...template, symbol: 'ADA/USD', baseOrderAmount: dec('7.25') });
    expect(await getAssetBySymbol(db.pool, 'ADA/USD')).toMatchObject({
      id,
      enabled: true,
      lastSellPrice: null,
    });
    await setLastSellPrice(db.pool, id, dec('0.5'));
    await updateAssetSettings(db.pool, { ...template, id, symbol: 'ADA/USD', maxSafetyOrders: 2 });
    await setAssetEnabled(db.pool, id, false);
    const stored = await getAsset(db.pool, id);
    expect(stored).toMatchObject({ enabled: false, maxSafetyOrders: 2, cooldownPeriod: 300 });
    expect(stored?.baseOrderAmount.toFixed()).toBe('20');
    expect(stored?.lastSellPrice?.toFixed()).toBe('0.5');
  });

  it('finds an invalid row unparsed so it can be fixed', async () => {
    expect(await findAssetRow(db.pool, 'btc-usd')).toMatchObject({ id: bad, take_profit_percent: '0.0000' });
    expect(await findAssetRow(db.pool, 'XRP/USD')).toBeNull();
  });

  it('names the settings their columns would round', async () => {
    const asset = await getAsset(db.pool, btc);
    if (asset === null) throw new Error('seed asset missing');
    expect(assetColumnProblems(asset)).toEqual([]);
    expect(assetColumnProblems({ ...asset, takeProfitPercent: dec('1.23456') })).toEqual([
      'take_profit_percent allows at most 4 decimal places',
    ]);
  });
});

describe('parseAssetRow', () => {
  const good = {
    id: 1,
    asset_symbol: 'BTC/USDT',
    is_enabled: 1,
    base_order_amount: '20.0000000000',
    safety_order_amount: '20.0000000000',
    max_safety_orders: 0,
    safety_order_deviation: '1.5000',
    take_profit_percent: '99.9999',
    cooldown_period: 0,
    buy_order_price_deviation_percent: '2.0000',
    last_sell_price: null,
  };

  it('accepts the edges of every range', () => {
    expect(parseAssetRow(good).symbol).toBe('BTC/USDT');
  });

  it('throws ASSET_INVALID naming every bad column', () => {
    const row = { ...good, base_order_amount: '-1', safety_order_deviation: '100', cooldown_period: -5 };
    const err = (() => {
      try {
        parseAssetRow(row);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DcaError);
    expect(err).toMatchObject({ code: 'ASSET_INVALID' });
    expect((err as DcaError).details['reasons']).toEqual([
      'base_order_amount must be greater than 0, got -1',
      'safety_order_deviation must be between 0 and 100 (exclusive), got 100',
      'cooldown_period must be a whole number of seconds ≥ 0, got -5',
    ]);
  });
});

describe('strategy controls (sql/008)', () => {
  const seed = {
    id: 2,
    asset_symbol: 'ETH/USD',
    is_enabled: 1,
    base_order_amount: '20',
    safety_order_amount: '20',
    max_safety_orders: 5,
    safety_order_deviation: '1.5',
    take_profit_percent: '1',
    cooldown_period: 300,
    buy_order_price_deviation_percent: '2',
    last_sell_price: null,
  };
  const reasonsOf = (row: Record<string, unknown>) => {
    try {
      parseAssetRow(row);
      return [];
    } catch (e) {
      return (e as DcaError).details['reasons'];
    }
  };

  it("defaults to the seed's behaviour for a row inserted with the seed's columns", async () => {
    expect(await getAsset(db.pool, btc)).toMatchObject({
      ttpEnabled: false,
      ttpDeviationPercent: null,
      stopLossPercent: null,
      stopLossAfterSafetyOrders: true,
    });
    const asset = (await getAsset(db.pool, btc))!;
    expect([asset.safetyOrderVolumeScale.toFixed(), asset.safetyOrderStepScale.toFixed()]).toEqual([
      '1',
      '1',
    ]);
    // A row without the columns at all (an older SELECT) parses the same way.
    expect(parseAssetRow(seed)).toMatchObject({ ttpEnabled: false, stopLossPercent: null });
  });

  it('stores and reads back every control exactly', async () => {
    const template = (await getAsset(db.pool, btc))!;
    const id = await storeAsset(db.pool, {
      ...template,
      symbol: 'LINK/USD',
      ttpEnabled: true,
      ttpDeviationPercent: dec('0.25'),
      stopLossPercent: dec('7.5'),
      stopLossAfterSafetyOrders: false,
      safetyOrderVolumeScale: dec('1.05'),
      safetyOrderStepScale: dec('1.3333'),
    });
    const stored = (await getAsset(db.pool, id))!;
    expect(stored).toMatchObject({ ttpEnabled: true, stopLossAfterSafetyOrders: false });
    expect(
      [
        stored.ttpDeviationPercent,
        stored.stopLossPercent,
        stored.safetyOrderVolumeScale,
        stored.safetyOrderStepScale,
      ].map((d) => d?.toFixed()),
    ).toEqual(['0.25', '7.5', '1.05', '1.3333']);
    await updateAssetSettings(db.pool, {
      ...stored,
      ttpEnabled: false,
      ttpDeviationPercent: null,
      stopLossPercent: null,
    });
    expect(await getAsset(db.pool, id)).toMatchObject({
      ttpEnabled: false,
      ttpDeviationPercent: null,
      stopLossPercent: null,
    });
  });

  it('refuses a trailing take-profit without a deviation, or one as wide as the take-profit', () => {
    expect(reasonsOf({ ...seed, ttp_enabled: 1 })).toEqual([
      'ttp_enabled needs ttp_deviation_percent (the % below the peak bid that sells)',
    ]);
    expect(reasonsOf({ ...seed, ttp_enabled: 1, ttp_deviation_percent: '1' })).toEqual([
      'ttp_deviation_percent (1) must be less than take_profit_percent (1), or the trailing take-profit could sell below its target',
    ]);
    // Off, a stored deviation is kept and not checked against the take-profit.
    expect(reasonsOf({ ...seed, ttp_enabled: 0, ttp_deviation_percent: '3' })).toEqual([]);
  });

  it('refuses a stop-loss or scale outside its range, and a step scale whose last deviation reaches 100 %', () => {
    expect(
      reasonsOf({
        ...seed,
        stop_loss_percent: '100',
        safety_order_volume_scale: '0',
        safety_order_step_scale: '10.5',
      }),
    ).toEqual([
      'stop_loss_percent must be between 0 and 100 (exclusive), got 100',
      'safety_order_volume_scale must be greater than 0 and at most 10, got 0',
      'safety_order_step_scale must be greater than 0 and at most 10, got 10.5',
    ]);
    // 1.5 × 2.8^4 = 92.1984 is still a deviation; 1.5 × 3^4 = 121.5 is not.
    expect(reasonsOf({ ...seed, safety_order_step_scale: '2.8' })).toEqual([]);
    expect(reasonsOf({ ...seed, safety_order_step_scale: '3' })).toEqual([
      "safety order 5's deviation would be 121.5 % (safety_order_deviation × safety_order_step_scale^4); it must stay below 100",
    ]);
    expect(reasonsOf({ ...seed, stop_loss_percent: 'abc' })).toEqual([
      'stop_loss_percent is not a number ("abc")',
    ]);
  });

  it('names a control its column would round', () => {
    const asset = parseAssetRow({
      ...seed,
      ttp_enabled: 1,
      ttp_deviation_percent: '0.12345',
      stop_loss_percent: '5',
    });
    expect(assetColumnProblems(asset)).toEqual(['ttp_deviation_percent allows at most 4 decimal places']);
  });

  it('names a scaled safety order its amount column could not hold', () => {
    const asset = parseAssetRow({ ...seed, max_safety_orders: 100, safety_order_volume_scale: '10' });
    expect(assetColumnProblems(asset)).toEqual([
      'safety order 100 would be 2e+100 USD (safety_order_amount × safety_order_volume_scale^(n − 1)); an amount must be less than 1e10',
    ]);
  });
});
