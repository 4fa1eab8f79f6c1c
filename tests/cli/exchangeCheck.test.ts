import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/simulator.js';
import { getAssetBySymbol } from '../../src/store/assets.js';
import { BTC_ADD_ARGS, cli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

let db: TestDatabase;
let sim: Simulator;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  [db, sim] = await Promise.all([
    // `_sim`: one test runs the CLI in sim mode, which accepts no other database.
    createTestDatabase({ sim: true }),
    startSimulator({
      port: 0,
      assets: [
        { symbol: 'BTC/USD', minOrderSize: '0.0001', minTradeIncrement: '0.000000001', priceIncrement: '1' },
        { symbol: 'ETH/USD', minOrderSize: '0.001', minTradeIncrement: '0.000000001', priceIncrement: '0.1' },
        {
          symbol: 'LUNA/USD',
          minOrderSize: '1',
          minTradeIncrement: '1',
          priceIncrement: '0.01',
          tradable: false,
        },
      ],
    }),
  ]);
  const e = sim.endpoints;
  env = {
    ...dbEnv(db.cfg),
    DCA_MODE: 'paper',
    APCA_API_KEY_ID: e.keyId,
    APCA_API_SECRET_KEY: e.secretKey,
    APCA_API_BASE_URL: e.baseUrl,
    APCA_API_DATA_URL: e.dataUrl,
    APCA_API_STREAM_URL: e.streamUrl,
    APCA_API_DATA_STREAM_URL: e.dataStreamUrl,
  };
  sim.publishQuote('BTC/USD', '59990', '60000');
});
afterAll(async () => {
  await Promise.all([db?.drop(), sim?.close()]);
});

const withAmounts = (symbol: string, base: string, safety: string) => [
  'assets',
  'add',
  symbol,
  ...BTC_ADD_ARGS.slice(3),
  '--base',
  base,
  '--safety',
  safety,
];

describe('the exchange check on assets add and set', () => {
  it('refuses an amount that buys less than min_order_size at the latest ask, naming the minimum', async () => {
    // 5 USD at 60000 buys 0.0000833 BTC; the exchange's minimum is 0.0001 BTC.
    const run = await cli(withAmounts('BTC/USD', '5', '20'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'base order amount 5 USD buys 0.000083333 at 60000, below the min order size 0.0001 (needs at least 10.03 USD)',
    );
    expect(run.stderr).not.toContain('safety order');
    expect(await getAssetBySymbol(db.pool, 'BTC/USD')).toBeNull();
  });

  it('take-profit too small to sell: refuses a base order whose net quantity after the fee is below min_order_size', async () => {
    // 6 USD buys exactly 0.0001 BTC gross, but the cycle keeps 0.00009975 after the 25 bps fee: it
    // could be bought and never sold. (The minimum order value is set aside to isolate the size rule.)
    const run = await cli(withAmounts('BTC/USD', '6', '20'), { ...env, DCA_MIN_ORDER_USD: '0' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'base order amount 6 USD buys 0.0001 at 60000 but keeps 0.00009975 after the fee, below the min order size 0.0001: the take-profit could never sell it (needs at least 6.02 USD)',
    );
    expect(await getAssetBySymbol(db.pool, 'BTC/USD')).toBeNull();
  });

  it("refuses an order worth less than the exchange's minimum order value (10 USD by default)", async () => {
    const run = await cli(withAmounts('BTC/USD', '9', '20'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'base order amount 9 USD is worth 9 USD at 60000, below the minimum order value 10 USD (needs at least 10.03 USD)',
    );
    const safety = await cli(withAmounts('BTC/USD', '20', '9.99'), env);
    expect(safety.code).toBe(1);
    expect(safety.stderr).toContain(
      'safety order amount 9.99 USD is worth 9.99 USD at 60000, below the minimum order value 10 USD (needs at least 10.01 USD)',
    );
    expect(await getAssetBySymbol(db.pool, 'BTC/USD')).toBeNull();
  });

  it('stores an asset whose orders all meet the minimum and says what it checked', async () => {
    const run = await cli(withAmounts('BTC/USD', '11', '20'), env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'exchange: BTC/USD is tradable and every order meets min_order_size 0.0001 and the minimum order value 10 USD',
    );
    expect((await getAssetBySymbol(db.pool, 'BTC/USD'))?.baseOrderAmount.toFixed()).toBe('11');
  });

  it('checks a changed safety amount on set and keeps the stored value when it is too small', async () => {
    const run = await cli(['assets', 'set', 'BTC/USD', '--safety', '3'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('safety order amount 3 USD buys');
    expect((await getAssetBySymbol(db.pool, 'BTC/USD'))?.safetyOrderAmount.toFixed()).toBe('20');
  });

  it('does not ask the exchange when a setting that is not an amount changes', async () => {
    const run = await cli(['assets', 'set', 'BTC/USD', '--cooldown', '60'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('exchange');
  });

  it('refuses a symbol the exchange does not know', async () => {
    const run = await cli(withAmounts('ZZZ/USD', '20', '20'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the exchange does not know ZZZ/USD');
  });

  it('refuses a symbol the exchange does not trade', async () => {
    const run = await cli(withAmounts('LUNA/USD', '20', '20'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the exchange lists LUNA/USD as not tradable');
  });

  it('stores the asset but says the size was not checked when there is no quote yet', async () => {
    const run = await cli(withAmounts('ETH/USD', '20', '20'), env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('no latest quote, so min_order_size 0.001 was not checked');
  });

  it('stores without asking when told to skip the check', async () => {
    const run = await cli([...withAmounts('SOL/USD', '1', '1'), '--skip-exchange-check'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('exchange check skipped (--skip-exchange-check)');
  });

  it('refuses --check-exchange when no keys are configured', async () => {
    const run = await cli([...withAmounts('DOGE/USD', '20', '20'), '--check-exchange'], dbEnv(db.cfg));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--check-exchange needs APCA_API_KEY_ID and APCA_API_SECRET_KEY');
  });

  it('skips the check in sim mode unless --check-exchange asks for it', async () => {
    const simEnv = { ...env, DCA_MODE: 'sim' };
    const skipped = await cli(['assets', 'set', 'BTC/USD', '--safety', '3'], simEnv);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('exchange check skipped: DCA_MODE=sim');
    const checked = await cli(['assets', 'set', 'BTC/USD', '--safety', '2', '--check-exchange'], simEnv);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain('safety order amount 2 USD buys');
  });
});
