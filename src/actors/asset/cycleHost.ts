/**
 * The cycle host: the only writer of its asset's dca_cycles rows. One step is always the same three
 * moves — the machine decides synchronously, the host persists the new row (write-ahead, for an
 * order), and only then performs the intents through the order executor, whose answers come back
 * through the mailbox as the next steps.
 *
 * Crash-only: a failed write (database down, a stale version) leaves memory ahead of the database,
 * so the step throws, the mailbox fails and the supervisor restarts the actor from the database.
 */
import type { Logger } from 'pino';
import { createActor, type InspectionEvent } from 'xstate';
import type { AssetConfig, AssetRules, CycleRow } from '../../domain.js';
import { DcaError } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import type { CycleActor, CycleInput, CycleSnapshot } from '../../machines/cycle.js';
import { cycleMachine, toCyclePatch } from '../../machines/cycle.js';
import type { OrderPolicy } from '../../machines/cycleTypes.js';
import type { Decimal } from '../../money.js';
import { finishCycle, getPreviousCompletedAt, updateCycle } from '../../store/cycles.js';
import type { Pool } from '../../store/db.js';
import { closeUnsentOrder, recordOrderFee, writeAheadOrder } from '../../store/orders.js';
import type { Alert } from '../alerts.js';
import { type CycleEvent, type Intent, patchChanged, sameRowSources } from '../assetEvents.js';
import type { Mailbox } from './mailbox.js';
import type { OrderExecutor } from './orderExecutor.js';

export interface CycleHostDeps {
  readonly pool: Pool;
  readonly logger: Logger;
  readonly feeRate: Decimal;
  readonly installationId: string;
  readonly now: () => Date;
  readonly policy?: OrderPolicy;
  readonly alert: (alert: Alert) => void;
  readonly inspect?: (event: InspectionEvent) => void;
  readonly mailbox: Mailbox;
  readonly executor: OrderExecutor;
}

export class CycleHost {
  private machine: CycleActor | null = null;
  private cycle: CycleRow | null = null;
  private intents: Intent[] = [];
  /** The snapshot the stored row was last projected from; see `settle`. */
  private settledFrom: CycleSnapshot | null = null;

  constructor(
    private asset: AssetConfig,
    private readonly rules: AssetRules,
    private readonly deps: CycleHostDeps,
  ) {}

  get row(): CycleRow | null {
    return this.cycle;
  }

  get state(): string {
    return this.machine ? String(this.machine.getSnapshot().value) : 'starting';
  }

  /** The order the cycle waits on, if any. */
  get inFlight() {
    return this.machine?.getSnapshot().context.inFlight ?? null;
  }

  setAsset(asset: AssetConfig): void {
    this.asset = asset;
  }

  /** Starts the machine on `cycle`; a cycle restored mid-order looks its order up first. */
  async host(cycle: CycleRow): Promise<void> {
    const previousCompletedAt = await getPreviousCompletedAt(this.deps.pool, this.asset.id, cycle.id);
    this.machine?.stop();
    const input: CycleInput = {
      asset: this.asset,
      rules: this.rules,
      cycle,
      previousCompletedAt,
      feeRate: this.deps.feeRate,
      now: this.deps.now(),
      installationId: this.deps.installationId,
      ...(this.deps.policy ? { policy: this.deps.policy } : {}),
    };
    const actor = createActor(cycleMachine, {
      input,
      id: `cycle-${cycle.id}`,
      ...(this.deps.inspect ? { inspect: this.deps.inspect } : {}),
    });
    actor.on('*', (intent) => {
      this.intents.push(intent as Intent);
    });
    actor.subscribe({ error: (err) => this.deps.mailbox.crash(err) });
    this.cycle = cycle;
    this.machine = actor;
    this.settledFrom = null;
    actor.start();
    this.deps.logger.info({ cycleId: cycle.id, status: cycle.status }, 'cycle resumed');
    await this.settle();
    const inflight = actor.getSnapshot().context.inFlight;
    if (inflight) this.lookUp(inflight.clientOrderId, inflight.orderId);
  }

  /** One machine step: decide, persist, then act. */
  async process(event: CycleEvent): Promise<void> {
    const machine = this.machine;
    if (!machine) return;
    machine.send(event as never);
    // A machine that threw has failed the mailbox: what it holds now must not be stored.
    if (this.deps.mailbox.isFailed) return;
    await this.settle();
  }

  /**
   * An I/O answer that may lead to an order (a position read): the newest quote waiting in the
   * mailbox goes in first, so the decision is re-checked on the freshest price.
   */
  async processFresh(event: CycleEvent): Promise<void> {
    const quote = this.deps.mailbox.takeQuote();
    if (quote) await this.process({ type: 'QUOTE', bid: quote.bid, ask: quote.ask, at: quote.at });
    await this.process(event);
  }

  /** Looks the in-flight order up (after a reconnect, for a caretaker, at start). */
  reconcile(): void {
    const inflight = this.inFlight;
    if (inflight) this.lookUp(inflight.clientOrderId, inflight.orderId);
  }

  stopMachine(): void {
    this.machine?.stop();
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
    for (const intent of intents) {
      // The ledger row of an order given up: closed with the step that gave it up.
      if (intent.type === 'closeUnsentOrder') {
        await closeUnsentOrder(this.deps.pool, intent.clientOrderId, 'not_accepted');
      }
    }
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
        cycle,
        assetId: this.asset.id,
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
    this.deps.logger.info(
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
    await this.host(next);
  }

  private perform(intent: Intent): void {
    const { executor, mailbox } = this.deps;
    switch (intent.type) {
      case 'submitOrder':
        executor
          .submit(intent.order)
          .then((answer) => mailbox.answer(() => this.process(answer)))
          .catch((err: unknown) => mailbox.crash(err));
        return;
      case 'checkPosition':
        executor
          .position(this.asset.symbol)
          ?.then((answer) => {
            // A position answer can lead to an order: an input, refused once stopping.
            if (answer) mailbox.post(() => this.processFresh(answer));
          })
          .catch((err: unknown) => mailbox.crash(err));
        return;
      case 'reconcileOrder':
        this.lookUp(intent.clientOrderId, intent.orderId);
        return;
      case 'closeUnsentOrder':
        return; // done in settle, before the row moved on
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

  private lookUp(clientOrderId: string, orderId: string | null): void {
    const { executor, mailbox } = this.deps;
    executor
      .lookUp(clientOrderId, orderId)
      ?.then((answer) => {
        if (answer) mailbox.answer(() => this.process(answer));
      })
      .catch((err: unknown) => mailbox.crash(err));
  }
}
