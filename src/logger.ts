/**
 * pino, configured once: JSON lines to stdout (journald under systemd), optionally also to a file,
 * pretty only when asked. Secrets are kept out two ways: known secret-bearing keys are censored at
 * any depth (`redact` at the top level, `censorNested` and the err serializer below it), and the
 * `err` serializer scrubs known secret *values* out of error messages, stacks and response headers,
 * which no key-based redaction can see into.
 */

import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type StreamEntry } from 'pino';
import type PinoPretty from 'pino-pretty';
import { MIN_MASKED_SECRET_LENGTH, maskSecrets, REDACTED, weakSecretNames } from './secrets.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** Also append JSON lines to this file (created with its directory if missing). */
  readonly file?: string | null;
  /** Human-readable output on the main destination (development only; the file stays JSON). */
  readonly pretty?: boolean;
  /** Secret values (API key id and secret, DB password, tokens) to scrub from errors. */
  readonly secrets?: readonly (string | null | undefined)[];
}

export const CENSOR = REDACTED;

/** Keys whose values are secrets wherever they appear: config fields, env names, HTTP headers. */
const SECRET_KEYS = [
  'keyId',
  'secretKey',
  'secret',
  'password',
  'smtpPassword',
  'token',
  'APCA_API_KEY_ID',
  'APCA_API_SECRET_KEY',
  'DB_PASSWORD',
  'DASHBOARD_TOKEN',
  'ALERT_EMAIL_SMTP_PASSWORD',
  'authorization',
  'Authorization',
  'apca-api-key-id',
  'apca-api-secret-key',
  'APCA-API-KEY-ID',
  'APCA-API-SECRET-KEY',
];

