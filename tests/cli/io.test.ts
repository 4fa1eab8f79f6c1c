import { describe, expect, it } from 'vitest';
import { formatTable, printJson } from '../../src/cli/io.js';
import { dec } from '../../src/money.js';

describe('formatTable', () => {
  it('pads every column to its widest cell and right-aligns the ones asked for', () => {
    const table = formatTable(
      ['SYMBOL', 'QTY'],
      [
        ['BTC/USD', '0.5'],
        ['ETH/USD', '12.25'],
      ],
      ['left', 'right'],
    );
    expect(table.split('\n')).toEqual(['SYMBOL     QTY', 'BTC/USD    0.5', 'ETH/USD  12.25']);
  });

  it('shows an empty cell as a dash', () => {
    expect(formatTable(['A', 'B'], [['', 'x']])).toBe('A  B\n-  x');
  });
});

describe('printJson', () => {
  it('writes decimals as plain strings, never as numbers or exponents', () => {
    let out = '';
    const io = { env: {}, stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } };
    printJson(io, { price: dec('1e-9'), qty: dec('120.50'), n: 3 });
    expect(JSON.parse(out)).toEqual({ price: '0.000000001', qty: '120.5', n: 3 });
  });
});
