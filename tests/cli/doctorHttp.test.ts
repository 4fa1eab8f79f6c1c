import { describe, expect, it } from 'vitest';
import { HttpWatch, skewAtLeastMs } from '../../src/cli/doctorHttp.js';

const at = (ms: number) => new Date(ms).toUTCString();

describe("the doctor's clock bound from Date headers", () => {
  it('finds no skew when the whole-second header agrees with the request window', () => {
    const watch = new HttpWatch();
    watch.observeDate(at(1_700_000_000_000), 1_700_000_000_200, 1_700_000_000_250);
    expect(skewAtLeastMs(watch.offset()!)).toBe(0);
  });

  it('bounds a clock that runs behind the exchange from below, by the time the answer arrived', () => {
    const watch = new HttpWatch();
    // The exchange said 12:00:30 while this machine read 12:00:00.2 … 12:00:00.3.
    watch.observeDate(at(1_700_000_030_000), 1_700_000_000_200, 1_700_000_000_300);
    expect(skewAtLeastMs(watch.offset()!)).toBe(29_700);
  });

  it('bounds a clock that runs ahead, and narrows the window with every answer', () => {
    const watch = new HttpWatch();
    watch.observeDate(at(1_700_000_000_000), 1_700_000_010_000, 1_700_000_010_100);
    expect(skewAtLeastMs(watch.offset()!)).toBe(9_000);
    watch.observeDate(at(1_700_000_001_000), 1_700_000_011_500, 1_700_000_011_600);
    expect(watch.offset()).toMatchObject({ samples: 2, highMs: -9_500 });
    expect(skewAtLeastMs(watch.offset()!)).toBe(9_500);
  });

  it('says nothing without a Date header', () => {
    const watch = new HttpWatch();
    watch.observeDate(null, 0, 1);
    watch.observeDate('not a date', 0, 1);
    expect(watch.offset()).toBeNull();
  });
});
