/**
 * No order leaves without the instance lock (architecture §2): every call that changes orders on
 * the account — a new order, a cancel — first asks `open()`; while it is false the call is not sent
 * and fails as a POST the REST budget never let leave (`unavailable`, `details.notSent`): the order
 * executor closes the order as not accepted and backs off, and the cycle decides again later.
 */
import { ExchangeError } from '../errors.js';
import type { Exchange } from './types.js';

export function guardOrders(exchange: Exchange, open: () => boolean): Exchange {
  const closed = (what: string) =>
    new ExchangeError('unavailable', `${what} not sent: this instance does not hold the instance lock`, {
      details: { notSent: true, reason: 'instance_lock' },
    });
  // As instrumentExchange does: everything else is the inner exchange's own.
  return Object.create(exchange, {
    submitOrder: {
      value: (intent: Parameters<Exchange['submitOrder']>[0]) =>
        open() ? exchange.submitOrder(intent) : Promise.reject(closed(`order ${intent.clientOrderId}`)),
    },
    cancelOrder: {
      value: (orderId: string) =>
        open() ? exchange.cancelOrder(orderId) : Promise.reject(closed(`cancel of ${orderId}`)),
    },
  }) as Exchange;
}
