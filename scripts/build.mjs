#!/usr/bin/env node
/**
 * `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json), from a clean dist/.
 * `--if-stale` (npm's prestart) does nothing when dist/ is already up to date, so `npm start` on a
 * fresh clone builds once and then starts at once. tsc is a dev dependency: a production install
 * (`npm ci --omit=dev`) runs `npm run build` before pruning, or on the machine that ships dist/.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DIST, distIsFresh, REPO, STAMP } from './dist.mjs';

if (process.argv.includes('--if-stale') && distIsFresh()) process.exit(0);

let tsc;
try {
  tsc = createRequire(join(REPO, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write(
    'dca-bot: dist/ is missing or older than src/, and TypeScript (a dev dependency) is not installed to build it.\n' +
      'Run `npm ci && npm run build` (then `npm prune --omit=dev` if you like) and start again.\n',
  );
  process.exit(2);
}
process.stderr.write('dca-bot: compiling src/ to dist/ (npm run build)\n');
rmSync(DIST, { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.build.json')], {
  cwd: REPO,
  stdio: 'inherit',
});
if (run.status !== 0) {
  rmSync(DIST, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
