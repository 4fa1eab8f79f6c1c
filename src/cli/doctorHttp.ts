/**
 * The doctor's view of the REST transport: the SDK's fetch, wrapped to time each request and read
 * the exchange's `Date` header. The clock offset is bounded, not guessed: the header has whole
 * seconds, so each answer says the exchange's clock was in [Date, Date + 1 s) at some instant
 * between sending and receiving; intersecting those windows over every answer narrows it.
 */
type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface ClockOffset {
  /** The exchange's clock minus this machine's, at least this much (ms)… */
  readonly lowMs: number;
  /** …and at most this much (ms). */
  readonly highMs: number;
  readonly samples: number;
}

export class HttpWatch {
  /** How long the newest answered request took, in ms. */
  lastMs = 0;
  #low = Number.NEGATIVE_INFINITY;
  #high = Number.POSITIVE_INFINITY;
  #samples = 0;

  constructor(private readonly now: () => number = Date.now) {}

  readonly fetch: Fetch = async (url, init) => {
    const sent = this.now();
    const started = performance.now();
    const response = await fetch(url, init);
    this.lastMs = Math.round(performance.now() - started);
    this.observeDate(response.headers.get('date'), sent, this.now());
    return response;
  };

  /** One answer's `Date` header, seen between `sentMs` and `receivedMs` on this machine's clock. */
  observeDate(header: string | null, sentMs: number, receivedMs: number): void {
    const server = header === null ? Number.NaN : Date.parse(header);
    if (!Number.isFinite(server)) return;
    this.#low = Math.max(this.#low, server - receivedMs);
    this.#high = Math.min(this.#high, server + 1_000 - sentMs);
    this.#samples += 1;
  }

  /** null when no answer carried a Date header. */
  offset(): ClockOffset | null {
    if (this.#samples === 0) return null;
    return { lowMs: this.#low, highMs: this.#high, samples: this.#samples };
  }
}

/** How far apart the clocks are at least (ms, ≥ 0): 0 when the window includes "in step". */
export function skewAtLeastMs(offset: ClockOffset): number {
  if (offset.lowMs > 0) return offset.lowMs;
  if (offset.highMs < 0) return -offset.highMs;
  return 0;
}
