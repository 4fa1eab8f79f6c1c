import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticBars } from '../../src/backtest/synthetic.js';
import { BTC_SETTINGS, cli } from '../helpers/cli.js';

const SETTINGS = BTC_SETTINGS;
let dir: string;
let csv: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dca-backtest-'));
  csv = join(dir, 'btc.csv');
  const b = syntheticBars({ count: 5000, seed: 3, annualVol: 1.5 });
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < b.t.length; i++) {
    lines.push(`${new Date(b.t[i]!).toISOString()},${b.o[i]},${b.h[i]},${b.l[i]},${b.c[i]},${b.v[i]}`);
  }
  writeFileSync(csv, `${lines.join('\n')}\n`);
});

/** No DB_* and no APCA_* variables: a CSV backtest needs neither. */
const NO_ENV = {};

describe('dca-bot backtest --csv', () => {
  it('prints the report without a database or keys', async () => {
    const r = await cli(['backtest', 'BTC/USD', '--csv', csv, ...SETTINGS], NO_ENV);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('backtest BTC/USD');
    expect(r.stdout).toMatch(/realized P&L\s+-?\d+\.\d\d USD/);
    expect(r.stdout).toContain(
      'dca-bot assets add BTC/USD --base 20 --safety 20 --max-safety 5 --deviation 1.5 --take-profit 1 --cooldown 300 --restart-drop 2',
    );
  });

  it('prints one JSON document with --json, decimals as strings', async () => {
    const r = await cli(['backtest', 'BTC/USD', '--csv', csv, ...SETTINGS, '--json'], NO_ENV);
    expect(r.code).toBe(0);
    const doc = r.json<{
      summary: { realizedPnl: string; bars: number };
      orders: { side: string; qty: string }[];
    }>();
    expect(doc.summary.bars).toBe(5000);
    expect(typeof doc.summary.realizedPnl).toBe('string');
    expect(doc.orders.length).toBeGreaterThan(0);
    expect(doc.orders[0]!.side).toBe('buy');
  });

  it('writes a self-contained HTML report', async () => {
    const out = join(dir, 'report.html');
    const r = await cli(['backtest', 'BTC/USD', '--csv', csv, ...SETTINGS, '--html', out], NO_ENV);
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('LightweightCharts');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it("refuses settings the bot would refuse, with the bot's own reason", async () => {
    const bad = SETTINGS.map((v, i) => (SETTINGS[i - 1] === '--take-profit' ? '150' : v));
    const r = await cli(['backtest', 'BTC/USD', '--csv', csv, ...bad], NO_ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('take_profit_percent must be between 0 and 100');
  });

  it('takes the strategy flags and prints them in the settings line', async () => {
    const strategy = [
      '--ttp-deviation',
      '0.3',
      '--stop-loss',
      '6',
      '--stop-loss-after-safety',
      'no',
      '--volume-scale',
      '1.5',
      '--step-scale',
      '1.2',
    ];
    const r = await cli(['backtest', 'BTC/USD', '--csv', csv, ...SETTINGS, ...strategy, '--json'], NO_ENV);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = r.json<{ summary: { settings: string; maxCapital: string; realizedPnl: string } }>();
    expect(doc.summary.settings).toBe(
      'dca-bot assets add BTC/USD --base 20 --safety 20 --max-safety 5 --deviation 1.5 --take-profit 1 ' +
        '--cooldown 300 --restart-drop 2 --ttp-deviation 0.3 --stop-loss 6 --stop-loss-after-safety no ' +
        '--volume-scale 1.5 --step-scale 1.2',
    );
    // The scaled worst case: 20 + 20 × (1 + 1.5 + 1.5² + 1.5³ + 1.5⁴).
    expect(doc.summary.maxCapital).toBe('283.75');
    const plain = await cli(['backtest', 'BTC/USD', '--csv', csv, ...SETTINGS, '--json'], NO_ENV);
    expect(plain.json<{ summary: { realizedPnl: string } }>().summary.realizedPnl).not.toBe(
      doc.summary.realizedPnl,
    );
    const bad = await cli(['backtest', 'BTC/USD', '--csv', csv, ...SETTINGS, '--ttp-deviation', '1'], NO_ENV);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ttp_deviation_percent (1) must be less than take_profit_percent (1)');
    const badFlag = await cli(
      ['backtest', 'BTC/USD', '--csv', csv, ...SETTINGS, '--stop-loss-after-safety', 'maybe'],
      NO_ENV,
    );
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toContain('--stop-loss-after-safety takes yes or no');
  });

  it('names the missing settings flags as `assets add` does', async () => {
    const r = await cli(['backtest', 'BTC/USD', '--csv', csv, '--base', '20'], NO_ENV);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'missing --safety, --max-safety, --deviation, --take-profit, --cooldown, --restart-drop',
    );
  });

  it('reports bad CSV rows with their line numbers', async () => {
    const broken = join(dir, 'broken.csv');
    writeFileSync(
      broken,
      'timestamp,open,high,low,close,volume\n2025-01-01T00:00:00Z,1,2,0.5,1,1\n2025-01-01T00:01:00Z,1,x,0.5,1,1\n',
    );
    const r = await cli(['backtest', 'BTC/USD', '--csv', broken, ...SETTINGS], NO_ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 3: high "x" is not a number');
  });

  it('needs the pair rules for a pair without published ones', async () => {
    const r = await cli(['backtest', 'FOO/USD', '--csv', csv, ...SETTINGS], NO_ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--min-order-size, --min-trade-increment and --price-increment');
    const ok = await cli(
      [
        'backtest',
        'FOO/USD',
        '--csv',
        csv,
        ...SETTINGS,
        '--min-order-size',
        '0.0001',
        '--min-trade-increment',
        '0.000000001',
        '--price-increment',
        '0.01',
      ],
      NO_ENV,
    );
    expect(ok.code).toBe(0);
  });

  it('sweeps a grid and prints the best rows with the settings to paste into assets add', async () => {
    const fixed = [
      '--base',
      '20',
      '--safety',
      '20',
      '--max-safety',
      '5',
      '--cooldown',
      '300',
      '--restart-drop',
      '2',
    ];
    const sweep = ['--sweep', 'take_profit_percent=0.5:1.5:0.5', '--sweep', 'safety_order_deviation=1:2:1'];
    const r = await cli(
      ['backtest', 'BTC/USD', '--csv', csv, ...fixed, ...sweep, '--rank', 'return', '--top', '3'],
      NO_ENV,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sweep BTC\/USD: 6 points over 5000 bars in [\d.]+ s, best 3 by return/);
    expect(r.stdout).toMatch(
      /dca-bot assets add BTC\/USD --base 20 --safety 20 --max-safety 5 --deviation [12] --take-profit [\d.]+ --cooldown 300 --restart-drop 2/,
    );
    expect(r.stderr).toContain('sweep: 6/6 (100 %)');
    const bad = await cli(
      ['backtest', 'BTC/USD', '--csv', csv, ...fixed, ...sweep, '--rank', 'luck'],
      NO_ENV,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--rank expects one of pnl, return, drawdown');
  }, 60_000);
});
