/**
 * The exchange the bot trades through: the SDK adapter (alpaca.ts) behind the account-wide REST
 * budget (budget.ts). Built once, where the process is composed, so every caller — asset actors,
 * streams' reconciles, caretakers — shares one budget. The SDK's own GET retries are off here: the
 * budget retries GETs itself, each attempt through the bucket, so no request bypasses it.
 */
import { type AlpacaExchangeOptions, createAlpacaExchange } from './alpaca.js';
import { RestBudget, type RestBudgetOptions, withRestBudget } from './budget.js';
import type { Exchange, ExchangeEndpoints } from './types.js';

export interface BudgetedExchange {
  readonly exchange: Exchange;
  readonly budget: RestBudget;
}

export function createExchange(
  endpoints: ExchangeEndpoints,
  opts: Omit<AlpacaExchangeOptions, 'getRetries'> & { readonly budget?: RestBudgetOptions } = {},
): BudgetedExchange {
  const { budget: budgetOpts = {}, ...alpacaOpts } = opts;
  const withLogger = { ...budgetOpts, ...(opts.logger ? { logger: opts.logger } : {}) };
  const budget = new RestBudget(withLogger);
  const exchange = withRestBudget(
    createAlpacaExchange(endpoints, { ...alpacaOpts, getRetries: 0 }),
    budget,
    withLogger,
  );
  return { exchange, budget };
}
