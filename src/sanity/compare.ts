/**
 * Decimal comparison for the quote path. decimal.js's `cmp`/`lt`/`gt` copy their argument into a
 * new Decimal (digits array included) on every call; on the path every quote takes that is garbage
 * per quote. This is the same comparison (decimal.js `comparedTo`, v10) reading the value's
 * documented read-only fields — `d` digits, `e` exponent, `s` sign (README, "the value of a Decimal
 * is stored ... in terms of its digits, exponent and sign") — without the copy.
 */
import type { Decimal } from '../money.js';

interface Parts {
  readonly d: readonly number[] | null;
  readonly e: number;
  readonly s: number;
}

/** -1, 0 or 1 as `x` is less than, equal to or greater than `y`; NaN if either is NaN. */
export function compare(x: Decimal, y: Decimal): number {
  const a = x as unknown as Parts;
  const b = y as unknown as Parts;
  const xd = a.d;
  const yd = b.d;
  const xs = a.s;
  const ys = b.s;
  // Either NaN or ±Infinity?
  if (!xd || !yd) {
    if (!xs || !ys) return Number.NaN;
    if (xs !== ys) return xs;
    if (xd === yd) return 0;
    return !xd !== xs < 0 ? 1 : -1;
  }
  // Either zero?
  if (!xd[0] || !yd[0]) return xd[0] ? xs : yd[0] ? -ys : 0;
  if (xs !== ys) return xs;
  if (a.e !== b.e) return a.e > b.e !== xs < 0 ? 1 : -1;
  const xl = xd.length;
  const yl = yd.length;
  for (let i = 0, n = xl < yl ? xl : yl; i < n; i++) {
    if (xd[i] !== yd[i]) return (xd[i] as number) > (yd[i] as number) !== xs < 0 ? 1 : -1;
  }
  if (xl === yl) return 0;
  return xl > yl !== xs < 0 ? 1 : -1;
}
