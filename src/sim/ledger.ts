/**
 * Cash and positions of the one simulated account. The crypto fee is taken in what the account
 * receives: the coin for a buy (the position grows by filled × (1 - fee)), USD for a sell. As on
 * Alpaca, positions are kept to 9 decimals and the fee is rounded against the account: the coin a
 * buy delivers is truncated to 9 decimals, the USD fee of a sell is rounded up to the cent.
 */
import { type Decimal, type DecimalInput, dec, ONE, roundDownTo, roundUpTo, ZERO } from '../money.js';
import type { SimAsset, SimPosition } from './types.js';

export interface FillEffect {
  /** The position quantity after the fill. */
  readonly positionQty: Decimal;
}

/** Limit orders pay the maker rate, market orders the taker rate. */
export type FeeRole = 'maker' | 'taker';

export interface FeeRates {
  readonly maker: Decimal;
  readonly taker: Decimal;
}

const COIN_STEP = dec('0.000000001');
const CENT = dec('0.01');

export class Ledger {
  #cash: Decimal;
  readonly #positions = new Map<string, SimPosition>();

  constructor(
    cash: Decimal,
    private readonly fees: FeeRates,
  ) {
    this.#cash = cash;
  }

  get cash(): Decimal {
    return this.#cash;
  }

  position(symbol: string): SimPosition | undefined {
    const p = this.#positions.get(symbol);
    return p ? { ...p } : undefined;
  }

  positions(): SimPosition[] {
    return [...this.#positions.values()].map((p) => ({ ...p }));
  }

  /** Sets a position directly (e.g. one bought by hand elsewhere); qty 0 removes it. */
  setPosition(asset: SimAsset, qty: DecimalInput, avgEntryPrice: DecimalInput): void {
    const q = dec(qty, 'qty');
    if (q.lte(0)) {
      this.#positions.delete(asset.symbol);
      return;
    }
    this.#positions.set(asset.symbol, {
      symbol: asset.symbol,
      assetId: asset.id,
      qty: q,
      avgEntryPrice: dec(avgEntryPrice, 'avgEntryPrice'),
    });
  }

  setCash(cash: DecimalInput): void {
    this.#cash = dec(cash, 'cash');
  }

  /**
   * A buy of `qty` (gross) at `price`: cash falls by qty × price, the position grows by the net coin.
   * avg_entry_price is the fill-price average weighted by the net quantity.
   */
  applyBuy(asset: SimAsset, qty: Decimal, price: Decimal, role: FeeRole = 'taker'): FillEffect {
    this.#cash = this.#cash.minus(qty.mul(price));
    const net = roundDownTo(qty.mul(ONE.minus(this.fees[role])), COIN_STEP);
    const old = this.#positions.get(asset.symbol);
    const oldQty = old?.qty ?? ZERO;
    const newQty = oldQty.plus(net);
    if (newQty.lte(0)) {
      this.#positions.delete(asset.symbol);
      return { positionQty: ZERO };
    }
    const avg = old ? old.avgEntryPrice.mul(oldQty).plus(price.mul(net)).div(newQty) : price;
    this.#positions.set(asset.symbol, {
      symbol: asset.symbol,
      assetId: asset.id,
      qty: newQty,
      avgEntryPrice: avg,
    });
    return { positionQty: newQty };
  }

  /** A sell of `qty` at `price`: the position shrinks by qty, cash grows by the proceeds net of the fee. */
  applySell(asset: SimAsset, qty: Decimal, price: Decimal, role: FeeRole = 'taker'): FillEffect {
    const proceeds = qty.mul(price);
    this.#cash = this.#cash.plus(proceeds.minus(roundUpTo(proceeds.mul(this.fees[role]), CENT)));
    const old = this.#positions.get(asset.symbol);
    const newQty = (old?.qty ?? ZERO).minus(qty);
    if (!old || newQty.lte(0)) this.#positions.delete(asset.symbol);
    else this.#positions.set(asset.symbol, { ...old, qty: newQty });
    return { positionQty: newQty.lt(0) ? ZERO : newQty };
  }
}
