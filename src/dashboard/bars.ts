/**
 * The chart's 1-minute bars per asset: history from the exchange's crypto bars endpoint once at
 * start (Alpaca's `GET /v1beta3/crypto/us/bars`), then built from the live quotes (the mid price)
 * the page state is made from. Display only: prices become binary numbers here, nothing decides on
 * them. An exchange (or simulator) that serves no bars leaves the history empty: the chart then
 * starts with the first quote.
 */
import type { Logger } from 'pino';
import type { Quote } from '../domain.js';
import type { BarsPage, ExchangeRest } from '../exchange/types.js';

export interface Bar {
  /** Start of the minute, seconds since the epoch (the chart's time unit). */
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** Bars kept (and sent to the page) per asset: two hours of minutes. */
export const BARS_KEPT = 120;

export type BarHistory = (symbol: string, since: Date) => Promise<Bar[]>;

export class BarBook {
  private readonly bars = new Map<string, Bar[]>();
  private readonly lastQuoteAt = new Map<string, number>();

  /** Merges history in front of what the quotes built (a live bar of the same minute wins). */
  addHistory(symbol: string, history: readonly Bar[]): void {
    const live = this.bars.get(symbol) ?? [];
    const first = live[0]?.time ?? Number.POSITIVE_INFINITY;
    const merged = [...history.filter((b) => b.time < first), ...live];
    this.bars.set(symbol, merged.slice(-BARS_KEPT));
  }

  /** A quote's mid price into its minute's bar; the same quote seen twice counts once. */
  addQuote(symbol: string, quote: Quote): void {
    const at = quote.at.getTime();
    if (this.lastQuoteAt.get(symbol) === at) return;
    this.lastQuoteAt.set(symbol, at);
    // Nine significant digits draw any crypto price exactly enough and keep the page state small.
    const price = Number(((Number(quote.bid.toString()) + Number(quote.ask.toString())) / 2).toPrecision(9));
    if (!Number.isFinite(price) || price <= 0) return;
    const time = Math.floor(at / 60_000) * 60;
    const list = this.bars.get(symbol) ?? [];
    const last = list.at(-1);
    if (last && last.time === time) {
      list[list.length - 1] = {
        ...last,
        high: Math.max(last.high, price),
        low: Math.min(last.low, price),
        close: price,
      };
    } else if (!last || last.time < time) {
      list.push({ time, open: price, high: price, low: price, close: price });
      if (list.length > BARS_KEPT) list.shift();
    }
    this.bars.set(symbol, list);
  }

  of(symbol: string): readonly Bar[] {
    return this.bars.get(symbol) ?? [];
  }
}

/**
 * The exchange's 1-minute bars since `since` (one page, up to BARS_KEPT), read through the bot's
 * exchange client and so inside its REST budget. Any failure — no data subscription, offline — is
 * an empty history, said once in the log.
 */
export function exchangeBarHistory(exchange: Pick<ExchangeRest, 'getBars'>, logger: Logger): BarHistory {
  let warned = false;
  return async (symbol, since) => {
    try {
      const page = await exchange.getBars(symbol, {
        timeframe: '1Min',
        start: since,
        end: new Date(),
        limit: BARS_KEPT,
      });
      return page.bars.flatMap((raw) => parseBar(raw));
    } catch (err) {
      if (!warned) {
        warned = true;
        logger.info(
          { asset: symbol, reason: err instanceof Error ? err.message : String(err) },
          'no bar history from the exchange; the chart starts with the live quotes',
        );
      }
      return [];
    }
  };
}

function parseBar(b: BarsPage['bars'][number]): Bar[] {
  const values = [b.o, b.h, b.l, b.c];
  if (!Number.isFinite(b.t) || values.some((v) => !Number.isFinite(v) || v <= 0)) return [];
  const [open, high, low, close] = values as [number, number, number, number];
  return [{ time: Math.floor(b.t / 60_000) * 60, open, high, low, close }];
}
