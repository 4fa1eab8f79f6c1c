/** Client order ids carry the installation: whose order an id names, and the next id of a cycle. */
import { describe, expect, it } from 'vitest';
import {
  formatClientOrderId,
  type Installation,
  isBotOrder,
  isForeignBotOrder,
  isSellStep,
  nextClientOrderId,
  orderOwner,
  parseClientOrderId,
} from '../src/clientOrderId.js';

const FRESH: Installation = { id: 'a1b2c3d4e5', legacyCycleMax: null };
const UPGRADED: Installation = { id: 'a1b2c3d4e5', legacyCycleMax: 12 };

describe('client order ids', () => {
  it('carry the installation id before the cycle, step and attempt', () => {
    expect(formatClientOrderId('a1b2c3d4e5', { cycleId: 7, step: 'so2', attempt: 3 })).toBe(
      'dca-a1b2c3d4e5-7-so2-3',
    );
    expect(parseClientOrderId('dca-a1b2c3d4e5-7-so2-3', FRESH)).toEqual({
      cycleId: 7,
      step: 'so2',
      attempt: 3,
    });
  });

  it('name a stop-loss sell with the step sl, a sell like tp', () => {
    expect(parseClientOrderId('dca-a1b2c3d4e5-7-sl-4', FRESH)).toEqual({
      cycleId: 7,
      step: 'sl',
      attempt: 4,
    });
    expect(isSellStep('sl')).toBe(true);
    expect(isSellStep('tp')).toBe(true);
    expect(isSellStep('so1')).toBe(false);
  });

  it("stay far below Alpaca's 128 characters at the largest cycle id and step", () => {
    const id = formatClientOrderId('abcdefghijklmnop', {
      cycleId: 2_147_483_647,
      step: 'so9999',
      attempt: 99_999,
    });
    expect(id.length).toBeLessThan(64);
  });

  it("are this installation's only with its own prefix (defect 5)", () => {
    expect(orderOwner('dca-a1b2c3d4e5-1-base-1', FRESH)).toBe('own');
    expect(orderOwner('dca-ffff000011-1-base-1', FRESH)).toBe('foreign');
    expect(isBotOrder('dca-ffff000011-1-base-1', FRESH)).toBe(false);
    expect(isForeignBotOrder('dca-ffff000011-1-base-1', FRESH)).toBe(true);
    expect(parseClientOrderId('dca-ffff000011-1-base-1', FRESH)).toBeNull();
  });

  it('leave orders placed by hand to their owner', () => {
    for (const id of ['my-order', 'dca-', 'dca-a1b2c3d4e5-1-buy-1', 'dca-A1B2C3D4E5-1-base-1', null, '']) {
      expect(orderOwner(id, UPGRADED)).toBe('manual');
    }
  });

  it('read a pre-installation id as foreign in a database created with installation ids (defect 5)', () => {
    expect(orderOwner('dca-1-base-1', FRESH)).toBe('foreign');
    expect(isBotOrder('dca-1-base-1', FRESH)).toBe(false);
  });

  it('read a pre-installation id as own in a database upgraded in place, up to its last old cycle', () => {
    expect(parseClientOrderId('dca-12-tp-4', UPGRADED)).toEqual({ cycleId: 12, step: 'tp', attempt: 4 });
    expect(orderOwner('dca-13-base-1', UPGRADED)).toBe('foreign');
  });

  it('count attempts per cycle across steps, and continue a pre-installation counter', () => {
    expect(nextClientOrderId('a1b2c3d4e5', 7, 'base', null)).toBe('dca-a1b2c3d4e5-7-base-1');
    expect(nextClientOrderId('a1b2c3d4e5', 7, 'tp', 'dca-a1b2c3d4e5-7-so1-2')).toBe('dca-a1b2c3d4e5-7-tp-3');
    expect(nextClientOrderId('a1b2c3d4e5', 8, 'base', 'dca-a1b2c3d4e5-7-tp-3')).toBe(
      'dca-a1b2c3d4e5-8-base-1',
    );
    expect(nextClientOrderId('a1b2c3d4e5', 7, 'so2', 'dca-7-so1-2')).toBe('dca-a1b2c3d4e5-7-so2-3');
  });

  it('reuse an id given up as never accepted for the next order of its step, and move past it for any other', () => {
    const givenUp = 'dca-a1b2c3d4e5-7-so1-2';
    expect(nextClientOrderId('a1b2c3d4e5', 7, 'so1', givenUp, givenUp)).toBe(givenUp);
    expect(nextClientOrderId('a1b2c3d4e5', 7, 'tp', givenUp, givenUp)).toBe('dca-a1b2c3d4e5-7-tp-3');
    expect(nextClientOrderId('a1b2c3d4e5', 7, 'tp', 'dca-a1b2c3d4e5-7-base-1', givenUp)).toBe(
      'dca-a1b2c3d4e5-7-tp-3',
    );
    // Another cycle's given-up id is no concern of this one.
    expect(nextClientOrderId('a1b2c3d4e5', 8, 'so1', null, givenUp)).toBe('dca-a1b2c3d4e5-8-so1-1');
  });
});
