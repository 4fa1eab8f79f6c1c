/**
 * Runs the operator CLI in-process against a test database and captures what it printed, so a test
 * reads exactly what an operator would see (or what a script would parse with `--json`).
 */

import { runCli } from '../../src/cli/run.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = Record<string, unknown>>(): T;
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

/** The README's example asset's settings, every setting flag (`assets add`, `backtest`). */
export const BTC_SETTINGS = [
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

/** The README's example asset as `assets add` arguments. */
export const BTC_ADD_ARGS = ['assets', 'add', 'BTC/USD', ...BTC_SETTINGS] as const;
