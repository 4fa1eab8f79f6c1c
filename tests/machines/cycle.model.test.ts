/**
 * Model-based test of the cycle machine: `createTestModel` walks the machine with meaningful events
 * (quotes on and beside every trigger, fills, partial fills, cancels, ticks before and after expiry,
 * position answers, submit failures, refusals, orders the closed gate kept home, look-ups before and after the grace period, config,
 * enable/disable and an operator's take profit now). Every state it finds is reached on a real actor by its shortest path, with the
 * invariants checked at each step, and every edge leaving it is tried from a copy of that actor.
 */

import { describe, expect, it } from 'vitest';
import { type AnyStateNode, type AnyTransitionDefinition, createActor } from 'xstate';
import { type AdjacencyMap, createTestModel, type StatePath } from 'xstate/graph';
import { isSellStep, readClientOrderId } from '../../src/clientOrderId.js';
import type { CycleInput, CycleIntent } from '../../src/machines/cycle.js';
import { type CycleSnapshot, cycleMachine, toCyclePatch } from '../../src/machines/cycle.js';
import type { CycleEvent } from '../../src/machines/cycleTypes.js';
import { takeProfitPrice, weightedAverage } from '../../src/machines/decisions.js';
import { sellReasonOf } from '../../src/machines/guards.js';
import { dec, ZERO } from '../../src/money.js';
import {
  aCycleInput,
  aCycleRow,
  anAsset,
  cid,
  T0,
  type Variant,
  variantEvent,
  variantsFor,
} from '../helpers/cycle.js';

type Snapshot = CycleSnapshot;
type ModelEvent = CycleEvent & { variant: Variant };
type Path = StatePath<Snapshot, ModelEvent>;

const MAX_SAFETY_ORDERS = 2;
/** A stop-loss after the last safety order, scaled safety orders, a plain take-profit. */
const asset = anAsset({
  maxSafetyOrders: MAX_SAFETY_ORDERS,
  lastSellPrice: dec('60600'),
  stopLossPercent: dec('5'),
  safetyOrderVolumeScale: dec('1.5'),
  safetyOrderStepScale: dec('1.2'),
});
/** The same asset with a trailing take-profit instead of the plain one. */
const trailingAsset = { ...asset, ttpEnabled: true, ttpDeviationPercent: dec('0.5') };
/** A cycle that holds its base order and a first safety order, consistent with its own books. */
const held = {
  quantity: dec('0.000670062645'),
  boughtQuantity: dec('0.000671742'),
  costBasis: dec('39.9999519'),
  averagePurchasePrice: weightedAverage(dec('39.9999519'), dec('0.000671742')),
  lastOrderFillPrice: dec('59100'),
  safetyOrders: 1,
};

/** Where a traversal starts: every status a persisted row can resume in. */
const starts: Record<string, { input: CycleInput; explore: boolean }> = {
  'a fresh cycle': { input: aCycleInput({ asset }), explore: true },
  'a cycle in cooldown': {
    input: aCycleInput({ asset, cycle: aCycleRow({ status: 'cooldown' }), previousCompletedAt: T0 }),
    explore: true,
  },
  'a restored buy': {
    input: aCycleInput({ asset, cycle: aCycleRow({ status: 'buying', clientOrderId: cid('7-base-1') }) }),
    explore: true,
  },
  // Trailing lives in watching's context (a mode, not a state): explored from a sell restored on an
  // asset that trails, which returns to watching holding coin when the sell dies.
  'a restored sell that trails its take-profit': {
    input: aCycleInput({
      asset: trailingAsset,
      cycle: aCycleRow({ ...held, status: 'selling', clientOrderId: cid('7-tp-3'), latestOrderId: 'a-3' }),
    }),
    explore: true,
  },
  // A row holding coin, restored where a safety order may have left unrecorded: looked for first.
  'a holding cycle looking for an unrecorded safety order': {
    input: aCycleInput({
      asset,
      cycle: aCycleRow({ ...held, status: 'watching', clientOrderId: cid('7-so1-2') }),
      lookForUnrecordedOrder: true,
    }),
    explore: true,
  },
  'a buy that names no order': {
    input: aCycleInput({ asset, cycle: aCycleRow({ status: 'buying' }) }),
    explore: false,
  },
  'a completed row': {
    input: aCycleInput({ asset, cycle: aCycleRow({ status: 'complete', completedAt: T0 }) }),
    explore: false,
  },
  'an errored row': {
    input: aCycleInput({ asset, cycle: aCycleRow({ status: 'error', completedAt: T0 }) }),
    explore: false,
  },
};

