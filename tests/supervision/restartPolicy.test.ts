import { describe, expect, it } from 'vitest';
import { type AnyStateNode, createActor, SimulatedClock, type SnapshotFrom, type StateValue } from 'xstate';
import { createTestModel, getStateNodes } from 'xstate/graph';
import { ValueOutOfRangeError } from '../../src/errors.js';
import {
  backoffDelay,
  type GiveUp,
  type PolicyEvent,
  type RestartType,
  restartPolicyMachine,
  restartsWithin,
} from '../../src/supervision/restartPolicy.js';
import { type ChildState, createSupervisor, type SupervisorExit } from '../../src/supervisor.js';
import { flush, Probe } from './probeChild.js';

type PolicySnapshot = SnapshotFrom<typeof restartPolicyMachine>;

const intensity = { maxRestarts: 1, periodMs: 1_000 };
const backoff = { initialMs: 10, maxMs: 15, factor: 2 };
const parkBackoff = { initialMs: 50, maxMs: 60, factor: 2 };
/** Every restart type escalates (a root child); permanent and transient ones may park instead (an asset). */
const policies: { restart: RestartType; giveUp: GiveUp }[] = [
  { restart: 'permanent', giveUp: 'escalate' },
  { restart: 'transient', giveUp: 'escalate' },
  { restart: 'temporary', giveUp: 'escalate' },
  { restart: 'permanent', giveUp: 'park' },
  { restart: 'transient', giveUp: 'park' },
];

/** Crashes and exits come one ms after the last event (inside the period) or a whole period later. */
function eventsFrom(snapshot: PolicySnapshot): PolicyEvent[] {
  const { now, pendingDelayMs } = snapshot.context;
  const error = new Error('boom');
  return [
    { type: 'START' },
    { type: 'STARTED' },
    { type: 'CRASHED', at: now + 1, error },
    { type: 'CRASHED', at: now + intensity.periodMs, error },
    { type: 'EXITED', at: now + 1 },
    { type: 'EXITED', at: now + intensity.periodMs },
    { type: 'RESTART_DUE', at: now + pendingDelayMs },
    { type: 'RETRY', at: now + 1 },
    { type: 'STOP', reason: 'shutdown' },
    { type: 'STOPPED' },
  ];
}

/** The whole context counts: two paths meet in a state only if their clocks and counts agree. */
function serializeState(snapshot: PolicySnapshot): string {
  const { now, restartTimes, restarts, lastError, pendingDelayMs, parks, parkedReason } = snapshot.context;
  return JSON.stringify([
    snapshot.value,
    now,
    restartTimes,
    restarts,
    lastError,
    pendingDelayMs,
    parks,
    parkedReason,
  ]);
}

/** Restarts that aged out of the period could go on forever; one past the intensity shows the point. */
const stopWhen = (snapshot: PolicySnapshot) => snapshot.context.restarts > intensity.maxRestarts;

function modelFor(restart: RestartType, giveUp: GiveUp) {
  return createTestModel(restartPolicyMachine, {
    input: { restart, intensity, backoff, giveUp, parkBackoff },
    events: eventsFrom,
    serializeState,
    stopWhen,
  });
}

function leafOf(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0]!;
  return `${key}.${leafOf(child as StateValue)}`;
}

function enteredLeaf(node: AnyStateNode): AnyStateNode {
  return node.type === 'compound' ? enteredLeaf(node.initial.target[0]!) : node;
}

/** Every (leaf, event, target leaf) the definition allows, including handlers inherited from a parent. */
function definedTransitions(): Set<string> {
  const defined = new Set<string>();
  for (const leaf of getStateNodes(restartPolicyMachine.root).filter((n) => n.type === 'atomic')) {
    for (let node: AnyStateNode | undefined = leaf; node !== undefined; node = node.parent) {
      for (const [eventType, transitions] of node.transitions) {
        for (const transition of transitions) {
          const target = enteredLeaf(transition.target?.[0] ?? leaf);
          defined.add(`${leaf.path.join('.')} -${eventType}-> ${target.path.join('.')}`);
        }
      }
    }
  }
  return defined;
}

