/**
 * A process whose only work is REST calls through an exhausted budget (one token, then 5 a second):
 * nothing else keeps it alive, so it finishes them only if the budget's own timers hold it. The
 * simulator's endpoints come in DCA_TEST_ENDPOINTS; its first answer is a 503 the parent arranged.
 */
import { createExchange } from '../../src/exchange/client.js';
import type { ExchangeEndpoints } from '../../src/exchange/types.js';

const endpoints = JSON.parse(process.env['DCA_TEST_ENDPOINTS'] ?? '{}') as ExchangeEndpoints;
const { exchange } = createExchange(endpoints, { budget: { perMinute: 300, burst: 1 } });
// A 503, a back-off, then the retry waits for the next token.
await exchange.getAccount();
process.stdout.write('retried call answered\n');
// The bucket is empty again: this one is queued until a token comes.
await exchange.getAccount();
process.stdout.write('queued call answered\n');