function isGivenUpSell(givenUp: string | null): boolean {
  const step = readClientOrderId(givenUp)?.step;
  return step !== undefined && isSellStep(step);
}

/** The state space: the status plus the context that decides which transitions apply. */
function stateKey(snapshot: Snapshot): string {
  const c = snapshot.context;
  return JSON.stringify([
    snapshot.value,
    c.enabled,
    c.rules.minOrderSize.gte(1) ? 'strict' : 'normal',
    c.ledger.quantity.gt(0),
    c.ledger.safetyOrders,
    c.inFlight && [
      c.inFlight.step,
      c.inFlight.orderId !== null,
      c.inFlight.filledQty.gt(0),
      c.inFlight.postEnded,
      c.inFlight.notFoundSince !== null,
      c.inFlight.recheckAsked,
      c.inFlight.unrecorded === true,
      c.inFlight.lastLookFor ?? null,
    ],
    c.positionCheck && [c.positionCheck.purpose, c.positionCheck.state],
    c.quote !== null,
    c.ledger.ttpPeakPrice !== null,
    // Which sell the latest quote still holds: re-checked when the position answers.
    c.positionCheck?.purpose === 'sell' && c.quote !== null && sellReasonOf(c, c.quote),
    // A refusal episode; in watching also whether its wait is still running.
    c.backoff && (snapshot.value === 'watching' ? c.now.getTime() < c.backoff.until.getTime() : true),
    // The order gate found closed: nothing is decided until a TICK says it is open.
    c.gateClosed,
    // A sell given up as never accepted: a vanished position looks it up once more.
    isGivenUpSell(c.givenUp),
  ]);
}

function modelFor(input: CycleInput) {
  return createTestModel(cycleMachine, {
    input,
    events: (snapshot: Snapshot) =>
      variantsFor(snapshot).map((variant) => ({ ...variantEvent(variant, snapshot), variant }) as ModelEvent),
    serializeState: (snapshot) => stateKey(snapshot as Snapshot),
    serializeEvent: (event) => (event as ModelEvent).variant ?? event.type,
    // The model offers a bare `{ type }` for every event type a state handles; only variants count.
    filterEvents: (_snapshot, event) => 'variant' in event,
    stopWhen: (snapshot) => snapshot.status === 'done',
  });
}

/** An edge of the adjacency map: from the state its source path reaches, one event, one next state. */
interface Edge {
  readonly event: ModelEvent;
  readonly state: Snapshot;
}

/** Every state of the adjacency map with its shortest path and the edges leaving it. */
function statesWithEdges(
  adjacency: AdjacencyMap<Snapshot, ModelEvent>,
  shortest: Path[],
): Array<{ head: Path; edges: Edge[] }> {
  const toState = new Map(shortest.map((path) => [stateKey(path.state), path]));
  return Object.values(adjacency).flatMap(({ state, transitions }) => {
    const head = toState.get(stateKey(state));
    if (head === undefined) return [];
    return [{ head, edges: Object.values(transitions) as Edge[] }];
  });
}

