/**
 * The cycle's numbers: triggers, order sizing and fill accounting, as pure functions on decimals.
 * The machine only asks these questions; the rules for the answers are architecture §1 and §5.
 */
import type { AssetConfig, AssetRules } from '../domain.js';
import { Decimal, HUNDRED, ONE, roundDownTo, roundUpTo, ZERO } from '../money.js';

/** The dca_cycles accounting columns the machine owns (architecture §5, exact). */
export interface CycleLedger {
  readonly quantity: Decimal;
  readonly averagePurchasePrice: Decimal;
  readonly boughtQuantity: Decimal;
  readonly costBasis: Decimal;
  readonly sellProceeds: Decimal;
  readonly realizedPnl: Decimal | null;
  readonly safetyOrders: number;
  readonly lastOrderFillPrice: Decimal | null;
  /**
   * The highest bid since the trailing take-profit started (null: not trailing). Not accounting, but
   * persisted with it (dca_cycles.ttp_peak_price) so a restart keeps trailing from the same peak.
   */
  readonly ttpPeakPrice: Decimal | null;
  /**
   * The position the account held before the cycle's first buy (dust, or coin a person holds): the
   * exchange's position minus this is what the cycle holds. Zero for a cycle that found none.
   */
  readonly positionBaseline: Decimal;
}

/** Why the cycle sells what it holds (every one a market sell of everything). */
export type SellReason = 'take-profit' | 'trailing-take-profit' | 'stop-loss';

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

/** An order of `qty` at `price` is worth at least the exchange's minimum order value (10 USD on Alpaca). */
export function meetsMinOrderValue(qty: Decimal, price: Decimal, rules: AssetRules): boolean {
  return qty.mul(price).gte(rules.minOrderValue);
}

/** The coin a buy of `gross` leaves in the account: the fee is taken in the coin received. */
export function netOfFee(gross: Decimal, feeRate: Decimal): Decimal {
  return gross.mul(ONE.minus(feeRate));
}

/**
 * Why a buy of `amount` USD at `ask` must not be placed, or null when it may. Every buy must meet
 * min_order_size and the minimum order value itself. A base order must also leave a sellable cycle:
 * the cycle holds gross × (1 − fee), and a take-profit of that net quantity (rounded down to the trade
 * increment) must still meet min_order_size and the minimum value at the buy price (the take-profit
 * sells higher), or the coin could be bought but never sold. A safety order adds to a cycle that
 * already holds a sellable base, so only its own size counts.
 */
export function buyProblem(
  amount: Decimal,
  ask: Decimal,
  rules: AssetRules,
  feeRate: Decimal,
  role: 'base' | 'safety',
): string | null {
  const { qty, limitPrice } = buyOrderSize(amount, ask, rules);
  const at = `at ${limitPrice.toFixed()}`;
  if (!meetsMinOrderSize(qty, rules)) {
    return `buys ${qty.toFixed()} ${at}, below the min order size ${rules.minOrderSize.toFixed()}`;
  }
  if (!meetsMinOrderValue(qty, limitPrice, rules)) {
    return `is worth ${qty.mul(limitPrice).toFixed()} USD ${at}, below the minimum order value ${rules.minOrderValue.toFixed()} USD`;
  }
  if (role === 'safety') return null;
  const sellable = roundDownTo(netOfFee(qty, feeRate), rules.minTradeIncrement);
  if (!meetsMinOrderSize(sellable, rules)) {
    return (
      `buys ${qty.toFixed()} ${at} but keeps ${sellable.toFixed()} after the fee, below the min order size ` +
      `${rules.minOrderSize.toFixed()}: the take-profit could never sell it`
    );
  }
  if (!meetsMinOrderValue(sellable, limitPrice, rules)) {
    return (
      `keeps ${sellable.toFixed()} after the fee, worth ${sellable.mul(limitPrice).toFixed()} USD ${at}, below the ` +
      `minimum order value ${rules.minOrderValue.toFixed()} USD: the take-profit could never sell it`
    );
  }
  return null;
}

