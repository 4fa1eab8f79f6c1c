/**
 * The cycle host: the only writer of its asset's dca_cycles rows. One step is always the same three
 * moves — the machine decides synchronously, the host persists the new row (write-ahead, for an
 * order), and only then performs the intents through the order executor, whose answers come back
 * through the mailbox as the next steps.
 *
 * Crash-only: a failed write (database down, a stale version) leaves memory ahead of the database,
 * so the step throws, the mailbox fails and the supervisor restarts the actor from the database.
 *
 * Quotes (architecture §2): a quote arrives as numbers (QuoteTick). The gate (machines/quoteGate.ts)
 * compares it with the cycle's trigger prices, cached as numbers and recomputed after every machine
 * step; only a quote that may trigger is turned into Decimals and stepped through the machine. One
 * held back would only have been recorded as the latest quote, so it is kept (`unfed`) and stepped
 * in, as the machine's latest quote, just before any other event: every decision the machine takes
 * still sees the newest quote, exactly as if each quote had been stepped.
 */
import type { Logger } from 'pino';
import { createActor, type InspectionEvent } from 'xstate';
import type { OrderStep } from '../../clientOrderId.js';
import type { AssetConfig, AssetRules, CycleRow, OrderIntent } from '../../domain.js';
import { DcaError } from '../../errors.js';
import { toQuote } from '../../exchange/mappers.js';
import type { QuoteTick } from '../../exchange/types.js';
import { failpoint } from '../../failpoints.js';
import type { CycleActor, CycleInput, CycleSnapshot } from '../../machines/cycle.js';
import { cycleMachine, toCyclePatch } from '../../machines/cycle.js';
import type { OrderPolicy } from '../../machines/cycleTypes.js';
import { QuoteGate, quoteTriggers } from '../../machines/quoteGate.js';
import type { Decimal } from '../../money.js';
import { finishCycle, getPreviousCycleEnd, updateStoredCycle } from '../../store/cycles.js';
import type { Pool } from '../../store/db.js';
import {
  closeUnsentOrder,
  prepareWriteAhead,
  recordOrderFee,
  recordUnrecordedOrder,
  runWriteAhead,
} from '../../store/orders.js';
import type { Alert } from '../alerts.js';
import { type CycleEvent, type Intent, patchChanged, sameRowSources } from '../assetEvents.js';
import type { Mailbox } from './mailbox.js';
import type { OrderExecutor, SubmitOptions } from './orderExecutor.js';
import { completionLine, fillLine } from './tradeLog.js';
import type { UnrecordedOrders } from './unrecorded.js';

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
  /** Step every quote through the machine, gate or no gate (a comparison in tests). Default on. */
  readonly quoteGate?: boolean;
  /**
   * The process's record of safety orders that may be unrecorded. With it, safety orders POST while
   * their write-ahead commits and a start looks for one that may have been lost; without it (a host
   * outside a bot process), every order waits for its COMMIT and nothing is looked for.
   */
  readonly unrecorded?: UnrecordedOrders;
}

export class CycleHost {
  private machine: CycleActor | null = null;
  private cycle: CycleRow | null = null;
  private intents: Intent[] = [];
  /** The snapshot the stored row was last projected from; see `settle`. */
  private settledFrom: CycleSnapshot | null = null;
  private readonly gate = new QuoteGate();
  /** The newest quote the gate held back: not yet the machine's latest quote. */
  private unfed: QuoteTick | null = null;
  /** What the gate's prices were computed from (identities; the machine's context is immutable). */
  private gateKey: {
    readonly value: unknown;
    readonly ledger: unknown;
    readonly asset: unknown;
    readonly positionCheck: unknown;
    readonly enabled: boolean;
    readonly resume: unknown;
  } | null = null;
  /** The machine is looking for a safety order its restored row may have sent unrecorded. */
  private lookingForUnrecorded = false;
  /** Quotes held back by the gate, and stepped through the machine; for the benchmark. */
  readonly quoteCounts = { held: 0, stepped: 0 };

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
    const previous = await getPreviousCycleEnd(this.deps.pool, this.asset.id, cycle.id);
    // A start may follow a safety order whose write-ahead was lost (see settle, unrecorded.ts).
    const lookFor = this.deps.unrecorded?.mustLook(this.asset.id) ?? false;
    this.machine?.stop();
    const input: CycleInput = {
      asset: this.asset,
      rules: this.rules,
      cycle,
      previousCompletedAt: previous.completedAt,
      previousLeftover: previous.leftover,
      feeRate: this.deps.feeRate,
      now: this.deps.now(),
      installationId: this.deps.installationId,
      ...(this.deps.policy ? { policy: this.deps.policy } : {}),
      lookForUnrecordedOrder: lookFor,
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
    this.unfed = null;
    this.gateKey = null;
    actor.start();
    this.lookingForUnrecorded = actor.getSnapshot().context.inFlight?.unrecorded === true;
    if (lookFor && !this.lookingForUnrecorded) this.deps.unrecorded?.settled(this.asset.id);
    this.regate();
    this.deps.logger.info({ cycleId: cycle.id, status: cycle.status }, 'cycle resumed');
    if (this.lookingForUnrecorded) {
      this.deps.logger.info(
        {
          event: 'looking_for_unrecorded_order',
          cycleId: cycle.id,
          clientOrderId: this.inFlight?.clientOrderId,
        },
        'looking for a safety order the database may not have recorded before deciding anything',
      );
    }
    await this.settle();
    const inflight = actor.getSnapshot().context.inFlight;
    if (inflight) this.lookUp(inflight.clientOrderId, inflight.orderId);
  }

