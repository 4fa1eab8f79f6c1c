#!/usr/bin/env node
// The `dca-bot` command (package.json "bin"): the compiled CLI (dist/) when it is up to date with
// src/; otherwise (a fresh clone before `npm run build`, a source edited since) the TypeScript
// itself through tsx, so the command never runs code older than its source.
import { distIsFresh } from '../scripts/dist.mjs';

if (distIsFresh()) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
