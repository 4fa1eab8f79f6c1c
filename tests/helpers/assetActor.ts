/**
 * An asset actor on its own, as the actor tests start it: a real database, the exchange the test
 * gives, a silent logger, no alerts, a tick an hour away (so only the test's inputs reach the cycle).
 */
import pino from 'pino';
import { AssetActor } from '../../src/actors/asset.js';
import type { ExchangeRest } from '../../src/exchange/types.js';
import { dec } from '../../src/money.js';
import { getAsset } from '../../src/store/assets.js';
import type { Pool } from '../../src/store/db.js';

export async function startAssetActor(
  pool: Pool,
  assetId: number,
  exchange: ExchangeRest,
): Promise<AssetActor> {
  const asset = await getAsset(pool, assetId);
  if (!asset) throw new Error('asset not inserted');
  const actor = new AssetActor(asset, {
    pool,
    exchange,
    logger: pino({ level: 'silent' }),
    feeRate: dec('0.0025'),
    installationId: 'testinst',
    now: () => new Date(),
    alert: () => {},
    fail: (err) => {
      throw err;
    },
    tickMs: 3_600_000,
  });
  await actor.start();
  return actor;
}
