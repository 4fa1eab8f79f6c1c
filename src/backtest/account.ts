/**
 * The backtest's exchange side: one account (the simulator's own Ledger, so fees and their rounding
 * are the simulator's: the buy fee taken in the coin and truncated to 9 decimals, the sell fee in USD
 * rounded up to the cent) and the one order a cycle can have open. Fill rules:
 * - a limit buy fills completely when a quote's ask is at or below its limit, at that ask (the
 *   limit-or-better price the simulator and Alpaca give), paying the maker fee;
 * - a market sell fills completely at the bid less `slippageBps`, rounded down to the price
 *   increment, paying the taker fee.
 */
import type { AssetRules, OrderIntent, OrderSnapshot } from '../domain.js';
import { type Decimal, dec, ONE, roundDownTo, ZERO } from '../money.js';
import { Ledger } from '../sim/ledger.js';
import type { SimAsset } from '../sim/types.js';
import type { QuotePoint } from './quoteModel.js';

export interface FeeModel {
  /** Limit orders (the buys), basis points. */
  readonly makerFeeBps: number;
  /** Market orders (the take-profit), basis points. */
  readonly takerFeeBps: number;
  /** A market sell fills this many basis points below the bid. */
  readonly slippageBps: number;
}

export interface AccountFill {
  readonly order: OrderSnapshot;
  readonly positionQty: Decimal;
  /** The fee in USD (a buy's coin fee valued at its fill price). */
  readonly feeUsd: Decimal;
}

interface OpenOrder {
  readonly id: string;
  readonly intent: OrderIntent;
  readonly createdAt: Date;
}

export class BacktestAccount {
  readonly ledger: Ledger;
  private open: OpenOrder | null = null;
  private seq = 0;
  private readonly asset: SimAsset;
  private readonly slippage: Decimal;

  constructor(
    cash: Decimal,
    private readonly rules: AssetRules,
    fees: FeeModel,
  ) {
    this.ledger = new Ledger(cash, {
      maker: dec(fees.makerFeeBps).div(10_000),
      taker: dec(fees.takerFeeBps).div(10_000),
    });
    this.slippage = dec(fees.slippageBps).div(10_000);
    this.asset = {
      id: 'backtest',
      symbol: rules.symbol,
      name: rules.symbol,
      minOrderSize: rules.minOrderSize,
      minTradeIncrement: rules.minTradeIncrement,
      priceIncrement: rules.priceIncrement,
      tradable: true,
    };
  }

  positionQty(): Decimal {
    return this.ledger.position(this.rules.symbol)?.qty ?? ZERO;
  }

  get openOrder(): OrderIntent | null {
    return this.open?.intent ?? null;
  }

  /** Accepts an order; it fills on this quote or a later one (`match`). */
  submit(intent: OrderIntent, now: Date): string {
    this.seq += 1;
    const id = `bt-${this.seq}`;
    this.open = { id, intent, createdAt: now };
    return id;
  }

  /** The open order's fill on this quote, if the quote reaches it. */
  match(quote: QuotePoint): AccountFill | null {
    const open = this.open;
    if (open === null) return null;
    const { intent } = open;
    const qty = intent.qty;
    let price: Decimal;
    let feeUsd: Decimal;
    let positionQty: Decimal;
    if (intent.side === 'buy') {
      if (intent.limitPrice !== null && quote.ask.gt(intent.limitPrice)) return null;
      price = quote.ask;
      const before = this.positionQty();
      positionQty = this.ledger.applyBuy(this.asset, qty, price, 'maker').positionQty;
      feeUsd = qty.minus(positionQty.minus(before)).mul(price);
    } else {
      price = roundDownTo(quote.bid.mul(ONE.minus(this.slippage)), this.rules.priceIncrement);
      if (price.lte(0)) return null;
      const cashBefore = this.ledger.cash;
      positionQty = this.ledger.applySell(this.asset, qty, price, 'taker').positionQty;
      feeUsd = qty.mul(price).minus(this.ledger.cash.minus(cashBefore));
    }
    this.open = null;
    const order: OrderSnapshot = {
      id: open.id,
      clientOrderId: intent.clientOrderId,
      symbol: intent.symbol,
      side: intent.side,
      type: intent.type,
      status: 'filled',
      qty,
      notional: null,
      limitPrice: intent.limitPrice,
      filledQty: qty,
      filledAvgPrice: price,
      timeInForce: intent.timeInForce,
      createdAt: open.createdAt,
      updatedAt: quote.at,
      filledAt: quote.at,
    };
    return { order, positionQty, feeUsd };
  }
}
