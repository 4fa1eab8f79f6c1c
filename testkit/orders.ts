/**
 * The exchange's view of an order the bot placed: an `OrderSnapshot` built from the `OrderIntent`
 * it was placed with, still open and unfilled unless the overrides say otherwise.
 */
import type { OrderIntent, OrderSnapshot } from '../src/domain.js';
import { ZERO } from '../src/money.js';

export function orderFor(intent: OrderIntent, overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    id: `alpaca-${intent.clientOrderId}`,
    clientOrderId: intent.clientOrderId,
    symbol: intent.symbol,
    side: intent.side,
    type: intent.type,
    status: 'new',
    qty: intent.qty,
    notional: null,
    limitPrice: intent.limitPrice,
    filledQty: ZERO,
    filledAvgPrice: null,
    timeInForce: intent.timeInForce,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    updatedAt: null,
    filledAt: null,
    ...overrides,
  };
}
