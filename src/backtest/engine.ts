/**
 * The backtest engine: the bot's own cycle machine (src/machines), one actor per cycle exactly as the
 * cycle host runs it, fed quotes from bars (quoteModel.ts) and answered by a simulated account
 * (account.ts) instead of REST. Position questions and order submissions are answered at once, on the
 * quote that caused them; a take-profit completes the cycle and the next one starts in cooldown, as
 * the store's finishCycle does.
 *
 * Two replays with identical results (tests/backtest/shortcut.test.ts proves it): `naive` feeds every
 * bar's four quotes and a TICK per bar; `fast` feeds only the quotes that can trigger something
 * (triggers.ts) and the TICK that ends a cooldown.
 */
import { createActor } from 'xstate';
import type { OrderStep } from '../clientOrderId.js';
import type { AssetConfig, AssetRules, CycleRow, CycleStatus, OrderSide } from '../domain.js';
import { type CycleActor, type CycleIntent, cycleMachine } from '../machines/cycle.js';
import { newCycleRow } from '../machines/cycleContext.js';
import type { CycleEvent } from '../machines/cycleTypes.js';
import { worstCaseCapital } from '../machines/decisions.js';
import { type Decimal, dec } from '../money.js';
import { BacktestAccount, type FeeModel } from './account.js';
import type { Bars } from './bars.js';
import { QuoteModel, type QuotePoint } from './quoteModel.js';
import { Recorder, type RunResult } from './recorder.js';
import { isShortcutModelled, type Triggers, triggersOf } from './triggers.js';

export interface MarketModel extends FeeModel {
  /** Full bid/ask spread around each bar price, basis points. */
  readonly spreadBps: number;
  /** The bot's fee estimate (DCA_FEE_BPS): what the machine sizes and books with. */
  readonly feeBps: number;
}

export const MARKET_DEFAULTS: MarketModel = {
  spreadBps: 5,
  slippageBps: 0,
  // Alpaca's crypto fees at the first volume tier: 0.15 % maker, 0.25 % taker.
  makerFeeBps: 15,
  takerFeeBps: 25,
  feeBps: 25,
};

export interface BacktestInput {
  readonly asset: AssetConfig;
  readonly rules: AssetRules;
  readonly market: MarketModel;
  readonly mode?: 'fast' | 'naive';
  /** How many points the equity curve keeps (default 2000). */
  readonly equityPoints?: number;
}

export type { RunResult } from './recorder.js';

const INSTALLATION_ID = 'backtest';

function freshRow(id: number, status: CycleStatus, at: Date): CycleRow {
  return { ...newCycleRow({ id, assetId: 1, status, at }), version: 1 };
}

class Replay {
  private actor!: CycleActor;
  private asset: AssetConfig;
  private cycleId = 0;
  private intents: CycleIntent[] = [];
  private quote: QuotePoint | null = null;
  readonly triggers: Triggers = {
    always: true,
    askAtOrBelow: 0,
    bidAtOrAbove: 0,
    bidAtOrBelow: 0,
    tickAt: 0,
  };
  readonly account: BacktestAccount;
  readonly model: QuoteModel;
  readonly rec: Recorder;
  private readonly feeRate: Decimal;
  private readonly forceAlways: boolean;
  private pendingStep: OrderStep | null = null;
  /** Nesting of send → answer → send; triggers are read once the outermost step has settled. */
  private depth = 0;

  constructor(
    private readonly bars: Bars,
    private readonly input: BacktestInput,
  ) {
    this.asset = { ...input.asset, enabled: true };
    this.feeRate = dec(input.market.feeBps).div(10_000);
    this.model = new QuoteModel(input.market.spreadBps, input.rules.priceIncrement);
    const cash = worstCaseCapital(input.asset);
    this.account = new BacktestAccount(cash, input.rules, input.market);
    this.rec = new Recorder(bars, this.asset, cash, this.model, input.equityPoints ?? 2000);
    this.forceAlways = input.mode === 'naive' || !isShortcutModelled(input.asset);
  }

  run(): RunResult {
    const { bars } = this;
    const n = bars.t.length;
    if (n === 0) return this.rec.finish(null, this.account, null, null);
    this.startCycle('watching', null, new Date(bars.t[0]!));
    if (this.forceAlways) this.naive(n);
    else this.fast(n);
    const first = this.model.quoteAt(bars.o[0]!, bars.t[0]!);
    const last = this.model.quoteAt(bars.c[n - 1]!, QuoteModel.time(bars, n - 1, 3));
    return this.rec.finish(this.actor.getSnapshot(), this.account, first, last);
  }

  private naive(n: number): void {
    const { bars } = this;
    for (let i = 0; i < n; i++) {
      this.send({ type: 'TICK', now: new Date(bars.t[i]!) });
      for (let k = 0; k < 4; k++) this.feed(QuoteModel.price(bars, i, k), QuoteModel.time(bars, i, k));
      this.rec.bar(i);
    }
  }

