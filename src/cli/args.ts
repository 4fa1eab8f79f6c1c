/** node:util parseArgs with the CLI's conventions: strict flags, `--help` anywhere, errors as usage errors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type CliIo, println, UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** The parsed flags, or null when `--help` was asked for (the usage is then printed). */
export function parseCommand(
  argv: readonly string[],
  options: Options,
  usage: string,
  io: CliIo,
): Parsed | null {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
  if (parsed.values['help'] === true) {
    println(io, usage);
    return null;
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
}

/** Exactly `names.length` positionals, or a usage error naming what is missing or extra. */
export function positionals(parsed: Parsed, names: readonly string[], usage: string): string[] {
  const got = parsed.positionals;
  if (got.length < names.length) throw new UsageError(`missing ${names.slice(got.length).join(', ')}`, usage);
  if (got.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(got[names.length])}`, usage);
  }
  return got;
}

/** A whole number ≥ 1 from a flag, or a usage error. */
export function positiveInt(
  value: string | boolean | undefined,
  flag: string,
  fallback: number,
  usage: string,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} expects a whole number ≥ 1`, usage);
  return n;
}
