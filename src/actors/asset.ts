/**
 * The asset actor: hosts the current cycle machine of one asset, persists it, executes its order
 * intents, and starts the next cycle when one ends. It is the only writer of its asset's cycles;
 * streams and caretakers send it events.
 *
 * Every event passes through one serial lane: the machine decides synchronously, the actor persists
 * the new row (write-ahead, for an order), and only then performs the intents. The I/O results come
 * back as events through the same lane, so the machine never sees two things at once.
 *
 * Crash-only: a failed write (database down, a stale version) leaves memory ahead of the database,
 * so the actor fails and the supervisor restarts it from the database.
 */
import type { Logger } from 'pino';
import { createActor, type InspectionEvent } from 'xstate';
import type { AssetConfig, AssetRules, CycleRow, OrderSnapshot, Quote, TradeUpdate } from '../domain.js';
import { DcaError, ExchangeError } from '../errors.js';
import type { ExchangeRest } from '../exchange/types.js';
import { failpoint } from '../failpoints.js';
import type { CycleActor, CycleInput, CycleSnapshot } from '../machines/cycle.js';
import { cycleMachine, toCyclePatch } from '../machines/cycle.js';
import type { Decimal } from '../money.js';
import {
  createCycle,
  finishCycle,
  getLatestCycle,
  getPreviousCompletedAt,
  updateCycle,
} from '../store/cycles.js';
import type { Pool } from '../store/db.js';
import { closeUnsentOrder, recordOrderFee, recordOrderState, writeAheadOrder } from '../store/orders.js';
import type { Alert } from './alerts.js';
import {
  type CycleEvent,
  type Intent,
  patchChanged,
  sameRowSources,
  tradeUpdateToEvent,
} from './assetEvents.js';
import { retrying } from './retry.js';

export interface AssetActorDeps {
  readonly pool: Pool;
  readonly exchange: ExchangeRest;
  readonly logger: Logger;
  readonly feeRate: Decimal;
  /** This database's installation id (dca_installation), carried by every client order id. */
  readonly installationId: string;
  readonly now: () => Date;
  readonly alert: (alert: Alert) => void;
  /** Called when an unexpected failure leaves the actor unusable: the supervisor restarts it. */
  readonly fail: (err: unknown) => void;
  /** XState inspection (the Stately inspector, the dashboard). */
  readonly inspect?: (event: InspectionEvent) => void;
  /** Milliseconds between TICK events (cooldown expiry, position re-checks). */
  readonly tickMs?: number;
  /** Retry delays for REST look-ups the machine waits on. */
  readonly retryMs?: { readonly initial: number; readonly max: number };
}

export interface AssetView {
  readonly asset: AssetConfig;
  readonly rules: AssetRules | null;
  readonly cycle: CycleRow | null;
  readonly state: string;
  readonly lastQuote: Quote | null;
}

export class AssetActor {
  private asset: AssetConfig;
  private rules: AssetRules | null = null;
  private cycle: CycleRow | null = null;
  private machine: CycleActor | null = null;
  private intents: Intent[] = [];
  /** The snapshot the stored row was last projected from; see `settle`. */
  private settledFrom: CycleSnapshot | null = null;
  private lane: Promise<void> = Promise.resolve();
  private pendingQuote: Quote | null = null;
  private lastQuote: Quote | null = null;
  private stopping = false;
  private failed = false;
  private ticker: NodeJS.Timeout | null = null;
  /** Work started by intents (POSTs, look-ups) that stop() lets finish. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Client order ids being looked up: a reconnect, a caretaker and a restart may all ask at once. */
  private readonly lookingUp = new Set<string>();
  private readonly log: Logger;

  constructor(
    asset: AssetConfig,
    private readonly deps: AssetActorDeps,
  ) {
    this.asset = asset;
    this.log = deps.logger.child({ actor: 'asset', asset: asset.symbol });
  }

  get symbol(): string {
    return this.asset.symbol;
  }

  get cycleId(): number | null {
    return this.cycle?.id ?? null;
  }

  view(): AssetView {
    return {
      asset: this.asset,
      rules: this.rules,
      cycle: this.cycle,
      state: this.machine ? String(this.machine.getSnapshot().value) : 'starting',
      lastQuote: this.lastQuote,
    };
  }

