/**
 * Imported first by every entry point: on a Node.js older than package.json's `engines.node`
 * (stock Debian 12 / Ubuntu 24.04 ship Node 18) the process says so in one line and exits 2,
 * instead of failing later with an obscure syntax or API error. systemd does not restart exit 2.
 */
import { readFileSync } from 'node:fs';

/** The minimum from an `engines.node` range such as `>=20.12` (null when it has none). */
export function minimumNode(range: string): [number, number, number] | null {
  const m = /^\s*>=?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(range);
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** The one line to print when `version` (e.g. `v18.19.0`) is older than `range`; null when it is fine. */
export function nodeVersionProblem(version: string, range: string): string | null {
  const min = minimumNode(range);
  const got = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1).map(Number);
  if (min === null || got === undefined) return null;
  for (let i = 0; i < 3; i++) {
    const a = got[i] ?? 0;
    const b = min[i] ?? 0;
    if (a > b) return null;
    if (a < b) {
      return (
        `Node.js ${version} is too old: dca-bot needs ${range.trim()} (package.json engines); ` +
        'see README "Installing Node.js"'
      );
    }
  }
  return null;
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  engines?: { node?: string };
};
const problem = nodeVersionProblem(
  process.env['DCA_TEST_NODE_VERSION'] || process.version,
  pkg.engines?.node ?? '',
);
if (problem !== null) {
  process.stderr.write(`dca-bot: cannot start, ${problem}\n`);
  process.exit(2);
}
