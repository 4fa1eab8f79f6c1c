/**
 * The instance lock across a MySQL outage (architecture §2, "One instance per database"). The lock
 * (instanceLock.ts) is a lease: while no heartbeat has confirmed it for a lease (a hung connection),
 * `held()` is false and the order gate is closed, and it opens again when a heartbeat answers. The
 * lock dies with its connection, so an outage longer than two leases loses it. The
 * guard then closes the order gate at once — `held()` is false and no order or cancel leaves for
 * the exchange (guardOrders) — and takes the lock again in-process, every `retryMs`:
 * - taken again: the gate opens and trading resumes where the database says it stands;
 * - another instance holds it: `fatal` resolves and the process exits 1 (crash-only, as before);
 * - MySQL still down: it keeps trying; the tree rides out the outage as it always has.
 * The connection that held the lock may linger on the server after a network cut (the server has
 * not noticed it is dead); it is ours, so it is killed and the lock taken on the next attempt.
 */
import type { Logger } from 'pino';
import type { DbConfig } from '../config.js';
import {
  acquireInstanceLock,
  type InstanceLock,
  InstanceLockedError,
  type InstanceLockOptions,
  killConnection,
} from './instanceLock.js';

export interface InstanceGuardOptions extends InstanceLockOptions {
  /** How often a lost lock is asked for again (default 2 s). */
  readonly retryMs?: number;
}

export class InstanceGuard {
  #lock: InstanceLock | null;
  /** The server connection that held the lock last: a holder with this id is our own, dying. */
  #lastConnectionId: number;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  #reportFatal: (err: Error) => void = () => undefined;
  /** Resolves, once, when another instance holds the lock: this one must stop. Never rejects. */
  readonly fatal: Promise<Error>;

  private constructor(
    lock: InstanceLock,
    private readonly cfg: DbConfig,
    private readonly logger: Logger,
    private readonly opts: InstanceGuardOptions,
  ) {
    this.#lock = lock;
    this.#lastConnectionId = lock.connectionId;
    this.fatal = new Promise<Error>((resolve) => {
      this.#reportFatal = resolve;
    });
    this.#watch(lock);
  }

  /** Takes the lock (throws InstanceLockedError when another instance holds it) and guards it. */
  static async acquire(
    cfg: DbConfig,
    logger: Logger,
    opts: InstanceGuardOptions = {},
  ): Promise<InstanceGuard> {
    return new InstanceGuard(
      await acquireInstanceLock(cfg, InstanceGuard.#lockOptions(opts, logger)),
      cfg,
      logger,
      opts,
    );
  }

  /** The lock's options, with its lease changes told in the log. */
  static #lockOptions(opts: InstanceGuardOptions, logger: Logger): InstanceLockOptions {
    return {
      ...opts,
      onLease: (held) => {
        if (held) logger.info('instance lock confirmed again: trading resumes');
        else
          logger.warn(
            { code: 'INSTANCE_LOCK_UNCONFIRMED' },
            'instance lock unconfirmed (its heartbeat has not answered within the lease): no order leaves until it does',
          );
      },
    };
  }

  /** True while this process holds the instance lock and its lease is current: only then may an order leave. */
  held(): boolean {
    return this.#lock?.held() ?? false;
  }

  get name(): string | null {
    return this.#lock?.name ?? null;
  }

  /** Stops re-taking and releases the lock if held (a graceful stop). */
  async release(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const lock = this.#lock;
    this.#lock = null;
    await lock?.release();
  }

  #watch(lock: InstanceLock): void {
    void lock.lost.then((err) => {
      if (this.#stopped || this.#lock !== lock) return;
      this.#lock = null;
      this.logger.error(
        { err, code: 'INSTANCE_LOCK_LOST' },
        'instance lock lost: no order leaves until it is taken again',
      );
      this.#retryLater();
    });
  }

  #retryLater(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#retake(), this.opts.retryMs ?? 2_000);
  }

  async #retake(): Promise<void> {
    if (this.#stopped) return;
    try {
      const lock = await acquireInstanceLock(this.cfg, {
        ...InstanceGuard.#lockOptions(this.opts, this.logger),
        waitSeconds: 0,
      });
      if (this.#stopped) {
        await lock.release();
        return;
      }
      this.#lock = lock;
      this.#lastConnectionId = lock.connectionId;
      this.#watch(lock);
      this.logger.info({ lock: lock.name }, 'instance lock taken again: trading resumes');
    } catch (err) {
      if (err instanceof InstanceLockedError && err.holder.connectionId !== this.#lastConnectionId) {
        this.#stopped = true;
        this.logger.fatal({ err }, 'instance lock taken by another instance while it was lost; stopping');
        this.#reportFatal(err);
        return;
      }
      if (err instanceof InstanceLockedError) {
        // Our own old connection, which the server still counts as alive: end it, then try again.
        await killConnection(this.cfg, this.#lastConnectionId).catch(() => undefined);
      } else {
        this.logger.warn({ err }, 'instance lock not taken yet (MySQL unreachable); trying again');
      }
      this.#retryLater();
    }
  }
}
