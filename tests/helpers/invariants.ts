/**
 * The crash-safety invariants, checked against what the simulator (the exchange) actually holds:
 *  (a) at most one order per (cycle, step) that is not dead without a fill — a retried attempt is
 *      only allowed once the previous one is known dead (canceled/expired/rejected, nothing filled);
 *  (b) every cycle's row equals the fills the simulator reports for its orders (grouped by the cycle
 *      id in the client order id): gross bought qty, cost, net quantity, net sell proceeds;
 *  (c) no fill is unaccounted for: every simulator order of the bot with a fill belongs to a cycle
 *      of the asset, and its dca_orders row shows the same status and filled qty.
 * Each returns human-readable violations (empty: all good) so a failing run names what broke.
 */
import { type Installation, parseClientOrderId } from '../../src/clientOrderId.js';
import { Decimal, dec, ZERO } from '../../src/money.js';
import type { SimOrder } from '../../src/sim/types.js';
import type { Queryable } from '../../src/store/db.js';
import { loadInstallation } from '../../src/store/installation.js';
import { type CycleRecord, cyclesOf, type LedgerRecord, ledgerOf } from './bot.js';
import { waitUntil } from './wait.js';

const DEAD = new Set(['canceled', 'expired', 'rejected']);
const OPEN = new Set(['new', 'partially_filled']);
/** DECIMAL(30,15) columns: compare at a precision the column keeps. */
const PLACES = 12;
const QTY_SLACK = dec('0.00000001');

function isDeadWithoutFill(o: SimOrder): boolean {
  return DEAD.has(o.status) && o.filledQty.isZero();
}

/** The simulator's bot orders, keyed by cycle id. */
function ordersByCycle(orders: readonly SimOrder[], installation: Installation): Map<number, SimOrder[]> {
  const byCycle = new Map<number, SimOrder[]>();
  for (const o of orders) {
    const parts = parseClientOrderId(o.clientOrderId, installation);
    if (!parts) continue;
    const list = byCycle.get(parts.cycleId) ?? [];
    list.push(o);
    byCycle.set(parts.cycleId, list);
  }
  return byCycle;
}

/** (a) At most one order per (cycle, step) that is not dead without a fill. */
function duplicateStepOrders(orders: readonly SimOrder[], installation: Installation): string[] {
  const seen = new Map<string, SimOrder[]>();
  for (const o of orders) {
    const parts = parseClientOrderId(o.clientOrderId, installation);
    if (!parts || isDeadWithoutFill(o)) continue;
    const key = `${parts.cycleId}-${parts.step}`;
    seen.set(key, [...(seen.get(key) ?? []), o]);
  }
  return [...seen.entries()]
    .filter(([, list]) => list.length > 1)
    .map(
      ([key, list]) => `step ${key} has ${list.length} live or filled orders: ${list.map(show).join(', ')}`,
    );
}

/** (b) + (c): the database agrees with the simulator's fills. */
async function bookkeepingViolations(
  db: Queryable,
  assetId: number,
  orders: readonly SimOrder[],
  feeRate: Decimal,
  installation: Installation,
): Promise<string[]> {
  const out: string[] = [];
  const cycles = await cyclesOf(db, assetId);
  const ledger = new Map<string, LedgerRecord>(
    (await ledgerOf(db, assetId)).map((r) => [r.client_order_id, r]),
  );
  const byCycle = ordersByCycle(orders, installation);
  const cycleIds = new Set(cycles.map((c) => c.id));
  for (const [cycleId, list] of byCycle) {
    if (!cycleIds.has(cycleId) && list.some((o) => o.filledQty.gt(0))) {
      out.push(`cycle ${cycleId} is unknown but has fills: ${list.map(show).join(', ')}`);
    }
  }
  for (const c of cycles) out.push(...cycleViolations(c, byCycle.get(c.id) ?? [], feeRate));
  for (const o of orders) {
    if (!parseClientOrderId(o.clientOrderId, installation)) continue;
    const row = ledger.get(o.clientOrderId);
    if (!row) {
      if (o.filledQty.gt(0) || OPEN.has(o.status)) out.push(`${show(o)} has no dca_orders row`);
      continue;
    }
    if (!dec(row.filled_qty).eq(o.filledQty) || row.status !== o.status) {
      out.push(
        `dca_orders ${o.clientOrderId} says ${row.status} ${dec(row.filled_qty).toFixed()}, exchange ${show(o)}`,
      );
    }
  }
  return out;
}

/** (a), (b) and (c) together: every way the bot's books and orders disagree with the exchange. */
export async function invariantViolations(
  db: Queryable,
  assetId: number,
  orders: readonly SimOrder[],
  feeRate: Decimal,
): Promise<string[]> {
  const installation = await loadInstallation(db);
  return [
    ...duplicateStepOrders(orders, installation),
    ...(await bookkeepingViolations(db, assetId, orders, feeRate, installation)),
  ];
}

function cycleViolations(c: CycleRecord, orders: readonly SimOrder[], feeRate: Decimal): string[] {
  const keep = dec(1).minus(feeRate);
  // An open order's fills are booked when it ends (the cycle waits on it); count ended orders only.
  const ended = orders.filter((o) => !OPEN.has(o.status));
  const buys = ended.filter((o) => o.side === 'buy');
  const sells = ended.filter((o) => o.side === 'sell');
  const sum = (list: readonly SimOrder[], f: (o: SimOrder) => Decimal) =>
    list.reduce((acc, o) => acc.plus(f(o)), dec(0));
  const bought = sum(buys, (o) => o.filledQty);
  const sold = sum(sells, (o) => o.filledQty);
  const want = {
    bought_quantity: bought,
    cost_basis: sum(buys, (o) => o.filledValue),
    quantity: Decimal.max(ZERO, bought.mul(keep).minus(sold)),
    sell_proceeds: sum(sells, (o) => o.filledValue).mul(keep),
  };
  const out: string[] = [];
  for (const [column, expected] of Object.entries(want)) {
    const actual = dec(c[column as keyof typeof want]);
    // The quantity converges on what the account received: the exchange keeps positions to 9
    // decimals, truncated against the account on every execution, so the books may sit below the
    // fee-rate estimate by that truncation (at most 1e-9 per execution; 1e-8 per buy order allows
    // for partial fills) and never above it.
    if (
      column === 'quantity' &&
      actual.lte(expected) &&
      actual.gte(expected.minus(QTY_SLACK.mul(buys.length)))
    ) {
      continue;
    }
    if (!actual.toDecimalPlaces(PLACES).eq(expected.toDecimalPlaces(PLACES))) {
      out.push(
        `cycle ${c.id} (${c.status}) ${column} = ${actual.toFixed()}, exchange fills say ${expected.toFixed()}`,
      );
    }
  }
  return out;
}

function show(o: SimOrder): string {
  return `${o.clientOrderId} ${o.side} ${o.status} filled ${o.filledQty.toFixed()}`;
}

/**
 * The violations left once the bot has had time to catch up: `check` polled until it finds none
 * (at most `timeoutMs`), else what it finds then, for the test to show.
 */
export async function settledViolations(
  check: () => Promise<string[]>,
  timeoutMs = 8_000,
): Promise<string[]> {
  try {
    return await waitUntil(check, (v) => v.length === 0, { timeoutMs, intervalMs: 100 });
  } catch {
    return check();
  }
}
