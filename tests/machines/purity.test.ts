import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MACHINES_DIR = fileURLToPath(new URL('../../src/machines/', import.meta.url));
const PURE_MODULES = new Set(['xstate', '../money.js', '../domain.js', '../clientOrderId.js']);
const SIBLING = /^\.\/[\w.-]+\.js$/;

/** Every module specifier a source file imports or re-exports, static or dynamic. */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

function machineSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return machineSources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('src/machines purity', () => {
  it('reads the import specifiers a scan relies on', () => {
    const source =
      "import { a } from 'mysql2';\nexport * from './x.js';\nimport 'pino';\nconst m = import('ws');";
    expect(specifiersOf(source).sort()).toEqual(['./x.js', 'mysql2', 'pino', 'ws']);
  });

  it('imports nothing but xstate, the pure project modules and its siblings', () => {
    const files = machineSources(MACHINES_DIR);
    expect(files.length).toBeGreaterThan(0);
    const impure = files.flatMap((file) =>
      specifiersOf(readFileSync(file, 'utf8'))
        .filter((spec) => !PURE_MODULES.has(spec) && !SIBLING.test(spec))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(impure).toEqual([]);
  });
});
