/**
 * The lines a trader reads at info level: one per fill the cycle books and one per finished cycle,
 * each with a stable `event` field (`fill`, `cycle_complete`) and a message that says it in words.
 * Pure: the cycle host hands in what it booked and logs what comes back.
 */
import type { AssetConfig, CycleRow, OrderSnapshot } from '../../domain.js';
import type { CycleLedger } from '../../machines/decisions.js';
import { triggerPrices } from '../../machines/decisions.js';
import { type Decimal, toPlain, ZERO } from '../../money.js';

export interface LogLine {
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

/**
 * A computed price (an average, a trigger) as a person reads it: 10 significant digits. The fields
 * keep the exact value.
 */
function shown(price: Decimal): string {
  return toPlain(price.toSignificantDigits(10));
}

/** The trigger prices the machine decides on next (architecture §1); null when none applies. */
export function nextTriggers(
  ledger: CycleLedger,
  asset: AssetConfig,
): { nextSafetyPrice: Decimal | null; takeProfitPrice: Decimal | null } {
  if (ledger.quantity.lte(0) || ledger.averagePurchasePrice.lte(0)) {
    return { nextSafetyPrice: null, takeProfitPrice: null };
  }
  const prices = triggerPrices(asset, ledger);
  return { nextSafetyPrice: prices.safety, takeProfitPrice: prices.takeProfit };
}

/**
 * A booked fill: `order` with its cumulative fill, `fee` as booked (coin for a buy, USD for a sell),
 * `ledger` the cycle's books after it.
 */
export function fillLine(
  asset: AssetConfig,
  cycleId: number,
  order: OrderSnapshot,
  fee: Decimal,
  ledger: CycleLedger,
): LogLine {
  const coin = asset.symbol.split('/')[0] ?? asset.symbol;
  const price = order.filledAvgPrice ?? ZERO;
  const value = order.filledQty.mul(price);
  const feeCurrency = order.side === 'buy' ? coin : 'USD';
  const { nextSafetyPrice, takeProfitPrice } = nextTriggers(ledger, asset);
  const plain = (d: Decimal | null) => (d === null ? null : toPlain(d));
  const next = ledger.quantity.gt(0)
    ? `; next safety order at ${nextSafetyPrice ? shown(nextSafetyPrice) : 'none (all used)'}, take-profit at ${takeProfitPrice ? shown(takeProfitPrice) : '?'}`
    : '';
  return {
    fields: {
      event: 'fill',
      cycleId,
      clientOrderId: order.clientOrderId,
      side: order.side,
      status: order.status,
      qty: toPlain(order.filledQty),
      price: toPlain(price),
      value: toPlain(value),
      fee: toPlain(fee),
      feeCurrency,
      cycleQuantity: toPlain(ledger.quantity),
      averagePrice: toPlain(ledger.averagePurchasePrice),
      nextSafetyPrice: plain(nextSafetyPrice),
      takeProfitPrice: plain(takeProfitPrice),
    },
    msg:
      `${order.side === 'buy' ? 'bought' : 'sold'} ${toPlain(order.filledQty)} ${coin} at ${toPlain(price)} ` +
      `(${toPlain(value)} USD, fee ${toPlain(fee)} ${feeCurrency}); cycle ${cycleId} holds ` +
      `${toPlain(ledger.quantity)} ${coin} at an average of ${shown(ledger.averagePurchasePrice)}${next}`,
  };
}

/** A cycle that ended: what the take-profit brought in (net of its fee), what its buys cost, the P&L. */
export function completionLine(finished: CycleRow, sellPrice: Decimal | null, next: CycleRow): LogLine {
  const fields = {
    cycleId: finished.id,
    status: finished.status,
    sellPrice: sellPrice === null ? undefined : toPlain(sellPrice),
    proceeds: toPlain(finished.sellProceeds),
    cost: toPlain(finished.costBasis),
    realizedPnl: finished.realizedPnl === null ? undefined : toPlain(finished.realizedPnl),
    nextCycleId: next.id,
    nextStatus: next.status,
  };
  if (finished.status !== 'complete') {
    return { fields: { event: 'cycle_error', ...fields }, msg: 'cycle ended in error' };
  }
  return {
    fields: { event: 'cycle_complete', ...fields },
    msg: `cycle ${finished.id} complete: proceeds ${fields.proceeds} USD, cost ${fields.cost} USD, P&L ${fields.realizedPnl ?? '?'} USD`,
  };
}
