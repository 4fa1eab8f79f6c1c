/**
 * The account-wide REST budget, against the simulator through the official SDK. Every request the
 * client sends is stamped on its way out (a fetch that only observes and calls through), so the
 * tests see exactly what reached the exchange and when.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderIntent } from '../../src/domain.js';
import { ExchangeError } from '../../src/errors.js';
import type { RestBudgetOptions } from '../../src/exchange/budget.js';
import { createExchange } from '../../src/exchange/client.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';

interface Sent {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly side: string | null;
}

let sim: Simulator;
let seq = 0;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, cash: '100000' });
  sim.publishQuote('BTC/USD', '60000', '60010');
});
afterEach(() => sim.faults.reset());
afterAll(async () => {
  await sim.close();
});

/** A budgeted client whose every HTTP request is recorded in `sent`. */
function client(budget: RestBudgetOptions) {
  const sent: Sent[] = [];
  const fetchApi = async (url: string, init: RequestInit) => {
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as { side?: string }) : null;
    sent.push({
      at: Date.now(),
      method: (init.method ?? 'GET').toUpperCase(),
      path: new URL(url).pathname,
      side: body?.side ?? null,
    });
    return fetch(url, init);
  };
  const { exchange, budget: bucket } = createExchange(sim.endpoints, { fetchApi, budget });
  return { exchange, bucket, sent };
}

function buy(limitPrice = '30000'): OrderIntent {
  return {
    clientOrderId: `dca-budget-${++seq}-base-1`,
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'limit',
    qty: dec('0.001'),
    limitPrice: dec(limitPrice),
    timeInForce: 'gtc',
  };
}

/** The most requests in any one-second window. */
function maxPerSecond(sent: readonly Sent[]): number {
  let max = 0;
  for (let i = 0; i < sent.length; i++) {
    let n = 0;
    for (let j = i; j < sent.length && sent[j]!.at - sent[i]!.at < 1_000; j++) n++;
    max = Math.max(max, n);
  }
  return max;
}

const gaps = (sent: readonly Sent[]) => sent.slice(1).map((s, i) => s.at - sent[i]!.at);

describe('refusal storm: one REST budget for the whole account', () => {
  it('sends 40 simultaneous calls no faster than the burst plus the rate', async () => {
    const { exchange, sent } = client({ perMinute: 600, burst: 3 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 40 }, () => exchange.getAccount()));
    expect(sent).toHaveLength(40);
    // 3 at once, then 10 a second: 37 more tokens take at least 3.7 s. Stamped on the wire, a few
    // ms after the grant, one more request can fall into a one-second window.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_600);
    expect(maxPerSecond(sent)).toBeLessThanOrEqual(3 + 10 + 1);
  });

  it('serves waiting cancels and sells first, then order look-ups, then reads, then new buys', async () => {
    const { exchange, sent } = client({ perMinute: 240, burst: 1 });
    const resting = await exchange.submitOrder(buy());
    // The bucket is empty now; everything below queues, buys first.
    const calls = [
      exchange.submitOrder(buy()),
      exchange.submitOrder(buy()),
      exchange.getPosition('BTC/USD'),
      exchange.getOrderByClientId(resting.clientOrderId),
      exchange.submitOrder({ ...buy(), side: 'sell', type: 'market', limitPrice: null }).catch((e) => e),
      exchange.cancelOrder(resting.id),
    ];
    await Promise.all(calls);
    const order = sent
      .slice(1)
      .map((s) => `${s.method} ${s.side ?? s.path.split('/').slice(0, 3).join('/')}`);
    expect(order).toEqual([
      'POST sell',
      'DELETE /v2/orders',
      'GET /v2/orders:by_client_order_id',
      'GET /v2/positions',
      'POST buy',
      'POST buy',
    ]);
  });

  it('honours Retry-After on a 429: every request waits it out, then one probes', async () => {
    const { exchange, sent } = client({ perMinute: 6_000, burst: 10, submitWaitMs: 500 });
    sim.faults.failNextRest(1, 429, { retryAfterS: 2 });
    const account = exchange.getAccount();
    await expect.poll(() => sent.length).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    // Meanwhile: a read waits for the pause; a new order would wait longer than it may, so it is not sent.
    const position = exchange.getPosition('BTC/USD');
    const order = await exchange.submitOrder(buy()).catch((e: unknown) => e);
    expect(order).toBeInstanceOf(ExchangeError);
    expect((order as ExchangeError).kind).toBe('unavailable');
    expect((order as ExchangeError).details['notSent']).toBe(true);
    await Promise.all([account, position]);
    expect(sent.map((s) => s.method)).toEqual(['GET', 'GET', 'GET']);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(1_990);
  });

  it('without any wait hint (no Retry-After, no X-RateLimit-Reset) backs off exponentially: 200, 400, 800 ms', async () => {
    const { exchange, sent } = client({ perMinute: 6_000, burst: 10, backoffInitialMs: 200, getRetries: 3 });
    sim.faults.failNextRest(3, 429, { bare: true });
    await exchange.getAccount();
    expect(sent).toHaveLength(4);
    const [a, b, c] = gaps(sent);
    expect(a).toBeGreaterThanOrEqual(195);
    expect(b).toBeGreaterThanOrEqual(395);
    expect(c).toBeGreaterThanOrEqual(795);
  });

  it('never storms: 10 callers retrying every 100 ms through a run of 429s stay within a handful a second', async () => {
    // The production rate (180/min, burst 3), a 429 on every request for a while (each probe after a
    // pause meets another one, so the back-off doubles: 100 ms .. 1.6 s), and callers that retry as
    // eagerly as a bug might.
    const { exchange, sent, bucket } = client({ backoffInitialMs: 100 });
    sim.faults.failNextRest(5, 429, { bare: true });
    const until = Date.now() + 6_000;
    const caller = async () => {
      while (Date.now() < until) {
        await exchange.getPosition('BTC/USD').catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all(Array.from({ length: 10 }, caller));
    const peak = maxPerSecond(sent);
    console.log(`REST budget fault test: ${sent.length} requests, at most ${peak} in any one second`);
    expect(bucket.stats().rateLimited).toBe(5);
    // Burst 3 plus 3 a second, and one for the grant-to-wire jitter.
    expect(peak).toBeLessThanOrEqual(7);
  }, 30_000);
});

describe('the budget holds the process while calls wait', () => {
  it('lets a process whose only work is a queued call and a retried GET finish them and exit by itself', async () => {
    sim.faults.failNextRest(1, 503);
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/exchange/budgetChild.ts'], {
      env: { ...process.env, DCA_TEST_ENDPOINTS: JSON.stringify(sim.endpoints) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const [code] = await once(child, 'exit');
    expect({ code, out, err }).toEqual({
      code: 0,
      out: 'retried call answered\nqueued call answered\n',
      err: '',
    });
  }, 30_000);
});