/**
 * Top-level keys only: pino's redaction compiles each path into the line's serialization, and
 * wildcard paths (`*.secretKey` … four levels deep, 85 of them) cost ~0.3 ms on a cold line.
 * Nested values are censored instead by `censorNested` (the line's own objects) and by the err
 * serializer (what an error carries: response headers, causes), each one walk over what is there.
 */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.map((key) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`,
);

const SECRET_KEY_SET: ReadonlySet<string> = new Set(SECRET_KEYS);

/** How deep nested objects are searched for secret-named keys (an error's causes included). */
const MAX_DEPTH = 8;

/** The LOG_FILE destination of each logger made here, for reopening after a rotation. */
const logFiles = new WeakMap<Logger, ReturnType<typeof pino.destination>>();

/** pino-pretty, loaded only for a pretty log: a JSON log (production) never reads its code. */
const requireLazily = createRequire(import.meta.url);
function prettyStream(): typeof PinoPretty {
  return requireLazily('pino-pretty') as typeof PinoPretty;
}

export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  const file = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false }) : null;
  // Too-short secrets are left to the key-name redaction: masking them in text garbles every line.
  const secrets = (opts.secrets ?? []).filter(
    (s): s is string => typeof s === 'string' && s.length >= MIN_MASKED_SECRET_LENGTH,
  );
  const errSerializer = makeErrSerializer(secrets);
  const root = pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      serializers: { err: errSerializer, error: errSerializer },
      formatters: { log: censorNested },
      hooks: {
        // `log.error(err)` copies err.message into `msg`, outside the serializer's reach; and a
        // message string may quote an error's text. Scrub the message arguments too.
        logMethod(args, method) {
          if (secrets.length === 0) return method.apply(this, args);
          const first = args[0];
          const scrubbed = args.map((a) => (typeof a === 'string' ? maskSecrets(a, secrets) : a));
          if (first instanceof Error && typeof args[1] !== 'string') {
            return method.call(this, first, maskSecrets(first.message, secrets));
          }
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    buildDestination(opts, destination, file),
  );
  if (file) logFiles.set(root, file);
  const rootChild = root.child.bind(root);
  return withMergedChildren(root, rootChild, {});
}

/**
 * Reopens the logger's LOG_FILE by its path (after logrotate renamed it, new lines go to a new
 * file); false when the logger writes no file. Lines already buffered go to the old file first.
 */
export function reopenLogFile(logger: Logger): boolean {
  const file = logFiles.get(logger);
  if (!file) return false;
  file.reopen();
  return true;
}

/**
 * One warning at start-up naming (never showing) each secret too short to be masked in log text:
 * such a value can still appear inside a message, and it is weak in itself.
 */
export function warnWeakSecrets(logger: Logger, named: Readonly<Record<string, string>>): void {
  const weak = weakSecretNames(named);
  if (weak.length === 0) return;
  logger.warn(
    { weakSecrets: weak },
    `${weak.join(', ')} shorter than ${MIN_MASKED_SECRET_LENGTH} characters: not masked inside log text (fields named like secrets still are); use a longer value`,
  );
}

/**
 * pino appends a child's bindings to its parent's, so a logger bound twice with the same key (the
 * supervisor's `actor` on an already `actor`-bound logger) writes that key twice in one JSON line,
 * which strict ingestion rejects. Here every child is made from the root with the merged bindings:
 * the inner value wins, as a reader expects, and each key appears once.
 */
type MakeChild = (bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;

function withMergedChildren(logger: Logger, rootChild: MakeChild, bound: pino.Bindings): Logger {
  const child = (bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger => {
    const merged = { ...bound, ...bindings };
    // pino applies no log formatter to a child's bindings: censor nested secrets here.
    const made = rootChild(censorNested(merged), options);
    // A level set on the parent since the root was made is inherited, as pino's own children do.
    made.level = logger.level;
    return withMergedChildren(made, rootChild, merged);
  };
  (logger as { child: unknown }).child = child;
  return logger;
}

/** One child logger per actor, so every line says which actor (and asset) wrote it. */
export function childLogger(parent: Logger, bindings: { actor: string; asset?: string }): Logger {
  return parent.child(bindings);
}

function buildDestination(
  opts: LoggerOptions,
  destination: DestinationStream | undefined,
  file: DestinationStream | null,
): DestinationStream {
  const main: DestinationStream =
    destination ??
    (opts.pretty ? (prettyStream()({ destination: 1 }) as DestinationStream) : pino.destination(1));
  const screen: DestinationStream =
    destination && opts.pretty
      ? (prettyStream()({ destination, colorize: false }) as DestinationStream)
      : main;
  if (!file) return screen;
  const streams: StreamEntry[] = [
    // The logger's own level filters; the streams pass everything they are handed.
    { level: 'trace', stream: screen },
    { level: 'trace', stream: file },
  ];
  return pino.multistream(streams);
}

/**
 * pino's standard error serializer (type, message, stack, causes, own properties), then every
 * string inside scrubbed of the known secret values, and fetch Headers/Response objects turned into
 * plain objects so the redact paths can censor their auth headers (JSON would print them as `{}`).
 */
function makeErrSerializer(secrets: readonly string[]) {
  return (err: unknown): unknown => {
    if (!(err instanceof Error)) return scrub(err, secrets, 0);
    return scrub(pino.stdSerializers.err(err), secrets, 0);
  };
}

function scrub(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return maskSecrets(value, secrets);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (value instanceof Headers) return scrub(Object.fromEntries(value.entries()), secrets, depth + 1);
  if (value instanceof Response) {
    return scrub(
      { status: value.status, statusText: value.statusText, url: value.url, headers: value.headers },
      secrets,
      depth + 1,
    );
  }
  if (value instanceof Error) return scrub(pino.stdSerializers.err(value), secrets, depth + 1);
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY_SET.has(k) ? CENSOR : scrub(v, secrets, depth + 1);
  }
  return out;
}

/**
 * pino's `formatters.log`: the line's object with every secret-named key below the top level
 * censored (the top level is the redact paths' job). Copy on write: the caller's object is never
 * changed, and a line with nothing to censor is returned as it came, after one pass over its keys.
 * `err`/`error` are left to their serializer, which sees the error itself.
 */
function censorNested(line: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key in line) {
    if (key === 'err' || key === 'error') continue;
    const value = line[key];
    if (value === null || typeof value !== 'object') continue;
    const censored = censorObject(value, 1);
    if (censored !== value) {
      out ??= { ...line };
      out[key] = censored;
    }
  }
  return out ?? line;
}

function censorObject(value: object, depth: number): unknown {
  if (depth > MAX_DEPTH || value instanceof Date) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item: unknown, i) => {
      if (item === null || typeof item !== 'object') return;
      const censored = censorObject(item, depth + 1);
      if (censored !== item) {
        copy ??= [...value];
        copy[i] = censored;
      }
    });
    return copy ?? value;
  }
  // What JSON.stringify would write (own enumerable keys, or toJSON's answer for e.g. a Decimal).
  const source = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? null : value;
  if (source === null) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(source)) {
    const item = (source as Record<string, unknown>)[key];
    let next: unknown = item;
    if (SECRET_KEY_SET.has(key)) next = CENSOR;
    else if (item !== null && typeof item === 'object') next = censorObject(item, depth + 1);
    if (next !== item) {
      copy ??= { ...(source as Record<string, unknown>) };
      copy[key] = next;
    }
  }
  return copy ?? value;
}
