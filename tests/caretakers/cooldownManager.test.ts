import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAsset, insertCycle } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';
import { type Harness, latestStatus, startHarness } from './harness.js';

describe('the cooldown manager', () => {
  let h: Harness;
  let assetId: number;
  let cooldown: number;
  const completedAt = new Date(Date.now() - 10 * 60_000);

  // As the bot left it before a restart: a cycle completed ten minutes ago, the next one cooling down
  // for 60 s. The asset actors never tick in this test, so only the caretaker can end the cooldown.
  beforeAll(async () => {
    h = await startHarness({
      symbols: ['BTC/USD'],
      setup: async (pool) => {
        assetId = await insertAsset(pool, { cooldown_period: 60 });
        await insertCycle(pool, assetId, { status: 'complete', completed_at: completedAt });
        cooldown = await insertCycle(pool, assetId, { status: 'cooldown' });
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('leaves a cooldown alone while its period has not passed', async () => {
    const ticked = await h.bot.caretakers.cooldownManager.runOnce(new Date(completedAt.getTime() + 30_000));
    expect(ticked).toEqual([]);
    expect(h.bot.registry.get('BTC/USD')?.view().state).toBe('cooldown');
    expect(await latestStatus(h.db.pool, assetId)).toBe('cooldown');
  });

  it('moves a cooldown cycle to watching after a restart once the period has passed', async () => {
    const ticked = await h.bot.caretakers.cooldownManager.runOnce(new Date());
    expect(ticked).toEqual([cooldown]);
    const actor = h.bot.registry.get('BTC/USD')!;
    await waitFor(() => actor.view().cycle?.status === 'watching', 5_000, 'cycle watching');
    expect(actor.cycleId).toBe(cooldown);
    expect(await latestStatus(h.db.pool, assetId)).toBe('watching');
  });
});
