/**
 * The assets supervisor's report for `dca-bot status`, which runs in another process: the parked
 * and idle assets go into `dca_asset_supervision`. Only changes are written, and a failed write is
 * a warning (the next poll writes again), never a crash: it is information, not trading state.
 */
import type { Logger } from 'pino';
import {
  type AssetSupervisionRow,
  clearAssetSupervision,
  deleteAssetSupervision,
  putAssetSupervision,
} from '../store/assetSupervision.js';
import type { Queryable } from '../store/db.js';
import type { ChildStatus } from '../supervisor.js';

export class SupervisionReport {
  /** What the table holds now, by asset id, so an unchanged report is not rewritten. */
  private readonly published = new Map<number, string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
  ) {}

  /** At start-up: what an earlier run reported is no longer known to hold. */
  async clear(): Promise<void> {
    await this.writing;
    await clearAssetSupervision(this.db);
    this.published.clear();
  }

  /** At shutdown: a stopped bot trades nothing, so no old report should outlive it. */
  async close(): Promise<void> {
    await this.clear().catch((err: unknown) =>
      this.log.warn({ err }, 'could not clear the parked/idle report on shutdown'),
    );
  }

  /** Writes the parked and idle children among `children` (ids `asset:<symbol>`). */
  publish(children: readonly ChildStatus[], assetIds: ReadonlyMap<string, number>): Promise<void> {
    this.writing = this.writing.then(() => this.write(rowsOf(children, assetIds)));
    return this.writing;
  }

  private async write(report: Map<number, AssetSupervisionRow>): Promise<void> {
    try {
      for (const [assetId, row] of report) {
        const key = JSON.stringify(row);
        if (this.published.get(assetId) === key) continue;
        await putAssetSupervision(this.db, row);
        this.published.set(assetId, key);
      }
      for (const assetId of [...this.published.keys()]) {
        if (report.has(assetId)) continue;
        await deleteAssetSupervision(this.db, assetId);
        this.published.delete(assetId);
      }
    } catch (err) {
      this.log.warn({ err }, 'could not record parked/idle assets for the status command; next poll retries');
    }
  }
}

function rowsOf(
  children: readonly ChildStatus[],
  assetIds: ReadonlyMap<string, number>,
): Map<number, AssetSupervisionRow> {
  const rows = new Map<number, AssetSupervisionRow>();
  for (const child of children) {
    if (child.state !== 'parked' && child.state !== 'idle') continue;
    const assetId = assetIds.get(child.id.replace(/^asset:/, ''));
    if (assetId === undefined) continue;
    rows.set(assetId, {
      assetId,
      state: child.state,
      reason: child.reason ?? child.lastError ?? child.state,
      since: child.since,
      // An idle asset is looked at every poll: its next check moves on each time and says nothing.
      nextRetryAt: child.state === 'parked' ? (child.nextRetryAt ?? null) : null,
    });
  }
  return rows;
}
