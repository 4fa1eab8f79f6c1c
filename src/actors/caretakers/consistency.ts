/**
 * Caretaker comparing the database with the exchange (seed phase 12). It only reads and sends:
 * - a buying/selling cycle whose order is no longer open → the asset actor reconciles it over REST
 *   (a fill is applied, anything else returns the cycle to watching);
 * - a watching cycle holding coin while the exchange has no position on two reads at least one
 *   interval apart → POSITION_MISSING (the cycle ends in error and the actor starts a fresh watching
 *   one). One read is not enough: right after a fill a position can briefly not show, and ending
 *   the cycle on that would orphan the coin it holds;
 * - a position more than `shortTolerance` below what the cycle holds → an alert for a person.
 */
import type { Logger } from 'pino';
import { type CycleRow, DEAD_ORDER_STATUSES } from '../../domain.js';
import type { ExchangeRest } from '../../exchange/types.js';
import { type Decimal, dec } from '../../money.js';
import { listCycles } from '../../store/cycles.js';
import type { Queryable } from '../../store/db.js';
import type { AlertSink } from '../alerts.js';
import type { AssetActor } from '../asset.js';
import type { AssetRegistry } from '../registry.js';
import { actorsByCycle, Caretaker } from './interval.js';

export interface ConsistencyDeps {
  readonly pool: Queryable;
  readonly exchange: Pick<ExchangeRest, 'getOrderByClientId' | 'getOrder' | 'getPosition'>;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
  readonly alert: AlertSink;
  readonly now: () => Date;
  readonly everyMs: number;
  /** Share of the held quantity a position may lack before it is reported (fees, rounding). Default 1%. */
  readonly shortTolerance?: Decimal;
  /** A cycle written this recently may still be waiting for its POST to answer. Default 60 s. */
  readonly submitGraceMs?: number;
}

export interface ConsistencyRun {
  readonly reconciled: number[];
  /** No position on this read, but not yet on two reads an interval apart: looked at again. */
  readonly positionMissingOnce: number[];
  readonly positionMissing: number[];
  readonly positionShort: number[];
}

const DEAD = new Set<string>(DEAD_ORDER_STATUSES);

export class ConsistencyChecker extends Caretaker<ConsistencyRun> {
  private readonly shortTolerance: Decimal;
  private readonly submitGraceMs: number;
  /** Cycles whose position was missing, by the time of the first read that found none. */
  private readonly missingSince = new Map<number, number>();

  constructor(private readonly deps: ConsistencyDeps) {
    super('consistency', deps);
    this.shortTolerance = deps.shortTolerance ?? dec('0.01');
    this.submitGraceMs = deps.submitGraceMs ?? 60_000;
  }

  async runOnce(now: Date): Promise<ConsistencyRun> {
    const run = {
      reconciled: [] as number[],
      positionMissingOnce: [] as number[],
      positionMissing: [] as number[],
      positionShort: [] as number[],
    };
    const cycles = await listCycles(this.deps.pool, { statuses: ['buying', 'selling', 'watching'] });
    const actors = actorsByCycle(this.deps.registry);
    const holding = new Set<number>();
    for (const cycle of cycles) {
      const actor = actors.get(cycle.id);
      if (!actor) continue;
      if (cycle.status === 'watching') {
        if (cycle.quantity.gt(0)) {
          holding.add(cycle.id);
          await this.checkPosition(cycle, actor, now, run);
        }
      } else if (await this.orderGone(cycle, now)) {
        this.log.info(
          { asset: actor.symbol, cycleId: cycle.id, clientOrderId: cycle.clientOrderId },
          `cycle is ${cycle.status} but its order is not open; reconciling`,
        );
        actor.reconcile();
        run.reconciled.push(cycle.id);
      }
    }
    // A cycle that moved on (sold, ended, restarted elsewhere) starts over if it is checked again.
    for (const id of [...this.missingSince.keys()]) if (!holding.has(id)) this.missingSince.delete(id);
    return run;
  }

  /** True when the cycle's in-flight order is missing or already final on the exchange. */
  private async orderGone(cycle: CycleRow, now: Date): Promise<boolean> {
    // Written ahead of a POST that may not have answered yet: "not found" would be premature.
    if (cycle.latestOrderId === null && now.getTime() - cycle.updatedAt.getTime() < this.submitGraceMs) {
      return false;
    }
    const { exchange } = this.deps;
    let order = cycle.clientOrderId ? await exchange.getOrderByClientId(cycle.clientOrderId) : null;
    if (!order && cycle.latestOrderId) order = await exchange.getOrder(cycle.latestOrderId);
    return order === null || DEAD.has(order.status);
  }

  private async checkPosition(
    cycle: CycleRow,
    actor: AssetActor,
    now: Date,
    run: ConsistencyRun,
  ): Promise<void> {
    const position = await this.deps.exchange.getPosition(actor.symbol);
    // The actor may have moved on (a take-profit) while the exchange answered.
    if (actor.cycleId !== cycle.id || actor.view().cycle?.status !== 'watching') return;
    const fields = { asset: actor.symbol, cycleId: cycle.id, held: cycle.quantity.toFixed() };
    if (!position || position.qty.lte(0)) {
      const since = this.missingSince.get(cycle.id);
      if (since === undefined || now.getTime() - since < this.deps.everyMs) {
        if (since === undefined) this.missingSince.set(cycle.id, now.getTime());
        this.log.warn(
          fields,
          'the exchange shows no position for a cycle holding coin; looking again next check',
        );
        run.positionMissingOnce.push(cycle.id);
        return;
      }
      this.missingSince.delete(cycle.id);
      this.log.warn(
        { ...fields, missingSince: new Date(since) },
        'the exchange has had no position for a cycle holding coin on two checks; ending the cycle',
      );
      actor.send({ type: 'POSITION_MISSING' });
      run.positionMissing.push(cycle.id);
      return;
    }
    this.missingSince.delete(cycle.id);
    const floor = cycle.quantity.mul(dec(1).minus(this.shortTolerance));
    if (position.qty.lt(floor)) {
      run.positionShort.push(cycle.id);
      this.deps.alert({
        level: 'warn',
        code: 'POSITION_SHORT',
        asset: actor.symbol,
        cycleId: cycle.id,
        message:
          `${actor.symbol} position ${position.qty.toFixed()} is short of the ${cycle.quantity.toFixed()} ` +
          `cycle ${cycle.id} holds (more than ${this.shortTolerance.mul(100).toFixed()}% below)`,
      });
    }
  }
}
