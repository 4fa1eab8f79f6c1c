/**
 * The CLI's text output escapes control characters that come from the database. An asset symbol
 * holding terminal escape codes (written straight into dca_assets) used to be printed raw by
 * `assets list` and `status`, where it could clear the operator's screen or recolour the table.
 * Run through the `dca-bot` bin as a real process, as an operator would.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, insertAsset, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
// Clears the screen, then paints in red; U+009B is the one-byte C1 form of the escape introducer.
const HOSTILE = 'EVIL\u001b[2J\u001b[31m\u009b1m\u202e/USD';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await insertAsset(db.pool, { asset_symbol: HOSTILE });
});
afterAll(async () => {
  await db?.drop();
});

function dcaBot(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dca-bot.mjs', ...args], {
      cwd: REPO,
      env: { PATH: process.env['PATH'] ?? '', ...dbEnv(db.cfg) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters looked for.
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('text output of values from the database', () => {
  it('`assets list` shows a symbol with escape codes escaped, never raw', async () => {
    const run = await dcaBot(['assets', 'list']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(RAW);
    expect(run.stdout).toContain('EVIL\\u001b[2J\\u001b[31m\\u009b1m\\u202e/USD');
  });

  it('`status` and its error lines escape it too', async () => {
    const run = await dcaBot(['status']);
    expect(run.stdout + run.stderr).not.toMatch(RAW);
    expect(run.stdout).toContain('EVIL\\u001b[2J');
  });

  it('`cycles <symbol>` quotes the symbol it could not find without running its codes', async () => {
    const run = await dcaBot(['cycles', 'X\u001b[2J/USD']);
    expect(run.stdout + run.stderr).not.toMatch(RAW);
  });

  it('`--json` stays valid JSON and carries no raw control character either', async () => {
    const run = await dcaBot(['assets', 'list', '--json']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(RAW);
    // Escaped, the value still parses back to exactly what the database holds.
    const { assets } = JSON.parse(run.stdout) as { assets: { symbol: string }[] };
    expect(assets.map((a) => a.symbol)).toEqual([HOSTILE]);
  });
});
