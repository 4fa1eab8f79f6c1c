/**
 * The tradable crypto pairs. Increments are in the range Alpaca publishes on `/v2/assets` for these
 * pairs; tests that need other rules pass their own list.
 */
import { randomUUID } from 'node:crypto';
import { toSlashSymbol } from '../exchange/symbols.js';
import { type DecimalInput, dec } from '../money.js';
import type { SimAsset } from './types.js';

export interface SimAssetInput {
  readonly symbol: string;
  readonly name?: string;
  readonly minOrderSize: DecimalInput;
  readonly minTradeIncrement: DecimalInput;
  readonly priceIncrement: DecimalInput;
  readonly tradable?: boolean;
}

export const DEFAULT_ASSETS: readonly SimAssetInput[] = [
  {
    symbol: 'BTC/USD',
    name: 'Bitcoin',
    minOrderSize: '0.0001',
    minTradeIncrement: '0.000000001',
    priceIncrement: '1',
  },
  {
    symbol: 'ETH/USD',
    name: 'Ethereum',
    minOrderSize: '0.001',
    minTradeIncrement: '0.000000001',
    priceIncrement: '0.1',
  },
  {
    symbol: 'SOL/USD',
    name: 'Solana',
    minOrderSize: '0.01',
    minTradeIncrement: '0.000000001',
    priceIncrement: '0.001',
  },
  {
    symbol: 'DOGE/USD',
    name: 'Dogecoin',
    minOrderSize: '1',
    minTradeIncrement: '0.000000001',
    priceIncrement: '0.000001',
  },
];

export function buildAssets(inputs: readonly SimAssetInput[]): Map<string, SimAsset> {
  const assets = new Map<string, SimAsset>();
  for (const a of inputs) {
    const symbol = normalizeSymbol(a.symbol);
    assets.set(symbol, {
      id: randomUUID(),
      symbol,
      name: a.name ?? `${symbol.split('/')[0]} / US Dollar`,
      minOrderSize: dec(a.minOrderSize, `${symbol} minOrderSize`),
      minTradeIncrement: dec(a.minTradeIncrement, `${symbol} minTradeIncrement`),
      priceIncrement: dec(a.priceIncrement, `${symbol} priceIncrement`),
      tradable: a.tradable ?? true,
    });
  }
  return assets;
}

/** `BTCUSD`, `btc/usd` and `BTC/USD` all name `BTC/USD` (positions use the slash-less form). */
export function normalizeSymbol(symbol: string): string {
  return toSlashSymbol(symbol.trim().toUpperCase());
}
