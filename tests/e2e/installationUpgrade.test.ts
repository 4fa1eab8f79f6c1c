/**
 * A database upgraded in place to installation-scoped client order ids (migration 004) while an
 * order with a pre-installation id (`dca-<cycle>-base-1`) is in flight: the bot still reconciles
 * it, routes its fill to the cycle and books it, and the cycle's next order carries the
 * installation prefix, continuing the cycle's counter.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { dec } from '../../src/money.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/store/migrate.js';
import { currentCycle, ledgerOf, quoteUntil } from '../helpers/bot.js';
import {
  createTestDatabase,
  insertAsset,
  insertCycle,
  installationIdOf,
  type TestDatabase,
} from '../helpers/db.js';
import { startInProcessBot } from '../helpers/inProcessBot.js';
import { waitUntil } from '../helpers/wait.js';

const BTC = 'BTC/USD';
const FEE = dec('0.0025');

let sim: Simulator;
let db: TestDatabase;
let bot: Bot | null = null;

beforeEach(async () => {
  sim = await startSimulator();
  db = await createTestDatabase({ migrate: false });
});

afterEach(async () => {
  await bot?.stop('test over');
  bot = null;
  await Promise.all([sim.close(), db.drop()]);
});

/** Applies only the migrations before installation ids, as a database in use before them had. */
async function migrateBeforeInstallation(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dca-sql-'));
  try {
    for (const f of ['001_seed_schema.sql', '002_cycle_bookkeeping.sql', '003_orders_ledger.sql']) {
      await copyFile(join(DEFAULT_MIGRATIONS_DIR, f), join(dir, f));
    }
    await migrate(db.cfg, { dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('a database upgraded in place with a pre-installation order in flight (defect 5)', () => {
  it('keeps managing that order: reconciled, its fill booked, the next id under the installation prefix', async () => {
    await migrateBeforeInstallation();
    const assetId = await insertAsset(db.pool, { cooldown_period: 60 });
    const cycleId = await insertCycle(db.pool, assetId, { status: 'buying' });
    const legacyId = `dca-${cycleId}-base-1`;
    await db.pool.query('UPDATE dca_cycles SET client_order_id = ? WHERE id = ?', [legacyId, cycleId]);
    await db.pool.query(
      `INSERT INTO dca_orders (cycle_id, asset_id, client_order_id, step, side, order_type, time_in_force, qty, limit_price)
       VALUES (?, ?, ?, 'base', 'buy', 'limit', 'gtc', 0.0004, 50000)`,
      [cycleId, assetId, legacyId],
    );
    const resting = sim.placeOrder({
      symbol: BTC,
      side: 'buy',
      type: 'limit',
      qty: '0.0004',
      limitPrice: '50000',
      clientOrderId: legacyId,
    });

    expect(await migrate(db.cfg)).toContain('004_installation.sql');
    const started = await startInProcessBot({ sim, db });
    bot = started.bot;
    await started.trading([BTC]);
    await waitUntil(
      () => currentCycle(db.pool, assetId),
      (c) => c?.latest_order_id === resting.id,
      { what: 'the legacy order reconciled' },
    );

    // The order fills on the exchange; its trade update reaches the cycle, which books it.
    await quoteUntil(sim, BTC, '49990', '50000', async () =>
      dec((await currentCycle(db.pool, assetId))?.quantity ?? 0).gt(0),
    );
    const cycle = await currentCycle(db.pool, assetId);
    expect(cycle).toMatchObject({ id: cycleId, status: 'watching' });
    expect(dec(cycle!.quantity).toFixed()).toBe(dec('0.0004').mul(dec(1).minus(FEE)).toFixed());
    expect((await ledgerOf(db.pool, assetId)).map((r) => [r.client_order_id, r.status])).toEqual([
      [legacyId, 'filled'],
    ]);

    // 1.5 % lower, the first safety order: the installation prefix, attempt 2 of the cycle.
    await quoteUntil(sim, BTC, '48990', '49000', () => sim.listOrders().length === 2);
    const installation = await installationIdOf(db.pool);
    expect(sim.listOrders()[1]?.clientOrderId).toBe(`dca-${installation}-${cycleId}-so1-2`);
  });
});
