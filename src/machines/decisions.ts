/**
 * The cycle's numbers: triggers, order sizing and fill accounting, as pure functions on decimals.
 * The machine only asks these questions; the rules for the answers are DESIGN §1 and §5.
 */
import type { AssetRules } from '../domain.js';
import { Decimal, HUNDRED, ONE, roundDownTo, roundUpTo, ZERO } from '../money.js';

/** The dca_cycles accounting columns the machine owns (DESIGN §5, exact). */
export interface CycleLedger {
  readonly quantity: Decimal;
  readonly averagePurchasePrice: Decimal;
  readonly boughtQuantity: Decimal;
  readonly costBasis: Decimal;
  readonly sellProceeds: Decimal;
  readonly realizedPnl: Decimal | null;
  readonly safetyOrders: number;
  readonly lastOrderFillPrice: Decimal | null;
}

/** An order's cumulative fill: gross quantity and its average price. */
export interface Fill {
  readonly qty: Decimal;
  readonly avgPrice: Decimal;
}

export interface BuyOrderSize {
  readonly limitPrice: Decimal;
  readonly qty: Decimal;
}

/** A quote is usable when both sides are finite, positive and not crossed. */
export function isValidQuote(bid: Decimal, ask: Decimal): boolean {
  return bid.isFinite() && ask.isFinite() && bid.gt(0) && ask.gt(0) && bid.lte(ask);
}

/**
 * A limit buy at the ask. The limit is rounded UP to the price increment: rounded down it would sit
 * below the ask and rest instead of filling. The quantity is sized from that limit and rounded down,
 * so the order never spends more than `amount`.
 */
export function buyOrderSize(amount: Decimal, ask: Decimal, rules: AssetRules): BuyOrderSize {
  const limitPrice = roundUpTo(ask, rules.priceIncrement);
  return { limitPrice, qty: roundDownTo(amount.div(limitPrice), rules.minTradeIncrement) };
}

/**
 * The take-profit quantity: never more than the exchange says is available (the buy fee was taken in
 * the coin, so the position can be smaller than the books), rounded down to the trade increment.
 */
export function sellQty(quantity: Decimal, qtyAvailable: Decimal, rules: AssetRules): Decimal {
  return roundDownTo(Decimal.min(quantity, qtyAvailable), rules.minTradeIncrement);
}

export function meetsMinOrderSize(qty: Decimal, rules: AssetRules): boolean {
  return qty.gt(0) && qty.gte(rules.minOrderSize);
}

/** Ask at or below this price buys the next safety order. */
export function safetyTriggerPrice(lastFillPrice: Decimal, deviationPercent: Decimal): Decimal {
  return lastFillPrice.mul(ONE.minus(deviationPercent.div(HUNDRED)));
}

/** Bid at or above this price takes the profit. */
export function takeProfitPrice(averagePurchasePrice: Decimal, takeProfitPercent: Decimal): Decimal {
  return averagePurchasePrice.mul(ONE.plus(takeProfitPercent.div(HUNDRED)));
}

/** Ask at or below this price ends a cooldown early. */
export function earlyRestartPrice(lastSellPrice: Decimal, deviationPercent: Decimal): Decimal {
  return lastSellPrice.mul(ONE.minus(deviationPercent.div(HUNDRED)));
}

/** When the cooldown after the previous cycle ends; null when there was no previous cycle. */
export function cooldownEndsAt(previousCompletedAt: Date | null, cooldownSeconds: number): Date | null {
  if (previousCompletedAt === null) return null;
  return new Date(previousCompletedAt.getTime() + cooldownSeconds * 1000);
}

export function cooldownExpired(
  previousCompletedAt: Date | null,
  cooldownSeconds: number,
  now: Date,
): boolean {
  const endsAt = cooldownEndsAt(previousCompletedAt, cooldownSeconds);
  return endsAt === null || now.getTime() >= endsAt.getTime();
}

/** The fill-weighted average price: USD spent over gross coin bought (zero before any buy). */
export function weightedAverage(costBasis: Decimal, boughtQuantity: Decimal): Decimal {
  return boughtQuantity.gt(0) ? costBasis.div(boughtQuantity) : ZERO;
}

/**
 * Adds a buy order's cumulative fill. The fee is taken in the coin, so the cycle holds less than it
 * bought; the average is weighted by the gross quantity (Alpaca's avg_entry_price basis). A safety
 * order that filled at all uses up its level, even if it was canceled part way.
 */
export function applyBuyFill(
  ledger: CycleLedger,
  fill: Fill,
  feeRate: Decimal,
  isSafetyOrder: boolean,
): CycleLedger {
  if (fill.qty.lte(0)) return ledger;
  const boughtQuantity = ledger.boughtQuantity.plus(fill.qty);
  const costBasis = ledger.costBasis.plus(fill.qty.mul(fill.avgPrice));
  return {
    ...ledger,
    boughtQuantity,
    costBasis,
    quantity: ledger.quantity.plus(fill.qty.mul(ONE.minus(feeRate))),
    averagePurchasePrice: weightedAverage(costBasis, boughtQuantity),
    lastOrderFillPrice: fill.avgPrice,
    safetyOrders: isSafetyOrder ? ledger.safetyOrders + 1 : ledger.safetyOrders,
  };
}

/** Adds a sell order's cumulative fill: proceeds net of the sell fee, quantity never below zero. */
export function applySellFill(ledger: CycleLedger, fill: Fill, feeRate: Decimal): CycleLedger {
  if (fill.qty.lte(0)) return ledger;
  return {
    ...ledger,
    sellProceeds: ledger.sellProceeds.plus(fill.qty.mul(fill.avgPrice).mul(ONE.minus(feeRate))),
    quantity: Decimal.max(ZERO, ledger.quantity.minus(fill.qty)),
  };
}

/** Realized P&L of a finished cycle: net sell proceeds minus USD spent on its buys. */
export function realizedPnl(ledger: CycleLedger): Decimal {
  return ledger.sellProceeds.minus(ledger.costBasis);
}