/** Why a take-profit of `qty` at about `bid` cannot be sent, or null when it can. */
export function sellProblem(qty: Decimal, bid: Decimal | null, rules: AssetRules): string | null {
  if (!meetsMinOrderSize(qty, rules)) {
    return `${qty.toFixed()} is below the min order size ${rules.minOrderSize.toFixed()}`;
  }
  if (bid !== null && !meetsMinOrderValue(qty, bid, rules)) {
    return `${qty.toFixed()} is worth ${qty.mul(bid).toFixed()} USD at ${bid.toFixed()}, below the minimum order value ${rules.minOrderValue.toFixed()} USD`;
  }
  return null;
}

/** Ask at or below this price buys the next safety order. */
export function safetyTriggerPrice(lastFillPrice: Decimal, deviationPercent: Decimal): Decimal {
  return lastFillPrice.mul(ONE.minus(deviationPercent.div(HUNDRED)));
}

/** Bid at or above this price takes the profit. */
export function takeProfitPrice(averagePurchasePrice: Decimal, takeProfitPercent: Decimal): Decimal {
  return averagePurchasePrice.mul(ONE.plus(takeProfitPercent.div(HUNDRED)));
}

/** The scales' powers: safety order `n` (1-based) is scaled by `scale`^(n − 1), as 3Commas scales them. */
function scaled(value: Decimal, scale: Decimal, n: number): Decimal {
  return n <= 1 || scale.eq(ONE) ? value : value.mul(scale.pow(n - 1));
}

/** The USD places a dca_assets amount keeps (DECIMAL(20, 10)). */
const USD_PLACES = 10;

/**
 * The USD amount of safety order `n` (1-based): safety_order_amount × volume_scale^(n − 1), rounded
 * down to the amount columns' 10 places so a scaled order never spends more than the scale says.
 */
export function safetyOrderAmountOf(
  asset: Pick<AssetConfig, 'safetyOrderAmount' | 'safetyOrderVolumeScale'>,
  n: number,
): Decimal {
  const amount = scaled(asset.safetyOrderAmount, asset.safetyOrderVolumeScale, n);
  return amount === asset.safetyOrderAmount ? amount : amount.toDecimalPlaces(USD_PLACES, Decimal.ROUND_DOWN);
}

/**
 * The deviation (percent below the last buy fill) that buys safety order `n` (1-based):
 * safety_order_deviation × step_scale^(n − 1). Measured from the last buy fill, as the seed does.
 */
export function safetyOrderDeviationOf(
  asset: Pick<AssetConfig, 'safetyOrderDeviation' | 'safetyOrderStepScale'>,
  n: number,
): Decimal {
  return scaled(asset.safetyOrderDeviation, asset.safetyOrderStepScale, n);
}

/** The smallest safety order's USD amount: the first, or the last when the volume scale is below 1. */
export function smallestSafetyOrderAmount(
  asset: Pick<AssetConfig, 'safetyOrderAmount' | 'safetyOrderVolumeScale' | 'maxSafetyOrders'>,
): Decimal {
  return safetyOrderAmountOf(asset, asset.safetyOrderVolumeScale.lt(1) ? asset.maxSafetyOrders : 1);
}

/** USD the asset can have committed at once: the base order plus every (scaled) safety order. */
export function worstCaseCapital(
  asset: Pick<
    AssetConfig,
    'baseOrderAmount' | 'safetyOrderAmount' | 'safetyOrderVolumeScale' | 'maxSafetyOrders'
  >,
): Decimal {
  let total = asset.baseOrderAmount;
  for (let n = 1; n <= asset.maxSafetyOrders; n++) total = total.plus(safetyOrderAmountOf(asset, n));
  return total;
}

/** Bid at or below this price sells a trailing take-profit: `deviationPercent` below the peak bid. */
export function trailingStopPrice(peak: Decimal, deviationPercent: Decimal): Decimal {
  return peak.mul(ONE.minus(deviationPercent.div(HUNDRED)));
}

