/**
 * Alpaca's REST error envelope: `{code, message}` with an 8-digit code whose first three digits are
 * the HTTP status (https://docs.alpaca.markets/docs/api-error-codes style).
 */
export class SimApiError extends Error {
  readonly status: number;
  readonly code: number;
  /** Further body fields. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Response headers (a 429 may carry Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: number,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'SimApiError';
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }

  toBody(): Record<string, unknown> {
    return { ...this.extra, code: this.code, message: this.message };
  }
}

export const badRequest = (message: string) => new SimApiError(400, 40010001, message);
export const unauthorized = () => new SimApiError(401, 40110000, 'request is not authorized');
export const insufficientBalance = (message: string) => new SimApiError(403, 40310000, message);
export const notFound = (message = 'resource not found') => new SimApiError(404, 40410000, message);
export const unprocessable = (message: string) => new SimApiError(422, 42210000, message);

/** The envelope a fault-injected failure answers with, per status; `retryAfterS` adds Retry-After. */
export function injectedFailure(status: number, retryAfterS?: number): SimApiError {
  if (status === 429) {
    const headers: Record<string, string> =
      retryAfterS === undefined ? {} : { 'Retry-After': String(retryAfterS) };
    return new SimApiError(429, 42910000, 'rate limit exceeded', {}, headers);
  }
  return new SimApiError(status, status * 100000, `simulated failure (HTTP ${status})`);
}
