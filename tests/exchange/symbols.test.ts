import { describe, expect, it } from 'vitest';
import { toCompactSymbol, toSlashSymbol } from '../../src/exchange/symbols.js';

describe('toSlashSymbol', () => {
  it('turns the position form BTCUSD into BTC/USD', () => {
    expect(toSlashSymbol('BTCUSD')).toBe('BTC/USD');
  });

  it('prefers the longer quote currency, so ETHUSDT is ETH/USDT and not ETHU/SDT', () => {
    expect(toSlashSymbol('ETHUSDT')).toBe('ETH/USDT');
    expect(toSlashSymbol('SOLUSDC')).toBe('SOL/USDC');
    expect(toSlashSymbol('ETHBTC')).toBe('ETH/BTC');
  });

  it('leaves a symbol that already has a slash alone', () => {
    expect(toSlashSymbol('BTC/USD')).toBe('BTC/USD');
  });

  it('leaves a stock symbol alone', () => {
    expect(toSlashSymbol('AAPL')).toBe('AAPL');
    expect(toSlashSymbol('USD')).toBe('USD');
  });
});

describe('toCompactSymbol', () => {
  it('drops the slash for URL path segments', () => {
    expect(toCompactSymbol('BTC/USD')).toBe('BTCUSD');
    expect(toCompactSymbol('BTCUSD')).toBe('BTCUSD');
  });
});
