/**
 * Cash and positions of the one simulated account. The crypto fee is taken in what the account
 * receives: the coin for a buy (the position grows by filled × (1 - fee)), USD for a sell.
 */
import { type Decimal, type DecimalInput, dec, ONE, ZERO } from '../money.js';
import type { SimAsset, SimPosition } from './types.js';

export interface FillEffect {
  /** The position quantity after the fill. */
  readonly positionQty: Decimal;
}

export class Ledger {
  #cash: Decimal;
  readonly #positions = new Map<string, SimPosition>();

  constructor(
    cash: Decimal,
    private readonly feeRate: Decimal,
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
   * avg_entry_price is the fill-price average weighted by quantity; with one fee rate, gross and net
   * weights give the same average.
   */
  applyBuy(asset: SimAsset, qty: Decimal, price: Decimal): FillEffect {
    this.#cash = this.#cash.minus(qty.mul(price));
    const net = qty.mul(ONE.minus(this.feeRate));
    const old = this.#positions.get(asset.symbol);
    const oldQty = old?.qty ?? ZERO;
    const newQty = oldQty.plus(net);
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
  applySell(asset: SimAsset, qty: Decimal, price: Decimal): FillEffect {
    this.#cash = this.#cash.plus(qty.mul(price).mul(ONE.minus(this.feeRate)));
    const old = this.#positions.get(asset.symbol);
    const newQty = (old?.qty ?? ZERO).minus(qty);
    if (!old || newQty.lte(0)) this.#positions.delete(asset.symbol);
    else this.#positions.set(asset.symbol, { ...old, qty: newQty });
    return { positionQty: newQty.lt(0) ? ZERO : newQty };
  }
}
