/**
 * A misspelled variable is otherwise silently ignored and its default used (`DCA_MDOE=live` runs
 * paper). Every variable with one of the bot's prefixes that the configuration does not read gets
 * a warning naming the closest known one. The known names come from the config schema itself, and
 * so do the prefixes (the part before the first `_`), so a variable added there is known at once.
 */
import { CONFIG_VARIABLES } from './config.js';

/** Read outside the config schema, on purpose: test hooks and fault injection. */
const OTHER_KNOWN = [/^DCA_TEST_/, /^DCA_FAILPOINTS$/];

/** Variables the bot once read and no longer does, with what took their place. */
const RETIRED: Readonly<Record<string, string>> = {
  COOLDOWN_CHECK_INTERVAL_SECONDS: 'each asset actor ends its cooldown on its own 1-second tick',
};

/** Families the bot owns even before the schema has a variable in them. */
const EXTRA_PREFIXES = ['HEALTH_'];

export function botPrefixes(known: readonly string[] = CONFIG_VARIABLES): string[] {
  const prefixes = new Set(EXTRA_PREFIXES);
  for (const name of known) {
    const cut = name.indexOf('_');
    if (cut > 0) prefixes.add(name.slice(0, cut + 1));
  }
  return [...prefixes].sort();
}

/** Edit distance counting a swap of two neighbours as one edit (DCA_MDOE → DCA_MODE is 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known name nearest to `name`, when it is near enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : null;
}

/** One warning per unknown variable, in name order. */
export function unknownVariableWarnings(
  env: NodeJS.ProcessEnv,
  known: readonly string[] = CONFIG_VARIABLES,
): string[] {
  const prefixes = botPrefixes(known);
  const knownSet = new Set(known);
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (knownSet.has(name) || OTHER_KNOWN.some((re) => re.test(name))) continue;
    const retired = RETIRED[name];
    if (retired) {
      warnings.push(`${name} is no longer read (${retired}); remove it`);
      continue;
    }
    if (!prefixes.some((p) => name.toUpperCase().startsWith(p))) continue;
    const near = closestName(name.toUpperCase(), known);
    warnings.push(
      `${name} is not a known variable; ${near ? `did you mean ${near}?` : 'see .env.example for the variables the bot reads'}`,
    );
  }
  return warnings;
}
