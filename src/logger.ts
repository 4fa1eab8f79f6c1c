/**
 * pino, configured once: JSON lines to stdout (journald under systemd), optionally also to a file,
 * pretty only when asked. Secrets are kept out two ways: `redact` censors known secret-bearing keys
 * at any depth we log, and the `err` serializer scrubs known secret *values* out of error messages,
 * stacks and response headers, which no path-based redaction can see into.
 */
import pino, { type DestinationStream, type Logger, type StreamEntry } from 'pino';
import pinoPretty from 'pino-pretty';
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

/** Depth covered: `secretKey`, `*.secretKey` … `*.*.*.*.secretKey` (e.g. `err.response.headers.x`). */
const MAX_DEPTH = 4;

export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const leaf = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  return Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => {
    const prefix = '*.'.repeat(depth);
    if (leaf.startsWith('[')) return depth === 0 ? leaf : `${prefix.slice(0, -1)}${leaf}`;
    return `${prefix}${leaf}`;
  });
});

export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  // Too-short secrets are left to the key-name redaction: masking them in text garbles every line.
  const secrets = (opts.secrets ?? []).filter(
    (s): s is string => typeof s === 'string' && s.length >= MIN_MASKED_SECRET_LENGTH,
  );
  const errSerializer = makeErrSerializer(secrets);
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      serializers: { err: errSerializer, error: errSerializer },
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
    buildDestination(opts, destination),
  );
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

/** One child logger per actor, so every line says which actor (and asset) wrote it. */
export function childLogger(parent: Logger, bindings: { actor: string; asset?: string }): Logger {
  return parent.child(bindings);
}

function buildDestination(opts: LoggerOptions, destination?: DestinationStream): DestinationStream {
  const main: DestinationStream =
    destination ??
    (opts.pretty ? (pinoPretty({ destination: 1 }) as DestinationStream) : pino.destination(1));
  const screen: DestinationStream =
    destination && opts.pretty ? (pinoPretty({ destination, colorize: false }) as DestinationStream) : main;
  if (!opts.file) return screen;
  const streams: StreamEntry[] = [
    // The logger's own level filters; the streams pass everything they are handed.
    { level: 'trace', stream: screen },
    { level: 'trace', stream: pino.destination({ dest: opts.file, mkdir: true, sync: false }) },
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
  if (value === null || typeof value !== 'object' || depth > 8) return value;
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
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, secrets, depth + 1);
  return out;
}
