import { describe, expect, it } from 'vitest';
import { sameRowSources } from '../../src/actors/assetEvents.js';
import { dec } from '../../src/money.js';
import { aCycleInput, aCycleRow, quote, startCycle } from '../helpers/cycle.js';

/** A watching cycle holding coin bought at 60,000: safety trigger at 59,100, take profit at 60,600. */
function holdingCycle() {
  return startCycle(
    aCycleInput({
      cycle: aCycleRow({
        quantity: dec('0.001'),
        boughtQuantity: dec('0.001'),
        averagePurchasePrice: dec('60000'),
        costBasis: dec('60'),
        lastOrderFillPrice: dec('60000'),
      }),
    }),
  );
}

describe('row sources (what the stored cycle row is projected from)', () => {
  it('stay the same after a quote that only moves the latest price', () => {
    const cycle = holdingCycle();
    const before = cycle.actor.getSnapshot();
    cycle.actor.send(quote('59990', '60000'));
    expect(sameRowSources(before, cycle.actor.getSnapshot())).toBe(true);
  });

  it('change when a quote crosses the safety trigger and an order is placed', () => {
    const cycle = holdingCycle();
    const before = cycle.actor.getSnapshot();
    cycle.actor.send(quote('59090', '59100'));
    expect(cycle.state()).toBe('buying');
    expect(sameRowSources(before, cycle.actor.getSnapshot())).toBe(false);
  });

  it('are never the same as nothing settled yet', () => {
    const cycle = holdingCycle();
    expect(sameRowSources(null, cycle.actor.getSnapshot())).toBe(false);
  });
});