  /** Loads (or creates) the current cycle, starts its machine and reconciles an in-flight order. */
  async start(): Promise<void> {
    const { pool, exchange } = this.deps;
    this.rules = await exchange.getAssetRules(this.asset.symbol);
    if (!this.rules.tradable) {
      this.deps.alert({
        level: 'error',
        code: 'ASSET_NOT_TRADABLE',
        asset: this.asset.symbol,
        message: `${this.asset.symbol} is not tradable on the exchange; the asset is idle`,
      });
    }
    let cycle = await getLatestCycle(pool, this.asset.id);
    if (!cycle) {
      cycle = await createCycle(pool, this.asset.id, 'watching');
      this.log.info({ cycleId: cycle.id }, 'first cycle created');
    } else if (cycle.status === 'complete' || cycle.status === 'error') {
      // Only rows written outside the bot end without a successor: finishCycle creates it atomically.
      cycle = await createCycle(pool, this.asset.id, cycle.status === 'complete' ? 'cooldown' : 'watching');
      this.log.info({ cycleId: cycle.id, status: cycle.status }, 'next cycle created');
    }
    await this.hostCycle(cycle);
    this.ticker = setInterval(() => this.tick(), this.deps.tickMs ?? 1000);
    this.ticker.unref();
  }

  /** Stops taking decisions, lets in-flight writes and requests finish, then stops the machine. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    // A POST already sent still gets its answer recorded (the order id); nothing new is decided.
    for (;;) {
      await this.lane;
      if (this.inFlight.size === 0) break;
      await Promise.allSettled([...this.inFlight]);
    }
    this.machine?.stop();
  }

  /** The newest quote for this asset. Quotes are state, not a queue: an unprocessed one is replaced. */
  offerQuote(quote: Quote): void {
    this.lastQuote = quote;
    if (this.pendingQuote) {
      this.pendingQuote = quote;
      return;
    }
    this.pendingQuote = quote;
    this.enqueue(() => {
      const q = this.pendingQuote;
      this.pendingQuote = null;
      if (q) return this.process({ type: 'QUOTE', bid: q.bid, ask: q.ask, at: q.at });
    });
  }

  /** A trade update for one of this asset's orders: recorded in the ledger, then given to the cycle. */
  onTradeUpdate(update: TradeUpdate): void {
    this.enqueue(async () => {
      // Test hook (no-op in production): a crash with the fill on the wire and nothing recorded.
      if (update.event === 'fill') failpoint(`before-fill-persisted-${update.order.side}`);
      await this.recordOrder(update.order);
      const event = tradeUpdateToEvent(update);
      if (event) await this.process(event);
    });
  }

  /** Looks the in-flight order up over REST (after a stream reconnect or on a caretaker's request). */
  reconcile(): void {
    this.enqueue(() => {
      const inflight = this.machine?.getSnapshot().context.inFlight;
      if (inflight) this.lookUpOrder(inflight.clientOrderId, inflight.orderId);
    });
  }

  /** Any other machine event, from a caretaker (POSITION_MISSING, TICK) or the asset poller. */
  send(event: CycleEvent): void {
    this.enqueue(() => this.process(event));
  }

  /** The asset row changed (e.g. an operator edited it); takes effect for the next decision. */
  updateAsset(asset: AssetConfig): void {
    const wasEnabled = this.asset.enabled;
    this.asset = asset;
    this.send({ type: 'CONFIG_CHANGED', asset });
    if (wasEnabled !== asset.enabled) this.send({ type: asset.enabled ? 'ENABLE' : 'DISABLE' });
  }

  private tick(): void {
    this.send({ type: 'TICK', now: this.deps.now() });
  }

  /** Inputs from outside (quotes, updates, ticks): refused once stopping. */
  private enqueue(work: () => void | Promise<void>): void {
    if (this.stopping) return;
    this.enqueueResult(work);
  }

  /**
   * The answer to a request this actor already made (a POST, an order look-up): still applied while
   * stopping, so what was sent is recorded. Such answers cannot lead to a new order.
   */
  private enqueueResult(work: () => void | Promise<void>): void {
    if (this.failed) return;
    this.lane = this.lane.then(work).catch((err: unknown) => this.crash(err));
  }

  private crash(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.log.error({ err }, 'asset actor failed; the supervisor restarts it from the database');
    this.deps.fail(err);
  }

