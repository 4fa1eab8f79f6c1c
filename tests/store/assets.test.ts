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
