/**
 * The Stately inspector hook-up: a websocket client on the local relay (where the Stately page
 * listens) sees the asset cycles' actors and snapshots while the bot trades on the simulator, with
 * Decimals as strings and no secret in any message. Plus the hub and the sanitiser on their own.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { InspectionEvent } from 'xstate';
import {
  createInspectionHub,
  type StatelyInspector,
  sanitize,
  startStatelyInspector,
} from '../src/inspect.js';
import { dec } from '../src/money.js';
import { BTC, startWatchedBot, type WatchedBot } from './dashboard/harness.js';
import { waitFor } from './helpers/wait.js';

describe('sanitize', () => {
  it('writes Decimals as plain strings and Dates as ISO strings', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(sanitize({ qty: dec('0.000399'), at, n: 3, list: [dec('1e-9')] })).toEqual({
      qty: '0.000399',
      at: '2026-01-02T03:04:05.000Z',
      n: 3,
      list: ['0.000000001'],
    });
  });

  it('leaves out every key that names a secret, at any depth', () => {
    const clean = sanitize({
      keyId: 'K',
      nested: { secretKey: 'S', password: 'P', token: 'T', symbol: 'BTC/USD' },
    });
    expect(clean).toEqual({ nested: { symbol: 'BTC/USD' } });
  });
});

describe('createInspectionHub', () => {
  it('hands every event to every listener and keeps going when one listener throws', () => {
    const hub = createInspectionHub(pino({ level: 'silent' }));
    const seen: string[] = [];
    hub.subscribe(() => {
      throw new Error('a broken watcher');
    });
    const stop = hub.subscribe((e) => seen.push(e.type));
    hub.inspect({ type: '@xstate.event' } as InspectionEvent);
    stop();
    hub.inspect({ type: '@xstate.event' } as InspectionEvent);
    expect(seen).toEqual(['@xstate.event']);
  });
});

describe('the Stately inspector relay while the bot trades', () => {
  let w: WatchedBot;
  let inspector: StatelyInspector;
  let client: WebSocket;
  const messages: Record<string, unknown>[] = [];
  const raw: string[] = [];

  beforeAll(async () => {
    inspector = await startStatelyInspector({ logger: pino({ level: 'silent' }) });
    client = new WebSocket(inspector.relayUrl);
    client.on('message', (data) => {
      raw.push(data.toString());
      messages.push(JSON.parse(data.toString()));
    });
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    w = await startWatchedBot({ beforeStart: (hub) => hub.subscribe(inspector.inspect) });
  });

  afterAll(async () => {
    client?.close();
    await w?.close();
    await inspector?.stop();
  });

  it('announces the asset cycle actor and sends its snapshots as it trades', async () => {
    await w.quoteUntil(
      '49990',
      '50000',
      async () => (await w.latestCycle())?.quantity.gt(0) ?? false,
      'a fill',
    );
    const cycleId = (await w.latestCycle())!.id;
    const isCycle = (m: Record<string, unknown>) => m['sessionId'] !== undefined;
    await waitFor(
      () => messages.some((m) => m['type'] === '@xstate.actor' && m['name'] === `cycle-${cycleId}`),
      5_000,
      'the @xstate.actor message',
    );
    await waitFor(
      () =>
        messages.some(
          (m) =>
            isCycle(m) &&
            m['type'] === '@xstate.snapshot' &&
            (m['snapshot'] as { context?: { ledger?: { quantity?: unknown } } }).context?.ledger?.quantity ===
              '0.000399',
        ),
      5_000,
      'a snapshot after the fill',
    );
    const actor = messages.find((m) => m['type'] === '@xstate.actor' && m['name'] === `cycle-${cycleId}`)!;
    expect(typeof actor['definition']).toBe('string');
    expect(String(actor['definition'])).toContain('"watching"');
    expect(messages.some((m) => (m['event'] as { type?: string } | undefined)?.type === 'TICK')).toBe(false);
    expect(w.bot.registry.get(BTC)?.view().state).toBe('watching');
  });

  it('sends no secret: neither the keys nor anything under a secret-named field', () => {
    const all = raw.join('\n');
    expect(all).not.toContain(w.config.alpaca.secretKey);
    expect(all).not.toContain(w.config.alpaca.keyId);
    expect(all).not.toMatch(/"(secretKey|password|token)"/);
  });
});
