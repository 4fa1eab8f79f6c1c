/**
 * A misspelled variable is named with the closest known one instead of being ignored in silence;
 * the known names come from the config schema, and the bot's test hooks never warn.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config.js';
import { botPrefixes, editDistance, unknownVariableWarnings } from '../../src/unknownVariables.js';
import { runEntry } from '../helpers/proc.js';

describe('unknown variables', () => {
  it('a swapped pair of letters names the variable meant', () => {
    expect(unknownVariableWarnings({ DCA_MDOE: 'live' })).toEqual([
      'DCA_MDOE is not a known variable; did you mean DCA_MODE?',
    ]);
    expect(editDistance('DCA_MDOE', 'DCA_MODE')).toBe(1);
  });

  it('every variable of the schema is known, and test hooks and other software are not warned about', () => {
    const env = Object.fromEntries(CONFIG_VARIABLES.map((k) => [k, 'x']));
    const quiet = {
      ...env,
      DCA_TEST_DB_HOST: 'h',
      DCA_FAILPOINTS: 'a',
      PATH: '/bin',
      NODE_ENV: 'production',
    };
    expect(unknownVariableWarnings(quiet)).toEqual([]);
    expect(CONFIG_VARIABLES).toContain('DB_SOCKET');
  });

  it('the prefixes come from the schema, so a variable added there is known and its family checked', () => {
    const known = [...CONFIG_VARIABLES, 'WATCHDOG_SECONDS'];
    expect(botPrefixes(known)).toContain('WATCHDOG_');
    expect(unknownVariableWarnings({ WATCHDOG_SECONDS: '5', WATCHDOG_SECOND: '5' }, known)).toEqual([
      'WATCHDOG_SECOND is not a known variable; did you mean WATCHDOG_SECONDS?',
    ]);
    for (const p of ['APCA_', 'DCA_', 'DB_', 'ALERT_', 'LOG_', 'DASHBOARD_', 'SIM_', 'HEALTH_'])
      expect(botPrefixes()).toContain(p);
  });

  it('a variable the bot no longer reads says what took its place', () => {
    expect(unknownVariableWarnings({ COOLDOWN_CHECK_INTERVAL_SECONDS: '60' })).toEqual([
      'COOLDOWN_CHECK_INTERVAL_SECONDS is no longer read (each asset actor ends its cooldown on its own 1-second tick); remove it',
    ]);
  });

  it('a name far from every known one gets no guess', () => {
    expect(unknownVariableWarnings({ DB_ZZZZZZZZZZZZZZZZ: '1' })).toEqual([
      'DB_ZZZZZZZZZZZZZZZZ is not a known variable; see .env.example for the variables the bot reads',
    ]);
  });

  it('the bot warns about a misspelling in the environment before its config refusal (exit 2)', async () => {
    const r = await runEntry('bot', [], { DCA_MDOE: 'sim' });
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('dca-bot: warning: DCA_MDOE is not a known variable; did you mean DCA_MODE?');
    expect(lines[1]).toBe('dca-bot: cannot start, invalid configuration:');
    expect(r.code).toBe(2);
  });

  it('the CLI warns about a misspelling in .env', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dca-vars-'));
    try {
      await writeFile(join(dir, '.env'), 'DB_PASWORD=secret\n');
      const r = await runEntry('cli', ['--help'], {}, { cwd: dir });
      expect(r.stderr).toBe(
        'dca-bot: warning: DB_PASWORD is not a known variable; did you mean DB_PASSWORD?\n',
      );
      expect(r.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