  /** The newest quote, its turn come: stepped through the machine if it may trigger, else kept. */
  async offerQuote(tick: QuoteTick): Promise<void> {
    if (this.deps.quoteGate === false || this.gate.mayTrigger(tick.bid, tick.ask)) {
      this.unfed = null;
      this.quoteCounts.stepped++;
      await this.step(quoteEvent(tick));
      return;
    }
    this.quoteCounts.held++;
    this.unfed = tick;
  }

  /** One machine step: decide, persist, then act. The machine sees the newest quote first. */
  async process(event: CycleEvent): Promise<void> {
    const unfed = this.unfed;
    if (unfed !== null) {
      this.unfed = null;
      await this.step(quoteEvent(unfed));
      if (this.deps.mailbox.isFailed) return;
    }
    await this.recordIfUnrecorded(event);
    await this.step(event);
  }

  /**
   * The exchange shows the safety order the restored row may have sent unrecorded: its ledger row is
   * written from the exchange's snapshot before the machine adopts it (architecture §4).
   */
  private async recordIfUnrecorded(event: CycleEvent): Promise<void> {
    const inFlight = this.inFlight;
    const cycle = this.cycle;
    if (inFlight?.unrecorded !== true || cycle === null || !('order' in event) || event.order === null)
      return;
    const { order } = event;
    if (order.clientOrderId !== inFlight.clientOrderId) return;
    await recordUnrecordedOrder(this.deps.pool, {
      cycleId: cycle.id,
      assetId: this.asset.id,
      step: inFlight.step,
      order,
    });
    this.deps.logger.warn(
      {
        event: 'unrecorded_order_adopted',
        cycleId: cycle.id,
        clientOrderId: order.clientOrderId,
        status: order.status,
      },
      `adopted safety order ${order.clientOrderId}: the exchange has it (${order.status}), its write-ahead was lost`,
    );
  }

  /**
   * An I/O answer that may lead to an order (a position read): the newest quote waiting in the
   * mailbox goes in first, so the decision is re-checked on the freshest price.
   */
  async processFresh(event: CycleEvent): Promise<void> {
    const quote = this.deps.mailbox.takeQuote();
    if (quote) {
      this.unfed = null;
      await this.step(quoteEvent(quote));
    }
    await this.process(event);
  }

  private async step(event: CycleEvent): Promise<void> {
    const machine = this.machine;
    if (!machine) return;
    machine.send(event as never);
    // A machine that threw has failed the mailbox: what it holds now must not be stored.
    if (this.deps.mailbox.isFailed) return;
    this.regate();
    await this.settle(event);
  }

