/**
 * `--sim` never touches a real ledger. With a production `.env` (DB_NAME=dca_bot) a sim start used
 * to migrate that database and write simulated cycles, orders and last_sell_price into it. Now sim
 * mode accepts only a database whose name ends in `_sim`: anything else is one clear configuration
 * line and exit 2, before any connection is made. The tools that pick the sim database (the bot,
 * `dca-bot migrate`, the other CLI commands) all refuse the same way.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { dropDatabase, randomDatabaseName, testServerConfig } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a node entry point with only the given variables (plus PATH), like a fresh shell would. */
function run(args: readonly string[], env: Record<string, string>, timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function databaseExists(name: string): Promise<boolean> {
  const conn = await mysql.createConnection(testServerConfig());
  try {
    const [rows] = await conn.query('SHOW DATABASES LIKE ?', [name]);
    return (rows as unknown[]).length > 0;
  } finally {
    await conn.end();
  }
}

const LINE = 'DB_NAME: sim mode uses only a database whose name ends in _sim (default dca_bot_sim), got';

describe('a sim start with a DB_NAME that does not end in _sim', () => {
  it('exits 2 with one clear line and creates or writes nothing in that database', async () => {
    const name = randomDatabaseName();
    try {
      const env = { ...dbEnv({ ...testServerConfig(), database: name }), LOG_LEVEL: 'info' };
      const result = await run(['--import', 'tsx', 'src/main.ts', '--sim'], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${LINE} "${name}"`);
      expect(await databaseExists(name)).toBe(false);
    } finally {
      await dropDatabase(name);
    }
  });

  it('is refused by `dca-bot migrate` and the CLI in sim mode too', async () => {
    const name = randomDatabaseName();
    try {
      const env = { ...dbEnv({ ...testServerConfig(), database: name }), DCA_MODE: 'sim' };
      const migrate = await run(['bin/dca-bot.mjs', 'migrate'], env);
      expect(migrate.code).toBe(2);
      expect(migrate.stderr).toContain(`${LINE} "${name}"`);
      const list = await run(['bin/dca-bot.mjs', 'assets', 'list'], env);
      expect(list.code).toBe(2);
      expect(list.stderr).toContain(`${LINE} "${name}"`);
      expect(await databaseExists(name)).toBe(false);
    } finally {
      await dropDatabase(name);
    }
  });
});
