/**
 * Shared builders for simulator tests: a simulator with SDK clients pointed at it, and small
 * waiters for stream events. Everything talks to the simulator through the official SDK.
 */
import { streaming } from '@alpacahq/alpaca-trade-api';
import { createSdkClients, type SdkClients } from '../../src/exchange/sdk.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/simulator.js';
import { waitFor } from './wait.js';

export interface SimHarness {
  readonly sim: Simulator;
  readonly sdk: SdkClients;
  /** Disconnects every stream client made through `sdk` so far. */
  disconnectStreams(): void;
  close(): Promise<void>;
}

/** A simulator plus SDK clients; GET retries are off so injected failures reach the test. */
export async function startSimHarness(opts: SimulatorOptions = {}): Promise<SimHarness> {
  const sim = await startSimulator(opts);
  const sdk = createSdkClients(sim.endpoints, {
    getRetries: 0,
    requestTimeoutMs: 2_000,
    reconnect: { initialReconnectMs: 50, maxReconnectMs: 200, reconnectJitter: 0 },
  });
  const streams: streaming.AlpacaWebSocket[] = [];
  const wrap =
    <T extends streaming.AlpacaWebSocket>(make: (o?: Record<string, unknown>) => T) =>
    (o?: Record<string, unknown>) => {
      const s = make(o);
      streams.push(s);
      return s;
    };
  const tracked: SdkClients = {
    ...sdk,
    tradeStream: wrap((o) => sdk.tradeStream({ pingIntervalMs: 0, ...o })),
    cryptoStream: wrap((o) => sdk.cryptoStream({ pingIntervalMs: 0, ...o })),
  };
  return {
    sim,
    sdk: tracked,
    disconnectStreams() {
      for (const s of streams.splice(0)) s.disconnect();
    },
    async close() {
      for (const s of streams.splice(0)) s.disconnect();
      await sim.close();
    },
  };
}

/**
 * A connected, listening trade_updates client that records every update. `connections()` counts
 * connections whose `listen` was acknowledged: the subscription is registered once, before
 * connecting, and the SDK re-sends it (one `listen`) after each authentication.
 */
export async function listenTradeUpdates(h: SimHarness, overrides: Record<string, unknown> = {}) {
  const stream = h.sdk.tradeStream(overrides);
  const updates: streaming.TradeUpdate[] = [];
  let acknowledged = 0;
  stream.onTradeUpdate((u) => updates.push(u));
  stream.on(streaming.EVENT.SUBSCRIPTION, () => {
    acknowledged++;
  });
  stream.subscribeTradeUpdates();
  stream.connect();
  await waitFor(() => acknowledged >= 1, 3_000, 'trade_updates listening');
  return { stream, updates, connections: () => acknowledged };
}

const FINAL = ['filled', 'canceled', 'expired', 'rejected'];

/**
 * Waits until the simulator's order `idOrClientId` has `status` (default: any final status). Order
 * life takes time on the simulator as on Alpaca: a POST answers `pending_new`, fills come later.
 */
export async function waitForOrder(
  sim: Simulator,
  idOrClientId: string,
  status?: string,
  timeoutMs = 3_000,
): Promise<void> {
  const reached = () => {
    const s = sim.getOrder(idOrClientId)?.status;
    return s !== undefined && (status === undefined ? FINAL.includes(s) : s === status);
  };
  await waitFor(reached, timeoutMs, `order ${idOrClientId} ${status ?? 'final'}`);
}
