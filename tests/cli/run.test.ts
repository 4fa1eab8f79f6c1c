import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BTC_ADD_ARGS, cli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

const BIN = fileURLToPath(new URL('../../bin/dca-bot.mjs', import.meta.url));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** Runs bin/dca-bot.mjs as its own process, the way `npx dca-bot` does. */
function spawnBin(args: readonly string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // PATH only: the child must get its settings from `env`, not from this process or a .env file.
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'], ...env },
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('runCli', () => {
  it('prints the overview with --help and exits 0', async () => {
    const run = await cli(['--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: dca-bot <command>');
  });

  it('is a usage error (exit 2) without a command, with an unknown one, or with an unknown flag', async () => {
    for (const argv of [[], ['trade'], ['assets']]) {
      const run = await cli(argv, {});
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr, argv.join(' ')).toContain('usage: dca-bot');
    }
    const flag = await cli(['status', '--verbose'], {});
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('dca-bot: unknown flag --verbose (`dca-bot status --help` lists the flags)\n');
  });

  it('prints help for each command', async () => {
    for (const argv of [
      ['assets', 'add', '--help'],
      ['status', '--help'],
      ['cycles', '-h'],
      ['pnl', '--help'],
    ]) {
      const run = await cli(argv, {});
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain(`usage: dca-bot ${argv.slice(0, -1).join(' ')}`);
    }
  });

  it('exits 1 when the database stays unreachable past DB_CONNECT_TIMEOUT_SECONDS, without a stack trace', async () => {
    const run = await cli(['status'], { ...dbEnv(db.cfg), DB_PORT: '1', DB_CONNECT_TIMEOUT_SECONDS: '0' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^dca-bot: the database server at \S+:1 refused the connection — is it running\? \(gave up/,
    );
    expect(run.stderr).not.toContain('    at ');
  });
});

describe('bin/dca-bot.mjs', () => {
  it('runs as a real process: adds an asset, lists it as JSON, and exits with the command code', async () => {
    const env = dbEnv(db.cfg);
    const added = await spawnBin(BTC_ADD_ARGS, env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('worst-case capital: 120 USD');
    const listed = await spawnBin(['assets', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      assets: [{ symbol: 'BTC/USD', worstCaseCapital: '120' }],
    });
    const duplicate = await spawnBin(BTC_ADD_ARGS, env);
    expect(duplicate.code).toBe(1);
  });
});