/** Bid at or below this price sells everything: `stopLossPercent` below the average purchase price. */
export function stopLossPrice(averagePurchasePrice: Decimal, stopLossPercent: Decimal): Decimal {
  return averagePurchasePrice.mul(ONE.minus(stopLossPercent.div(HUNDRED)));
}

/**
 * Whether the stop-loss watches this cycle: it is set, the cycle has an average, and (by default,
 * stop_loss_after_safety_orders) every safety order is used. The machine, `status` and the
 * dashboard all ask this.
 */
export function isStopLossArmed(
  asset: Pick<AssetConfig, 'stopLossPercent' | 'stopLossAfterSafetyOrders' | 'maxSafetyOrders'>,
  ledger: { readonly averagePurchasePrice: Decimal; readonly safetyOrders: number },
): boolean {
  if (asset.stopLossPercent === null || ledger.averagePurchasePrice.lte(0)) return false;
  return !asset.stopLossAfterSafetyOrders || ledger.safetyOrders >= asset.maxSafetyOrders;
}

/** The trailing peak after a bid: the higher of the two (the first bid when not trailing yet). */
export function nextPeak(peak: Decimal | null, bid: Decimal): Decimal {
  return peak === null || bid.gt(peak) ? bid : peak;
}

/** Ask at or below this price ends a cooldown early. */
export function earlyRestartPrice(lastSellPrice: Decimal, deviationPercent: Decimal): Decimal {
  return lastSellPrice.mul(ONE.minus(deviationPercent.div(HUNDRED)));
}

/** The prices a watching cycle's books trigger at next; each null when the books give it none. */
export interface TriggerPrices {
  /** Ask at or below: the next (scaled) safety order; null once all are used or before a buy fill. */
  readonly safety: Decimal | null;
  /** Bid at or above: the take-profit; null without an average purchase price. */
  readonly takeProfit: Decimal | null;
  /** Bid at or below: the trailing stop below the peak; null without trailing or before a peak. */
  readonly trailingStop: Decimal | null;
  /** Bid at or below: the stop-loss; null unless it is armed (isStopLossArmed). */
  readonly stopLoss: Decimal | null;
}

/**
 * The next trigger prices from the asset's settings and the cycle's books (architecture §1). Whether
 * they apply right now (the cycle holds coin, no position question is out) is the caller's question.
 */
