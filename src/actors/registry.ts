/** Which asset actor is live for which symbol: the streams route through it. */
import { type Installation, parseClientOrderId } from '../clientOrderId.js';
import type { OrderSnapshot } from '../domain.js';
import type { AssetActor } from './asset.js';

export class AssetRegistry {
  private readonly bySymbol = new Map<string, AssetActor>();
  private readonly listeners = new Set<() => void>();

  /** Whose orders are routed: this installation's only. */
  constructor(private readonly installation: Installation) {}

  set(actor: AssetActor): void {
    this.bySymbol.set(actor.symbol, actor);
    this.changed();
  }

  delete(actor: AssetActor): void {
    if (this.bySymbol.get(actor.symbol) === actor) {
      this.bySymbol.delete(actor.symbol);
      this.changed();
    }
  }

  get(symbol: string): AssetActor | undefined {
    return this.bySymbol.get(symbol);
  }

  all(): AssetActor[] {
    return [...this.bySymbol.values()];
  }

  symbols(): string[] {
    return [...this.bySymbol.keys()];
  }

  /** The actor hosting cycle `cycleId` right now, if any. */
  byCycle(cycleId: number): AssetActor | undefined {
    for (const actor of this.bySymbol.values()) if (actor.cycleId === cycleId) return actor;
    return undefined;
  }

  /**
   * The actor owning an order: by the cycle id in the bot's client order id, then by symbol (an
   * update for an older cycle of the asset goes to the asset, whose current cycle ignores it).
   * Orders a person placed by hand, and another installation's, belong to no actor.
   */
  ownerOf(order: OrderSnapshot): AssetActor | undefined {
    const parts = parseClientOrderId(order.clientOrderId, this.installation);
    if (!parts) return undefined;
    return this.byCycle(parts.cycleId) ?? this.bySymbol.get(order.symbol);
  }

  /** Called whenever the set of live actors changes (the market-data stream re-subscribes). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
