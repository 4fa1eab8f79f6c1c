import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderIntent } from '../../src/domain.js';
import { ExchangeError } from '../../src/errors.js';
import { createAlpacaExchange } from '../../src/exchange/alpaca.js';
import type { Exchange } from '../../src/exchange/types.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { waitForOrder } from '../helpers/sim.js';

const SECRET = 'adapter-test-secret-9f3b';

let sim: Simulator;
let exchange: Exchange;
let seq = 0;

/** A fresh client order id per test, so orders never collide across tests. */
const nextId = (): string => `dca-${++seq}-base-1`;

function intent(overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    clientOrderId: nextId(),
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'limit',
    qty: dec('0.001'),
    limitPrice: dec('50000'),
    timeInForce: 'gtc',
    ...overrides,
  };
}

/** Runs `call` and returns the ExchangeError it throws. */
async function failure(call: Promise<unknown>): Promise<ExchangeError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExchangeError);
  return error as ExchangeError;
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, secretKey: SECRET, cash: '5000' });
  // A short timeout keeps the ambiguous-submit tests fast; GET retries stay on (2, from 250 ms).
  exchange = createAlpacaExchange(sim.endpoints, { requestTimeoutMs: 500 });
  sim.publishQuote('BTC/USD', '60000', '60010');
});

afterEach(() => sim.faults.reset());

afterAll(async () => {
  await sim.close();
});

