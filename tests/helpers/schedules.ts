/**
 * Seeded fault schedules for the randomized run: a price path that crosses the buy, safety and
 * take-profit triggers, mixed with faults (stream drops and refusals, 5xx, 429, slow and cut POSTs,
 * duplicated and reordered updates, partial fills, bot restarts, orders the exchange creates late,
 * a trade-stream reconnect or an actor crash while a POST is unanswered, slow position reads,
 * 403/422/429 refusals, and the database hung then cut while a decision is under way: a lost
 * write-ahead, after a safety order's POST has left). The same seed gives the same schedule, so a
 * failing seed can be replayed alone.
 */
import { mulberry32 } from '../../src/sim/feeds.js';

export type Step =
  | { readonly kind: 'quote'; readonly bid: string; readonly ask: string }
  | { readonly kind: 'dropTrading' }
  | { readonly kind: 'refuseTrading'; readonly ms: number }
  | { readonly kind: 'dropData' }
  | { readonly kind: 'failRest'; readonly status: number }
  | { readonly kind: 'delayOrder' }
  | { readonly kind: 'hangUpOrder' }
  | { readonly kind: 'duplicate'; readonly count: number }
  | { readonly kind: 'reorder'; readonly count: number }
  | { readonly kind: 'partialFills'; readonly ratio: string | null }
  | { readonly kind: 'restart' }
  | { readonly kind: 'lateCreation'; readonly ms: number; readonly answer: 'first' | 'after' | 'hang_up' }
  | { readonly kind: 'reconnectDuringPost' }
  | { readonly kind: 'crashDuringPost' }
  | { readonly kind: 'slowPositions'; readonly ms: number }
  | { readonly kind: 'refuseOrders'; readonly count: number; readonly status: number }
  | { readonly kind: 'lostCommit' };

const FAULTS: readonly ((r: () => number) => Step)[] = [
  () => ({ kind: 'dropTrading' }),
  (r) => ({ kind: 'refuseTrading', ms: 200 + Math.floor(r() * 600) }),
  () => ({ kind: 'dropData' }),
  (r) => ({ kind: 'failRest', status: [500, 503, 429][Math.floor(r() * 3)]! }),
  () => ({ kind: 'delayOrder' }),
  () => ({ kind: 'hangUpOrder' }),
  (r) => ({ kind: 'duplicate', count: 1 + Math.floor(r() * 4) }),
  (r) => ({ kind: 'reorder', count: 2 + Math.floor(r() * 2) }),
  (r) => ({ kind: 'partialFills', ratio: r() < 0.5 ? null : ['0.25', '0.5'][Math.floor(r() * 2)]! }),
  () => ({ kind: 'restart' }),
  (r) => ({
    kind: 'lateCreation',
    ms: 200 + Math.floor(r() * 1_800),
    answer: (['first', 'after', 'hang_up'] as const)[Math.floor(r() * 3)]!,
  }),
  () => ({ kind: 'reconnectDuringPost' }),
  () => ({ kind: 'crashDuringPost' }),
  (r) => ({ kind: 'slowPositions', ms: 300 + Math.floor(r() * 1_500) }),
  (r) => ({
    kind: 'refuseOrders',
    count: 1 + Math.floor(r() * 3),
    status: [403, 422, 429][Math.floor(r() * 3)]!,
  }),
  () => ({ kind: 'lostCommit' }),
];

/**
 * `length` steps; about a third are faults. Prices move in steps of up to ±1.2 % around 50000 so a
 * run buys, adds safety orders and takes profits.
 */
export function schedule(seed: number, length: number): Step[] {
  // The simulator's seeded PRNG: a schedule and a price walk with one seed are reproducible alike.
  const r = mulberry32(seed);
  const steps: Step[] = [];
  let mid = 50_000;
  for (let i = 0; i < length; i++) {
    if (r() < 0.35) {
      steps.push(FAULTS[Math.floor(r() * FAULTS.length)]!(r));
      continue;
    }
    mid = Math.round(mid * (1 + (r() - 0.5) * 0.024));
    steps.push({ kind: 'quote', bid: String(mid - 5), ask: String(mid + 5) });
  }
  return steps;
}
