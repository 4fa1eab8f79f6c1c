/**
 * The dashboard's live feed: listens to the actors' inspect events, keeps the newest snapshot of
 * each cycle machine, and publishes the whole page state as one JSON text — at most once per
 * `minIntervalMs` however fast quotes arrive (like quotes themselves, only the newest state
 * matters), and at least once per `refreshMs` so supervisor changes and countdowns show.
 *
 * The ledger is read from MySQL only when an order-related event happened (or every
 * `ledgerRefreshMs`): quotes alone never touch the database.
 */
import type { Logger } from 'pino';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { RecordedAlert } from '../actors/alerts.js';
import type { AssetRegistry } from '../actors/registry.js';
import type { Account } from '../domain.js';
import type { CycleContext } from '../machines/cycleTypes.js';
import type { Decimal } from '../money.js';
import type { Queryable } from '../store/db.js';
import type { Supervisor } from '../supervisor.js';
import { BarBook, type BarHistory } from './bars.js';
import { buildState, type DashboardState, type MachineState } from './model.js';
import { type LedgerSnapshot, readLedger } from './queries.js';

export interface InspectionSource {
  subscribe(listener: (event: InspectionEvent) => void): () => void;
}

export interface FeedDeps {
  readonly registry: AssetRegistry;
  readonly supervisor: Pick<Supervisor, 'status'>;
  readonly db: Queryable;
  readonly mode: string;
  readonly logger: Logger;
  readonly feeRate: Decimal;
  readonly controls: DashboardState['controls'];
  readonly inspection?: InspectionSource;
  /** The account's cash and buying power (read with the ledger, at most every `accountRefreshMs`). */
  readonly account?: () => Promise<Account>;
  readonly alerts?: () => readonly RecordedAlert[];
  /** 1-minute bar history, asked once per asset when it first shows. */
  readonly barHistory?: BarHistory;
  readonly accountRefreshMs?: number;
  /** Values that must never appear in what the page receives. */
  readonly secrets?: readonly string[];
  readonly now?: () => Date;
  readonly minIntervalMs?: number;
  readonly refreshMs?: number;
  readonly ledgerRefreshMs?: number;
}

type Listener = (json: string) => void;

const CYCLE_ACTOR = /^cycle-(\d+)$/;
/** Events that change nothing in the ledger: they alone never trigger a database read. */
const LEDGER_QUIET = new Set(['QUOTE', 'TICK', 'xstate.init']);

export class DashboardFeed {
  private readonly machines = new Map<number, MachineState>();
  private readonly listeners = new Set<Listener>();
  private ledger: LedgerSnapshot | null = null;
  private ledgerAt: Date | null = null;
  private ledgerError: string | null = null;
  private ledgerDirty = true;
  private account: { account: Account; at: Date } | null = null;
  private accountAsked = 0;
  private readonly bars = new BarBook();
  private readonly historyAsked = new Set<string>();
  private latest = '';
  private lastPushAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private refresher: NodeJS.Timeout | null = null;
  private pushing: Promise<void> | null = null;
  private again = false;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private readonly now: () => Date;
  private readonly scrubbers: readonly [string, string][];

  constructor(private readonly deps: FeedDeps) {
    this.now = deps.now ?? (() => new Date());
    // Matched in the JSON text, so look for each secret as JSON would write it.
    this.scrubbers = (deps.secrets ?? [])
      .filter((s) => s.length >= 6)
      .map((s) => [JSON.stringify(s).slice(1, -1), '[redacted]']);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.inspection?.subscribe((e) => this.onInspect(e)) ?? null;
    this.refresher = setInterval(() => this.schedule(), this.deps.refreshMs ?? 1000);
    this.refresher.unref();
    await this.push();
  }

  /** No further states; resolves once a state being built (maybe a ledger read) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.refresher) clearInterval(this.refresher);
    this.listeners.clear();
    // Its failure, if any, was logged by whoever started it.
    await this.pushing?.catch(() => undefined);
  }

  /** The newest page state as JSON. */
  current(): string {
    return this.latest;
  }

