/**
 * One mechanism ends a cooldown: the asset actor's own TICK (1 s, as main.ts runs it). After a
 * restart it is also the backstop: the cycle host resumes the cooldown row with the previous
 * cycle's completion time from the database, and the first TICK past `cooldown_period` moves it to
 * watching. No caretaker sweeps for expired cooldowns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getCycle } from '../../src/store/cycles.js';
import { insertAsset, insertCycle } from '../helpers/db.js';
import { type Fixture, startFixture } from '../helpers/fixture.js';
import { waitFor } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const TICK_MS = 1_000;

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** The bot restarted on a database it left with a completed cycle and the next one cooling down. */
async function restartIn(cooldownSeconds: number, completedAt: Date): Promise<{ cooldownId: number }> {
  let cooldownId = 0;
  f = await startFixture({
    symbols: [BTC],
    tickMs: TICK_MS,
    setup: async (pool) => {
      const assetId = await insertAsset(pool, { cooldown_period: cooldownSeconds });
      await insertCycle(pool, assetId, {
        status: 'complete',
        completed_at: completedAt,
        realized_pnl: '0.1',
      });
      cooldownId = await insertCycle(pool, assetId, { status: 'cooldown' });
    },
  });
  return { cooldownId };
}

describe('a cooldown restored after a restart', () => {
  it('becomes watching at the first tick when its period ran out while the bot was down', async () => {
    const { cooldownId } = await restartIn(60, new Date(Date.now() - 10 * 60_000));
    const actor = f!.bot.registry.get(BTC)!;
    await waitFor(() => actor.view().state === 'watching', 10_000, 'the restored cycle watching');
    expect(actor.cycleId).toBe(cooldownId);
    await waitFor(async () => (await getCycle(f!.db.pool, cooldownId))?.status === 'watching', 5_000, 'row');
  });

  it('stays in cooldown until its period has passed, then becomes watching', async () => {
    const cooldownSeconds = 8;
    // A whole second: completed_at is a DATETIME, which keeps no milliseconds.
    const completedAt = new Date(Math.floor(Date.now() / 1_000) * 1_000 - 1_000);
    const endsAt = completedAt.getTime() + cooldownSeconds * 1_000;
    const { cooldownId } = await restartIn(cooldownSeconds, completedAt);
    const actor = f!.bot.registry.get(BTC)!;

    // Every look before the end of the period finds it cooling down (the fixture start may eat into it).
    while (Date.now() < endsAt - 250) {
      expect(actor.view().state).toBe('cooldown');
      await new Promise((r) => setTimeout(r, 50));
    }
    let watchingAt = 0;
    await waitFor(
      () => {
        if (actor.view().state !== 'watching') return false;
        watchingAt = Date.now();
        return true;
      },
      cooldownSeconds * 1_000 + 10_000,
      'the cycle watching after its cooldown',
    );
    expect(watchingAt).toBeGreaterThanOrEqual(endsAt);
    expect(actor.cycleId).toBe(cooldownId);
    expect((await getCycle(f!.db.pool, cooldownId))?.status).not.toBe('cooldown');
  });
});
