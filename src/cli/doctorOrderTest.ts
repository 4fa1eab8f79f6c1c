/**
 * `dca-bot doctor --order-test`: one real order on the account, the seed's Phase 2 check — a limit
 * BUY for the pair's minimum far under the market (half the bid), found among the open orders,
 * canceled, confirmed canceled, and nothing of it left open. Each step's round trip is reported.
 *
 * Its client order id starts `doctor-`, not `dca-`: a bot running on the account treats it as a
 * hand-placed order and never touches it (architecture §4's ownership rule).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { OrderSnapshot } from '../domain.js';
import { ExchangeError } from '../errors.js';
import { describeDestination } from '../exchange/destination.js';
import type { Exchange } from '../exchange/types.js';
import { Decimal, dec, roundDownTo, roundUpTo } from '../money.js';
import type { HttpWatch } from './doctorHttp.js';
import { type CheckResult, fail, ok } from './doctorReport.js';

const NAME = 'order test';
const UNDER_THE_BID = dec('0.5');

export interface OrderTestOptions {
  /** How often an order's state is read while waiting (default 200 ms). */
  readonly pollMs?: number;
  /** How long each wait (listed, canceled) may take (default 15 s). */
  readonly waitMs?: number;
}

/**
 * Why `--order-test` may not run against this destination, or null when it may: only where no real
 * money moves (Alpaca's paper host, a loopback exchange, the built-in simulator), unless the
 * operator says `--really-live`. Decided from the configuration alone, before any request.
 */
export function orderTestRefusal(config: Config, reallyLive: boolean): string | null {
  const d = config.destination;
  if (!d.needsLiveOptIn || reallyLive) return null;
  return (
    `refused: --order-test places a real order and runs on paper only; orders here go to ` +
    `${describeDestination(d)}. Point APCA_API_* at the paper account, or add --really-live to place ` +
    'it there anyway (a limit BUY at half the bid, canceled at once)'
  );
}

export async function runOrderTest(
  exchange: Exchange,
  symbol: string,
  watch: HttpWatch,
  opts: OrderTestOptions = {},
): Promise<CheckResult> {
  const pollMs = opts.pollMs ?? 200;
  const waitMs = opts.waitMs ?? 15_000;
  let rules: Awaited<ReturnType<Exchange['getAssetRules']>>;
  let quote: Awaited<ReturnType<Exchange['getLatestQuote']>>;
  try {
    rules = await exchange.getAssetRules(symbol);
    quote = await exchange.getLatestQuote(symbol);
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    return fail(
      NAME,
      `${symbol} could not be priced: ${err.message}`,
      'run doctor again; nothing was placed',
    );
  }
  if (quote === null || !quote.bid.gt(0))
    return fail(
      NAME,
      `no latest bid for ${symbol}: nothing to price the order from`,
      'run doctor again later',
    );
  const limitPrice = roundDownTo(quote.bid.mul(UNDER_THE_BID), rules.priceIncrement);
  const qty = roundUpTo(
    Decimal.max(rules.minOrderSize, rules.minOrderValue.div(limitPrice)),
    rules.minTradeIncrement,
  );
  const clientOrderId = `doctor-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const what = `limit BUY ${qty.toFixed()} ${symbol} at ${limitPrice.toFixed()} (half the bid ${quote.bid.toFixed()})`;
  const data: Record<string, unknown> = {
    symbol,
    qty: qty.toFixed(),
    limitPrice: limitPrice.toFixed(),
    clientOrderId,
  };

  let order: OrderSnapshot | null = null;
  try {
    try {
      order = await exchange.submitOrder({
        clientOrderId,
        symbol,
        side: 'buy',
        type: 'limit',
        qty,
        limitPrice,
        timeInForce: 'gtc',
      });
    } catch (err) {
      // Unanswered is not "not placed": look it up by its id before concluding anything.
      if (!(err instanceof ExchangeError) || err.kind !== 'ambiguous') throw err;
      order = await exchange.getOrderByClientId(clientOrderId);
      if (order === null) throw err;
    }
    data['postMs'] = watch.lastMs;
    const placed = order;

    const listedAfter = await waitUntil(pollMs, waitMs, async () => {
      const open = await exchange.listOrders({ status: 'open', symbols: [symbol] });
      return open.some((o) => o.id === placed.id);
    });
    data['listMs'] = watch.lastMs;
    data['listedAfterMs'] = listedAfter;
    if (listedAfter === null) {
      return await abandon(
        exchange,
        placed,
        `${what}: placed, but not among the open orders after ${waitMs / 1000} s`,
        data,
      );
    }

    const cancelStarted = performance.now();
    await exchange.cancelOrder(placed.id);
    data['cancelMs'] = watch.lastMs;
    let final: OrderSnapshot | null = null;
    const canceledAfter = await waitUntil(pollMs, waitMs, async () => {
      final = await exchange.getOrder(placed.id);
      return final !== null && (final.status === 'canceled' || final.filledQty.gt(0));
    });
    data['canceledAfterMs'] = canceledAfter === null ? null : Math.round(performance.now() - cancelStarted);
    const seen = final as OrderSnapshot | null;
    if (seen?.filledQty.gt(0)) {
      return fail(
        NAME,
        `${what}: FILLED ${seen.filledQty.toFixed()} before the cancel`,
        `the market is not where the quote said: look at order ${placed.id} and the position in the Alpaca dashboard`,
        data,
      );
    }
    if (canceledAfter === null) {
      return fail(
        NAME,
        `${what}: cancel sent, but the order is still ${seen?.status ?? 'unknown'} after ${waitMs / 1000} s`,
        `cancel order ${placed.id} in the Alpaca dashboard`,
        data,
      );
    }
    const left = (await exchange.listOrders({ status: 'open', symbols: [symbol] })).filter(
      (o) => o.clientOrderId === clientOrderId,
    );
    if (left.length > 0)
      return fail(
        NAME,
        `${what}: canceled, yet still listed as open`,
        `cancel order ${placed.id} in the Alpaca dashboard`,
        data,
      );
    return ok(
      NAME,
      `${what}: placed in ${data['postMs']} ms, among the open orders after ${listedAfter} ms, ` +
        `cancel answered in ${data['cancelMs']} ms, canceled confirmed after ${data['canceledAfterMs']} ms; nothing left open`,
      data,
    );
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    if (order === null)
      return fail(
        NAME,
        `${what}: refused: ${err.message}`,
        'see the message; the account placed nothing',
        data,
      );
    return await abandon(exchange, order, `${what}: ${err.message}`, data);
  }
}

/** Gives the order up: one cancel, best effort, and a line saying which order to look at. */
async function abandon(
  exchange: Exchange,
  order: OrderSnapshot,
  detail: string,
  data: Record<string, unknown>,
): Promise<CheckResult> {
  const canceled = await exchange.cancelOrder(order.id).then(
    () => true,
    () => false,
  );
  const fix = canceled
    ? `a cancel was sent: make sure order ${order.id} is gone (Alpaca dashboard, Orders)`
    : `cancel order ${order.id} in the Alpaca dashboard`;
  return fail(NAME, detail, fix, data);
}

/** Polls `condition` until it holds; the ms it took, or null past `waitMs`. */
async function waitUntil(
  pollMs: number,
  waitMs: number,
  condition: () => Promise<boolean>,
): Promise<number | null> {
  const started = performance.now();
  for (;;) {
    if (await condition()) return Math.round(performance.now() - started);
    if (performance.now() - started >= waitMs) return null;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