  /**
   * The trigger prices follow the cycle: recomputed after a step that changed what they are made of
   * (the state, the ledger, the asset's settings, a position question, enabled, a resume).
   */
  private regate(): void {
    const machine = this.machine;
    if (!machine) return;
    const { value, context } = machine.getSnapshot();
    const key = this.gateKey;
    if (
      key !== null &&
      key.value === value &&
      key.ledger === context.ledger &&
      key.asset === context.asset &&
      key.positionCheck === context.positionCheck &&
      key.enabled === context.enabled &&
      key.resume === context.resume
    )
      return;
    this.gateKey = {
      value,
      ledger: context.ledger,
      asset: context.asset,
      positionCheck: context.positionCheck,
      enabled: context.enabled,
      resume: context.resume,
    };
    this.gate.set(quoteTriggers(String(value), context));
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
  private async settle(event?: CycleEvent): Promise<void> {
    const machine = this.machine;
    const cycle = this.cycle;
    if (!machine || !cycle) return;
    const intents = this.intents;
    this.intents = [];
    const snapshot = machine.getSnapshot();
    // Most quotes change nothing but the machine's latest quote: when no intent left and nothing the
    // row is projected from moved, the row is already stored; skip building and comparing the patch.
    if (intents.length === 0 && sameRowSources(this.settledFrom, snapshot)) return;
    await this.recordFill(snapshot, event);
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
    let sent: Intent | null = null;
    // Tick-to-order runs from the quote this decision was taken on, not one that arrives meanwhile.
    const quoteArrivedAt = submit ? this.deps.executor.latestQuoteArrival() : null;
    if (submit && submit.type === 'submitOrder') {
      // Write-ahead: the status and the client order id are stored before anything else happens.
      const prepared = prepareWriteAhead({
        cycle,
        assetId: this.asset.id,
        patch,
        step: submit.step,
        intent: submit.order,
      });
      const writing = runWriteAhead(this.deps.pool, prepared);
      const unrecorded = this.deps.unrecorded;
      if (unrecorded && postsWhileCommitting(submit.step)) {
        const outcome = unrecorded.posting(this.asset.id);
        writing.then(
          () => outcome(true),
          () => outcome(false),
        );
        // A safety order's POST leaves while the COMMIT is in flight (architecture §4): its answer,
        // and every later step, wait for the COMMIT; a lost one fails this actor, and its successor
        // looks for the order before it decides anything.
        this.submit(submit.order, { written: writing, quoteArrivedAt });
        sent = submit;
      }
      this.cycle = await writing;
      // Test hook (no-op in production): a crash between the write-ahead and the POST.
      if (sent === null) failpoint(`after-write-ahead-${submit.order.side}`);
    } else if (patchChanged(cycle, patch)) {
      this.cycle = await updateStoredCycle(this.deps.pool, cycle, patch);
    }
    this.settledFrom = snapshot;
    if (this.lookingForUnrecorded && snapshot.context.inFlight?.unrecorded !== true) {
      // Adopted (the row now names it) or never created: the row and the exchange agree again.
      this.lookingForUnrecorded = false;
      this.deps.unrecorded?.settled(this.asset.id);
    }
    for (const intent of intents) {
      if (intent === sent) continue;
      if (intent.type === 'submitOrder') this.submit(intent.order, { quoteArrivedAt });
      else this.perform(intent);
    }
  }

  /**
   * The order the last step booked: its fee goes to its dca_orders row, and the fill to the log
   * (once per booking).
   */
  private async recordFill(snapshot: CycleSnapshot, event: CycleEvent | undefined): Promise<void> {
    const fee = snapshot.context.lastFee;
    if (fee === null || fee === this.settledFrom?.context.lastFee) return;
    await recordOrderFee(this.deps.pool, fee.clientOrderId, fee.fee);
    const order = event && 'order' in event ? event.order : null;
    if (order?.clientOrderId !== fee.clientOrderId || !this.cycle) return;
    const line = fillLine(this.asset, this.cycle.id, order, fee.fee, snapshot.context.ledger);
    this.deps.logger.info(line.fields, line.msg);
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
    const line = completionLine(finished, output.sellPrice, next);
    this.deps.logger.info(line.fields, line.msg);
    if (output.sellPrice) this.asset = { ...this.asset, lastSellPrice: output.sellPrice };
    await this.host(next);
  }

  private perform(intent: Intent): void {
    const { executor, mailbox } = this.deps;
    switch (intent.type) {
      case 'submitOrder':
        return; // settle sends it, with the decision's quote time
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
      case 'log':
        this.deps.logger[intent.level]({ event: intent.event, cycleId: this.cycle?.id }, intent.message);
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

  /** Sends the order; `written` is its write-ahead when the POST leaves before the COMMIT answered. */
  private submit(order: OrderIntent, opts: SubmitOptions): void {
    const { executor, mailbox } = this.deps;
    executor
      .submit(order, opts)
      .then((answer) => mailbox.answer(() => this.process(answer)))
      .catch((err: unknown) => mailbox.crash(err));
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

/**
 * Safety orders POST while their write-ahead commits; a base order (whose write-ahead holds the
 * position baseline, which the exchange cannot tell afterwards) and a sell wait for the COMMIT.
 */
export function postsWhileCommitting(step: OrderStep): boolean {
  return step.startsWith('so');
}

function quoteEvent(tick: QuoteTick): CycleEvent {
  const q = toQuote(tick);
  return { type: 'QUOTE', bid: q.bid, ask: q.ask, at: q.at };
}
