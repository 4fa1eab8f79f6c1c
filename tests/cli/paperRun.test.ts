import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/simulator.js';
import { testServerConfig } from '../helpers/db.js';
import { runEntry } from '../helpers/proc.js';

let sim: Simulator;
let feed: NodeJS.Timeout;

const serverEnv = () => {
  const s = testServerConfig();
  return { DB_HOST: s.host, DB_PORT: String(s.port), DB_USER: s.user, DB_PASSWORD: s.password };
};

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  // A live-like feed: quotes every 100 ms, and once the bot's base order has filled the market
  // rises 1 %, as the run waits for on paper.
  feed = setInterval(() => {
    const bought = sim
      .listOrders()
      .some((o) => o.clientOrderId.startsWith('dca-') && o.side === 'buy' && o.status === 'filled');
    sim.publishQuote('BTC/USD', bought ? '60590' : '59990', bought ? '60600' : '60000');
  }, 100);
});
afterAll(async () => {
  clearInterval(feed);
  await sim?.close();
});

/** The APCA_API_* variables that point at a simulator. */
function simEnv(target: Simulator): Record<string, string> {
  const e = target.endpoints;
  return {
    APCA_API_KEY_ID: e.keyId,
    APCA_API_SECRET_KEY: e.secretKey,
    APCA_API_BASE_URL: e.baseUrl,
    APCA_API_DATA_URL: e.dataUrl,
    APCA_API_STREAM_URL: e.streamUrl,
    APCA_API_DATA_STREAM_URL: e.dataStreamUrl,
  };
}

async function databaseExists(name: string): Promise<boolean> {
  const conn = await mysql.createConnection(testServerConfig());
  try {
    const [rows] = await conn.query('SHOW DATABASES LIKE ?', [name]);
    return (rows as unknown[]).length > 0;
  } finally {
    await conn.end();
  }
}

describe('npm run test:paper, pointed at the simulator', () => {
  it('runs doctor with the order test, then one real cycle, and puts the position back', async () => {
    const run = await runEntry(
      'paperRun',
      ['--timeout', '60'],
      { ...serverEnv(), ...simEnv(sim) },
      { timeoutMs: 120_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain('  doctor: 15 ok, 0 warn, 0 fail, 0 skipped: ready');
    expect(out).toMatch(/ok {4}order test: limit BUY .* nothing left open/);
    expect(out).toContain('test:paper: throwaway asset row BTC/USD: base 10.03 USD');
    expect(out).toMatch(
      /base order filled: bought 0\.\d+ at \d+ for 10\.\d\d USD, booked 0\.\d+ after the fee/,
    );
    expect(out).toMatch(/take-profit sold 0\.\d+ at market at \d+/);
    expect(out).toMatch(/cycle \d+ complete: realized P&L -?\d+\.\d{4} USD/);
    expect(out).toMatch(/cost: fees 0\.\d{4} USD \(buy 0\.\d{4}, sell 0\.\d{4}, at DCA_FEE_BPS 25\)/);
    expect(out).toContain('back where it was');
    // One base buy, one take-profit sell, the canceled test order: nothing else, nothing open.
    const orders = sim.listOrders();
    expect(
      orders.filter((o) => o.clientOrderId.startsWith('dca-')).map((o) => `${o.side} ${o.type} ${o.status}`),
    ).toEqual(['buy limit filled', 'sell market filled']);
    expect(orders.filter((o) => o.clientOrderId.startsWith('doctor-')).map((o) => o.status)).toEqual([
      'canceled',
    ]);
    expect(sim.positions().filter((p) => p.qty.gte('0.0001'))).toEqual([]);
    const database = /throwaway database (dca_paper_[0-9a-f]+)/.exec(out)?.[1];
    expect(database).toBeDefined();
    expect(await databaseExists(database!)).toBe(false);
  });

  it('puts the position back and exits 1 when the take-profit does not come in time', async () => {
    const flat = await startSimulator({ port: 0 });
    const quotes = setInterval(() => flat.publishQuote('BTC/USD', '59990', '60000'), 100);
    try {
      const run = await runEntry(
        'paperRun',
        ['--timeout', '10'],
        { ...serverEnv(), ...simEnv(flat) },
        { timeoutMs: 120_000 },
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('test:paper: FAIL: the cycle did not complete within 10 s (still open)');
      expect(run.stdout).toMatch(/sold the 0\.\d+ the cycle bought at market, to put the position back/);
      expect(flat.positions().filter((p) => p.qty.gte('0.0001'))).toEqual([]);
      expect(flat.listOrders().filter((o) => o.status !== 'filled' && o.status !== 'canceled')).toEqual([]);
    } finally {
      clearInterval(quotes);
      await flat.close();
    }
  });

  it('is skipped, with a line saying why, when no keys are set', async () => {
    const run = await runEntry('paperRun', [], serverEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'test:paper: skipped: set APCA_API_KEY_ID and APCA_API_SECRET_KEY to a paper account key pair to run it\n',
    );
  });

  it('refuses a destination that trades real money, before it creates anything', async () => {
    const run = await runEntry('paperRun', [], {
      ...serverEnv(),
      DCA_MODE: 'live',
      DCA_LIVE_TRADING: 'yes',
      APCA_API_KEY_ID: 'AKLIVE',
      APCA_API_SECRET_KEY: 'live-secret',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "test:paper: refused: it trades, and runs only against Alpaca's paper host or a loopback exchange; orders would go to LIVE (real money) (api.alpaca.markets)",
    );
    expect(run.stdout).toBe('');
  });
});
