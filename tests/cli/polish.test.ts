/**
 * The CLI as an operator meets it (child processes): a mistyped flag is one line naming the flag
 * meant and `--help`; a refused value exits 1 and a usage error 2, as the README's table says; in
 * sim mode the exchange check says whether it asked the bot's simulator, or why not.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { BTC_ADD_ARGS, cli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';
import { runEntry } from '../helpers/proc.js';

let db: TestDatabase;
let sim: Simulator;
beforeAll(async () => {
  [db, sim] = await Promise.all([createTestDatabase({ sim: true }), startSimulator()]);
  sim.publishQuote('BTC/USD', '59990', '60000');
});
afterAll(async () => {
  await Promise.all([db.drop(), sim.close()]);
});

const oneLine = (stderr: string) => {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  return stderr.trim();
};

describe('flags and exit codes', () => {
  it('a mistyped flag is one line with the closest flag and the --help hint, exit 2', async () => {
    const r = await runEntry(
      'cli',
      ['cycles', 'BTC/USD', '--lmit', '3'],
      dbEnv(db.cfg) as Record<string, string>,
    );
    expect(oneLine(r.stderr)).toBe(
      'dca-bot: unknown flag --lmit; did you mean --limit? (`dca-bot cycles --help` lists the flags)',
    );
    expect(r.code).toBe(2);
  });

  it('a mistyped flag of a subcommand names the subcommand for --help', async () => {
    const r = await cli(['assets', 'add', 'ETH/USD', '--take-proft', '1'], dbEnv(db.cfg));
    expect(oneLine(r.stderr)).toBe(
      'dca-bot: unknown flag --take-proft; did you mean --take-profit? (`dca-bot assets add --help` lists the flags)',
    );
    expect(r.code).toBe(2);
  });

  it('npm start with a mistyped flag says the same, exit 2, before reading any configuration', async () => {
    const r = await runEntry('bot', ['--smi'], {});
    expect(oneLine(r.stderr)).toBe(
      'dca-bot: unknown flag --smi; did you mean --sim? (`npm start -- --help` lists the flags)',
    );
    expect(r.code).toBe(2);
  });

  it('a flag without its value is a usage error (2); a value that is not a number is refused (1)', async () => {
    const env = dbEnv(db.cfg) as Record<string, string>;
    const missing = await runEntry('cli', ['cycles', 'BTC/USD', '--limit'], env);
    expect(oneLine(missing.stderr)).toBe(
      'dca-bot: --limit needs a value (`dca-bot cycles --help` lists the flags)',
    );
    expect(missing.code).toBe(2);
    const abc = await runEntry('cli', ['cycles', 'BTC/USD', '--limit', 'abc'], env);
    expect(oneLine(abc.stderr)).toBe('dca-bot: refused: --limit expects a whole number ≥ 1, got "abc"');
    expect(abc.code).toBe(1);
  });

  it('a bad date is refused with exit 1', async () => {
    const r = await runEntry(
      'cli',
      ['pnl', '--since', '2026-13-01'],
      dbEnv(db.cfg) as Record<string, string>,
    );
    expect(oneLine(r.stderr)).toBe('dca-bot: refused: --since: "2026-13-01" is not a date');
    expect(r.code).toBe(1);
  });
});

describe('the exchange check in sim mode', () => {
  const simEnv = () => ({ ...dbEnv(db.cfg), DCA_MODE: 'sim' });

  it('checks against the bot simulator when SIM_PORT says where it listens', async () => {
    const port = new URL(sim.endpoints.baseUrl).port;
    const r = await cli([...BTC_ADD_ARGS], { ...simEnv(), SIM_PORT: port });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      `exchange (the bot's simulator at http://127.0.0.1:${port}): BTC/USD is tradable and every order meets min_order_size`,
    );
    expect(r.code).toBe(0);
  });

  it('says why it is skipped when SIM_PORT is unset (the simulator takes a new port each start)', async () => {
    const r = await cli(['assets', 'set', 'BTC/USD', '--safety', '25'], simEnv());
    expect(r.stdout).toContain(
      'exchange check skipped: DCA_MODE=sim and the simulator inside the bot listens on a new free port at each start (SIM_PORT unset)',
    );
    expect(r.code).toBe(0);
  });

  it('says the simulator is not running when nothing answers on SIM_PORT', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    const r = await cli(['assets', 'set', 'BTC/USD', '--safety', '26'], {
      ...simEnv(),
      SIM_PORT: String(port),
    });
    expect(r.stdout).toContain(
      `exchange check skipped: DCA_MODE=sim and no simulator answers at http://127.0.0.1:${port} (SIM_PORT); is \`npm start -- --sim\` running?`,
    );
    expect(r.code).toBe(0);
  });
});
