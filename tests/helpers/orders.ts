/**
 * Order builders for the ledger tests: a base order intent and a cycle with it written ahead.
 * `orderFor` (the exchange's view of a placed order) lives in testkit/orders.ts, which the
 * in-memory exchange shares.
 */
import { formatClientOrderId } from '../../src/clientOrderId.js';
import type { CycleRow, OrderIntent } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { createCycle } from '../../src/store/cycles.js';
import type { Pool } from '../../src/store/db.js';
import { writeAheadOrder } from '../../src/store/orders.js';
import { INSTALLATION_ID } from './cycle.js';

export { orderFor } from '../../testkit/orders.js';

/** A base order of cycle `cycleId` under the test installation: 0.000312 BTC at a limit of 64,100.5. */
export function aBaseIntent(cycleId: number, overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    clientOrderId: formatClientOrderId(INSTALLATION_ID, { cycleId, step: 'base', attempt: 1 }),
    symbol: 'BTC/USD',
    side: 'buy',
    type: 'limit',
    qty: dec('0.000312'),
    limitPrice: dec('64100.5'),
    timeInForce: 'gtc',
    ...overrides,
  };
}

/**
 * A new cycle moved to buying with its base order written ahead (cycle row + pending ledger row),
 * as the cycle host does before the POST.
 */
export async function writtenAheadBase(
  pool: Pool,
  assetId: number,
  intentFor: (cycleId: number) => OrderIntent = aBaseIntent,
): Promise<{ cycle: CycleRow; intent: OrderIntent }> {
  const created = await createCycle(pool, assetId, 'watching');
  const intent = intentFor(created.id);
  const cycle = await writeAheadOrder(pool, {
    cycle: created,
    assetId,
    patch: { status: 'buying' },
    step: 'base',
    intent,
  });
  return { cycle, intent };
}