/** "crashed@1 → RESTART_DUE@11 → … ⇒ escalated": the events with their times, then the state reached. */
function describePath(steps: { event: { type: string }; state: PolicySnapshot }[]): string {
  const events = steps
    .slice(1)
    .map(({ event }) => ('at' in event ? `${event.type}@${event.at}` : event.type));
  return `${events.join(' → ')} ⇒ ${leafOf(steps.at(-1)!.state.value)}`;
}

const expectedStatus: Record<string, ChildState> = {
  idle: 'stopped',
  'up.starting': 'starting',
  'up.running': 'running',
  backingOff: 'restarting',
  stopping: 'stopping',
  stopped: 'stopped',
  failed: 'failed',
  escalated: 'failed',
  parked: 'parked',
};

/** The system under test: a real supervisor with one probe child and a simulated clock. */
function supervisedProbe(restart: RestartType, giveUp: GiveUp) {
  const clock = new SimulatedClock();
  const probe = new Probe('child', { restart, holdStart: true, holdStop: (reason) => reason === 'shutdown' });
  const parkedAt: { childId: string; retryAt: Date }[] = [];
  const sup = createSupervisor({
    children: [probe.spec],
    clock,
    intensity,
    backoff,
    giveUp,
    parkBackoff,
    onPark: (childId, _reason, retryAt) => parkedAt.push({ childId, retryAt }),
  });
  let exit: SupervisorExit | undefined;
  void sup.done.then((e) => {
    exit = e;
  });
  const childState = () => sup.status()[0]!.state;
  // A timed event leaves its time as the model's `now`, so the clock is moved to exactly there.
  const advanceTo = (at: number) => clock.increment(at - clock.now());
  let expectedStarts = 0;

  return {
    events: {
      START: async () => {
        expectedStarts++;
        void sup.start();
        await flush();
      },
      STARTED: async () => {
        probe.finishStart();
        await flush();
      },
      CRASHED: async ({ state }: { state: PolicySnapshot }) => {
        advanceTo(state.context.now);
        if (probe.startPending) probe.failStart('boom');
        else probe.crash('boom');
        await flush();
      },
      EXITED: async ({ state }: { state: PolicySnapshot }) => {
        advanceTo(state.context.now);
        probe.exit();
        probe.finishStart();
        await flush();
      },
      RESTART_DUE: async ({ state }: { state: PolicySnapshot }) => {
        // One ms early the child must still be waiting: the backoff is exactly what the model says.
        const waiting = childState();
        expect(['restarting', 'parked']).toContain(waiting);
        advanceTo(state.context.now - 1);
        await flush();
        expect(childState()).toBe(waiting);
        advanceTo(state.context.now);
        expectedStarts++;
        await flush();
      },
      RETRY: async ({ state }: { state: PolicySnapshot }) => {
        advanceTo(state.context.now);
        sup.retryChild('child');
        expectedStarts++;
        await flush();
      },
      STOP: async () => {
        void sup.stop();
        await flush();
      },
      STOPPED: async () => {
        probe.finishStart();
        await flush();
        probe.finishStop();
        await flush();
      },
    },
    states: {
      '*': (snapshot: PolicySnapshot) => {
        const leaf = leafOf(snapshot.value);
        expect(sup.status()[0]).toMatchObject({
          state: expectedStatus[leaf],
          restarts: snapshot.context.restarts,
          ...(snapshot.context.lastError === undefined ? {} : { lastError: snapshot.context.lastError }),
        });
        expect(probe.starts).toBe(expectedStarts);
        if (leaf === 'escalated') expect(exit).toMatchObject({ ok: false, childId: 'child' });
        if (leaf === 'parked') {
          // Contained: the supervisor keeps running, told its owner once, and says when it retries.
          const retryAt = new Date(snapshot.context.now + snapshot.context.pendingDelayMs);
          expect(exit).toBeUndefined();
          expect(parkedAt.at(-1)).toEqual({ childId: 'child', retryAt });
          expect(sup.status()[0]).toMatchObject({
            reason: snapshot.context.parkedReason,
            nextRetryAt: retryAt,
          });
        }
        if (giveUp === 'park') expect(exit?.ok).not.toBe(false);
        if (leaf === 'stopping' || leaf === 'stopped') expect(exit?.ok).not.toBe(false);
      },
    },
  };
}

