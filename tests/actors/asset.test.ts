/**
 * The asset actor on its own, against a real MariaDB and an in-memory exchange: what it asks the
 * exchange, and how often.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AssetActor } from '../../src/actors/asset.js';
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

async function startActor(): Promise<AssetActor> {
  const assetId = await insertAsset(db.pool, { asset_symbol: 'BTC/USD' });
  const started = await startAssetActor(db.pool, assetId, exchange);
  actor = started;
  return started;
}

describe('AssetActor', () => {
  it('asks the exchange once when several parties ask it to reconcile the same order at once', async () => {
    const a = await startActor();
    a.offerQuote({ symbol: 'BTC/USD', bid: 49990, ask: 50000, at: Date.now() });
    await waitUntil(
      async () => exchange.submitted,
      (n) => n === 1,
      { what: 'the base order submitted', timeoutMs: 5_000 },
    );

    let lookUps = 0;
    const lookUp = exchange.getOrderByClientId.bind(exchange);
    exchange.getOrderByClientId = async (id) => {
      lookUps++;
      await new Promise((r) => setTimeout(r, 100));
      return lookUp(id);
    };
    // A stream reconnect, the consistency caretaker and another reconnect, all within one look-up.
    a.reconcile();
    a.reconcile();
    a.reconcile();
    await waitUntil(
      async () => lookUps,
      (n) => n >= 1,
      { what: 'a look-up', timeoutMs: 5_000 },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(lookUps).toBe(1);

    // Once it has answered, the next request looks again.
    a.reconcile();
    await waitUntil(
      async () => lookUps,
      (n) => n === 2,
      { what: 'a second look-up', timeoutMs: 5_000 },
    );
  });
});
