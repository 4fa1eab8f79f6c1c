/**
 * Who may import whom: `src/` stands alone; `testkit/` (what tests and benchmarks both start: a
 * throwaway database, the bot as a child process, the in-memory exchange) builds only on `src/`;
 * `tests/` and `bench/` build on both and never on each other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ALLOWED: Record<string, readonly string[]> = {
  src: ['src'],
  testkit: ['src', 'testkit'],
  tests: ['src', 'testkit', 'tests'],
  bench: ['src', 'testkit', 'bench'],
};

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** `file imports top/...` for every relative import that leaves the folders `file` may use. */
function crossings(dir: string): string[] {
  const found: string[] = [];
  for (const file of sources(dir)) {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import\(?)\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(REPO, resolve(REPO, dirname(file), spec!));
      const top = target.split('/')[0]!;
      if (!ALLOWED[dir]!.includes(top)) found.push(`${file} imports ${target}`);
    }
  }
  return found;
}

describe('the repository layout', () => {
  it.each(Object.keys(ALLOWED))('%s/ imports only from the folders it builds on', (dir) => {
    expect(crossings(dir)).toEqual([]);
  });
});