  private fast(n: number): void {
    const { bars, triggers } = this;
    const { t, l, h } = bars;
    const askF = this.model.askFactor;
    const bidF = this.model.bidFactor;
    for (let i = 0; i < n; i++) {
      if (t[i]! >= triggers.tickAt) this.send({ type: 'TICK', now: new Date(t[i]!) });
      if (
        triggers.always ||
        l[i]! * askF <= triggers.askAtOrBelow ||
        h[i]! * bidF >= triggers.bidAtOrAbove ||
        l[i]! * bidF <= triggers.bidAtOrBelow
      ) {
        for (let k = 0; k < 4; k++) {
          const p = QuoteModel.price(bars, i, k);
          if (
            triggers.always ||
            p * askF <= triggers.askAtOrBelow ||
            p * bidF >= triggers.bidAtOrAbove ||
            p * bidF <= triggers.bidAtOrBelow
          ) {
            this.feed(p, QuoteModel.time(bars, i, k));
          }
        }
      }
      this.rec.bar(i);
    }
  }

  private feed(mid: number, atMs: number): void {
    const quote = this.model.quoteAt(mid, atMs);
    this.quote = quote;
    // The exchange sees the quote first: a resting order may fill on it.
    this.fillOpenOrder();
    this.send({ type: 'QUOTE', bid: quote.bid, ask: quote.ask, at: quote.at });
  }

  private startCycle(status: CycleStatus, previousCompletedAt: Date | null, now: Date): void {
    this.cycleId += 1;
    const actor = createActor(cycleMachine, {
      input: {
        asset: this.asset,
        rules: this.input.rules,
        cycle: freshRow(this.cycleId, status, now),
        previousCompletedAt,
        feeRate: this.feeRate,
        now,
        installationId: INSTALLATION_ID,
      },
    });
    actor.on('*', (intent) => {
      this.intents.push(intent as CycleIntent);
    });
    actor.start();
    this.actor = actor;
    this.rec.cycleStarted(this.cycleId);
    this.settle();
  }

  private send(event: CycleEvent): void {
    this.rec.steps += 1;
    this.depth += 1;
    this.actor.send(event);
    this.settle();
    this.depth -= 1;
  }

  /** Answers what the last step asked for, starts the next cycle after one ended, re-reads triggers. */
  private settle(): void {
    while (this.intents.length > 0) this.perform(this.intents.shift()!);
    const snapshot = this.actor.getSnapshot();
    if (snapshot.status === 'done') {
      const output = snapshot.output!;
      this.rec.cycleEnded(snapshot, output);
      if (output.sellPrice !== null) this.asset = { ...this.asset, lastSellPrice: output.sellPrice };
      this.startCycle(output.nextStatus, output.completedAt, output.completedAt);
      return;
    }
    this.rec.state(snapshot, this.quote?.at ?? null);
    if (this.forceAlways || this.depth > 1) return;
    const open = this.account.openOrder;
    const limit = open?.side === 'buy' && open.limitPrice !== null ? open.limitPrice.toNumber() : null;
    triggersOf(snapshot, limit, this.triggers);
  }

  private perform(intent: CycleIntent): void {
    switch (intent.type) {
      case 'checkPosition': {
        const qty = this.account.positionQty();
        if (intent.purpose === 'base' && qty.lte(0)) this.send({ type: 'POSITION_NONE' });
        else this.send({ type: 'POSITION_FOUND', qty, qtyAvailable: qty });
        return;
      }
      case 'submitOrder': {
        const now = this.quote?.at ?? new Date(this.bars.t[0]!);
        const orderId = this.account.submit(intent.order, now);
        this.pendingStep = intent.step;
        this.send({ type: 'ORDER_SUBMITTED', clientOrderId: intent.order.clientOrderId, orderId });
        this.fillOpenOrder();
        return;
      }
      case 'alert':
        this.rec.alert(intent.code, intent.message);
        return;
      default:
        // Look-ups follow only unanswered or failed POSTs, which the backtest never has.
        throw new Error(`backtest: unexpected ${intent.type} intent`);
    }
  }

  private fillOpenOrder(): void {
    if (this.quote === null || this.account.openOrder === null) return;
    const fill = this.account.match(this.quote);
    if (fill === null) return;
    const { order } = fill;
    this.rec.order({
      cycle: this.cycleId,
      step: this.pendingStep ?? 'base',
      side: order.side as OrderSide,
      qty: order.filledQty,
      price: order.filledAvgPrice!,
      at: order.filledAt!,
      feeUsd: fill.feeUsd,
      clientOrderId: order.clientOrderId,
      cash: this.account.ledger.cash,
      positionQty: fill.positionQty,
    });
    this.send({ type: 'ORDER_FILLED', order, positionQty: fill.positionQty });
  }
}

/** Runs the asset's settings over the bars; the same bars and input always give the same result. */
export function runBacktest(bars: Bars, input: BacktestInput): RunResult {
  return new Replay(bars, input).run();
}
