import { inspect } from 'node:util';
import { errors } from '@alpacahq/alpaca-trade-api';
import { describe, expect, it } from 'vitest';
import { ExchangeError } from '../../src/errors.js';
import { callSdk, type ErrorContext, toExchangeError } from '../../src/exchange/errors.js';

const SECRET = 'sekret-abc123';
const post: ErrorContext = {
  method: 'POST',
  operation: 'submit order dca-1-base-1',
  secrets: [SECRET, 'PKKEYID01'],
};
const get: ErrorContext = { ...post, method: 'GET', operation: 'get order 1' };

function apiError(status: number, code?: number, message = 'refused'): errors.ApiError {
  return new errors.ApiError(new Response(null, { status }), status, code, message);
}

function networkError(code: string): errors.FetchError {
  const cause = new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
  return new errors.FetchError(cause, 'The request failed');
}

const timeout = (): errors.FetchError =>
  new errors.FetchError(new DOMException('Request timed out after 10000 ms', 'TimeoutError'), 'aborted');

describe('toExchangeError', () => {
  it('reads a 422 (duplicate client order id, bad qty) as rejected', () => {
    const e = toExchangeError(apiError(422, 40010001, 'client_order_id must be unique'), post);
    expect(e).toMatchObject({ kind: 'rejected', code: 'ORDER_REJECTED', status: 422, alpacaCode: 40010001 });
    expect(e?.message).toContain('client_order_id must be unique');
  });

  it('reads a 403 with code 40310000 as rejected for insufficient funds', () => {
    const e = toExchangeError(apiError(403, 40310000, 'insufficient balance for USD'), post);
    expect(e).toMatchObject({ kind: 'rejected', code: 'INSUFFICIENT_FUNDS', retryable: false });
  });

  it('tells the refusals Alpaca codes 40310000 apart by their message', () => {
    const balance = toExchangeError(
      apiError(403, 40310000, 'insufficient balance for BTC (requested: 1, available: 0.5)'),
      post,
    );
    expect(balance).toMatchObject({ code: 'INSUFFICIENT_FUNDS', refusal: 'insufficient_balance' });
    expect(balance?.details.refusal).toBe('insufficient_balance');
    const qty = toExchangeError(apiError(403, 40310000, 'insufficient qty available for order'), post);
    expect(qty).toMatchObject({ code: 'INSUFFICIENT_FUNDS', refusal: 'insufficient_balance' });
    const minimum = toExchangeError(
      apiError(403, 40310000, 'cost basis must be >= minimal amount of order 10'),
      post,
    );
    expect(minimum).toMatchObject({
      kind: 'rejected',
      code: 'ORDER_REJECTED',
      refusal: 'below_minimum',
      alpacaCode: 40310000,
      retryable: false,
    });
    expect(minimum?.details.refusal).toBe('below_minimum');
    const other = toExchangeError(apiError(403, 40310000, 'account is not allowed to trade crypto'), post);
    expect(other).toMatchObject({ kind: 'rejected', code: 'ORDER_REJECTED', refusal: 'other' });
    expect(toExchangeError(apiError(422, 40010001, 'qty is required'), post)?.refusal).toBeUndefined();
  });

  it('reads 401, and a 403 without a business code, as bad credentials', () => {
    expect(toExchangeError(apiError(401, 40110000), get)?.kind).toBe('auth');
    expect(toExchangeError(apiError(403, undefined, 'forbidden.'), get)?.kind).toBe('auth');
  });

  it('reads 404 as not_found', () => {
    expect(toExchangeError(apiError(404, 40410000), get)).toMatchObject({
      kind: 'not_found',
      code: 'NOT_FOUND',
    });
  });

  it('reads 429 and 5xx as unavailable and retryable', () => {
    expect(toExchangeError(apiError(429), post)).toMatchObject({
      kind: 'unavailable',
      code: 'EXCHANGE_RATE_LIMITED',
      retryable: true,
    });
    expect(toExchangeError(apiError(503), post)).toMatchObject({
      kind: 'unavailable',
      code: 'EXCHANGE_UNAVAILABLE',
    });
  });

  it('reads a timed-out POST as ambiguous, but a timed-out GET as unavailable', () => {
    expect(toExchangeError(timeout(), post)).toMatchObject({ kind: 'ambiguous', code: 'ORDER_AMBIGUOUS' });
    expect(toExchangeError(timeout(), get)?.kind).toBe('unavailable');
  });

  it('reads a reset POST as ambiguous, and a refused connection as unavailable even for a POST', () => {
    expect(toExchangeError(networkError('ECONNRESET'), post)?.kind).toBe('ambiguous');
    expect(toExchangeError(networkError('ECONNREFUSED'), post)?.kind).toBe('unavailable');
    expect(toExchangeError(networkError('ECONNRESET'), get)?.kind).toBe('unavailable');
  });

  it('leaves errors that are not the SDK’s alone', () => {
    expect(toExchangeError(new TypeError('bug'), post)).toBeUndefined();
  });

  it('never lets a credential echoed by the server into the message, details or inspection', () => {
    const e = toExchangeError(apiError(400, 40010000, `bad key PKKEYID01 with secret ${SECRET}`), post)!;
    expect(e.message).not.toContain(SECRET);
    expect(e.message).not.toContain('PKKEYID01');
    expect(e.message).toContain('[redacted]');
    expect(JSON.stringify(e.details)).not.toContain(SECRET);
    expect(inspect(e, { depth: 10 })).not.toContain(SECRET);
  });
});

describe('callSdk', () => {
  it('throws the translated error for an SDK failure', async () => {
    await expect(callSdk(post, () => Promise.reject(timeout()))).rejects.toBeInstanceOf(ExchangeError);
  });

  it('rethrows any other failure untouched', async () => {
    const bug = new RangeError('bug');
    await expect(callSdk(post, () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