export function triggerPrices(
  asset: Pick<
    AssetConfig,
    | 'maxSafetyOrders'
    | 'safetyOrderDeviation'
    | 'safetyOrderStepScale'
    | 'takeProfitPercent'
    | 'ttpEnabled'
    | 'ttpDeviationPercent'
    | 'stopLossPercent'
    | 'stopLossAfterSafetyOrders'
  >,
  ledger: Pick<CycleLedger, 'lastOrderFillPrice' | 'safetyOrders' | 'averagePurchasePrice' | 'ttpPeakPrice'>,
): TriggerPrices {
  const { lastOrderFillPrice, safetyOrders, averagePurchasePrice, ttpPeakPrice } = ledger;
  return {
    safety:
      lastOrderFillPrice !== null && safetyOrders < asset.maxSafetyOrders
        ? safetyTriggerPrice(lastOrderFillPrice, safetyOrderDeviationOf(asset, safetyOrders + 1))
        : null,
    takeProfit: averagePurchasePrice.gt(0)
      ? takeProfitPrice(averagePurchasePrice, asset.takeProfitPercent)
      : null,
    trailingStop:
      asset.ttpEnabled && asset.ttpDeviationPercent !== null && ttpPeakPrice !== null
        ? trailingStopPrice(ttpPeakPrice, asset.ttpDeviationPercent)
        : null,
    stopLoss:
      asset.stopLossPercent !== null && isStopLossArmed(asset, ledger)
        ? stopLossPrice(averagePurchasePrice, asset.stopLossPercent)
        : null,
  };
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

/**
 * The largest share of a buy the exchange may plausibly keep as its fee: twice the configured rate,
 * at least 1 %. A position change outside [gross × (1 − this), gross] is not this order's coin alone
 * (a person bought or sold meanwhile), so it is not taken as the truth.
 */
export function plausibleFeeShare(feeRate: Decimal): Decimal {
  return Decimal.max(feeRate.mul(2), new Decimal('0.01'));
}

export interface BookedBuy {
  readonly ledger: CycleLedger;
  /** Coin taken as fee: measured from the position when it could be, else the configured estimate. */
  readonly fee: Decimal;
  readonly measured: boolean;
}

/**
 * A buy order's final fill, with the position the exchange reported after it (`position_qty` of the
 * fill's trade update; null when unknown, e.g. a fill found by a REST look-up). The coin this order
 * brought is the position minus the baseline minus what the cycle already held; when that is a
 * plausible net of the gross fill (see plausibleFeeShare) the cycle's quantity becomes exactly what
 * the account holds for it and the fee is what the exchange really kept. Otherwise the configured fee
 * rate stays the estimate, and the take-profit's position read corrects it (takeProfitQty).
 */
export function bookBuy(
  ledger: CycleLedger,
  fill: Fill,
  feeRate: Decimal,
  isSafetyOrder: boolean,
  positionQty: Decimal | null,
): BookedBuy {
  const estimated = applyBuyFill(ledger, fill, feeRate, isSafetyOrder);
  const estimatedFee = fill.qty.gt(0) ? fill.qty.mul(feeRate) : ZERO;
  if (positionQty === null || fill.qty.lte(0))
    return { ledger: estimated, fee: estimatedFee, measured: false };
  const received = positionQty.minus(ledger.positionBaseline).minus(ledger.quantity);
  const floor = fill.qty.mul(ONE.minus(plausibleFeeShare(feeRate)));
  if (received.gt(fill.qty) || received.lt(floor)) {
    return { ledger: estimated, fee: estimatedFee, measured: false };
  }
  return {
    ledger: { ...estimated, quantity: ledger.quantity.plus(received) },
    fee: fill.qty.minus(received),
    measured: true,
  };
}

/**
 * The take-profit quantity from a position read: what the exchange says this cycle holds (the
 * position above the baseline), never more than is available (an open order or a person may hold
 * part), rounded down to the trade increment. So after the sell no more than rounding dust of the
 * cycle's coin remains, whatever fee was really charged. The claim is capped at the books' quantity
 * plus the whole estimated fee (what a fee of zero would have left): coin beyond that is not this
 * cycle's (a person bought some meanwhile) and is left alone.
 */
export function takeProfitQty(
  ledger: CycleLedger,
  position: { readonly qty: Decimal; readonly qtyAvailable: Decimal },
  rules: AssetRules,
  feeRate: Decimal,
): Decimal {
  const held = Decimal.max(ZERO, position.qty.minus(ledger.positionBaseline));
  const cap = ledger.quantity.plus(ledger.boughtQuantity.mul(feeRate));
  const cycles = Decimal.min(held, cap);
  return roundDownTo(Decimal.max(ZERO, Decimal.min(cycles, position.qtyAvailable)), rules.minTradeIncrement);
}

/** The USD fee of a sell at the configured rate (Alpaca reports no fee on the order itself). */
export function sellFee(fill: Fill, feeRate: Decimal): Decimal {
  return fill.qty.gt(0) ? fill.qty.mul(fill.avgPrice).mul(feeRate) : ZERO;
}

/**
 * Dust found before a base order that is no surprise: less than one trade increment (what rounding
 * a sell down leaves), or no more than the previous cycle knowingly left when it completed.
 */
export function isExpectedDust(qty: Decimal, previousLeftover: Decimal, rules: AssetRules): boolean {
  return qty.lt(rules.minTradeIncrement) || qty.lte(previousLeftover);
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
