/**
 * Whether dist/ (the compiled JavaScript production runs) is up to date with src/: it was built
 * after the newest file under src/ and the build's tsconfig changed. `npm run build` leaves the
 * stamp dist/.built behind once tsc succeeded; a failed or half-done build leaves none.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(REPO, 'dist');
export const STAMP = join(DIST, '.built');
const INPUTS = ['tsconfig.json', 'tsconfig.build.json'];

function newestUnder(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

export function distIsFresh() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  const inputs = INPUTS.map((f) => statSync(join(REPO, f)).mtimeMs);
  return built >= Math.max(newestUnder(join(REPO, 'src')), ...inputs);
}
