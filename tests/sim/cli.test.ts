import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';

/** Starts `npm run sim` on a free port with `args` and waits for its APCA_API_* lines. */
async function startSim(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sim/cli.ts', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  await waitFor(() => out.includes('APCA_API_SECRET_KEY='), 15_000, 'the env lines');
  return { child, out: () => out };
}

describe('npm run sim', () => {
  it('prints the APCA_API_* lines, feeds a random walk, and exits 0 on SIGINT', async () => {
    const sim = await startSim(['--interval', '20', '--symbols', 'BTC/USD', '--prices', '50000']);
    const { child } = sim;
    const out = sim.out();
    const env = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.startsWith('APCA_API_'))
        .map((l) => l.split('=') as [string, string]),
    );
    expect(Object.keys(env).sort()).toEqual([
      'APCA_API_BASE_URL',
      'APCA_API_DATA_STREAM_URL',
      'APCA_API_DATA_URL',
      'APCA_API_KEY_ID',
      'APCA_API_SECRET_KEY',
      'APCA_API_STREAM_URL',
    ]);
    expect(env.APCA_API_STREAM_URL).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/stream$/);
    let bid = 0;
    const url = `${env.APCA_API_DATA_URL}/v1beta3/crypto/us/latest/quotes?symbols=BTC/USD`;
    const deadline = Date.now() + 5_000;
    while (bid === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      const body = (await (await fetch(url)).json()) as { quotes: Record<string, { bp: number }> };
      bid = body.quotes['BTC/USD']?.bp ?? 0;
    }
    expect(Math.abs(bid - 50000)).toBeLessThan(2500);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses a bad walk setting with exit code 2 and the usage, before printing any URL', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/sim/cli.ts', '--port', '0', '--symbols', 'NOPE/USD', '--prices', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(err).toMatch(/asset not found for NOPE\/USD[\s\S]*usage: npm run sim/);
    expect(out).not.toContain('APCA_API_');
  });

  it('takes the minimum order value, the rate limit and --instant from its flags', async () => {
    const sim = await startSim(['--no-walk', '--min-order-value', '25', '--rate-limit', '3', '--instant']);
    const { child } = sim;
    try {
      const base = /APCA_API_BASE_URL=(\S+)/.exec(sim.out())![1]!;
      const keys = { 'APCA-API-KEY-ID': 'SIMKEY', 'APCA-API-SECRET-KEY': 'SIMSECRET' };
      const json = { ...keys, 'content-type': 'application/json' };
      await fetch(`${base}/_sim/quotes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'BTC/USD', bid: '50000', ask: '50000' }),
      });
      const post = (qty: string) =>
        fetch(`${base}/v2/orders`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ symbol: 'BTC/USD', side: 'buy', type: 'market', qty, time_in_force: 'gtc' }),
        });
      const small = await post('0.0004');
      expect([small.status, ((await small.json()) as { message: string }).message]).toEqual([
        403,
        'cost basis must be >= minimal amount of order 25',
      ]);
      const placed = (await (await post('0.001')).json()) as { id: string; status: string };
      expect(placed.status).toBe('new');
      const order = (await (await fetch(`${base}/v2/orders/${placed.id}`, { headers: keys })).json()) as {
        status: string;
      };
      expect(order.status).toBe('filled');
      expect((await fetch(`${base}/v2/account`, { headers: keys })).status).toBe(429);
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  });

  it('takes the idle keep-alive settings from its flags', async () => {
    const sim = await startSim(['--no-walk', '--keep-alive', '2000', '--keep-alive-reset']);
    try {
      const base = /APCA_API_BASE_URL=(\S+)/.exec(sim.out())![1]!;
      const answer = await fetch(`${base}/v2/account`, {
        headers: { 'APCA-API-KEY-ID': 'SIMKEY', 'APCA-API-SECRET-KEY': 'SIMSECRET' },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('keep-alive')).toBe('timeout=2');
      await answer.text();
    } finally {
      sim.child.kill('SIGINT');
      await once(sim.child, 'exit');
    }
  });
});
