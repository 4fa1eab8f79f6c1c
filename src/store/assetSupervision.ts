/**
 * `dca_asset_supervision`: the running bot's word on assets it is not trading right now (parked
 * or idle), so `dca-bot status` in another process can show it. The bot writes; the CLI reads.
 */
import { execute, type Queryable, selectRows } from './db.js';

export interface AssetSupervisionRow {
  readonly assetId: number;
  readonly state: 'parked' | 'idle';
  readonly reason: string;
  readonly since: Date;
  readonly nextRetryAt: Date | null;
}

/** Everything the bot reported, by asset id. */
export async function listAssetSupervision(db: Queryable): Promise<Map<number, AssetSupervisionRow>> {
  const rows = await selectRows(
    db,
    'SELECT asset_id, state, reason, since, next_retry_at FROM dca_asset_supervision',
  );
  return new Map(
    rows.map((r) => [
      Number(r['asset_id']),
      {
        assetId: Number(r['asset_id']),
        state: r['state'] === 'parked' ? 'parked' : 'idle',
        reason: String(r['reason']),
        since: r['since'] as Date,
        nextRetryAt: (r['next_retry_at'] as Date | null) ?? null,
      },
    ]),
  );
}

export async function putAssetSupervision(db: Queryable, row: AssetSupervisionRow): Promise<void> {
  await execute(
    db,
    `INSERT INTO dca_asset_supervision (asset_id, state, reason, since, next_retry_at) VALUES (?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE state = VALUES(state), reason = VALUES(reason), since = VALUES(since),
       next_retry_at = VALUES(next_retry_at)`,
    [row.assetId, row.state, row.reason.slice(0, 500), row.since, row.nextRetryAt],
  );
}

export async function deleteAssetSupervision(db: Queryable, assetId: number): Promise<void> {
  await execute(db, 'DELETE FROM dca_asset_supervision WHERE asset_id = ?', [assetId]);
}

/** At start-up and shutdown: what an earlier run reported no longer holds. */
export async function clearAssetSupervision(db: Queryable): Promise<void> {
  await execute(db, 'DELETE FROM dca_asset_supervision');
}
