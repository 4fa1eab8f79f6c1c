/**
 * Which assets may have a safety order on the exchange that the database never recorded
 * (architecture §4, "A safety order leaves while its write-ahead commits"), shared by the asset
 * actors of one process. A cycle host starting for such an asset looks for that one order before it
 * decides anything:
 * - at an asset's first start in this process, unless the previous process stopped cleanly;
 * - while one of its safety orders' write-ahead has not answered (a successor started by the
 *   supervisor while its predecessor's COMMIT is still out);
 * - after such a write-ahead failed, until a host has looked and settled the question.
 * A graceful stop marks the database clean only when no asset is in question.
 */
export class UnrecordedOrders {
  private readonly hosted = new Set<number>();
  private readonly inQuestion = new Set<number>();
  private readonly committing = new Map<number, number>();

  constructor(private readonly previousStopClean: boolean) {}

  /** Whether a cycle host starting now for `assetId` must look first. */
  mustLook(assetId: number): boolean {
    if (!this.hosted.has(assetId)) {
      this.hosted.add(assetId);
      if (!this.previousStopClean) this.inQuestion.add(assetId);
    }
    return this.inQuestion.has(assetId) || this.committing.has(assetId);
  }

  /** A safety order of `assetId` leaves before its write-ahead answered; call the result with the outcome. */
  posting(assetId: number): (committed: boolean) => void {
    this.committing.set(assetId, (this.committing.get(assetId) ?? 0) + 1);
    return (committed) => {
      const left = (this.committing.get(assetId) ?? 1) - 1;
      if (left > 0) this.committing.set(assetId, left);
      else this.committing.delete(assetId);
      if (!committed) this.inQuestion.add(assetId);
    };
  }

  /** A host looked (or had nothing to look for): the exchange and the row agree again. */
  settled(assetId: number): void {
    this.inQuestion.delete(assetId);
  }

  /** Nothing in question: every safety order sent is recorded. */
  get clean(): boolean {
    return this.inQuestion.size === 0 && this.committing.size === 0;
  }
}
