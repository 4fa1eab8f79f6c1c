import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, createMachine, SimulatedClock } from 'xstate';
import { createSupervisor, SupervisorGaveUpError, type SupervisorOptions } from '../src/supervisor.js';
import { logSink } from './helpers/logSink.js';
import { waitFor } from './helpers/wait.js';
import { flush, Probe } from './supervision/probeChild.js';

const quick = { backoff: { initialMs: 5, maxMs: 20, factor: 2 } } satisfies Partial<SupervisorOptions>;

const stateOf = (sup: { status(): { id: string; state: string }[] }, id: string) =>
  sup.status().find((s) => s.id === id)?.state;

describe('createSupervisor', () => {
  it('starts children in order and stops them in reverse', async () => {
    const journal: string[] = [];
    const probes = ['streams', 'asset:BTC/USD', 'caretaker'].map((id) => new Probe(id, { journal }));
    const sup = createSupervisor({ children: probes.map((p) => p.spec) });

    await sup.start();
    expect(sup.status().map((s) => s.state)).toEqual(['running', 'running', 'running']);
    await sup.stop();

    expect(journal).toEqual([
      'start streams',
      'start asset:BTC/USD',
      'start caretaker',
      'stop caretaker',
      'stop asset:BTC/USD',
      'stop streams',
    ]);
    expect(await sup.done).toEqual({ ok: true, reason: 'shutdown' });
  });

  it('restarts a crashed child after a backoff while its sibling keeps ticking', async () => {
    const steady = new Probe('steady', { tickMs: 2 });
    const flaky = new Probe('flaky');
    const sup = createSupervisor({
      children: [steady.spec, flaky.spec],
      backoff: { initialMs: 40, maxMs: 40, factor: 1 },
    });
    await sup.start();

    flaky.crash();
    expect(stateOf(sup, 'flaky')).toBe('restarting');
    const ticksAtCrash = steady.ticks;
    await waitFor(() => stateOf(sup, 'flaky') === 'running');

    expect(flaky.starts).toBe(2);
    expect(steady.ticks).toBeGreaterThan(ticksAtCrash);
    expect(steady.starts).toBe(1);
    expect(stateOf(sup, 'steady')).toBe('running');
    await sup.stop();
  });

  it('stops every child and resolves done not-ok once a child crashes past its intensity', async () => {
    const journal: string[] = [];
    const first = new Probe('first', { journal });
    const flaky = new Probe('flaky', { journal });
    const last = new Probe('last', { journal });
    const escalations: [Error, string][] = [];
    const sup = createSupervisor({
      children: [first.spec, flaky.spec, last.spec],
      intensity: { maxRestarts: 2, periodMs: 60_000 },
      ...quick,
      onEscalate: (err, childId) => escalations.push([err, childId]),
    });
    await sup.start();

    for (let restart = 1; restart <= 2; restart++) {
      flaky.crash(`boom ${restart}`);
      await waitFor(() => flaky.starts === restart + 1 && stateOf(sup, 'flaky') === 'running');
    }
    flaky.crash('boom 3');
    const exit = await sup.done;

    expect(exit).toMatchObject({ ok: false, childId: 'flaky' });
    expect(exit.ok === false && exit.error).toBeInstanceOf(SupervisorGaveUpError);
    expect(escalations.map(([, id]) => id)).toEqual(['flaky']);
    expect(sup.status().map((s) => s.state)).toEqual(['stopped', 'failed', 'stopped']);
    expect(journal.slice(-3)).toEqual(['stop flaky', 'stop last', 'stop first']);
  });

  it('treats a failing start during start() as a crash and retries it', async () => {
    const shaky = new Probe('shaky', { failStarts: 1 });
    const next = new Probe('next');
    const sup = createSupervisor({ children: [shaky.spec, next.spec], ...quick });

    await sup.start();
    expect(next.starts).toBe(1);
    await waitFor(() => stateOf(sup, 'shaky') === 'running');

    expect(shaky.starts).toBe(2);
    expect(sup.status()[0]).toMatchObject({ restarts: 1, lastError: 'shaky start 1 failed' });
    await sup.stop();
  });

  it('never restarts a temporary child and leaves its sibling running', async () => {
    const once = new Probe('once', { restart: 'temporary' });
    const sibling = new Probe('sibling');
    const sup = createSupervisor({ children: [once.spec, sibling.spec], ...quick });
    await sup.start();

    once.crash();
    await new Promise((resolve) => setTimeout(resolve, 30));

    expect(once.starts).toBe(1);
    expect(sup.status()).toMatchObject([
      { id: 'once', state: 'failed', restarts: 0, lastError: 'once crashed' },
      { id: 'sibling', state: 'running' },
    ]);
    await sup.stop();
  });

  it('lets a transient child that exited normally stay down but restarts it after a crash', async () => {
    const worker = new Probe('worker', { restart: 'transient' });
    const job = new Probe('job', { restart: 'transient' });
    const sup = createSupervisor({ children: [worker.spec, job.spec], ...quick });
    await sup.start();

    worker.crash();
    job.exit();
    await waitFor(() => stateOf(sup, 'worker') === 'running');

    expect(worker.starts).toBe(2);
    expect(job.starts).toBe(1);
    expect(stateOf(sup, 'job')).toBe('stopped');
    await sup.stop();
  });

  it('restarts a permanent child even when it exited normally', async () => {
    const stream = new Probe('stream');
    const sup = createSupervisor({ children: [stream.spec], ...quick });
    await sup.start();

    stream.exit();
    await waitFor(() => stream.starts === 2 && stateOf(sup, 'stream') === 'running');

    expect(sup.status()[0]?.restarts).toBe(1);
    await sup.stop();
  });

  it('parks a child past its intensity instead of stopping its siblings, then retries it later', async () => {
    const steady = new Probe('asset:ETH/USD');
    const flaky = new Probe('asset:XYZ/USD');
    const parked: [string, Date][] = [];
    const sup = createSupervisor({
      children: [steady.spec, flaky.spec],
      intensity: { maxRestarts: 2, periodMs: 60_000 },
      giveUp: 'park',
      parkBackoff: { initialMs: 150, maxMs: 150, factor: 1 },
      ...quick,
      onEscalate: () => {
        throw new Error('a parking supervisor never escalates');
      },
      onPark: (childId, _reason, retryAt) => parked.push([childId, retryAt]),
    });
    await sup.start();
    for (let restart = 1; restart <= 2; restart++) {
      flaky.crash(`boom ${restart}`);
      await waitFor(() => flaky.starts === restart + 1 && stateOf(sup, 'asset:XYZ/USD') === 'running');
    }
    flaky.crash('boom 3');
    await waitFor(() => stateOf(sup, 'asset:XYZ/USD') === 'parked');

    expect(parked.map(([id]) => id)).toEqual(['asset:XYZ/USD']);
    const status = sup.status().find((s) => s.id === 'asset:XYZ/USD');
    expect(status).toMatchObject({ reason: 'crashed after 2 restarts within 60000 ms', lastError: 'boom 3' });
    expect(status?.nextRetryAt).toEqual(parked[0]![1]);
    expect(stateOf(sup, 'asset:ETH/USD')).toBe('running');
    expect(steady.stops).toEqual([]);

    // The retry timer starts it again with a fresh intensity window.
    await waitFor(() => stateOf(sup, 'asset:XYZ/USD') === 'running');
    expect(flaky.starts).toBe(4);
    flaky.crash('boom 4');
    await waitFor(() => flaky.starts === 5 && stateOf(sup, 'asset:XYZ/USD') === 'running');
    await sup.stop();
    expect(await sup.done).toEqual({ ok: true, reason: 'shutdown' });
  });

  it('retries a parked child at once when asked, e.g. after its configuration changed', async () => {
    const flaky = new Probe('asset:XYZ/USD', { failStarts: 2 });
    const sup = createSupervisor({
      children: [flaky.spec],
      intensity: { maxRestarts: 1, periodMs: 60_000 },
      giveUp: 'park',
      parkBackoff: { initialMs: 3_600_000, maxMs: 3_600_000, factor: 1 },
      ...quick,
    });
    await sup.start();
    await waitFor(() => stateOf(sup, 'asset:XYZ/USD') === 'parked');
    expect(flaky.starts).toBe(2);

    sup.retryChild('asset:XYZ/USD');
    await waitFor(() => stateOf(sup, 'asset:XYZ/USD') === 'running');
    expect(flaky.starts).toBe(3);
    await sup.stop();
  });

  it('shows the children of a nested supervisor after the child that hosts it', async () => {
    const inner = createSupervisor({ children: [new Probe('asset:BTC/USD').spec], giveUp: 'park' });
    const sup = createSupervisor({
      children: [
        new Probe('streams').spec,
        {
          id: 'assets',
          restart: 'permanent',
          start: async () => {
            await inner.start();
            return { stop: () => inner.stop(), children: () => inner.status() };
          },
        },
      ],
    });
    await sup.start();
    expect(sup.status().map((s) => [s.id, s.state])).toEqual([
      ['streams', 'running'],
      ['assets', 'running'],
      ['asset:BTC/USD', 'running'],
    ]);
    await sup.stop();
  });

  it('adds and removes children at runtime without touching the others', async () => {
    const journal: string[] = [];
    const streams = new Probe('streams', { journal });
    const eth = new Probe('asset:ETH/USD', { journal });
    const sup = createSupervisor({ children: [streams.spec] });
    await sup.start();

    await sup.startChild(eth.spec);
    expect(sup.status().map((s) => [s.id, s.state])).toEqual([
      ['streams', 'running'],
      ['asset:ETH/USD', 'running'],
    ]);
    await expect(sup.startChild(eth.spec)).rejects.toThrow('already supervised');

    await sup.stopChild('asset:ETH/USD');
    expect(sup.status().map((s) => s.id)).toEqual(['streams']);
    expect(eth.stops).toEqual(['removed']);
    expect(journal).toEqual(['start streams', 'start asset:ETH/USD', 'stop asset:ETH/USD']);
    await sup.stop();
  });

  it('restarts an XState actor whose action threw, and does not take its stop for an exit', async () => {
    const buggy = createMachine({
      on: {
        BOOM: {
          actions: () => {
            throw new Error('bug in an action');
          },
        },
      },
    });
    const actors: AnyActorRef[] = [];
    const sup = createSupervisor({
      ...quick,
      children: [
        {
          id: 'asset:BTC/USD',
          restart: 'transient',
          start: async (ctx) => {
            const actor = createActor(buggy);
            actor.subscribe({ error: ctx.fail, complete: ctx.exit });
            actor.start();
            actors.push(actor);
            return { stop: async () => void actor.stop() };
          },
        },
      ],
    });
    await sup.start();

    actors[0]!.send({ type: 'BOOM' });
    await waitFor(() => actors.length === 2 && stateOf(sup, 'asset:BTC/USD') === 'running');
    expect(sup.status()[0]).toMatchObject({ restarts: 1, lastError: 'bug in an action' });

    await sup.stop();
    expect(actors[1]!.getSnapshot().status).toBe('stopped');
    expect(await sup.done).toEqual({ ok: true, reason: 'shutdown' });
  });

  it('abandons a child whose stop hangs once its shutdownMs has passed', async () => {
    const { lines, logger } = logSink('info');
    const stuck = new Probe('stuck', { shutdownMs: 20, holdStop: () => true });
    const sup = createSupervisor({ children: [stuck.spec], logger });
    await sup.start();

    const started = Date.now();
    await sup.stop();

    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(stuck.stops).toEqual(['shutdown']);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, child: 'stuck', msg: 'child did not stop in time; abandoned' }),
    );
  });

  it('stops a child whose start is still in flight once it has come up', async () => {
    const slow = new Probe('slow', { holdStart: true });
    const sup = createSupervisor({ children: [slow.spec] });
    const starting = sup.start();
    await flush();

    const stopping = sup.stop();
    expect(stateOf(sup, 'slow')).toBe('stopping');
    slow.finishStart();
    await Promise.all([starting, stopping]);

    expect(slow.stops).toEqual(['shutdown']);
    expect(stateOf(sup, 'slow')).toBe('stopped');
  });
});