/** Every transition the machine defines, by identity, labelled `source --EVENT[index]-->`. */
function machineTransitions(): Map<AnyTransitionDefinition, string> {
  const all = new Map<AnyTransitionDefinition, string>();
  const visit = (node: AnyStateNode) => {
    for (const [eventType, list] of node.transitions) {
      for (const [i, t] of list.entries()) all.set(t, `${node.id} --${eventType}[${i}]-->`);
    }
    for (const [i, t] of (node.always ?? []).entries()) all.set(t, `${node.id} --always[${i}]-->`);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(cycleMachine.root);
  return all;
}

/** What the machine did with client order ids, in order: submitted one, or gave one up as never accepted. */
type IdEvent = { readonly kind: 'submit' | 'givenUp'; readonly id: string };

/**
 * Ids submitted while an earlier submission of the same id is still standing: an id is submitted
 * once, and again only after it was given up as never accepted (the next order of its step reuses it).
 */
function resubmitted(log: readonly IdEvent[]): string[] {
  const standing = new Set<string>();
  const twice: string[] = [];
  for (const { kind, id } of log) {
    if (kind === 'givenUp') standing.delete(id);
    else if (standing.has(id)) twice.push(id);
    else standing.add(id);
  }
  return twice;
}

function checkInvariants(snapshot: Snapshot, ids: readonly IdEvent[]): void {
  const { ledger, inFlight, asset: config } = snapshot.context;
  expect(ledger.quantity.gte(0), 'quantity ≥ 0').toBe(true);
  if (ledger.boughtQuantity.gt(0)) {
    expect(
      ledger.averagePurchasePrice.eq(ledger.costBasis.div(ledger.boughtQuantity)),
      'average = cost / bought',
    ).toBe(true);
  } else {
    expect(ledger.costBasis.eq(ZERO), 'no cost without a buy').toBe(true);
  }
  expect(ledger.safetyOrders).toBeLessThanOrEqual(config.maxSafetyOrders);
  if (ledger.ttpPeakPrice !== null) {
    // A trailing peak exists only while trailing, and only from the take-profit price up.
    expect(config.ttpEnabled, 'trailing only when enabled').toBe(true);
    const target = takeProfitPrice(ledger.averagePurchasePrice, config.takeProfitPercent);
    expect(ledger.ttpPeakPrice.gte(target), 'peak ≥ take-profit price').toBe(true);
  }
  if (snapshot.value === 'buying' || snapshot.value === 'selling') {
    expect(inFlight, 'one order in flight').not.toBeNull();
    expect(inFlight!.side).toBe(snapshot.value === 'buying' ? 'buy' : 'sell');
  } else {
    expect(inFlight, 'no order in flight').toBeNull();
  }
  expect(toCyclePatch(snapshot).latestOrderId).toBe(inFlight?.orderId ?? null);
  const shown = ids.map((e) => `${e.kind} ${e.id}`).join(', ');
  expect(resubmitted(ids), `client order ids unique unless given up: ${shown}`).toEqual([]);
}

/** A started actor that records the machine transitions it takes and the client order ids it submits. */
function recordingActor(input: CycleInput, taken: Set<AnyTransitionDefinition>, from?: unknown) {
  const actor = createActor(cycleMachine, {
    input,
    ...(from === undefined ? {} : { snapshot: from as never }),
    inspect: (ev) => {
      if (ev.type === '@xstate.microstep') for (const t of ev._transitions) taken.add(t);
    },
  });
  const submitted: IdEvent[] = [];
  actor.on('*', (intent: CycleIntent) => {
    if (intent.type === 'submitOrder') submitted.push({ kind: 'submit', id: intent.order.clientOrderId });
    if (intent.type === 'closeUnsentOrder') submitted.push({ kind: 'givenUp', id: intent.clientOrderId });
  });
  actor.start();
  return { actor, submitted };
}

/**
 * Replays a path on a real actor, checking every step; returns the transitions it took and the
 * actor's persisted snapshot at the end, so each edge leaving that state is tried from a copy.
 */
async function replay(
  model: ReturnType<typeof modelFor>,
  path: Path,
  input: CycleInput,
  taken: Set<AnyTransitionDefinition>,
) {
  const { actor, submitted } = recordingActor(input, taken);
  const send = ({ event }: { event: ModelEvent }) => {
    // The live actor may hold other numbers than the model's snapshot; the variant means the same.
    actor.send(variantEvent(event.variant, actor.getSnapshot()));
  };
  const events = Object.fromEntries(
    [
      'QUOTE',
      'TICK',
      'POSITION_FOUND',
      'POSITION_NONE',
      'POSITION_MISSING',
      'ORDER_SUBMITTED',
      'ORDER_SUBMIT_FAILED',
    ]
      .concat(['ORDER_PARTIALLY_FILLED', 'ORDER_FILLED', 'ORDER_CANCELED', 'ORDER_REJECTED', 'ORDER_EXPIRED'])
      .concat(['RECONCILED', 'CONFIG_CHANGED', 'DISABLE', 'ENABLE', 'TAKE_PROFIT_NOW'])
      .map((type) => [type, send]),
  );
  await model.testPath(path, {
    events,
    states: {
      '*': (expected) => {
        const live = actor.getSnapshot();
        expect(stateKey(live)).toBe(stateKey(expected));
        checkInvariants(live, submitted);
      },
    },
  });
  const end = actor.getPersistedSnapshot();
  actor.stop();
  return { end, submitted };
}

/** One edge from a copy of the state a path reached: the event, then the same checks as a path step. */
function tryEdge(
  input: CycleInput,
  from: unknown,
  before: readonly IdEvent[],
  edge: Edge,
  taken: Set<AnyTransitionDefinition>,
) {
  const { actor, submitted } = recordingActor(input, taken, from);
  const gateClosed = actor.getSnapshot().context.gateClosed;
  actor.send(variantEvent(edge.event.variant, actor.getSnapshot()));
  const live = actor.getSnapshot();
  // No order is decided while the order gate is closed.
  const decided = submitted.filter((e) => e.kind === 'submit');
  if (gateClosed) expect(decided, `order decided with the gate closed: ${edge.event.variant}`).toEqual([]);
  expect(stateKey(live), `after ${edge.event.variant}`).toBe(stateKey(edge.state));
  checkInvariants(live, [...before, ...submitted]);
  actor.stop();
}

describe('cycle machine model', () => {
  const allTransitions = machineTransitions();
  const takenTransitions = new Set<AnyTransitionDefinition>();
  const statesReached = new Set<string>();
  let pathCount = 0;

  for (const [name, { input, explore }] of Object.entries(starts)) {
    it(`holds every invariant on every generated path from ${name}`, async () => {
      const model = modelFor(input);
      const shortest = model.getShortestPaths({ allowDuplicatePaths: true }) as unknown as Path[];
      const sources = explore
        ? statesWithEdges(model.getAdjacencyMap() as AdjacencyMap<Snapshot, ModelEvent>, shortest)
        : shortest.map((head) => ({ head, edges: [] as Edge[] }));
      for (const { head, edges } of sources) {
        statesReached.add(String(head.state.value));
        const { end, submitted } = await replay(model, head, input, takenTransitions);
        pathCount += Math.max(1, edges.length);
        for (const edge of edges) {
          statesReached.add(String(edge.state.value));
          tryEdge(input, end, submitted, edge, takenTransitions);
        }
      }
      expect(sources.length).toBeGreaterThan(0);
      // The traversal is CPU work (some 10k edges per start), not waiting: give it room on a busy machine.
    }, 120_000);
  }

  it('covers every state and every transition of the machine', () => {
    console.log(
      `cycle model: ${pathCount} paths (one per edge), ${takenTransitions.size}/${allTransitions.size} transitions covered`,
    );
    expect([...statesReached].sort()).toEqual(Object.keys(cycleMachine.root.states).sort());
    const missed = [...allTransitions].filter(([t]) => !takenTransitions.has(t)).map(([, label]) => label);
    expect(missed).toEqual([]);
    expect([...takenTransitions].filter((t) => !allTransitions.has(t))).toEqual([]);
  });
});
