/**
 * The asset actor's mailbox: one serial lane for everything that reaches the cycle, a slot that
 * keeps only the newest quote, and the two gates that end it.
 *
 * - `stopping`: inputs from outside (quotes, trade updates, ticks, position answers) are refused;
 *   answers to requests already made (a POST, a look-up) are still applied, so what was sent is
 *   recorded. Such answers cannot lead to a new order.
 * - `failed`: nothing runs any more, not even work queued before the failure.
 */
import type { QuoteTick } from '../../exchange/types.js';

export class Mailbox {
  private lane: Promise<void> = Promise.resolve();
  private pendingQuote: QuoteTick | null = null;
  private stopping = false;
  private failed = false;
  private workingSince: number | null = null;

  /** `onCrash` hears the first failure of any work; later ones are the same crash. */
  constructor(private readonly onCrash: (err: unknown) => void) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  get isFailed(): boolean {
    return this.failed;
  }

  /** Since when (ms since the epoch) the lane has been on the work it is doing now; null when idle. */
  get busySince(): number | null {
    return this.workingSince;
  }

  /** An input from outside: refused once stopping or failed. */
  post(work: () => void | Promise<void>): void {
    if (this.stopping || this.failed) return;
    this.chain(work);
  }

  /** The answer to a request this actor made: applied while stopping, never after a failure. */
  answer(work: () => void | Promise<void>): void {
    if (this.failed) return;
    this.chain(work);
  }

  /**
   * The newest quote. Quotes are state, not a queue: while one waits for its turn a newer one
   * replaces it, so a burst never builds a backlog.
   */
  offerQuote(quote: QuoteTick, handle: (quote: QuoteTick) => void | Promise<void>): void {
    if (this.stopping || this.failed) return;
    const waiting = this.pendingQuote !== null;
    this.pendingQuote = quote;
    if (waiting) return;
    this.chain(() => {
      const q = this.takeQuote();
      return q ? handle(q) : undefined;
    });
  }

  /** Takes the quote waiting for its turn, if any (a decision about to be made wants the newest). */
  takeQuote(): QuoteTick | null {
    const q = this.pendingQuote;
    this.pendingQuote = null;
    return q;
  }

  /** Refuses new inputs from now on; resolves once the lane has run everything queued. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  /** Resolves once the lane is empty (work queued while waiting is waited for too). */
  async idle(): Promise<void> {
    for (;;) {
      const lane = this.lane;
      await lane;
      if (lane === this.lane) return;
    }
  }

  /** Fails the mailbox: the lane runs nothing more, and `onCrash` hears it once. */
  crash(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.pendingQuote = null;
    this.onCrash(err);
  }

  private chain(work: () => void | Promise<void>): void {
    this.lane = this.lane
      .then(async () => {
        if (this.failed) return;
        this.workingSince = Date.now();
        try {
          await work();
        } finally {
          this.workingSince = null;
        }
      })
      .catch((err: unknown) => this.crash(err));
  }
}