describe('restartPolicyMachine', () => {
  describe.each(policies)(
    'a $restart child that would $giveUp, walked through a real supervisor',
    ({ restart, giveUp }) => {
      for (const path of modelFor(restart, giveUp).getSimplePaths()) {
        it(describePath(path.steps), async () => {
          await path.test(supervisedProbe(restart, giveUp));
        });
      }
    },
  );

  it('reaches every state and takes every transition across the restart types and give-up choices', () => {
    const covered = new Set<string>();
    const visited = new Set<string>();
    for (const { restart, giveUp } of policies) {
      for (const path of modelFor(restart, giveUp).getSimplePaths()) {
        path.steps.forEach((step, i) => {
          visited.add(leafOf(step.state.value));
          const before = path.steps[i - 1]?.state;
          if (before)
            covered.add(`${leafOf(before.value)} -${step.event.type}-> ${leafOf(step.state.value)}`);
        });
      }
    }
    const leaves = getStateNodes(restartPolicyMachine.root)
      .filter((n) => n.type === 'atomic' || n.type === 'final')
      .map((n) => n.path.join('.'));

    expect([...visited].sort()).toEqual(leaves.sort());
    expect([...definedTransitions()].filter((t) => !covered.has(t))).toEqual([]);
  });

  it('restarts a child whose earlier restarts have aged out of the period instead of giving up', () => {
    const paths = modelFor('permanent', 'escalate').getSimplePaths();
    const agedOut = paths.find((p) =>
      p.steps.some(
        (s) => s.state.matches('backingOff') && s.state.context.restarts === intensity.maxRestarts + 1,
      ),
    );
    expect(agedOut).toBeDefined();
  });
});

describe('restart arithmetic', () => {
  it('multiplies the delay by the factor per recent restart and caps it', () => {
    const delays = [0, 1, 2, 3, 4].map((n) => backoffDelay({ initialMs: 500, maxMs: 3_000, factor: 2 }, n));
    expect(delays).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });

  it('keeps only restarts younger than the period', () => {
    expect(restartsWithin([0, 400, 999, 1_000, 1_500], 1_999, 1_000)).toEqual([1_000, 1_500]);
  });
});

describe('quarantine', () => {
  const crash = (giveUp: GiveUp, error: unknown) => {
    const actor = createActor(restartPolicyMachine, {
      input: { restart: 'permanent', intensity, backoff, giveUp, parkBackoff },
    });
    const parks: string[] = [];
    actor.on('park', (intent) => parks.push(intent.reason));
    actor.start();
    actor.send({ type: 'START' });
    actor.send({ type: 'STARTED' });
    actor.send({ type: 'CRASHED', at: 1, error });
    return { state: actor.getSnapshot().value, parks };
  };
  const unstorable = new ValueOutOfRangeError('dca_orders', 'filled_avg_price', '1e300', {
    precision: 20,
    scale: 10,
  });

  it('parks a child that may park at once on a value no column can hold, instead of crash-looping', () => {
    const { state, parks } = crash('park', unstorable);
    expect(state).toBe('parked');
    expect(parks).toEqual([
      expect.stringMatching(/^quarantined: dca_orders\.filled_avg_price cannot hold 1e300/),
    ]);
  });

  it('still restarts a child that may park after an ordinary crash, and a root child after any crash', () => {
    expect(crash('park', new Error('boom')).state).toBe('backingOff');
    expect(crash('escalate', unstorable).state).toBe('backingOff');
  });
});
