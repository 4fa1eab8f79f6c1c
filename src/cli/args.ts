/** node:util parseArgs with the CLI's conventions: strict flags, `--help` anywhere, errors as usage errors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closestName } from '../unknownVariables.js';
import { type CliIo, println, RefusedError, UsageError } from './io.js';

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
    throw new UsageError(flagProblem(err, Object.keys(options), helpCommand(usage)), usage, { brief: true });
  }
  if (parsed.values['help'] === true) {
    println(io, usage);
    return null;
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
}

/** `dca-bot cycles` from `usage: dca-bot cycles <SYMBOL> ...`: what to run with `--help`. */
function helpCommand(usage: string): string {
  return /^usage: ((?:npm start|dca-bot)(?: [a-z][a-z-]*)*)/.exec(usage)?.[1] ?? 'dca-bot';
}

/**
 * node:util parseArgs's error as one line: an unknown flag names the closest known one, a flag
 * missing its value says so; both end with where `--help` is.
 */
export function flagProblem(err: unknown, flags: readonly string[], command: string): string {
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message ?? String(err);
  const hint = `(\`${command} --help\` lists the flags)`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /'(-{1,2}[^']*)'/.exec(message)?.[1] ?? message;
    const near = closestName(given.replace(/^-+/, ''), [...flags, 'help']);
    return `unknown flag ${given}${near ? `; did you mean --${near}?` : ''} ${hint}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--[\w-]+)/.exec(message)?.[1] ?? 'a flag';
    return message.includes('argument missing')
      ? `${flag} needs a value ${hint}`
      : `${flag} takes no value ${hint}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''} ${hint}`.replace('  ', ' ');
  }
  return `${message} ${hint}`;
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

/** A whole number ≥ 1 from a flag; another value is refused (exit 1), as every refused value is. */
export function positiveInt(value: string | boolean | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RefusedError(`refused: --${flag} expects a whole number ≥ 1, got ${JSON.stringify(value)}`);
  }
  return n;
}
