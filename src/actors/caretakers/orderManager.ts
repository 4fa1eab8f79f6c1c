/**
 * Caretaker for the bot's open orders (seed phase 10, architecture §4). Every interval it cancels
 * - the bot's BUY limit orders older than ORDER_STALE_SECONDS, even while their cycle waits on them
 *   (a limit at an old ask may never fill), and
 * - orphans: the bot's open orders older than ORDER_STALE_SECONDS that no buying/selling cycle has
 *   in flight (left by a crash between steps, or by a cycle that has moved on).
 * Only this installation's orders are touched (src/clientOrderId.ts): an order a person placed, and
 * another installation's dca-bot order on the same account, are never canceled. A pre-installation
 * id (`dca-<cycleId>-...`, from before this database was upgraded) is touched only when this
 * database's own ledger or cycles name it, so a re-created database never cancels the old one's.
 * It writes nothing: the cancel comes back through trade_updates to the owning asset actor.
 */
import type { Logger } from 'pino';
import { type Installation, isBotOrder, isLegacyClientOrderId } from '../../clientOrderId.js';
import type { OrderSnapshot } from '../../domain.js';
import { ExchangeError } from '../../errors.js';
import type { ExchangeRest } from '../../exchange/types.js';
import { listCycles } from '../../store/cycles.js';
import type { Queryable } from '../../store/db.js';
import { recordedOrderIds } from '../../store/installation.js';
import { Caretaker } from './interval.js';

export interface OrderManagerDeps {
  readonly pool: Queryable;
  readonly exchange: Pick<ExchangeRest, 'listOrders' | 'cancelOrder'>;
  readonly logger: Logger;
  readonly installation: Installation;
  readonly now: () => Date;
  readonly everyMs: number;
  readonly staleMs: number;
}

export type CancelReason = 'stale_buy' | 'orphan';

export interface OrderManagerRun {
  readonly canceled: { readonly clientOrderId: string; readonly reason: CancelReason }[];
  readonly failed: string[];
}

/** Why an open order should be canceled, or null to leave it. Pure, for the run and for tests. */
export function cancelReason(
  order: OrderSnapshot,
  inFlight: { readonly clientOrderIds: ReadonlySet<string>; readonly orderIds: ReadonlySet<string> },
  now: Date,
  staleMs: number,
  installation: Installation,
): CancelReason | null {
  if (!isBotOrder(order.clientOrderId, installation)) return null;
  if (now.getTime() - order.createdAt.getTime() <= staleMs) return null;
  if (order.side === 'buy' && order.type === 'limit') return 'stale_buy';
  const owned = inFlight.clientOrderIds.has(order.clientOrderId) || inFlight.orderIds.has(order.id);
  return owned ? null : 'orphan';
}

export class OrderManager extends Caretaker<OrderManagerRun> {
  constructor(private readonly deps: OrderManagerDeps) {
    super('orderManager', deps);
  }

  async runOnce(now: Date): Promise<OrderManagerRun> {
    const { exchange, pool, staleMs, installation } = this.deps;
    const ours = (await exchange.listOrders({ status: 'open' })).filter((o) =>
      isBotOrder(o.clientOrderId, installation),
    );
    const result: OrderManagerRun = { canceled: [], failed: [] };
    if (ours.length === 0) return result;
    // A pre-installation id is claimed by its cycle id alone; only this database's records prove it.
    const legacy = ours.filter((o) => isLegacyClientOrderId(o.clientOrderId));
    const recorded = legacy.length === 0 ? new Set<string>() : await recordedOrderIds(pool, legacy);
    const open = ours.filter((o) => !isLegacyClientOrderId(o.clientOrderId) || recorded.has(o.id));
    // Read after the order list: a cycle that took an order in flight meanwhile is then seen owning it.
    const cycles = await listCycles(pool, { statuses: ['buying', 'selling'] });
    const inFlight = {
      clientOrderIds: new Set(cycles.flatMap((c) => (c.clientOrderId ? [c.clientOrderId] : []))),
      orderIds: new Set(cycles.flatMap((c) => (c.latestOrderId ? [c.latestOrderId] : []))),
    };
    for (const order of open) {
      const reason = cancelReason(order, inFlight, now, staleMs, installation);
      if (!reason) continue;
      const fields = {
        reason,
        orderId: order.id,
        clientOrderId: order.clientOrderId,
        asset: order.symbol,
        side: order.side,
        ageSeconds: Math.round((now.getTime() - order.createdAt.getTime()) / 1000),
      };
      try {
        await exchange.cancelOrder(order.id);
        result.canceled.push({ clientOrderId: order.clientOrderId, reason });
        this.log.info(
          fields,
          reason === 'stale_buy' ? 'canceled a stale buy order' : 'canceled an orphaned order',
        );
      } catch (err) {
        // One order the exchange will not cancel now must not keep the others open.
        if (!(err instanceof ExchangeError)) throw err;
        result.failed.push(order.clientOrderId);
        this.log.warn({ ...fields, err }, 'cancel failed; trying again next interval');
      }
    }
    return result;
  }
}
