/**
 * Counts the REST calls the bot makes, by method, with their times: the exchange the bot is given
 * is wrapped, every call still goes to the simulator. Streams are passed through uncounted.
 */
import type { Exchange, ExchangeRest } from '../../src/exchange/types.js';

const REST_METHODS: readonly (keyof ExchangeRest)[] = [
  'getAccount',
  'submitOrder',
  'getOrderByClientId',
  'getOrder',
  'cancelOrder',
  'listOrders',
  'getPosition',
  'listPositions',
  'getAssetRules',
  'getLatestQuote',
  'getBars',
];

export interface RestCounter {
  readonly wrap: (exchange: Exchange) => Exchange;
  /** Calls of `method` (or of all REST methods) since `sinceMs`. */
  count(method?: keyof ExchangeRest, sinceMs?: number): number;
  /** The most calls made within any one-second window since `sinceMs`. */
  peakPerSecond(sinceMs?: number): number;
}

export function restCounter(): RestCounter {
  const calls: Array<{ method: keyof ExchangeRest; at: number }> = [];
  const since = (sinceMs: number) => calls.filter((c) => c.at >= sinceMs);
  return {
    wrap(exchange) {
      const wrapped: Record<string, unknown> = {};
      for (const method of REST_METHODS) {
        const call = (exchange[method] as (...args: unknown[]) => Promise<unknown>).bind(exchange);
        wrapped[method] = (...args: unknown[]) => {
          calls.push({ method, at: Date.now() });
          return call(...args);
        };
      }
      return {
        ...wrapped,
        tradeUpdates: exchange.tradeUpdates.bind(exchange),
        quotes: exchange.quotes.bind(exchange),
      } as Exchange;
    },
    count(method, sinceMs = 0) {
      return since(sinceMs).filter((c) => method === undefined || c.method === method).length;
    },
    peakPerSecond(sinceMs = 0) {
      const times = since(sinceMs).map((c) => c.at);
      let peak = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= 1000) j++;
        peak = Math.max(peak, i - j + 1);
      }
      return peak;
    },
  };
}
