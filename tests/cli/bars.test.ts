import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { SimBar } from '../../src/sim/barBook.js';
import { BTC_SETTINGS, cli } from '../helpers/cli.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';
import { type SimHarness, startSimHarness } from '../helpers/sim.js';

let h: SimHarness;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;
const T0 = Date.parse('2025-03-01T00:00:00Z');
const COUNT = 14_400; // ten days of minutes: two pages of Alpaca's 10,000

beforeAll(async () => {
  h = await startSimHarness();
  db = await createTestDatabase();
  const bars: SimBar[] = [];
  let p = 60_000;
  for (let i = 0; i < COUNT; i++) {
    const next = p * (1 + 0.004 * Math.sin(i / 40));
    bars.push({
      t: T0 + i * 60_000,
      o: p,
      h: Math.max(p, next) + 5,
      l: Math.min(p, next) - 5,
      c: Math.round(next * 100) / 100,
      v: 1,
      n: 1,
    });
    p = Math.round(next * 100) / 100;
  }
  h.sim.loadBars('BTC/USD', bars);
  env = { ...dbEnv(db.cfg), APCA_API_DATA_URL: h.sim.endpoints.dataUrl };
});
afterAll(async () => {
  await db?.drop();
  await h?.close();
});

const SETTINGS = BTC_SETTINGS;

describe('dca-bot bars fetch', () => {
  it('caches the exchange’s bars page by page, with progress on stderr', async () => {
    const before = h.sim.restRequests().data;
    const r = await cli(['bars', 'fetch', 'BTC/USD', '--from', '2025-03-01', '--to', '2025-03-10'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`fetched ${COUNT} bars; ${COUNT} cached`);
    expect(r.stderr).toContain('100 %');
    expect(h.sim.restRequests().data - before).toBe(2);
    const [rows] = await db.pool.query(
      'SELECT CAST(COUNT(*) AS CHAR) AS n, CAST(MIN(t) AS CHAR) AS first FROM dca_bars',
    );
    expect(rows).toMatchObject([{ n: String(COUNT), first: String(T0) }]);
  });

  it('asks the exchange nothing for a period already fetched', async () => {
    const before = h.sim.restRequests().data;
    const r = await cli(['bars', 'fetch', 'BTC/USD', '--from', '2025-03-02', '--to', '2025-03-05'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fetched 0 bars');
    expect(h.sim.restRequests().data).toBe(before);
  });

  it('backtests a cached period, fetching only the part it lacks', async () => {
    const before = h.sim.restRequests().data;
    const r = await cli(
      ['backtest', 'BTC/USD', '--from', '2025-03-01', '--to', '2025-03-12', ...SETTINGS, '--json'],
      env,
    );
    expect(r.code).toBe(0);
    const doc = r.json<{ summary: { bars: number; cyclesCompleted: number } }>();
    expect(doc.summary.bars).toBe(COUNT);
    expect(doc.summary.cyclesCompleted).toBeGreaterThan(0);
    expect(h.sim.restRequests().data - before).toBe(1); // the two days after the loaded history
  });

  it('refuses a period the wrong way round and an unknown timeframe', async () => {
    expect(
      (await cli(['bars', 'fetch', 'BTC/USD', '--from', '2025-03-05', '--to', '2025-03-01'], env)).stderr,
    ).toContain('--to must be after --from');
    expect(
      (
        await cli(
          ['bars', 'fetch', 'BTC/USD', '--from', '2025-03-01', '--to', '2025-03-02', '--timeframe', '2Min'],
          env,
        )
      ).stderr,
    ).toContain('--timeframe expects');
  });

  it('refuses a bad DCA_REST_PER_MINUTE as the bot does, exit 2, before asking the exchange anything', async () => {
    const line = 'DCA_REST_PER_MINUTE: expected an integer from 1 to 10000, got "fast"';
    expect(() => loadConfig({ DCA_MODE: 'sim', DCA_REST_PER_MINUTE: 'fast' })).toThrow(line);
    const before = h.sim.restRequests().data;
    for (const args of [
      ['bars', 'fetch', 'BTC/USD', '--from', '2025-03-11', '--to', '2025-03-12'],
      ['backtest', 'BTC/USD', '--from', '2025-03-11', '--to', '2025-03-12', ...SETTINGS],
    ]) {
      const r = await cli(args, { ...env, DCA_REST_PER_MINUTE: 'fast' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(line);
    }
    expect(h.sim.restRequests().data).toBe(before);
  });

  it('takes the settings from a dca_assets row with --asset, flags overriding it', async () => {
    await insertAsset(db.pool, { take_profit_percent: '1.5', max_safety_orders: 3 });
    const r = await cli(
      [
        'backtest',
        'BTC/USD',
        '--from',
        '2025-03-01',
        '--to',
        '2025-03-05',
        '--asset',
        'BTC/USD',
        '--take-profit',
        '2',
        '--json',
      ],
      env,
    );
    expect(r.code).toBe(0);
    const doc = r.json<{ summary: { settings: string; maxCapital: string } }>();
    expect(doc.summary.settings).toBe(
      'dca-bot assets add BTC/USD --base 20 --safety 20 --max-safety 3 --deviation 1.5 --take-profit 2 --cooldown 300 --restart-drop 2',
    );
    expect(doc.summary.maxCapital).toBe('80');
    const missing = await cli(
      ['backtest', 'BTC/USD', '--from', '2025-03-01', '--to', '2025-03-05', '--asset', 'ETH/USD'],
      env,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no asset "ETH/USD"');
  });

  it('takes the strategy controls from the --asset row, a flag overriding one', async () => {
    const id = await insertAsset(db.pool, { asset_symbol: 'SOL/USD', max_safety_orders: 2 });
    await db.pool.query(
      `UPDATE dca_assets SET ttp_enabled = 1, ttp_deviation_percent = 0.4, stop_loss_percent = 7,
         safety_order_volume_scale = 2, safety_order_step_scale = 1.5 WHERE id = ?`,
      [id],
    );
    const args = ['backtest', 'BTC/USD', '--from', '2025-03-01', '--to', '2025-03-05', '--asset', 'SOL/USD'];
    const r = await cli([...args, '--json'], env);
    expect(r.code).toBe(0);
    const doc = r.json<{ summary: { settings: string; maxCapital: string } }>();
    expect(doc.summary.settings).toBe(
      'dca-bot assets add BTC/USD --base 20 --safety 20 --max-safety 2 --deviation 1.5 --take-profit 1 ' +
        '--cooldown 300 --restart-drop 2 --ttp-deviation 0.4 --stop-loss 7 --volume-scale 2 --step-scale 1.5',
    );
    expect(doc.summary.maxCapital).toBe('80'); // 20 + 20 + 40
    const off = await cli(
      [...args, '--ttp-deviation', 'off', '--stop-loss-after-safety', 'no', '--json'],
      env,
    );
    expect(off.code).toBe(0);
    expect(off.json<{ summary: { settings: string } }>().summary.settings).toBe(
      'dca-bot assets add BTC/USD --base 20 --safety 20 --max-safety 2 --deviation 1.5 --take-profit 1 ' +
        '--cooldown 300 --restart-drop 2 --stop-loss 7 --stop-loss-after-safety no --volume-scale 2 --step-scale 1.5',
    );
  });
});