describe('createAlpacaExchange (against the simulator)', () => {
  it('submits a limit order with its client order id and exact decimal qty and price', async () => {
    // Worth 11.73 USD: above the exchange's 10 USD minimum.
    const sent = intent({ qty: dec('0.000234567'), limitPrice: dec('50001') });

    const order = await exchange.submitOrder(sent);

    expect(order).toMatchObject({
      clientOrderId: sent.clientOrderId,
      symbol: 'BTC/USD',
      side: 'buy',
      type: 'limit',
      timeInForce: 'gtc',
    });
    expect(order.qty?.toFixed()).toBe('0.000234567');
    expect(order.limitPrice?.toFixed()).toBe('50001');
    expect(['new', 'accepted', 'pending_new']).toContain(order.status);
  });

  it('reads an order back by id and by client order id', async () => {
    const sent = intent();
    const order = await exchange.submitOrder(sent);

    expect((await exchange.getOrder(order.id))?.clientOrderId).toBe(sent.clientOrderId);
    expect((await exchange.getOrderByClientId(sent.clientOrderId))?.id).toBe(order.id);
  });

  it('answers null for an order it does not know, by id or by client order id', async () => {
    expect(await exchange.getOrder('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(await exchange.getOrderByClientId('dca-999999-base-1')).toBeNull();
  });

  it('lists open orders for a symbol', async () => {
    const order = await exchange.submitOrder(intent());

    const open = await exchange.listOrders({ status: 'open', symbols: ['BTC/USD'] });

    expect(open.map((o) => o.id)).toContain(order.id);
    expect(open.every((o) => o.symbol === 'BTC/USD')).toBe(true);
  });

  it('cancels an open order, and treats canceling it again as done', async () => {
    const order = await exchange.submitOrder(intent());

    await exchange.cancelOrder(order.id);
    // The exchange answers the DELETE at once; the order is canceled a few ms later.
    await waitForOrder(sim, order.id, 'canceled');
    expect((await exchange.getOrder(order.id))?.status).toBe('canceled');

    await expect(exchange.cancelOrder(order.id)).resolves.toBeUndefined();
    await expect(exchange.cancelOrder('00000000-0000-0000-0000-000000000000')).resolves.toBeUndefined();
  });

  it('fills a market buy and reports the position as BTC/USD, net of the fee taken in coin', async () => {
    const order = await exchange.submitOrder(intent({ type: 'market', limitPrice: null, qty: dec('0.01') }));
    await waitForOrder(sim, order.id, 'filled');
    const filled = await exchange.getOrder(order.id);
    expect(filled?.status).toBe('filled');
    expect(filled?.filledQty.toFixed()).toBe('0.01');

    const position = await exchange.getPosition('BTC/USD');

    expect(position?.symbol).toBe('BTC/USD');
    expect(position?.qty.toFixed()).toBe('0.009975');
    expect((await exchange.listPositions()).map((p) => p.symbol)).toContain('BTC/USD');
  });

  it('answers null for a position it does not hold', async () => {
    expect(await exchange.getPosition('DOGE/USD')).toBeNull();
  });

  it('reads the asset rules for a pair', async () => {
    const rules = await exchange.getAssetRules('ETH/USD');

    expect(rules).toMatchObject({ symbol: 'ETH/USD', tradable: true });
    expect(rules.minOrderSize.toFixed()).toBe('0.001');
    expect(rules.minTradeIncrement.toFixed()).toBe('0.000000001');
    expect(rules.priceIncrement.toFixed()).toBe('0.1');
  });

  it('reads the account and the latest quote', async () => {
    const account = await exchange.getAccount();
    expect(account.currency).toBe('USD');
    expect(account.cash.gt(0)).toBe(true);

    const quote = await exchange.getLatestQuote('BTC/USD');
    expect(quote?.bid.toFixed()).toBe('60000');
    expect(quote?.ask.toFixed()).toBe('60010');
  });

  it('rejects a reused client order id', async () => {
    const sent = intent();
    await exchange.submitOrder(sent);

    const error = await failure(exchange.submitOrder(sent));

    expect(error).toMatchObject({ kind: 'rejected', code: 'ORDER_REJECTED', status: 422 });
  });

  it('rejects a buy the cash cannot pay for as INSUFFICIENT_FUNDS', async () => {
    const error = await failure(exchange.submitOrder(intent({ qty: dec('1'), limitPrice: dec('60000') })));

    expect(error).toMatchObject({ kind: 'rejected', code: 'INSUFFICIENT_FUNDS', alpacaCode: 40310000 });
  });

  it('reports a 5xx on submit as unavailable, and nothing was placed', async () => {
    const sent = intent();
    sim.faults.failNextRest(1, 503);

    const error = await failure(exchange.submitOrder(sent));

    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, status: 503 });
    expect(await exchange.getOrderByClientId(sent.clientOrderId)).toBeNull();
  });

  it('retries a GET through a passing 5xx', async () => {
    sim.faults.failNextRest(1, 503);

    await expect(exchange.getAccount()).resolves.toMatchObject({ currency: 'USD' });
  });

  it('reports a submit whose response times out as ambiguous; the order is then found by client id', async () => {
    const sent = intent();
    sim.faults.delayNextOrders(1_500);

    const error = await failure(exchange.submitOrder(sent));

    expect(error).toMatchObject({ kind: 'ambiguous', code: 'ORDER_AMBIGUOUS' });
    expect((await exchange.getOrderByClientId(sent.clientOrderId))?.clientOrderId).toBe(sent.clientOrderId);
  });

  it('reports a submit whose connection is cut as ambiguous; the order is then found by client id', async () => {
    const sent = intent();
    sim.faults.hangUpNextOrders();

    const error = await failure(exchange.submitOrder(sent));

    expect(error.kind).toBe('ambiguous');
    expect(await exchange.getOrderByClientId(sent.clientOrderId)).not.toBeNull();
  });

  it('reports wrong keys as auth, without the secret anywhere in the error', async () => {
    const wrong = createAlpacaExchange({ ...sim.endpoints, secretKey: `${SECRET}-wrong` });

    const error = await failure(wrong.getAccount());

    expect(error.kind).toBe('auth');
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
  });

  it('never puts the secret in an error message or its details', async () => {
    sim.faults.failNextRest(1, 500);
    const errors = [
      await failure(exchange.submitOrder(intent())),
      await failure(exchange.submitOrder(intent({ qty: dec('100') }))),
      await failure(exchange.getAssetRules('NOPE/USD')),
      await failure(createAlpacaExchange({ ...sim.endpoints, baseUrl: 'http://127.0.0.1:1' }).getAccount()),
    ];

    for (const e of errors) {
      expect(`${e.message} ${JSON.stringify(e.details)} ${inspect(e, { depth: 10 })}`).not.toContain(SECRET);
    }
    expect(errors.map((e) => e.kind)).toEqual(['unavailable', 'rejected', 'not_found', 'unavailable']);
  });
});

describe('a cancel', () => {
  it('leaves no request timer armed once it has been answered (the 204 has no body to read)', async () => {
    // A slow REST timeout, so a leaked request timer outlives the test's window by far.
    const slow = createAlpacaExchange(sim.endpoints, { requestTimeoutMs: 60_000 });
    const order = await slow.submitOrder(intent());
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await slow.cancelOrder(order.id);
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
