/**
 * The exchange edge, observed rather than changed: a decorator around the Exchange that counts
 * quotes and reconnects and remembers the newest handle of each stream (so the probes can read its
 * state), and a fetch that counts every REST request the SDK makes, its own GET retries and 429s
 * included (what Alpaca counts against the account's budget).
 */
import { type Fetch, sharedKeepAliveFetch } from '../exchange/keepAliveFetch.js';
import type { Exchange, StreamHandlers, StreamState } from '../exchange/types.js';
import type { ExchangeMetrics } from './metrics.js';

export type StreamName = 'trade_updates' | 'crypto_quotes';
export const STREAM_NAMES: readonly StreamName[] = ['trade_updates', 'crypto_quotes'];

/** The state of each stream's newest handle; `absent` before the stream actor first opened it. */
export interface StreamWatch {
  state(stream: StreamName): StreamState | 'absent';
}

export interface InstrumentedExchange {
  readonly exchange: Exchange;
  readonly streams: StreamWatch;
}

export function instrumentExchange(inner: Exchange, metrics: ExchangeMetrics): InstrumentedExchange {
  const handles = new Map<StreamName, { readonly state: StreamState }>();
  const watched = <T>(stream: StreamName, handlers: StreamHandlers<T>, count?: (m: T) => void) => ({
    ...handlers,
    onMessage: (message: T) => {
      count?.(message);
      handlers.onMessage(message);
    },
    onConnected: (info: { reconnect: boolean }) => {
      if (info.reconnect) metrics.streamReconnected(stream);
      handlers.onConnected?.(info);
    },
  });
  const exchange: Exchange = Object.create(inner, {
    tradeUpdates: {
      value: (handlers: Parameters<Exchange['tradeUpdates']>[0]) => {
        const handle = inner.tradeUpdates(watched('trade_updates', handlers));
        handles.set('trade_updates', handle);
        return handle;
      },
    },
    quotes: {
      value: (symbols: readonly string[], handlers: Parameters<Exchange['quotes']>[1]) => {
        const handle = inner.quotes(
          symbols,
          watched('crypto_quotes', handlers, (q) => metrics.quoteReceived(q.symbol)),
        );
        handles.set('crypto_quotes', handle);
        return handle;
      },
    },
  });
  return {
    exchange,
    streams: { state: (stream) => handles.get(stream)?.state ?? 'absent' },
  };
}

/** A fetch for the SDK (`fetchApi`) that counts each request by method and answer (keep-alive by default). */
export function countingFetch(
  metrics: Pick<ExchangeMetrics, 'restRequest'>,
  base: Fetch = sharedKeepAliveFetch,
): Fetch {
  return async (url, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    try {
      const response = await base(url, init);
      metrics.restRequest(method, response.status);
      return response;
    } catch (err) {
      metrics.restRequest(method, 'error');
      throw err;
    }
  };
}
