#!/usr/bin/env node
// The `dca-bot` command (package.json "bin"): registers tsx so the TypeScript CLI runs as is.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
