/**
 * Watching the actors: one fan-out point for XState inspection events (the dashboard and the Stately
 * inspector both listen), and the Stately inspector hook-up — `createInspector` from
 * `@statelyai/inspect` (its conversion of XState events) handing each event straight to the local,
 * one-way relay (inspectRelay.ts), whose page embeds stately.ai/inspect.
 *
 * Whatever leaves the process is sanitised: Decimals become strings, Dates ISO strings, and keys
 * that name a secret are dropped, so a context can never carry a key into a browser.
 */
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { Logger } from 'pino';
import { configure as configureStringify } from 'safe-stable-stringify';
import type { AnyActorRef, AnyEventObject, InspectionEvent } from 'xstate';
import { isLoopbackHost } from './config.js';
import { type InspectorRelay, startInspectorRelay } from './inspectRelay.js';
import { Decimal } from './money.js';

export type InspectionListener = (event: InspectionEvent) => void;

/** Where the actors send their inspection events; anyone may listen. */
export interface InspectionHub {
  /** Pass this as `inspect` to startBot (and so to every actor). */
  readonly inspect: InspectionListener;
  subscribe(listener: InspectionListener): () => void;
}

export function createInspectionHub(logger?: Logger): InspectionHub {
  const listeners = new Set<InspectionListener>();
  return {
    inspect(event) {
      for (const listener of listeners) {
        // A watcher's bug must never reach the actor that is being watched.
        try {
          listener(event);
        } catch (err) {
          logger?.warn({ err }, 'an inspection listener failed');
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const SECRET_KEY = /secret|password|passwd|token|apikey|api_key|keyid|key_id|authorization|credential/i;
const MAX_DEPTH = 8;

/** A JSON-safe copy: Decimals as strings, Dates as ISO strings, secret-named keys left out. */
export function sanitize(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (Decimal.isDecimal(value)) return (value as Decimal).toFixed();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) continue;
    const clean = sanitize(v, depth + 1);
    if (clean !== undefined) out[key] = clean;
  }
  return out;
}

export interface StatelyInspector {
  /** The page to open: the relay's bridge, which embeds Stately's inspector and feeds it. */
  readonly url: string;
  /** The relay's websocket, where the page (and a test) listens. */
  readonly relayUrl: string;
  /** The relay itself (where it listens, how many pages are connected). */
  readonly relay: InspectorRelay;
  readonly inspect: InspectionListener;
  stop(): Promise<void>;
}

export interface StatelyInspectorOptions {
  readonly logger?: Logger;
  /** Interface the relay binds (DCA_INSPECT_HOST); default 127.0.0.1. */
  readonly host?: string;
  /** The relay's port; default 0, a free one. */
  readonly port?: number;
  /** How often live actors are announced again (default 10 s); see below. */
  readonly reannounceMs?: number;
  /** The dashboard's address, for the page to point at when the inspector cannot be reached. */
  readonly dashboardUrl?: string | null;
}

/** As the Stately websocket adapter serialises: cycles cut, at most 10 levels deep. */
const stringify = configureStringify({ maximumDepth: 10 });

/**
 * Starts the local relay and an inspector client connected to it. The relay replays only its last
 * 200 messages to a page opened later, so live actors are announced again every few seconds (a page
 * opened after a cycle started still learns its machine), and TICKs are not sent at all: they would
 * push everything else out of that window and change nothing a person wants to see.
 */
export async function startStatelyInspector(opts: StatelyInspectorOptions = {}): Promise<StatelyInspector> {
  // Loaded only when asked for (--inspect): a bot without it starts without the inspector's code.
  const { createInspector } = await import('@statelyai/inspect');
  const relay = await startInspectorRelay({
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.dashboardUrl === undefined ? {} : { dashboardUrl: opts.dashboardUrl }),
  });
  const adapter = {
    send: (event: StatelyInspectionEvent) => relay.broadcast(stringify(event) ?? 'null'),
  };
  const client = createInspector(adapter, {
    filter: (event) => !isTick(event),
    sanitizeContext: (context) => sanitize(context) as Record<string, unknown>,
    sanitizeEvent: (event) => sanitize(event) as AnyEventObject,
  });

  const live = new Map<string, AnyActorRef>();
  const reannounce = setInterval(() => {
    for (const [sessionId, ref] of live) {
      const snapshot = ref.getSnapshot() as { status?: string; value?: unknown; context?: unknown };
      if (snapshot.status !== 'active') {
        live.delete(sessionId);
        continue;
      }
      client.actor(ref, { status: 'active', value: snapshot.value, context: snapshot.context });
    }
  }, opts.reannounceMs ?? 10_000);
  reannounce.unref();

  const url = relay.pageUrl;
  if (!isLoopbackHost(opts.host ?? '127.0.0.1')) {
    opts.logger?.warn(
      { host: opts.host },
      'the inspector relay listens beyond this machine (DCA_INSPECT_HOST): anyone with its URL sees every cycle',
    );
  }
  opts.logger?.info(
    { url, listening: relay.address },
    `XState inspector: open ${url} (Stately's inspector, fed by the local relay; the path is this run's token)`,
  );
  return {
    url,
    relayUrl: relay.wsUrl,
    relay,
    inspect(event) {
      if (event.type === '@xstate.actor') live.set(event.actorRef.sessionId, event.actorRef as AnyActorRef);
      client.inspect.next?.(event);
    },
    async stop() {
      clearInterval(reannounce);
      live.clear();
      client.stop();
      await relay.stop();
    },
  };
}

function isTick(event: StatelyInspectionEvent): boolean {
  return (
    (event.type === '@xstate.event' || event.type === '@xstate.snapshot') && event.event?.type === 'TICK'
  );
}
