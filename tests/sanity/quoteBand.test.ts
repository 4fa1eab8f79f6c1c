import { describe, expect, it } from 'vitest';
import type { Quote } from '../../src/domain.js';
import { dec } from '../../src/money.js';
import { CONFIRM_QUOTES, isSaneQuote, QuoteBand } from '../../src/sanity/quoteBand.js';

const q = (bid: string | number, ask: string | number): Quote => ({
  symbol: 'BTC/USD',
  bid: dec(bid),
  ask: dec(ask),
  at: new Date(0),
});

const OPTS = { bandPercent: dec(10), confirmMs: 5_000, maxAgeMs: 60_000 };

/** A band whose reference REST has confirmed at 50,000 at t = 0. */
function confirmedBand(): QuoteBand {
  const band = new QuoteBand(OPTS);
  expect(band.check(q('49990', '50010'), 0)).toBe('hold');
  band.asked(0);
  expect(band.confirmed(q('49990', '50010'), 0)).toMatchObject({ kind: 'rebased', from: null });
  return band;
}

describe('QuoteBand', () => {
  it('holds the first quote until REST agrees with it, then delivers it', () => {
    const band = new QuoteBand(OPTS);
    const first = q('49990', '50010');
    expect(band.check(first, 0)).toBe('hold');
    expect(band.wantsConfirmation(0)).toBe(true);
    band.asked(0);
    expect(band.wantsConfirmation(0)).toBe(false);
    const outcome = band.confirmed(q('50000', '50001'), 10);
    expect(outcome).toMatchObject({ kind: 'rebased', from: null, deliver: first });
    expect(band.reference(10)?.toFixed()).toBe('50000.5');
    expect(band.check(q('50100', '50110'), 20)).toBe('accept');
  });

  it('keeps holding a first quote REST disagrees with, and asks again only after confirmMs', () => {
    const band = new QuoteBand(OPTS);
    band.check(q(1e-300, 2e-300), 0);
    band.asked(0);
    expect(band.confirmed(q('49990', '50010'), 5)).toMatchObject({ kind: 'unconfirmed' });
    expect(band.reference(5)).toBeNull();
    expect(band.check(q(1e-300, 2e-300), 100)).toBe('hold');
    expect(band.wantsConfirmation(100)).toBe(false);
    expect(band.wantsConfirmation(5_000)).toBe(true);
  });

  it('holds quotes while REST has no quote or the look-up failed', () => {
    const band = new QuoteBand(OPTS);
    band.check(q('49990', '50010'), 0);
    band.asked(0);
    expect(band.confirmed(null, 0)).toMatchObject({
      kind: 'unconfirmed',
      reason: 'REST has no usable quote',
    });
    expect(band.reference(0)).toBeNull();
  });

  it('accepts quotes inside the band and rejects one just outside it', () => {
    const band = confirmedBand();
    expect(band.check(q('45001', '45002'), 1)).toBe('accept');
    expect(band.check(q('54999', '54999.5'), 2)).toBe('accept');
    expect(band.check(q('54999', '55010'), 3)).toBe('reject');
    expect(band.check(q('45000', '45010'), 4)).toBe('recovered');
    expect(band.check(q('44000', '44010'), 5)).toBe('reject');
  });

  it('rejects a non-positive or crossed quote as invalid, outside any episode', () => {
    const band = confirmedBand();
    expect(band.check(q('50010', '50000'), 1)).toBe('invalid');
    expect(band.check(q('0', '50000'), 2)).toBe('invalid');
    expect(band.episodeLength).toBe(0);
    expect(isSaneQuote(q('-1', '5'))).toBe(false);
    expect(isSaneQuote(q('5', '5'))).toBe(true);
  });

  it('is not moved by a single wild quote: the reference is a median of samples', () => {
    const band = confirmedBand();
    // One sample per second, the feed drifts up 1 % a second within the band.
    for (let s = 1; s <= 5; s++) {
      const mid = 50_000 * (1 + s / 100);
      expect(band.check(q(mid - 5, mid + 5), s * 1_000)).toBe('accept');
    }
    // Samples 50000, 50500 ... 52500: of an even count the median is the lower middle one.
    expect(band.reference(5_000)?.toFixed()).toBe('51000');
    expect(band.check(q(1e-300, 2e-300), 6_000)).toBe('reject');
    expect(band.reference(6_000)?.toFixed()).toBe('51000');
  });

  it('asks REST only once a jump has lasted CONFIRM_QUOTES quotes and confirmMs', () => {
    const band = confirmedBand();
    for (let i = 0; i < CONFIRM_QUOTES; i++) band.check(q(1e-300, 2e-300), 1_000 + i);
    expect(band.wantsConfirmation(1_003)).toBe(false);
    band.check(q(1e-300, 2e-300), 6_000);
    expect(band.wantsConfirmation(6_000)).toBe(true);
  });

  it('ends the episode when quotes come back into the band, so a later jump starts afresh', () => {
    const band = confirmedBand();
    band.check(q(1e-300, 2e-300), 1_000);
    band.alerted = true;
    expect(band.check(q('50000', '50010'), 1_001)).toBe('recovered');
    expect(band.episodeLength).toBe(0);
    expect(band.alerted).toBe(false);
    band.check(q(1e-300, 2e-300), 6_500);
    expect(band.wantsConfirmation(6_500)).toBe(false);
  });

  it('keeps the reference when REST agrees with it and not with the stream (a glitch)', () => {
    const band = confirmedBand();
    for (let t = 1_000; t <= 7_000; t += 1_000) band.check(q(1e-300, 2e-300), t);
    expect(band.wantsConfirmation(7_000)).toBe(true);
    band.asked(7_000);
    expect(band.confirmed(q('50010', '50020'), 7_010)).toMatchObject({ kind: 'confirmed-reference' });
    expect(band.reference(7_010)?.toFixed()).toBe('50000');
    expect(band.check(q(1e-300, 2e-300), 7_020)).toBe('reject');
    expect(band.wantsConfirmation(8_000)).toBe(false);
  });

  it('re-bases on REST when it confirms the jump (a real crash), and delivers the newest quote', () => {
    const band = confirmedBand();
    for (let t = 1_000; t <= 7_000; t += 1_000) band.check(q(34_990 - t / 1000, 35_000 - t / 1000), t);
    band.asked(7_000);
    const outcome = band.confirmed(q('34980', '34990'), 7_010);
    expect(outcome).toMatchObject({ kind: 'rebased' });
    if (outcome.kind !== 'rebased') return;
    expect(outcome.from?.toFixed()).toBe('50000');
    expect(outcome.to.toFixed()).toBe('34985');
    expect(outcome.deliver?.ask.toFixed()).toBe('34993');
    expect(band.episodeLength).toBe(0);
    expect(band.check(q('34900', '34910'), 7_020)).toBe('accept');
  });

  it('has nothing to decide when quotes came back into the band while REST was asked', () => {
    const band = confirmedBand();
    for (let t = 1_000; t <= 7_000; t += 1_000) band.check(q(1e-300, 2e-300), t);
    band.asked(7_000);
    expect(band.check(q('50000', '50010'), 7_001)).toBe('recovered');
    expect(band.confirmed(q(1e-300, 2e-300), 7_010)).toEqual({ kind: 'settled' });
    expect(band.reference(7_010)?.toFixed()).toBe('50000');
  });

  it('treats a reference older than maxAgeMs as none: quotes are held until REST confirms', () => {
    const band = confirmedBand();
    expect(band.reference(60_000)?.toFixed()).toBe('50000');
    expect(band.reference(60_001)).toBeNull();
    expect(band.check(q('50000', '50010'), 61_000)).toBe('hold');
    expect(band.wantsConfirmation(61_000)).toBe(true);
  });

  it('accepts a glitch-free quote within band of an older reference that REST vouched for', () => {
    const band = confirmedBand();
    band.check(q(1e-300, 2e-300), 61_000);
    band.asked(61_000);
    expect(band.confirmed(q('50000', '50010'), 61_010)).toMatchObject({ kind: 'confirmed-reference' });
    expect(band.check(q('50000', '50010'), 61_020)).toBe('recovered');
  });
});
