/**
 * Caretaker backstop for cooldown expiry (seed phase 11). The asset actors tick on their own; this
 * catches a cooldown whose period ran out while nothing ticked it (e.g. the bot was down). It never
 * writes the cycle: it sends the asset actor a TICK with the time and the cycle machine decides.
 */
import type { Logger } from 'pino';
import { cooldownExpired } from '../../machines/decisions.js';
import { getPreviousCompletedAt, listCycles } from '../../store/cycles.js';
import type { Queryable } from '../../store/db.js';
import type { AssetRegistry } from '../registry.js';
import { actorsByCycle, Caretaker } from './interval.js';

export interface CooldownManagerDeps {
  readonly pool: Queryable;
  readonly registry: AssetRegistry;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly everyMs: number;
}

export class CooldownManager extends Caretaker<number[]> {
  constructor(private readonly deps: CooldownManagerDeps) {
    super('cooldownManager', deps);
  }

  /** Sends TICK to the actor of every cooldown cycle whose period has passed; returns their ids. */
  async runOnce(now: Date): Promise<number[]> {
    const { pool, registry } = this.deps;
    const ticked: number[] = [];
    const cycles = await listCycles(pool, { statuses: ['cooldown'] });
    const actors = actorsByCycle(registry);
    for (const cycle of cycles) {
      // Only the actor hosting this very cycle: a row it has already moved past needs nothing.
      const actor = actors.get(cycle.id);
      if (!actor) continue;
      const previousCompletedAt = await getPreviousCompletedAt(pool, cycle.assetId, cycle.id);
      if (!cooldownExpired(previousCompletedAt, actor.view().asset.cooldownPeriod, now)) continue;
      this.log.info(
        { asset: actor.symbol, cycleId: cycle.id, previousCompletedAt },
        'cooldown period has passed; ticking the asset actor',
      );
      actor.send({ type: 'TICK', now });
      ticked.push(cycle.id);
    }
    return ticked;
  }
}
