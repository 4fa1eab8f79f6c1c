/**
 * On a Node.js older than package.json's engines (Debian 12 / Ubuntu 24.04 ship 18) every entry
 * point says so in one line and exits 2 before anything else. The running version is replaced by
 * DCA_TEST_NODE_VERSION in the child processes, since no old Node is installed here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { minimumNode, nodeVersionProblem } from '../../src/nodeVersion.js';
import { runEntry } from '../helpers/proc.js';

const engines = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
  }
).engines.node;
const LINE = `dca-bot: cannot start, Node.js v18.19.0 is too old: dca-bot needs ${engines} (package.json engines); see README "Installing Node.js"`;

describe('the Node.js version check', () => {
  it('reads the minimum from package.json engines and compares major, minor and patch', () => {
    expect(minimumNode('>=20.12')).toEqual([20, 12, 0]);
    expect(nodeVersionProblem('v20.12.0', '>=20.12')).toBeNull();
    expect(nodeVersionProblem('v22.1.0', '>=20.12')).toBeNull();
    expect(nodeVersionProblem('v20.11.1', '>=20.12')).toMatch(/^Node.js v20.11.1 is too old/);
    expect(nodeVersionProblem('v18.19.0', '>=20.12')).toMatch(/^Node.js v18.19.0 is too old/);
    expect(nodeVersionProblem(process.version, engines)).toBeNull();
  });

  for (const entry of ['bot', 'cli', 'migrate'] as const) {
    it(`${entry}: one line and exit 2 on Node 18`, async () => {
      const r = await runEntry(entry, entry === 'cli' ? ['status'] : [], {
        DCA_TEST_NODE_VERSION: 'v18.19.0',
      });
      expect(r.stderr).toBe(`${LINE}\n`);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
    });
  }
});