  private async hostCycle(cycle: CycleRow): Promise<void> {
    const rules = this.rules;
    if (!rules) throw new DcaError('INVARIANT', 'asset rules must be loaded before a cycle starts');
    const previousCompletedAt = await getPreviousCompletedAt(this.deps.pool, this.asset.id, cycle.id);
    this.machine?.stop();
    const input: CycleInput = {
      asset: this.asset,
      rules,
      cycle,
      previousCompletedAt,
      feeRate: this.deps.feeRate,
      now: this.deps.now(),
      installationId: this.deps.installationId,
    };
    const actor = createActor(cycleMachine, {
      input,
      id: `cycle-${cycle.id}`,
      ...(this.deps.inspect ? { inspect: this.deps.inspect } : {}),
    });
    actor.on('*', (intent) => {
      this.intents.push(intent as Intent);
    });
    actor.subscribe({ error: (err) => this.crash(err) });
    this.cycle = cycle;
    this.machine = actor;
    this.settledFrom = null;
    actor.start();
    this.log.info({ cycleId: cycle.id, status: cycle.status }, 'cycle resumed');
    // The machine may have emitted intents on start; a cycle restored mid-order reconciles first.
    await this.settle();
    const inflight = actor.getSnapshot().context.inFlight;
    if (inflight) this.lookUpOrder(inflight.clientOrderId, inflight.orderId);
  }

  /** One machine step: decide, persist, then act. */
  private async process(event: CycleEvent): Promise<void> {
    const machine = this.machine;
    if (!machine) return;
    machine.send(event as never);
    await this.settle();
  }

  /** Persists whatever the last step changed and performs the intents it emitted, in that order. */
  private async settle(): Promise<void> {
    const machine = this.machine;
    const cycle = this.cycle;
    if (!machine || !cycle) return;
    const intents = this.intents;
    this.intents = [];
    const snapshot = machine.getSnapshot();
    // Most quotes change nothing but the machine's latest quote: when no intent left and nothing the
    // row is projected from moved, the row is already stored; skip building and comparing the patch.
    if (intents.length === 0 && sameRowSources(this.settledFrom, snapshot)) return;
    await this.recordFee(snapshot);
    if (snapshot.status === 'done') {
      await this.finish(cycle, snapshot);
      for (const intent of intents) if (intent.type === 'alert') this.perform(intent);
      return;
    }
    const patch = toCyclePatch(snapshot);
    const submit = intents.find((i) => i.type === 'submitOrder');
    if (submit && submit.type === 'submitOrder') {
      // Write-ahead: the status and the client order id are durable before the POST leaves.
      this.cycle = await writeAheadOrder(this.deps.pool, {
        cycleId: cycle.id,
        assetId: this.asset.id,
        expectedVersion: cycle.version,
        patch,
        step: submit.step,
        intent: submit.order,
      });
      // Test hook (no-op in production): a crash between the write-ahead and the POST.
      failpoint(`after-write-ahead-${submit.order.side}`);
    } else if (patchChanged(cycle, patch)) {
      this.cycle = await updateCycle(this.deps.pool, cycle.id, cycle.version, patch);
    }
    this.settledFrom = snapshot;
    for (const intent of intents) this.perform(intent);
  }

  /** The fee of the order the last step booked goes to its dca_orders row (once per booking). */
  private async recordFee(snapshot: CycleSnapshot): Promise<void> {
    const fee = snapshot.context.lastFee;
    if (fee === null || fee === this.settledFrom?.context.lastFee) return;
    await recordOrderFee(this.deps.pool, fee.clientOrderId, fee.fee);
  }

  private async finish(cycle: CycleRow, snapshot: CycleSnapshot): Promise<void> {
    const output = snapshot.output;
    if (!output) throw new DcaError('INVARIANT', `cycle ${cycle.id} ended without output`);
    const { finished, next } = await finishCycle(this.deps.pool, {
      cycleId: cycle.id,
      expectedVersion: cycle.version,
      patch: toCyclePatch(snapshot),
      lastSellPrice: output.sellPrice,
      nextStatus: output.nextStatus,
    });
    this.log.info(
      {
        cycleId: finished.id,
        status: finished.status,
        realizedPnl: finished.realizedPnl?.toFixed(),
        sellPrice: output.sellPrice?.toFixed(),
        nextCycleId: next.id,
        nextStatus: next.status,
      },
      finished.status === 'complete' ? 'cycle complete' : 'cycle ended in error',
    );
    if (output.sellPrice) this.asset = { ...this.asset, lastSellPrice: output.sellPrice };
    await this.hostCycle(next);
  }

