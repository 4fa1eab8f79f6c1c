/**
 * A bot to watch: the shared fixture (tests/helpers/fixture.ts) with one BTC/USD asset, its
 * inspection events going through a hub as main.ts wires them. The dashboard and inspector tests
 * attach to `hub`.
 */

import type { Exchange } from '../../src/exchange/types.js';
import { createInspectionHub, type InspectionHub } from '../../src/inspect.js';
import { getLatestCycle } from '../../src/store/cycles.js';
import { quoteUntil } from '../helpers/bot.js';
import { insertAsset, type SeedAssetColumns } from '../helpers/db.js';
import { type Fixture, startFixture } from '../helpers/fixture.js';

export const BTC = 'BTC/USD';

/** $20 orders at round prices; a long cooldown that only a 2 % drop below the last sell ends. */
export const WATCHED_ASSET: Partial<SeedAssetColumns> = {
  asset_symbol: BTC,
  base_order_amount: '20',
  safety_order_amount: '19.6',
  max_safety_orders: 3,
  safety_order_deviation: '1.5',
  take_profit_percent: '1',
  cooldown_period: 3600,
  buy_order_price_deviation_percent: '2',
};

export interface WatchedBot extends Fixture {
  readonly hub: InspectionHub;
  readonly assetId: number;
  /** The bot's exchange client (the dashboard reads the account through it). */
  readonly exchange: Exchange;
  /** Publishes the quote (tests/helpers/bot.ts quoteUntil) for BTC/USD, or `symbol`, until `done` holds. */
  quoteUntil(
    bid: string,
    ask: string,
    done: () => Promise<boolean>,
    what: string,
    symbol?: string,
  ): Promise<void>;
  latestCycle(): ReturnType<typeof getLatestCycle>;
}

export async function startWatchedBot(
  opts: {
    token?: string;
    beforeStart?: (hub: InspectionHub) => void;
    /** More asset rows beside BTC/USD, e.g. a second asset to compare with. */
    extraAssets?: Partial<SeedAssetColumns>[];
  } = {},
): Promise<WatchedBot> {
  let assetId = 0;
  let hub: InspectionHub | undefined;
  const f = await startFixture({
    symbols: [BTC],
    setup: async (pool) => {
      assetId = await insertAsset(pool, WATCHED_ASSET);
      for (const extra of opts.extraAssets ?? []) await insertAsset(pool, { ...WATCHED_ASSET, ...extra });
    },
    env: { ASSET_POLL_SECONDS: '3600', ...(opts.token === undefined ? {} : { DASHBOARD_TOKEN: opts.token }) },
    logLevel: 'debug',
    requestTimeoutMs: 3_000,
    tickMs: 200,
    inspectWith: (logger) => {
      hub = createInspectionHub(logger);
      opts.beforeStart?.(hub);
      return hub.inspect;
    },
  });
  const { sim, db } = f;
  return {
    ...f,
    hub: hub!,
    assetId,
    latestCycle: () => getLatestCycle(db.pool, assetId),
    exchange: f.started.exchange,
    quoteUntil: (bid, ask, done, what, symbol = BTC) => quoteUntil(sim, symbol, bid, ask, done, { what }),
  };
}
