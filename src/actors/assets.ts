/**
 * Keeps one supervised asset actor per tradable asset row, picking up new, edited, enabled and
 * disabled rows without a restart (it polls `dca_assets`). A bad row is reported with its reason and
 * skipped; it never stops the other assets. A disabled asset keeps its actor while its cycle still
 * holds coin or has an order out, so what it holds is still managed.
 */
import type { Logger } from 'pino';
import type { AssetConfig } from '../domain.js';
import { loadAssets } from '../store/assets.js';
import { getLatestCycle } from '../store/cycles.js';
import type { Pool } from '../store/db.js';
import type { ChildSpec } from '../supervisor.js';
import type { AlertSink } from './alerts.js';
import { AssetActor, type AssetActorDeps } from './asset.js';
import type { AssetRegistry } from './registry.js';

export interface AssetsManagerDeps {
  readonly pool: Pool;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
  readonly alert: AlertSink;
  readonly pollMs: number;
  /** Starts/stops a supervised child (the supervisor's dynamic-children API). */
  readonly startChild: (spec: ChildSpec) => Promise<void>;
  readonly stopChild: (id: string) => Promise<void>;
  /** Everything an asset actor needs besides its row and its supervisor hooks. */
  readonly actorDeps: Omit<AssetActorDeps, 'fail' | 'logger' | 'alert' | 'pool'>;
}

export const assetChildId = (symbol: string): string => `asset:${symbol}`;

export class AssetsManager {
  private readonly running = new Map<string, AssetConfig>();
  private readonly reportedInvalid = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: AssetsManagerDeps) {
    this.log = deps.logger.child({ actor: 'assets' });
  }

  /** Starts the asset actors for the current rows, then keeps polling. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.sync();
    this.timer = setInterval(() => {
      if (!this.polling) {
        this.polling = this.sync()
          .catch((err: unknown) => this.log.error({ err }, 'asset poll failed; trying again next poll'))
          .finally(() => {
            this.polling = null;
          });
      }
    }, this.deps.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    // The asset children themselves are stopped by the supervisor, in reverse start order.
  }

  /** One reconciliation of running actors against the `dca_assets` table. */
  async sync(): Promise<void> {
    const { assets, invalid } = await loadAssets(this.deps.pool);
    for (const bad of invalid) {
      const key = `${bad.id}:${bad.reason}`;
      if (this.reportedInvalid.has(key)) continue;
      this.reportedInvalid.add(key);
      this.deps.alert({
        level: 'error',
        code: 'ASSET_INVALID',
        asset: bad.symbol,
        message: `dca_assets row ${bad.id} (${bad.symbol}) skipped: ${bad.reason}`,
      });
    }
    const wanted = new Map<string, AssetConfig>();
    for (const asset of assets) {
      if (asset.enabled || (await this.holdsSomething(asset))) wanted.set(asset.symbol, asset);
    }
    for (const [symbol, asset] of wanted) {
      if (this.stopped) return;
      const current = this.running.get(symbol);
      if (!current) {
        await this.startAsset(asset);
      } else if (current !== asset && !sameAsset(current, asset)) {
        this.running.set(symbol, asset);
        this.deps.registry.get(symbol)?.updateAsset(asset);
        // last_sell_price moves with every take-profit; only an operator's edit is news.
        if (!sameAsset({ ...current, lastSellPrice: asset.lastSellPrice }, asset)) {
          this.log.info({ asset: symbol, enabled: asset.enabled }, 'asset settings changed');
        }
      }
    }
    for (const symbol of [...this.running.keys()]) {
      if (!wanted.has(symbol)) {
        this.running.delete(symbol);
        this.log.info({ asset: symbol }, 'asset removed or disabled with nothing held; stopping its actor');
        await this.deps.stopChild(assetChildId(symbol));
      }
    }
  }

  private async holdsSomething(asset: AssetConfig): Promise<boolean> {
    const cycle = await getLatestCycle(this.deps.pool, asset.id);
    return !!cycle && (cycle.quantity.gt(0) || cycle.status === 'buying' || cycle.status === 'selling');
  }

  private async startAsset(asset: AssetConfig): Promise<void> {
    this.running.set(asset.symbol, asset);
    const { registry, pool, logger, alert, actorDeps } = this.deps;
    const running = this.running;
    await this.deps.startChild({
      id: assetChildId(asset.symbol),
      restart: 'permanent',
      shutdownMs: 15_000,
      // A database outage fails the actor at its next write and it restarts from the database;
      // give it room to ride out a restart of MySQL before the whole process gives up.
      intensity: { maxRestarts: 10, periodMs: 120_000 },
      backoff: { initialMs: 500, maxMs: 10_000, factor: 2 },
      start: async (ctx) => {
        // A restart picks up the newest settings of the row.
        const actor = new AssetActor(running.get(asset.symbol) ?? asset, {
          ...actorDeps,
          pool,
          logger,
          alert,
          fail: (err) => {
            registry.delete(actor);
            ctx.fail(err);
          },
        });
        await actor.start();
        registry.set(actor);
        return {
          stop: async () => {
            registry.delete(actor);
            await actor.stop();
          },
        };
      },
    });
  }
}

function sameAsset(a: AssetConfig, b: AssetConfig): boolean {
  return (
    a.enabled === b.enabled &&
    a.baseOrderAmount.eq(b.baseOrderAmount) &&
    a.safetyOrderAmount.eq(b.safetyOrderAmount) &&
    a.maxSafetyOrders === b.maxSafetyOrders &&
    a.safetyOrderDeviation.eq(b.safetyOrderDeviation) &&
    a.takeProfitPercent.eq(b.takeProfitPercent) &&
    a.cooldownPeriod === b.cooldownPeriod &&
    a.buyOrderPriceDeviationPercent.eq(b.buyOrderPriceDeviationPercent) &&
    (a.lastSellPrice === null
      ? b.lastSellPrice === null
      : b.lastSellPrice !== null && a.lastSellPrice.eq(b.lastSellPrice))
  );
}
