/**
 * Runs the operator CLI in-process against a test database and captures what it printed, so a test
 * reads exactly what an operator would see (or what a script would parse with `--json`).
 */

import { runCli } from '../../src/cli/run.js';
import type { DbConfig } from '../../src/config.js';
import type { Queryable } from '../../src/store/db.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = Record<string, unknown>>(): T;
}

/** The DB_* variables for `cfg`, and nothing else: no Alpaca keys unless a test adds them. */
export function dbEnv(cfg: DbConfig): NodeJS.ProcessEnv {
  return {
    DB_HOST: cfg.host,
    DB_PORT: String(cfg.port),
    DB_USER: cfg.user,
    DB_PASSWORD: cfg.password,
    DB_NAME: cfg.database,
  };
}

export async function cli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** The README's example asset as `assets add` arguments (every setting flag). */
export const BTC_ADD_ARGS = [
  'assets',
  'add',
  'BTC/USD',
  '--base',
  '20',
  '--safety',
  '20',
  '--max-safety',
  '5',
  '--deviation',
  '1.5',
  '--take-profit',
  '1',
  '--cooldown',
  '300',
  '--restart-drop',
  '2',
] as const;

/** A cycle row with the given columns (the rest default), as the bot would have written it. */
export async function insertCycle(
  db: Queryable,
  assetId: number,
  columns: Record<string, string | number | Date | null> = {},
): Promise<number> {
  const all = { asset_id: assetId, status: 'watching', ...columns };
  const names = Object.keys(all);
  const [result] = await db.query(
    `INSERT INTO dca_cycles (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    Object.values(all),
  );
  return Number((result as { insertId: number }).insertId);
}
