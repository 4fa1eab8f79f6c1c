/**
 * SDK errors → ExchangeError kinds (src/errors.ts), so callers branch on what they may conclude,
 * not on HTTP details. Only SDK failures are translated; anything else (a bug, a malformed model)
 * is returned as is so it crashes the caller, as designed.
 *
 * The SDK error itself is not kept as `cause`: it carries the Response and, for network errors, the
 * fetch internals, and an error here must be safe to log whole. Its useful facts (status, Alpaca
 * code, request id, network error code) go into `details`, and any credential a server echoed back
 * is scrubbed from the message.
 */
import { errors } from '@alpacahq/alpaca-trade-api';
import { ExchangeError, type ExchangeErrorKind, type RefusalReason } from '../errors.js';
import { maskSecrets } from '../secrets.js';

export interface ErrorContext {
  /** What was attempted, for the message, e.g. `submit order dca-1-base-1`. */
  readonly operation: string;
  /** HTTP verb: a GET never changed anything, so it is never ambiguous. */
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Strings that must never appear in a message (the key id and secret). */
  readonly secrets: readonly string[];
}

/** Network errors raised before the request left this machine: nothing can have been applied. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function numericCode(code: number | string | undefined): number | undefined {
  const n = typeof code === 'string' ? Number(code) : code;
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

function kindForStatus(status: number, alpacaCode: number | undefined): ExchangeErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) {
    // Alpaca answers bad keys with 403 and either no code or a 401xxxxx code; a business refusal
    // (insufficient funds, asset not tradable) carries a 403xxxxx code.
    const isAuth = alpacaCode === undefined || String(alpacaCode).startsWith('401');
    return isAuth ? 'auth' : 'rejected';
  }
  if (status === 404) return 'not_found';
  if (status === 408 || status === 429 || status >= 500) return 'unavailable';
  if (status >= 400) return 'rejected';
  return 'unavailable';
}

/** The network error code (ECONNRESET, …) buried in undici's `TypeError: fetch failed`. */
function networkCode(error: errors.FetchError): string | undefined {
  let e: unknown = error.cause;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return undefined;
}

function fromFetchError(error: errors.FetchError, ctx: ErrorContext): ExchangeError {
  const causeName = error.cause instanceof Error ? error.cause.name : undefined;
  const timedOut = causeName === 'TimeoutError' || causeName === 'AbortError';
  const code = networkCode(error);
  const mayHaveApplied =
    ctx.method !== 'GET' && (timedOut || code === undefined || !NOT_SENT_CODES.has(code));
  const what = timedOut ? 'timed out' : `failed (${code ?? 'network error'})`;
  const message = mayHaveApplied
    ? `${ctx.operation}: request ${what}; it may have been applied`
    : `${ctx.operation}: request ${what}`;
  return new ExchangeError(mayHaveApplied ? 'ambiguous' : 'unavailable', maskSecrets(message, ctx.secrets), {
    details: { operation: maskSecrets(ctx.operation, ctx.secrets), networkCode: code, timedOut },
  });
}

/**
 * Alpaca answers 40310000 for several refusals; only the message tells them apart, e.g.
 * "insufficient balance for USD (requested: 20, available: 5)", "insufficient qty available for
 * order", "cost basis must be >= minimal amount of order 10".
 */
export function refusalReason(alpacaCode: number | undefined, message: string): RefusalReason | undefined {
  if (alpacaCode !== 40310000) return undefined;
  if (/insufficient (balance|buying power|funds|qty)/i.test(message)) return 'insufficient_balance';
  if (/minimal amount of order|cost basis must be/i.test(message)) return 'below_minimum';
  return 'other';
}

function fromApiError(error: errors.ApiError, ctx: ErrorContext): ExchangeError {
  const alpacaCode = numericCode(error.code);
  const kind = kindForStatus(error.status, alpacaCode);
  const message = `${ctx.operation}: HTTP ${error.status}: ${error.message}`;
  const refusal = refusalReason(alpacaCode, error.message);
  return new ExchangeError(kind, maskSecrets(message, ctx.secrets), {
    status: error.status,
    ...(alpacaCode === undefined ? {} : { alpacaCode }),
    ...(refusal === undefined ? {} : { refusal }),
    details: {
      operation: maskSecrets(ctx.operation, ctx.secrets),
      requestId: error.requestId,
      // A 429's wait (Retry-After, else X-RateLimit-Reset, as the SDK read it): the REST budget keeps it.
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    },
  });
}

/** An ExchangeError for an SDK failure; undefined for anything else. */
export function toExchangeError(error: unknown, ctx: ErrorContext): ExchangeError | undefined {
  if (error instanceof ExchangeError) return error;
  if (error instanceof errors.ApiError) return fromApiError(error, ctx);
  if (error instanceof errors.FetchError) return fromFetchError(error, ctx);
  return undefined;
}

/** Runs an SDK call, translating its failures; non-SDK errors pass through untouched. */
export async function callSdk<T>(ctx: ErrorContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toExchangeError(error, ctx) ?? error;
  }
}

/** True for an ExchangeError of one of `kinds`. */
export function isExchangeError(error: unknown, ...kinds: ExchangeErrorKind[]): error is ExchangeError {
  return error instanceof ExchangeError && (kinds.length === 0 || kinds.includes(error.kind));
}
