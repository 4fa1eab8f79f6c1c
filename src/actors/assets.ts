/**
 * The assets supervisor (architecture §2): one supervised asset actor per tradable asset row, under its
 * own supervisor of dynamic children (OTP simple_one_for_one) with its own restart intensity. An
 * asset past it is parked — idle, one alert, tried again after a growing delay or as soon as its
 * row changes — and never escalates to the root, so one asset's crash loop cannot stop the others.
 *
 * It polls `dca_assets` and picks up new, edited, enabled and disabled rows without a restart. A
 * bad row is reported with its reason and skipped. A pair the exchange does not list or does not
 * trade keeps its asset idle with an alert, looked at again at every poll, instead of a crash loop.
 * A disabled asset keeps its actor while its cycle still holds coin or has an order out, so what
 * it holds is still managed.
 */
import type { Logger } from 'pino';
import type { AssetConfig, AssetRules } from '../domain.js';
import { isExchangeError } from '../exchange/errors.js';
import type { Decimal } from '../money.js';
import { loadAssets } from '../store/assets.js';
import { getLatestCycle } from '../store/cycles.js';
import type { Pool } from '../store/db.js';
import {
  type Backoff,
  type ChildStatus,
  createSupervisor,
  type Intensity,
  type Supervisor,
  type SupervisorClock,
} from '../supervisor.js';
import type { AlertSink } from './alerts.js';
import { AssetActor, type AssetActorDeps } from './asset.js';
import { SupervisionReport } from './assetsReport.js';
import type { AssetRegistry } from './registry.js';

/** How hard the assets supervisor tries before it parks an asset, and how it retries a parked one. */
export interface AssetSupervision {
  readonly intensity: Intensity;
  readonly backoff: Backoff;
  readonly parkBackoff: Backoff;
}

export const DEFAULT_ASSET_SUPERVISION: AssetSupervision = {
  // A database outage fails the actor at its next write and it restarts from the database; give it
  // room to ride out a restart of MySQL before the asset is parked.
  intensity: { maxRestarts: 10, periodMs: 120_000 },
  backoff: { initialMs: 500, maxMs: 10_000, factor: 2 },
  // Parked: tried again after 1 min, then 2, 4, … at most hourly (or at once when its row changes).
  parkBackoff: { initialMs: 60_000, maxMs: 3_600_000, factor: 2 },
};

export interface AssetsManagerDeps {
  readonly pool: Pool;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
  readonly alert: AlertSink;
  readonly pollMs: number;
  /** Everything an asset actor needs besides its row and its supervisor hooks. */
  readonly actorDeps: Omit<AssetActorDeps, 'fail' | 'logger' | 'alert' | 'pool'>;
  readonly supervision?: Partial<AssetSupervision>;
  /** The supervisor's clock (restart backoffs, park retries). */
  readonly clock?: SupervisorClock;
}

export const assetChildId = (symbol: string): string => `asset:${symbol}`;

/** An asset kept out of trading on purpose: the exchange does not list or trade its pair. */
interface IdleAsset {
  readonly code: 'ASSET_UNLISTED' | 'ASSET_NOT_TRADABLE';
  readonly reason: string;
  readonly since: Date;
  nextCheckAt: Date;
}

type Admission = 'tradable' | Pick<IdleAsset, 'code' | 'reason'>;