describe('createSupervisor with a simulated clock', () => {
  const setup = (probe: Probe, periodMs = 1_000) => {
    const clock = new SimulatedClock();
    const sup = createSupervisor({
      children: [probe.spec],
      clock,
      intensity: { maxRestarts: 3, periodMs },
      backoff: { initialMs: 100, maxMs: 250, factor: 2 },
    });
    return { clock, sup };
  };

  it('reports restarts, the last error and when the state began in status()', async () => {
    const feed = new Probe('feed');
    const { clock, sup } = setup(feed);
    await sup.start();

    clock.increment(30);
    feed.crash('socket closed');
    expect(sup.status()).toEqual([
      { id: 'feed', state: 'restarting', restarts: 1, lastError: 'socket closed', since: new Date(30) },
    ]);
    clock.increment(100);
    await flush();

    expect(sup.status()).toEqual([
      { id: 'feed', state: 'running', restarts: 1, lastError: 'socket closed', since: new Date(130) },
    ]);
    await sup.stop();
  });

  it('doubles the backoff up to its cap and forgets restarts older than the period', async () => {
    const feed = new Probe('feed');
    const { clock, sup } = setup(feed);
    await sup.start();
    const restartAfter = async (expectedDelay: number) => {
      feed.crash();
      clock.increment(expectedDelay - 1);
      await flush();
      expect(stateOf(sup, 'feed')).toBe('restarting');
      clock.increment(1);
      await flush();
      expect(stateOf(sup, 'feed')).toBe('running');
    };

    await restartAfter(100);
    await restartAfter(200);
    await restartAfter(250);
    clock.increment(1_000);
    await restartAfter(100);

    expect(sup.status()[0]?.restarts).toBe(4);
    await sup.stop();
  });

  it('ignores reports from an instance it has already replaced', async () => {
    const feed = new Probe('feed');
    const { clock, sup } = setup(feed);
    await sup.start();
    const firstInstance = feed.ctx!;

    feed.crash();
    clock.increment(100);
    await flush();
    firstInstance.fail(new Error('late echo'));
    firstInstance.exit();
    await flush();

    expect(firstInstance.signal.aborted).toBe(true);
    expect(sup.status()[0]).toMatchObject({ state: 'running', restarts: 1, lastError: 'feed crashed' });
    await sup.stop();
  });

  it('cancels a pending restart when the supervisor stops', async () => {
    const feed = new Probe('feed');
    const { clock, sup } = setup(feed);
    await sup.start();

    feed.crash();
    await sup.stop();
    clock.increment(1_000);
    await flush();

    expect(feed.starts).toBe(1);
    expect(stateOf(sup, 'feed')).toBe('stopped');
  });
});
