/**
 * Alpaca's REST error envelope: `{code, message}` with an 8-digit code whose first three digits are
 * the HTTP status (https://docs.alpaca.markets/docs/api-error-codes style).
 */
export class SimApiError extends Error {
  readonly status: number;
  readonly code: number;
  /** Further body fields (a balance refusal names `available`, `balance` and `symbol`). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Response headers (a 429 carries the rate-limit headers and maybe Retry-After). */
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
/** A missing or malformed field (Alpaca: 422 with the 400-family code 40010001). */
export const fieldError = (message: string) => new SimApiError(422, 40010001, message);
export const unauthorized = () => new SimApiError(401, 40110000, 'request is not authorized');
export const notFound = (message = 'resource not found') => new SimApiError(404, 40410000, message);
export const unprocessable = (message: string) => new SimApiError(422, 42210000, message);

/** The envelope a fault-injected failure answers with, per status (a 429 is made by rateLimited). */
export function injectedFailure(status: number): SimApiError {
  return new SimApiError(status, status * 100000, `simulated failure (HTTP ${status})`);
}
