/**
 * Named errors with stable codes. Each is either retryable (temporary: try again later) or fatal
 * (operational: stop, a person must act). A log line carries the code, never a secret.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'ASSET_INVALID'
  | 'ORDER_REJECTED'
  | 'ORDER_AMBIGUOUS'
  | 'EXCHANGE_UNAVAILABLE'
  | 'EXCHANGE_RATE_LIMITED'
  | 'EXCHANGE_AUTH'
  | 'NOT_FOUND'
  | 'INSUFFICIENT_FUNDS'
  | 'DB_UNAVAILABLE'
  | 'STALE_WRITE'
  | 'INSTANCE_LOCKED'
  | 'VALUE_OUT_OF_RANGE'
  | 'INVARIANT';

export class DcaError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Structured, secret-free details for logs. */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DcaError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** The configuration is invalid; `problems` has one line per bad variable. */
export class ConfigError extends DcaError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * An exchange call failed. `kind` tells the caller what it may conclude:
 * - `rejected`: the exchange definitively refused (4xx); the order does not exist.
 * - `unavailable`: 5xx / 429 / connection refused before sending; retry later. For a POST the
 *   order may still exist only if the request reached the exchange — see `ambiguous`.
 * - `ambiguous`: the request may have been applied (timeout, reset after sending); look the order
 *   up by client order id before doing anything else.
 * - `not_found`: 404.
 * - `auth`: bad keys (fatal).
 */
export type ExchangeErrorKind = 'rejected' | 'unavailable' | 'ambiguous' | 'not_found' | 'auth';

/**
 * Why Alpaca refused with 403 code 40310000, which it uses for several refusals (read from the
 * message): `insufficient_balance` (cash or coin), `below_minimum` (the order is worth less than
 * the minimum order value), `other` (anything else under that code).
 */
export type RefusalReason = 'insufficient_balance' | 'below_minimum' | 'other';

export class ExchangeError extends DcaError {
  readonly kind: ExchangeErrorKind;
  readonly status: number | undefined;
  readonly alpacaCode: number | undefined;
  /** Set for a 40310000 refusal; undefined otherwise. */
  readonly refusal: RefusalReason | undefined;

  constructor(
    kind: ExchangeErrorKind,
    message: string,
    options: {
      status?: number;
      alpacaCode?: number;
      refusal?: RefusalReason;
      cause?: unknown;
      details?: Record<string, unknown>;
    } = {},
  ) {
    // 40310000 means "insufficient funds" only when the message says so (or nobody read it).
    const insufficient =
      options.alpacaCode === 40310000 &&
      (options.refusal ?? 'insufficient_balance') === 'insufficient_balance';
    const code: ErrorCode =
      kind === 'rejected'
        ? insufficient
          ? 'INSUFFICIENT_FUNDS'
          : 'ORDER_REJECTED'
        : kind === 'ambiguous'
          ? 'ORDER_AMBIGUOUS'
          : kind === 'not_found'
            ? 'NOT_FOUND'
            : kind === 'auth'
              ? 'EXCHANGE_AUTH'
              : options.status === 429
                ? 'EXCHANGE_RATE_LIMITED'
                : 'EXCHANGE_UNAVAILABLE';
    super(code, message, {
      retryable: kind === 'unavailable' || kind === 'ambiguous',
      details: {
        ...options.details,
        status: options.status,
        alpacaCode: options.alpacaCode,
        ...(options.refusal === undefined ? {} : { refusal: options.refusal }),
      },
      cause: options.cause,
    });
    this.name = 'ExchangeError';
    this.kind = kind;
    this.status = options.status;
    this.alpacaCode = options.alpacaCode;
    this.refusal = options.refusal;
  }
}

/** A conditional UPDATE matched no row: another writer (or an older actor) moved the cycle on. */
export class StaleWriteError extends DcaError {
  constructor(cycleId: number, expectedVersion: number) {
    super('STALE_WRITE', `cycle ${cycleId} is no longer at version ${expectedVersion}`, {
      details: { cycleId, expectedVersion },
    });
    this.name = 'StaleWriteError';
  }
}

/**
 * A value does not fit its DECIMAL column (an impossible fill price, a runaway quantity). Nothing
 * was written. Not retryable: the same value would fail again, so the order or asset it belongs to
 * must be set aside and a person told, never retried in a loop.
 */
export class ValueOutOfRangeError extends DcaError {
  readonly table: string;
  readonly column: string;
  /** The value as given (a decimal string). */
  readonly value: string;
  constructor(table: string, column: string, value: string, spec: { precision: number; scale: number }) {
    super(
      'VALUE_OUT_OF_RANGE',
      `${table}.${column} cannot hold ${value} (DECIMAL(${spec.precision}, ${spec.scale})): nothing was written`,
      { details: { table, column, value, precision: spec.precision, scale: spec.scale } },
    );
    this.name = 'ValueOutOfRangeError';
    this.table = table;
    this.column = column;
    this.value = value;
  }
}