  private perform(intent: Intent): void {
    switch (intent.type) {
      case 'submitOrder':
        this.track(this.submit(intent.order.clientOrderId, intent));
        return;
      case 'checkPosition':
        this.track(this.checkPosition());
        return;
      case 'reconcileOrder':
        this.lookUpOrder(intent.clientOrderId, intent.orderId);
        return;
      case 'alert':
        this.deps.alert({
          level: intent.level,
          code: intent.code,
          message: intent.message,
          asset: this.asset.symbol,
          cycleId: this.cycle?.id,
        });
        return;
    }
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async submit(
    clientOrderId: string,
    intent: Extract<Intent, { type: 'submitOrder' }>,
  ): Promise<void> {
    const o = intent.order;
    this.log.info(
      {
        clientOrderId,
        side: o.side,
        type: o.type,
        qty: o.qty.toFixed(),
        limitPrice: o.limitPrice?.toFixed() ?? null,
      },
      'submitting order',
    );
    try {
      const order = await this.deps.exchange.submitOrder(o);
      // Test hook (no-op in production): a crash after the exchange took the order, before we record it.
      failpoint(`after-post-${o.side}`);
      this.enqueueResult(async () => {
        await this.recordOrder(order);
        await this.process({ type: 'ORDER_SUBMITTED', clientOrderId, orderId: order.id });
      });
    } catch (err) {
      // Only a definitive refusal means the order does not exist; anything else is looked up first.
      const definitive = err instanceof ExchangeError && err.kind === 'rejected';
      const reason = err instanceof Error ? err.message : String(err);
      this.log.warn({ err, clientOrderId, definitive }, 'order submit failed');
      if (definitive) {
        this.deps.alert({
          level: 'warn',
          code: err.code,
          asset: this.asset.symbol,
          cycleId: this.cycle?.id,
          message: `order ${clientOrderId} rejected: ${reason}`,
        });
      }
      // The answer to a request already sent: applied even while stopping, like a success.
      this.enqueueResult(async () => {
        if (definitive) await closeUnsentOrder(this.deps.pool, clientOrderId, 'rejected');
        await this.process({ type: 'ORDER_SUBMIT_FAILED', clientOrderId, ambiguous: !definitive, reason });
      });
    }
  }

  private async checkPosition(): Promise<void> {
    const position = await retrying(
      () => this.deps.exchange.getPosition(this.asset.symbol),
      this.retryOptions('position'),
    );
    if (position === undefined) return;
    this.enqueue(() =>
      this.process(
        position
          ? { type: 'POSITION_FOUND', qty: position.qty, qtyAvailable: position.qtyAvailable }
          : { type: 'POSITION_NONE' },
      ),
    );
  }

  private lookUpOrder(clientOrderId: string, orderId: string | null): void {
    if (this.lookingUp.has(clientOrderId)) return;
    this.lookingUp.add(clientOrderId);
    const { exchange } = this.deps;
    const work = retrying(async () => {
      const byClient = await exchange.getOrderByClientId(clientOrderId);
      if (byClient || !orderId) return byClient;
      return exchange.getOrder(orderId);
    }, this.retryOptions('order look-up')).then((order) => {
      if (order === undefined) return;
      this.enqueueResult(async () => {
        if (order) await this.recordOrder(order);
        else await closeUnsentOrder(this.deps.pool, clientOrderId, 'not_accepted');
        await this.process({ type: 'RECONCILED', order });
      });
    });
    this.track(work.finally(() => this.lookingUp.delete(clientOrderId)));
  }

  private async recordOrder(order: OrderSnapshot): Promise<void> {
    await recordOrderState(this.deps.pool, order);
  }

  private retryOptions(what: string) {
    return {
      initialMs: this.deps.retryMs?.initial ?? 500,
      maxMs: this.deps.retryMs?.max ?? 30_000,
      shouldStop: () => this.stopping || this.failed,
      onRetry: (err: unknown, attempt: number, delayMs: number) =>
        this.log.warn({ err, attempt, delayMs }, `${what} failed; retrying`),
    };
  }
}
