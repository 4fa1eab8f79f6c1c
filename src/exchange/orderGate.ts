/**
 * No order leaves without the instance lock (architecture §2): every call that changes orders on
 * the account — a new order, a cancel — first asks `open()`; while it is false the call is not sent
 * and fails as not sent (`unavailable`, `details.notSent`, `details.reason: 'instance_lock'`). The
 * order executor closes the order as not accepted and the cycle goes back to watching without a
 * refusal back-off (nothing was sent, nothing was refused): it decides no order until a TICK tells it
 * the gate is open again (`ordersOpen`).
 */
import { ExchangeError } from '../errors.js';
import type { Exchange } from './types.js';

/** `details.reason` of a call the closed gate kept home. */
export const GATE_CLOSED_REASON = 'instance_lock';

/** A call the closed gate kept home: nothing was sent, so nothing was refused or rate limited. */
export function isGateRefusal(err: unknown): boolean {
  return (
    err instanceof ExchangeError &&
    err.details['notSent'] === true &&
    err.details['reason'] === GATE_CLOSED_REASON
  );
}

export function guardOrders(exchange: Exchange, open: () => boolean): Exchange {
  const closed = (what: string) =>
    new ExchangeError('unavailable', `${what} not sent: this instance does not hold the instance lock`, {
      details: { notSent: true, reason: GATE_CLOSED_REASON },
    });
  // As instrumentExchange does: everything else is the inner exchange's own.
  return Object.create(exchange, {
    ordersOpen: { value: open },
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