  /** Something changed outside the actors' events (a control): read the ledger for the next state. */
  refresh(): void {
    this.ledgerDirty = true;
    this.schedule();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onInspect(event: InspectionEvent): void {
    // Inspection events carry the live actor; its id (`cycle-<id>`) names the cycle.
    const cycleId = cycleIdOf(event.actorRef as AnyActorRef);
    if (cycleId === null) return;
    if (event.type === '@xstate.snapshot') {
      const snapshot = event.snapshot as { value?: unknown; context?: CycleContext; status?: string };
      if (!snapshot.context) return;
      const value = String(snapshot.value);
      const before = this.machines.get(cycleId);
      if (before?.value !== value) this.ledgerDirty = true;
      this.machines.set(cycleId, { value, context: snapshot.context });
    } else if (event.type === '@xstate.event') {
      if (!LEDGER_QUIET.has(event.event.type)) this.ledgerDirty = true;
      return; // the snapshot that follows carries the change
    } else if (event.type === '@xstate.actor') {
      this.ledgerDirty = true;
    } else {
      return;
    }
    this.schedule();
  }

  /** Pushes now if the last push is old enough, otherwise once the interval has passed. */
  private schedule(): void {
    if (this.stopped || this.timer) return;
    const wait = Math.max(0, this.lastPushAt + (this.deps.minIntervalMs ?? 200) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      // A watcher's bug must not become an unhandled rejection that ends the bot: log it, try next time.
      this.push().catch((err: unknown) =>
        this.deps.logger.error({ err }, 'dashboard state could not be built'),
      );
    }, wait);
    this.timer.unref();
  }

  private async push(): Promise<void> {
    if (this.pushing) {
      this.again = true;
      return this.pushing;
    }
    // A timer set while the previous push was still building may fire too early: wait again.
    if (Date.now() < this.lastPushAt + (this.deps.minIntervalMs ?? 200)) return this.schedule();
    this.lastPushAt = Date.now();
    this.pushing = this.build().finally(() => {
      this.pushing = null;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
    return this.pushing;
  }

  private async build(): Promise<void> {
    const now = this.now();
    const stale =
      !this.ledgerAt || now.getTime() - this.ledgerAt.getTime() >= (this.deps.ledgerRefreshMs ?? 5000);
    const views = this.deps.registry.all().map((a) => a.view());
    const ledgerChanged = this.ledgerDirty;
    const openCycles = views.flatMap((v) => (v.cycle ? [v.cycle.id] : []));
    if (ledgerChanged || stale) await this.readLedger(now, openCycles);
    if (this.stopped) return;
    this.readAccount(ledgerChanged);
    for (const v of views) {
      this.askHistory(v.asset.symbol, now);
      if (v.lastQuote) this.bars.addQuote(v.asset.symbol, v.lastQuote);
    }
    // Forget machines of cycles that ended: their asset now shows its next cycle.
    const live = new Set(views.map((v) => v.cycle?.id));
    for (const id of this.machines.keys()) if (!live.has(id)) this.machines.delete(id);
    const state = buildState({
      now,
      mode: this.deps.mode,
      views,
      machines: this.machines,
      ledger: this.ledger,
      ledgerAt: this.ledgerAt,
      ledgerError: this.ledgerError,
      supervisor: this.deps.supervisor.status(),
      feeRate: this.deps.feeRate,
      controls: this.deps.controls,
      account: this.account,
      alerts: this.deps.alerts?.() ?? [],
      bars: (symbol) => this.bars.of(symbol),
    });
    this.latest = this.scrub(JSON.stringify(state));
    for (const listener of this.listeners) listener(this.latest);
  }

  /**
   * In the background, so a slow exchange never holds the page state back: every
   * `accountRefreshMs`, and sooner (at most every 3 s) after an order event moved the ledger.
   */
  private readAccount(ledgerChanged: boolean): void {
    const read = this.deps.account;
    const every = ledgerChanged ? 3_000 : (this.deps.accountRefreshMs ?? 15_000);
    if (!read || Date.now() - this.accountAsked < every) return;
    this.accountAsked = Date.now();
    read().then(
      (account) => {
        this.account = { account, at: this.now() };
        this.schedule();
      },
      (err: unknown) => this.deps.logger.debug({ err }, 'dashboard could not read the account'),
    );
  }

  private askHistory(symbol: string, now: Date): void {
    const history = this.deps.barHistory;
    if (!history || this.historyAsked.has(symbol)) return;
    this.historyAsked.add(symbol);
    const since = new Date(now.getTime() - 120 * 60_000);
    void history(symbol, since).then((bars) => {
      if (bars.length === 0) return;
      this.bars.addHistory(symbol, bars);
      this.schedule();
    });
  }

  private async readLedger(now: Date, cycleIds: readonly number[]): Promise<void> {
    this.ledgerDirty = false;
    try {
      this.ledger = await readLedger(this.deps.db, { cycleIds });
      this.ledgerAt = now;
      this.ledgerError = null;
    } catch (err) {
      // The page keeps the last ledger it had and says why it is old; the bot is not affected.
      if (this.ledgerError === null) this.deps.logger.warn({ err }, 'dashboard could not read the ledger');
      this.ledgerError = 'the database is unreachable; orders and P&L may be out of date';
    }
  }

  private scrub(json: string): string {
    let out = json;
    for (const [secret, mask] of this.scrubbers) out = out.replaceAll(secret, mask);
    return out;
  }
}

function cycleIdOf(ref: AnyActorRef | undefined): number | null {
  const match = ref ? CYCLE_ACTOR.exec(ref.id) : null;
  return match ? Number(match[1]) : null;
}
