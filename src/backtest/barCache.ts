/**
 * Bars for a period from the `dca_bars` cache, fetching the spans it lacks from the exchange (page
 * by page, through the REST budget) first. A span counts as fetched only once its last page is
 * stored, and never past the last complete bar, so an interrupted or recent fetch is redone.
 */
import type { ExchangeRest } from '../exchange/types.js';
import { fetchedSpans, loadStoredBars, recordFetchedSpan, storeBars } from '../store/bars.js';
import type { Queryable } from '../store/db.js';
import { type Bars, barsFromList, timeframeMs } from './bars.js';

export interface FetchRequest {
  readonly symbol: string;
  readonly timeframe: string;
  readonly from: number;
  readonly to: number;
  readonly now?: number;
  /** Bar periods fetched so far of those missing (a period without trades counts too). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The parts of [from, to) not covered by `spans`. */
export function missingSpans(
  spans: readonly [number, number][],
  from: number,
  to: number,
): [number, number][] {
  const out: [number, number][] = [];
  let at = from;
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (e <= at) continue;
    if (s >= to) break;
    if (s > at) out.push([at, Math.min(s, to)]);
    at = Math.max(at, e);
    if (at >= to) break;
  }
  if (at < to) out.push([at, to]);
  return out;
}

/** Fetches what the cache lacks; returns the number of bars fetched. */
export async function fetchMissingBars(
  db: Queryable,
  exchange: Pick<ExchangeRest, 'getBars'>,
  req: FetchRequest,
): Promise<number> {
  const frame = timeframeMs(req.timeframe);
  if (frame === null) throw new Error(`unknown timeframe ${req.timeframe}`);
  // The bar still forming is not final: spans end at the last complete bar.
  const complete = Math.floor(((req.now ?? Date.now()) - frame) / frame) * frame;
  const to = Math.min(req.to, complete);
  const gaps = missingSpans(await fetchedSpans(db, req.symbol, req.timeframe), req.from, to);
  const total = gaps.reduce((sum, [s, e]) => sum + (e - s), 0);
  const progress = (ms: number) => req.onProgress?.(Math.round(ms / frame), Math.round(total / frame));
  let doneBefore = 0;
  let fetched = 0;
  progress(0);
  for (const [start, end] of gaps) {
    let pageToken: string | undefined;
    do {
      const page = await exchange.getBars(req.symbol, {
        timeframe: req.timeframe,
        start: new Date(start),
        end: new Date(end - 1),
        ...(pageToken ? { pageToken } : {}),
      });
      const bars = page.bars.filter((b) => b.t >= start && b.t < end);
      await storeBars(db, req.symbol, req.timeframe, bars);
      fetched += bars.length;
      pageToken = page.nextPageToken ?? undefined;
      const last = bars[bars.length - 1]?.t ?? end;
      progress(doneBefore + (pageToken ? last - start : end - start));
    } while (pageToken);
    await recordFetchedSpan(db, req.symbol, req.timeframe, start, end);
    doneBefore += end - start;
  }
  return fetched;
}

export async function cachedBars(
  db: Queryable,
  symbol: string,
  timeframe: string,
  from: number,
  to: number,
): Promise<Bars> {
  const frame = timeframeMs(timeframe);
  if (frame === null) throw new Error(`unknown timeframe ${timeframe}`);
  return barsFromList(symbol, frame, await loadStoredBars(db, symbol, timeframe, from, to));
}