export class AssetsManager {
  private readonly running = new Map<string, AssetConfig>();
  /** The rules an admission just read, handed to the asset's first start (one GET, not two). */
  private readonly admittedRules = new Map<string, AssetRules>();
  private readonly idle = new Map<string, IdleAsset>();
  private readonly reportedInvalid = new Set<string>();
  private readonly assetIds = new Map<string, number>();
  private readonly report: SupervisionReport;
  private readonly supervisor: Supervisor;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: AssetsManagerDeps) {
    this.log = deps.logger.child({ actor: 'assets' });
    this.report = new SupervisionReport(deps.pool, this.log);
    const supervision = { ...DEFAULT_ASSET_SUPERVISION, ...deps.supervision };
    this.supervisor = createSupervisor({
      children: [],
      giveUp: 'park',
      intensity: supervision.intensity,
      backoff: supervision.backoff,
      parkBackoff: supervision.parkBackoff,
      shutdownMs: 15_000,
      logger: this.log,
      ...(deps.clock ? { clock: deps.clock } : {}),
      onPark: (childId, reason, retryAt) => {
        deps.alert({
          level: 'error',
          code: 'ASSET_PARKED',
          asset: childId.replace(/^asset:/, ''),
          message: `${childId} parked: ${reason}; the other assets trade on; retried at ${retryAt.toISOString()} or when its row changes`,
        });
        void this.publish();
      },
    });
  }

  /** Starts the asset actors for the current rows, then keeps polling. */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.report.clear();
      await this.supervisor.start();
      await this.sync();
    } catch (err) {
      // A failed start is a crash for the root; the actors it already started must not outlive it.
      await this.stop();
      throw err;
    }
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

  /** Stops polling, then every asset actor (in reverse start order). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    await this.supervisor.stop('shutdown');
    await this.report.close();
  }

  /**
   * Every asset the bot looks after, as supervised children: running, restarting, parked (with the
   * reason and the next retry) or idle because the exchange does not trade its pair.
   */
  status(): ChildStatus[] {
    const idle = [...this.idle].map(
      ([symbol, i]): ChildStatus => ({
        id: assetChildId(symbol),
        state: 'idle',
        restarts: 0,
        since: i.since,
        reason: i.reason,
        nextRetryAt: i.nextCheckAt,
      }),
    );
    return [...this.supervisor.status(), ...idle];
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
      this.assetIds.set(asset.symbol, asset.id);
      if (asset.enabled || (await this.holdsSomething(asset))) wanted.set(asset.symbol, asset);
    }
    const admitting: AssetConfig[] = [];
    for (const [symbol, asset] of wanted) {
      if (this.stopped) return;
      const current = this.running.get(symbol);
      if (!current) {
        admitting.push(asset);
      } else if (current !== asset && !sameAsset(current, asset)) {
        this.running.set(symbol, asset);
        this.deps.registry.get(symbol)?.updateAsset(asset);
        // last_sell_price moves with every take-profit; only an operator's edit is news.
        if (!sameAsset({ ...current, lastSellPrice: asset.lastSellPrice }, asset)) {
          this.log.info({ asset: symbol, enabled: asset.enabled }, 'asset settings changed');
        }
        // A parked asset gets its chance with the new settings now rather than at its next retry.
        this.supervisor.retryChild(assetChildId(symbol));
      }
    }
    // New assets start side by side: each one's start is its own reads and REST calls (paced by the
    // account's budget), and one asset's failure stays its own.
    if (admitting.length > 0 && !this.stopped) await Promise.all(admitting.map((asset) => this.admit(asset)));
    for (const symbol of [...this.idle.keys()]) {
      if (!wanted.has(symbol)) this.idle.delete(symbol);
    }
    for (const symbol of [...this.running.keys()]) {
      if (!wanted.has(symbol)) {
        this.running.delete(symbol);
        this.log.info({ asset: symbol }, 'asset removed or disabled with nothing held; stopping its actor');
        await this.supervisor.stopChild(assetChildId(symbol));
      }
    }
    await this.publish();
  }

  /**
   * Reads the rows now, after any poll under way (an operator's edit from the dashboard): the
   * changed asset gets its CONFIG_CHANGED / ENABLE / DISABLE through the same path as a poll.
   */
  async refresh(): Promise<void> {
    while (this.polling) await this.polling;
    const run = this.sync();
    this.polling = run
      .catch(() => undefined)
      .finally(() => {
        this.polling = null;
      });
    await run;
  }

  /** Records the parked and idle assets for `dca-bot status` (best effort, again at the next poll). */
  private publish(): Promise<void> {
    return this.report.publish(this.status(), this.assetIds);
  }

  private async holdsSomething(asset: AssetConfig): Promise<boolean> {
    const cycle = await getLatestCycle(this.deps.pool, asset.id);
    return !!cycle && (cycle.quantity.gt(0) || cycle.status === 'buying' || cycle.status === 'selling');
  }

  /** Starts the asset's actor once the exchange trades its pair; until then it is idle. */
  private async admit(asset: AssetConfig): Promise<void> {
    const admission = await this.admission(asset.symbol);
    const now = this.deps.actorDeps.now();
    const nextCheckAt = new Date(now.getTime() + this.deps.pollMs);
    const wasIdle = this.idle.get(asset.symbol);
    if (admission !== 'tradable') {
      if (wasIdle?.code === admission.code) {
        wasIdle.nextCheckAt = nextCheckAt;
        return;
      }
      this.idle.set(asset.symbol, { ...admission, since: now, nextCheckAt });
      this.deps.alert({
        level: 'error',
        code: admission.code,
        asset: asset.symbol,
        message: `${asset.symbol} ${admission.reason}; the asset is idle and checked again at every asset poll`,
      });
      return;
    }
    if (wasIdle) {
      this.idle.delete(asset.symbol);
      this.log.info(
        { asset: asset.symbol, was: wasIdle.code },
        'the exchange trades the pair now; starting the asset',
      );
    }
    await this.startAsset(asset);
  }

  /**
   * Whether the exchange lists and trades the pair. Only a definite answer keeps the asset idle;
   * when the exchange cannot answer, the actor starts and its own start retries under supervision.
   */
  private async admission(symbol: string): Promise<Admission> {
    try {
      const rules = await this.deps.actorDeps.exchange.getAssetRules(symbol);
      if (rules.tradable) {
        this.admittedRules.set(symbol, rules);
        return 'tradable';
      }
      return { code: 'ASSET_NOT_TRADABLE', reason: 'is not tradable on the exchange' };
    } catch (err) {
      if (isExchangeError(err, 'not_found')) {
        return { code: 'ASSET_UNLISTED', reason: 'is not listed by the exchange' };
      }
      if (isExchangeError(err)) return 'tradable';
      throw err;
    }
  }

  private async startAsset(asset: AssetConfig): Promise<void> {
    this.running.set(asset.symbol, asset);
    const { registry, pool, logger, alert, actorDeps } = this.deps;
    const running = this.running;
    await this.supervisor.startChild({
      id: assetChildId(asset.symbol),
      restart: 'permanent',
      shutdownMs: 15_000,
      // A fresh actor per start: a restart rebuilds from the database with the newest settings.
      start: async (ctx) => {
        // A restart reads the rules afresh; the first start takes the ones its admission read.
        const admitted = this.admittedRules.get(asset.symbol);
        this.admittedRules.delete(asset.symbol);
        const actor = new AssetActor(running.get(asset.symbol) ?? asset, {
          ...actorDeps,
          ...(admitted ? { admittedRules: admitted } : {}),
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
    sameOrNull(a.lastSellPrice, b.lastSellPrice) &&
    a.ttpEnabled === b.ttpEnabled &&
    sameOrNull(a.ttpDeviationPercent, b.ttpDeviationPercent) &&
    sameOrNull(a.stopLossPercent, b.stopLossPercent) &&
    a.stopLossAfterSafetyOrders === b.stopLossAfterSafetyOrders &&
    a.safetyOrderVolumeScale.eq(b.safetyOrderVolumeScale) &&
    a.safetyOrderStepScale.eq(b.safetyOrderStepScale)
  );
}

function sameOrNull(a: Decimal | null, b: Decimal | null): boolean {
  return a === null ? b === null : b !== null && a.eq(b);
}
