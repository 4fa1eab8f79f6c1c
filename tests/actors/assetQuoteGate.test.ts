/**
 * The asset actor's quote gate (architecture §2): quotes that cannot trigger are held back without
 * a machine step, yet every decision still sees the newest quote. Real MariaDB, in-memory exchange.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AssetActor } from '../../src/actors/asset.js';
import type { Position } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { createCycle, getLatestCycle, updateCycle } from '../../src/store/cycles.js';
import { createMemoryExchange, type MemoryExchange } from '../../testkit/memoryExchange.js';
import { startAssetActor } from '../helpers/assetActor.js';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { waitUntil } from '../helpers/wait.js';

let db: TestDatabase;
let exchange: MemoryExchange;
let actor: AssetActor | null = null;

beforeEach(async () => {
  db = await createTestDatabase();
  exchange = createMemoryExchange();
});

afterEach(async () => {
  await actor?.stop();
  actor = null;
  await db.drop();
});

const HELD = dec('0.0009975');

/**
 * An actor whose cycle holds 0.0009975 BTC bought at 60,000: take-profit at 60,600 (1 %). With
 * `trailingFrom`, the asset trails 0.5 % below the peak and the cycle's trailing is under way there.
 */
async function holdingActor(trailingFrom?: string): Promise<AssetActor> {
  const assetId = await insertAsset(db.pool, { asset_symbol: 'BTC/USD' });
  if (trailingFrom !== undefined) {
    await db.pool.query(
      'UPDATE dca_assets SET ttp_enabled = TRUE, ttp_deviation_percent = 0.5 WHERE id = ?',
      [assetId],
    );
  }
  const cycle = await createCycle(db.pool, assetId, 'watching');
  await updateCycle(db.pool, cycle.id, cycle.version, {
    quantity: HELD,
    boughtQuantity: dec('0.001'),
    averagePurchasePrice: dec('60000'),
    costBasis: dec('60'),
    lastOrderFillPrice: dec('60000'),
    ...(trailingFrom !== undefined ? { ttpPeakPrice: dec(trailingFrom) } : {}),
  });
  const started = await startAssetActor(db.pool, assetId, exchange);
  actor = started;
  return started;
}

const tick = (bid: number) => ({ symbol: 'BTC/USD', bid, ask: bid + 10, at: Date.now() });

describe('the quote gate in the asset actor', () => {
  it('holds back quotes that cannot trigger, without a machine step', async () => {
    const a = await holdingActor();
    for (let i = 0; i < 5; i++) {
      a.offerQuote(tick(60_000 + i));
      await new Promise((r) => setImmediate(r));
    }
    await waitUntil(
      async () => a.quoteCounts.held,
      (n) => n === 5,
      { what: 'five quotes held back', timeoutMs: 5_000 },
    );
    expect(a.quoteCounts.stepped).toBe(0);
    expect(a.view().lastQuote?.bid.toFixed()).toBe('60004');
  });

  it('while trailing, holds back a bid between the stop and the peak and stores a bid above the peak', async () => {
    const a = await holdingActor('61000'); // the trailing stop is at 60,695
    a.offerQuote(tick(60_800));
    await waitUntil(
      async () => a.quoteCounts.held,
      (n) => n === 1,
      { what: 'the quote below the peak held back', timeoutMs: 5_000 },
    );
    expect(a.quoteCounts.stepped).toBe(0);

    a.offerQuote(tick(61_200));
    await waitUntil(
      async () => (await getLatestCycle(db.pool, a.view().asset.id))?.ttpPeakPrice?.toFixed(),
      (peak) => peak === '61200',
      { what: 'the new peak stored', timeoutMs: 5_000 },
    );
    expect(a.quoteCounts).toEqual({ held: 1, stepped: 1 });
    expect(exchange.submitted).toBe(0);
  });

  it('re-checks a take-profit on the newest quote even when the gate held that quote back', async () => {
    const asked: ((p: Position) => void)[] = [];
    exchange.getPosition = () => new Promise((resolve) => asked.push(resolve));
    const position: Position = {
      symbol: 'BTC/USD',
      qty: HELD,
      qtyAvailable: HELD,
      avgEntryPrice: dec('60000'),
    };
    const a = await holdingActor();

    a.offerQuote(tick(60_700)); // at the take-profit: the position is asked for
    await waitUntil(
      async () => asked.length,
      (n) => n === 1,
      { what: 'the position question', timeoutMs: 5_000 },
    );
    a.offerQuote(tick(60_000)); // fallen back while the question is out: held back
    await waitUntil(
      async () => a.quoteCounts.held,
      (n) => n === 1,
      { what: 'the quote held back', timeoutMs: 5_000 },
    );

    asked[0]!(position);
    await new Promise((r) => setImmediate(r)); // the answer reaches the mailbox
    await a.idle();
    // The answer was decided on the newest quote (60,000), not the one that asked: no sell.
    expect(exchange.submitted).toBe(0);

    // Control: a quote at the take-profit asks again, and this time the answer sells.
    a.offerQuote(tick(60_650));
    await waitUntil(
      async () => asked.length,
      (n) => n === 2,
      { what: 'a second position question', timeoutMs: 5_000 },
    );

    asked[1]!(position);
    await waitUntil(
      async () => exchange.submitted,
      (n) => n === 1,
      { what: 'the take-profit sell', timeoutMs: 5_000 },
    );
  });
});
