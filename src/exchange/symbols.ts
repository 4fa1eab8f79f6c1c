/**
 * Crypto symbol forms. Orders and market data use `BTC/USD`; Alpaca reports crypto positions as
 * `BTCUSD`. The bot speaks `BTC/USD` everywhere and converts here, at the edge.
 */

/** Quote currencies Alpaca lists crypto pairs in, longest first so `USDT` wins over `USD`. */
const QUOTE_CURRENCIES = ['USDT', 'USDC', 'USD', 'BTC'] as const;

/**
 * `BTCUSD` → `BTC/USD`; a symbol that already has a slash, or that does not end in a known quote
 * currency (a stock such as `AAPL`), comes back unchanged.
 */
export function toSlashSymbol(symbol: string): string {
  if (symbol.includes('/')) return symbol;
  for (const quote of QUOTE_CURRENCIES) {
    if (symbol.length > quote.length && symbol.endsWith(quote)) {
      return `${symbol.slice(0, -quote.length)}/${quote}`;
    }
  }
  return symbol;
}

/**
 * `BTC/USD` → `BTCUSD`, for URL path segments (`/v2/positions/{symbol}`, `/v2/assets/{symbol}`),
 * where Alpaca accepts the compact form and a slash would have to be percent-encoded.
 */
export function toCompactSymbol(symbol: string): string {
  return symbol.replace('/', '');
}
