/**
 * Alpaca's REST error envelope: `{code, message}` with an 8-digit code whose first three digits are
 * the HTTP status (https://docs.alpaca.markets/docs/api-error-codes style).
 */
export class SimApiError extends Error {
  readonly status: number;
  readonly code: number;

  constructor(status: number, code: number, message: string) {
    super(message);
    this.name = 'SimApiError';
    this.status = status;
    this.code = code;
  }

  toBody(): { code: number; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const badRequest = (message: string) => new SimApiError(400, 40010001, message);
export const unauthorized = () => new SimApiError(401, 40110000, 'request is not authorized');
export const insufficientBalance = (message: string) => new SimApiError(403, 40310000, message);
export const notFound = (message = 'resource not found') => new SimApiError(404, 40410000, message);
export const unprocessable = (message: string) => new SimApiError(422, 42210000, message);

/** The envelope a fault-injected failure answers with, per status. */
export function injectedFailure(status: number): SimApiError {
  if (status === 429) return new SimApiError(429, 42910000, 'rate limit exceeded');
  return new SimApiError(status, status * 100000, `simulated failure (HTTP ${status})`);
}
