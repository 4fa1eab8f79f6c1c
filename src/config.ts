/**
 * The bot's configuration: environment variables parsed once, by one schema, into a deeply frozen
 * typed object. Every bad or missing value is reported at once, one line per variable, so an
 * operator fixes a broken `.env` in one pass instead of one restart per mistake.
 */
import dotenv from 'dotenv';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { type DestinationInfo, destinationOf, SIMULATOR_DESTINATION } from './exchange/destination.js';
import { Decimal, dec } from './money.js';

export type Mode = 'paper' | 'live' | 'sim';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface DbConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** A unix socket used instead of host and port (DB_SOCKET); unset = TCP. */
  readonly socket?: string | null;
  /** How long start-up retries a transient failure (refused, timeout) before it gives up. */
  readonly connectTimeoutSeconds?: number;
}

export interface AlertEmailConfig {
  readonly sender: string;
  readonly receiver: string;
  readonly smtpServer: string;
  readonly smtpPort: number;
  readonly smtpUser: string | null;
  readonly smtpPassword: string | null;
  /** ALERT_EMAIL_SMTP_INSECURE=yes: plaintext allowed (a relay on this machine); otherwise TLS is required. */
  readonly smtpInsecure: boolean;
  readonly minIntervalSeconds: number;
}

export interface Config {
  readonly mode: Mode;
  /** True only when DCA_LIVE_TRADING is exactly `yes`. */
  readonly liveTrading: boolean;
  /** Where orders go, from the trading host (the built-in simulator in sim mode). */
  readonly destination: DestinationInfo;
  readonly alpaca: {
    /** Empty in `sim` mode when unset: the simulator supplies its own keys. */
    readonly keyId: string;
    readonly secretKey: string;
    readonly baseUrl: string;
    readonly dataUrl: string;
    readonly streamUrl: string;
    readonly dataStreamUrl: string;
  };
  readonly db: DbConfig;
  readonly log: { readonly level: LogLevel; readonly file: string | null; readonly pretty: boolean };
  readonly intervals: {
    readonly orderStaleSeconds: number;
    readonly orderManagerSeconds: number;
    readonly consistencySeconds: number;
  };
  /** Fee rate taken in the received coin (DCA_FEE_BPS / 10000). */
  readonly feeRate: Decimal;
  /** The exchange's minimum order value in USD (DCA_MIN_ORDER_USD); buys and take-profits below it are not sent. */
  readonly minOrderValue: Decimal;
  /** The account-wide REST budget: DCA_REST_PER_MINUTE tokens a minute, at most DCA_REST_BURST at once. */
  readonly restBudget: { readonly perMinute: number; readonly burst: number };
  /** port 0 = dashboard off. */
  readonly dashboard: { readonly port: number; readonly host: string; readonly token: string | null };
  /** The probes and /metrics listener; port 0 = off. */
  readonly health: { readonly port: number; readonly host: string };
  readonly inspect: boolean;
  /** Where the inspector relay listens (DCA_INSPECT_HOST, default 127.0.0.1). */
  readonly inspectHost: string;
  readonly assetPollSeconds: number;
  readonly quoteStaleSeconds: number;
  /** The plausibility band of quotes (DCA_QUOTE_BAND_PERCENT, DCA_QUOTE_CONFIRM_SECONDS). */
  readonly quoteBand: { readonly percent: Decimal; readonly confirmSeconds: number };
  /** How the order path waits: on unknown orders, and after a refusal or a 429. */
  readonly orders: {
    /** Two look-ups that find nothing at least this far apart before an order counts as never accepted. */
    readonly lookupGraceSeconds: number;
    readonly backoffInitialSeconds: number;
    readonly backoffMaxSeconds: number;
  };
  /** 0 = a random free port. */
  readonly simPort: number;
  /** The demo's price feed: a random walk, or none (prices come only through the control API). */
  readonly simFeed: SimFeed;
  /** null when no alert e-mail is configured. */
  readonly alertEmail: AlertEmailConfig | null;
}

export const DEFAULT_DB_NAME = 'dca_bot';
export const SIM_DB_NAME = 'dca_bot_sim';
export const PAPER_BASE_URL = 'https://paper-api.alpaca.markets';
export const LIVE_BASE_URL = 'https://api.alpaca.markets';
export const DEFAULT_DATA_URL = 'https://data.alpaca.markets';
export const DEFAULT_DATA_STREAM_URL = 'wss://stream.data.alpaca.markets/v1beta3/crypto/us';

/** Loads `.env` into process.env (existing variables win) without dotenv's console banner. */
export function loadDotenv(path?: string): void {
  dotenv.config({ quiet: true, ...(path === undefined ? {} : { path }) });
}

// ---- field schemas: each one turns a raw string (or undefined) into a value or one clear issue ----

type Raw = string | undefined;
const show = (v: string) => JSON.stringify(v);
/** Empty (or whitespace-only) strings count as unset: `FOO=` in a .env file means "use the default". */
const raw = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined),
  z.string().optional(),
);

function field<T>(parse: (v: Raw, fail: (message: string) => never) => T) {
  return raw.transform((v, ctx): T => {
    try {
      return parse(v, (message) => {
        throw new FieldProblem(message);
      });
    } catch (e) {
      if (!(e instanceof FieldProblem)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
      return z.NEVER;
    }
  });
}

class FieldProblem extends Error {}

const int = (min: number, max: number, fallback: number) =>
  field((v, fail) => {
    if (v === undefined) return fallback;
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      fail(`expected an integer from ${min} to ${max}, got ${show(v)}`);
    return n;
  });

const str = (fallback: string) => field((v) => v ?? fallback);
const optionalStr = field((v) => v ?? null);

const bool = (fallback: boolean) =>
  field((v, fail) => {
    if (v === undefined) return fallback;
    const s = v.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
    return fail(`expected true or false, got ${show(v)}`);
  });

const url = (protocols: readonly string[]) =>
  field((v, fail) => {
    if (v === undefined) return null;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      return fail(`expected a URL, got ${show(v)}`);
    }
    if (!protocols.includes(parsed.protocol))
      fail(`expected a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL, got ${show(v)}`);
    // Trailing slashes would double up when the clients append paths.
    return v.replace(/\/+$/, '');
  });

const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  field((v, fail) => {
    if (v === undefined) return fallback;
    if (!(values as readonly string[]).includes(v))
      fail(`expected one of ${values.join(', ')}, got ${show(v)}`);
    return v as T;
  });

const feeBps = field((v, fail) => {
  if (v === undefined) return dec(25);
  // The pattern admits only plain non-negative decimals, which dec() always parses.
  const d = /^\d+(\.\d+)?$/.test(v) ? dec(v) : null;
  if (d === null || d.gt(10_000)) return fail(`expected basis points from 0 to 10000, got ${show(v)}`);
  return d;
});

const minOrderUsd = field((v, fail) => {
  if (v === undefined) return dec(10);
  const d = /^\d+(\.\d+)?$/.test(v) ? dec(v) : null;
  if (d === null || d.gt(1_000_000)) return fail(`expected a USD amount from 0 to 1000000, got ${show(v)}`);
  return d;
});

const bandPercent = field((v, fail) => {
  if (v === undefined) return dec(10);
  const d = /^\d+(\.\d+)?$/.test(v) ? dec(v) : null;
  if (d === null || d.lte(0) || d.gt(50))
    return fail(`expected a percent above 0 and at most 50, got ${show(v)}`);
  return d;
});

const email = field((v, fail) => {
  if (v === undefined) return null;
  if (!/^[^\s@]+@[^\s@]+$/.test(v)) fail(`expected an e-mail address, got ${show(v)}`);
  return v;
});

/** Exactly `yes` or `no` (unset: no): for switches that lower a safety, where `1` or `on` is too easy a typo. */
const yesNo = field((v, fail) => {
  if (v === undefined || v === 'no') return false;
  if (v === 'yes') return true;
  return fail(`expected yes or no, got ${show(v)}`);
});

const MODES = ['paper', 'live', 'sim'] as const;
const SIM_FEEDS = ['random-walk', 'off'] as const;
export type SimFeed = (typeof SIM_FEEDS)[number];
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  APCA_API_KEY_ID: optionalStr,
  APCA_API_SECRET_KEY: optionalStr,
  APCA_API_BASE_URL: url(['https:', 'http:']),
  APCA_API_DATA_URL: url(['https:', 'http:']),
  APCA_API_STREAM_URL: url(['wss:', 'ws:']),
  APCA_API_DATA_STREAM_URL: url(['wss:', 'ws:']),
  DCA_MODE: oneOf(MODES, 'paper'),
  DCA_LIVE_TRADING: optionalStr,
  DB_HOST: str('127.0.0.1'),
  DB_PORT: int(1, 65_535, 3306),
  // Set: connect through this unix socket, DB_HOST/DB_PORT unused (stock Debian/Ubuntu MariaDB).
  DB_SOCKET: optionalStr,
  DB_CONNECT_TIMEOUT_SECONDS: int(0, 86_400, 120),
  DB_USER: str('dca_bot'),
  DB_PASSWORD: str(''),
  // Unset: `dca_bot`, or `dca_bot_sim` in sim mode so demo trades never mix with a real account's.
  DB_NAME: optionalStr,
  LOG_LEVEL: oneOf(LEVELS, 'info'),
  LOG_FILE: optionalStr,
  LOG_PRETTY: bool(false),
  ORDER_STALE_SECONDS: int(1, 86_400, 300),
  ORDER_MANAGER_INTERVAL_SECONDS: int(1, 86_400, 60),
  CONSISTENCY_INTERVAL_SECONDS: int(1, 86_400, 300),
  DASHBOARD_PORT: int(0, 65_535, 0),
  DASHBOARD_HOST: str('127.0.0.1'),
  DASHBOARD_TOKEN: optionalStr,
  HEALTH_PORT: int(0, 65_535, 0),
  HEALTH_HOST: str('127.0.0.1'),
  DCA_INSPECT: bool(false),
  DCA_INSPECT_HOST: str('127.0.0.1'),
  DCA_FEE_BPS: feeBps,
  DCA_MIN_ORDER_USD: minOrderUsd,
  // Alpaca allows 200 requests/min per key; the default stays below it for headroom.
  DCA_REST_PER_MINUTE: int(1, 10_000, 180),
  DCA_REST_BURST: int(1, 100, 3),
  ASSET_POLL_SECONDS: int(1, 86_400, 30),
  QUOTE_STALE_SECONDS: int(1, 86_400, 60),
  DCA_QUOTE_BAND_PERCENT: bandPercent,
  DCA_QUOTE_CONFIRM_SECONDS: int(1, 3_600, 5),
  ORDER_LOOKUP_GRACE_SECONDS: int(1, 3_600, 5),
  ORDER_BACKOFF_INITIAL_SECONDS: int(1, 3_600, 5),
  ORDER_BACKOFF_MAX_SECONDS: int(1, 86_400, 300),
  SIM_PORT: int(0, 65_535, 0),
  SIM_FEED: oneOf(SIM_FEEDS, 'random-walk'),
  ALERT_EMAIL_SENDER: email,
  ALERT_EMAIL_RECEIVER: email,
  ALERT_EMAIL_SMTP_SERVER: optionalStr,
  ALERT_EMAIL_SMTP_PORT: int(1, 65_535, 587),
  ALERT_EMAIL_SMTP_USER: optionalStr,
  ALERT_EMAIL_SMTP_PASSWORD: optionalStr,
  ALERT_EMAIL_SMTP_INSECURE: yesNo,
  ALERT_EMAIL_MIN_INTERVAL_SECONDS: int(0, 86_400 * 7, 300),
});
type Env = z.infer<typeof envSchema>;

/** Every variable the configuration reads, straight from the schema (the misspelling check uses it). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

/** Parses the environment into a frozen Config, or throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(pick(env));
  const problems: string[] = [];
  if (!parsed.success) {
    const seen = new Set<string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '(environment)');
      if (seen.has(name)) continue;
      seen.add(name);
      problems.push(`${name}: ${issue.message}`);
    }
  }
  problems.push(...crossFieldProblems(env));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return deepFreeze(build(parsed.data));
}

/**
 * Only the DB_* variables (and DCA_MODE, which picks the default database): for tools such as
 * migrations and the CLI that must not need exchange keys, yet must reach the database the bot uses.
 */
export function loadDbConfig(env: NodeJS.ProcessEnv = process.env): DbConfig {
  const schema = envSchema.pick({
    DCA_MODE: true,
    DB_HOST: true,
    DB_PORT: true,
    DB_SOCKET: true,
    DB_CONNECT_TIMEOUT_SECONDS: true,
    DB_USER: true,
    DB_PASSWORD: true,
    DB_NAME: true,
  });
  const parsed = schema.safeParse(pick(env));
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
  const sim = simDatabaseProblem(env);
  if (sim) problems.push(sim);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return Object.freeze(dbConfig(parsed.data));
}

/**
 * Only what a client that reads market data needs: the APCA_API_* endpoints, the keys (optional:
 * crypto bars need none) and the REST budget, parsed by the bot's own field schemas, so a bad value
 * is the same line the bot would print. No key or live-trading rule: such a client sends no order.
 */
export function loadMarketDataConfig(
  env: NodeJS.ProcessEnv = process.env,
): Pick<Config, 'alpaca' | 'restBudget'> {
  const schema = envSchema.pick({
    DCA_MODE: true,
    APCA_API_KEY_ID: true,
    APCA_API_SECRET_KEY: true,
    APCA_API_BASE_URL: true,
    APCA_API_DATA_URL: true,
    APCA_API_STREAM_URL: true,
    APCA_API_DATA_STREAM_URL: true,
    DCA_REST_PER_MINUTE: true,
    DCA_REST_BURST: true,
  });
  const parsed = schema.safeParse(pick(env));
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
  const e = parsed.data;
  return Object.freeze({
    alpaca: Object.freeze(alpacaConfig(e)),
    restBudget: Object.freeze({ perMinute: e.DCA_REST_PER_MINUTE, burst: e.DCA_REST_BURST }),
  });
}

/** Only the variables the schema knows: the rest of the environment is none of its business. */
function pick(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) out[key] = env[key];
  return out;
}

/** Rules between variables, checked on the raw values so they are reported with the field errors. */
function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const val = (k: string) => (env[k]?.trim() ? env[k].trim() : undefined);
  const mode = val('DCA_MODE') ?? 'paper';
  const problems: string[] = [];
  if (mode === 'paper' || mode === 'live') {
    for (const key of ['APCA_API_KEY_ID', 'APCA_API_SECRET_KEY'])
      if (!val(key)) problems.push(`${key}: required in ${mode} mode (set DCA_MODE=sim to run without keys)`);
  }
  if (mode === 'live' && val('DCA_LIVE_TRADING') !== 'yes') {
    const got = val('DCA_LIVE_TRADING');
    problems.push(
      `DCA_LIVE_TRADING: must be "yes" to trade real money in live mode, got ${got === undefined ? 'nothing' : show(got)}`,
    );
  } else if (mode === 'paper' && val('DCA_LIVE_TRADING') !== 'yes') {
    problems.push(...liveHostProblems(val('APCA_API_BASE_URL'), val('APCA_API_STREAM_URL')));
  }
  const sim = simDatabaseProblem(env);
  if (sim) problems.push(sim);
  const dashboardPort = val('DASHBOARD_PORT');
  const dashboardHost = val('DASHBOARD_HOST') ?? '127.0.0.1';
  if (dashboardPort && dashboardPort !== '0' && !isLoopbackHost(dashboardHost) && !val('DASHBOARD_TOKEN')) {
    problems.push(
      `DASHBOARD_TOKEN: required when DASHBOARD_HOST is not a loopback address (got ${show(dashboardHost)}); set a token or bind 127.0.0.1`,
    );
  }
  const initial = Number(val('ORDER_BACKOFF_INITIAL_SECONDS') ?? 5);
  const max = Number(val('ORDER_BACKOFF_MAX_SECONDS') ?? 300);
  if (Number.isInteger(initial) && Number.isInteger(max) && max < initial) {
    problems.push(
      `ORDER_BACKOFF_MAX_SECONDS: must be at least ORDER_BACKOFF_INITIAL_SECONDS (${initial}), got ${max}`,
    );
  }
  const alert = ['ALERT_EMAIL_SENDER', 'ALERT_EMAIL_RECEIVER', 'ALERT_EMAIL_SMTP_SERVER'];
  if (alert.some((k) => val(k))) {
    for (const key of alert) if (!val(key)) problems.push(`${key}: required when any ALERT_EMAIL_* is set`);
  }
  return problems;
}

/**
 * The live-money guard by destination: outside live mode (which always needs the opt-in), a trading
 * host that is not Alpaca's paper host or a loopback address needs DCA_LIVE_TRADING=yes too. One
 * line, for the first variable that points there (the stream URL defaults to the REST host).
 */
function liveHostProblems(baseUrl: string | undefined, streamUrl: string | undefined): string[] {
  for (const [key, url] of [
    ['APCA_API_BASE_URL', baseUrl],
    ['APCA_API_STREAM_URL', streamUrl],
  ] as const) {
    // An unparseable URL is already reported by its field schema.
    if (url === undefined || !URL.canParse(url)) continue;
    const d = destinationOf(url);
    if (!d.needsLiveOptIn) continue;
    const what = d.kind === 'live' ? "is Alpaca's live (real-money) host" : 'is not a paper or loopback host';
    return [`${key}: ${d.host} ${what}; set DCA_LIVE_TRADING=yes to trade there`];
  }
  return [];
}

/** The suffix every sim-mode database name must have. */
export const SIM_DB_SUFFIX = '_sim';

/**
 * Sim mode writes simulated cycles, orders and last_sell_price: it may use only a database named
 * `…_sim`, so a production `.env` (DB_NAME=dca_bot) can never receive them.
 */
function simDatabaseProblem(env: NodeJS.ProcessEnv): string | null {
  const mode = env['DCA_MODE']?.trim();
  const name = env['DB_NAME']?.trim();
  if (mode !== 'sim' || !name || name.endsWith(SIM_DB_SUFFIX)) return null;
  return `DB_NAME: sim mode uses only a database whose name ends in ${SIM_DB_SUFFIX} (default ${SIM_DB_NAME}), got ${show(name)}; unset DB_NAME or name a ${SIM_DB_SUFFIX} database`;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return LOOPBACK_HOSTS.has(h) || /^127(\.\d{1,3}){3}$/.test(h);
}

function build(e: Env): Config {
  const alpaca = alpacaConfig(e);
  return {
    mode: e.DCA_MODE,
    liveTrading: e.DCA_LIVE_TRADING === 'yes',
    destination: e.DCA_MODE === 'sim' ? SIMULATOR_DESTINATION : destinationOf(alpaca.baseUrl),
    alpaca,
    db: dbConfig(e),
    log: { level: e.LOG_LEVEL, file: e.LOG_FILE, pretty: e.LOG_PRETTY },
    intervals: {
      orderStaleSeconds: e.ORDER_STALE_SECONDS,
      orderManagerSeconds: e.ORDER_MANAGER_INTERVAL_SECONDS,
      consistencySeconds: e.CONSISTENCY_INTERVAL_SECONDS,
    },
    feeRate: e.DCA_FEE_BPS.div(10_000),
    minOrderValue: e.DCA_MIN_ORDER_USD,
    restBudget: { perMinute: e.DCA_REST_PER_MINUTE, burst: e.DCA_REST_BURST },
    dashboard: { port: e.DASHBOARD_PORT, host: e.DASHBOARD_HOST, token: e.DASHBOARD_TOKEN },
    health: { port: e.HEALTH_PORT, host: e.HEALTH_HOST },
    inspect: e.DCA_INSPECT,
    inspectHost: e.DCA_INSPECT_HOST,
    assetPollSeconds: e.ASSET_POLL_SECONDS,
    quoteStaleSeconds: e.QUOTE_STALE_SECONDS,
    quoteBand: { percent: e.DCA_QUOTE_BAND_PERCENT, confirmSeconds: e.DCA_QUOTE_CONFIRM_SECONDS },
    orders: {
      lookupGraceSeconds: e.ORDER_LOOKUP_GRACE_SECONDS,
      backoffInitialSeconds: e.ORDER_BACKOFF_INITIAL_SECONDS,
      backoffMaxSeconds: e.ORDER_BACKOFF_MAX_SECONDS,
    },
    simPort: e.SIM_PORT,
    simFeed: e.SIM_FEED,
    alertEmail:
      e.ALERT_EMAIL_SENDER && e.ALERT_EMAIL_RECEIVER && e.ALERT_EMAIL_SMTP_SERVER
        ? {
            sender: e.ALERT_EMAIL_SENDER,
            receiver: e.ALERT_EMAIL_RECEIVER,
            smtpServer: e.ALERT_EMAIL_SMTP_SERVER,
            smtpPort: e.ALERT_EMAIL_SMTP_PORT,
            smtpUser: e.ALERT_EMAIL_SMTP_USER,
            smtpPassword: e.ALERT_EMAIL_SMTP_PASSWORD,
            smtpInsecure: e.ALERT_EMAIL_SMTP_INSECURE,
            minIntervalSeconds: e.ALERT_EMAIL_MIN_INTERVAL_SECONDS,
          }
        : null,
  };
}

type AlpacaEnv = 'DCA_MODE' | Extract<keyof Env, `APCA_API_${string}`>;

function alpacaConfig(e: Pick<Env, AlpacaEnv>): Config['alpaca'] {
  const baseUrl = e.APCA_API_BASE_URL ?? (e.DCA_MODE === 'live' ? LIVE_BASE_URL : PAPER_BASE_URL);
  return {
    keyId: e.APCA_API_KEY_ID ?? '',
    secretKey: e.APCA_API_SECRET_KEY ?? '',
    baseUrl,
    dataUrl: e.APCA_API_DATA_URL ?? DEFAULT_DATA_URL,
    streamUrl: e.APCA_API_STREAM_URL ?? defaultStreamUrl(baseUrl),
    dataStreamUrl: e.APCA_API_DATA_STREAM_URL ?? DEFAULT_DATA_STREAM_URL,
  };
}

type DbEnv = 'DB_HOST' | 'DB_PORT' | 'DB_SOCKET' | 'DB_CONNECT_TIMEOUT_SECONDS';

function dbConfig(e: Pick<Env, 'DCA_MODE' | DbEnv | 'DB_USER' | 'DB_PASSWORD' | 'DB_NAME'>): DbConfig {
  return {
    host: e.DB_HOST,
    port: e.DB_PORT,
    socket: e.DB_SOCKET,
    connectTimeoutSeconds: e.DB_CONNECT_TIMEOUT_SECONDS,
    user: e.DB_USER,
    password: e.DB_PASSWORD,
    database: e.DB_NAME ?? (e.DCA_MODE === 'sim' ? SIM_DB_NAME : DEFAULT_DB_NAME),
  };
}

/** Alpaca's trade_updates socket lives on the trading host: https://host → wss://host/stream. */
export function defaultStreamUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http(s?):/, 'ws$1:').replace(/\/+$/, '')}/stream`;
}

function deepFreeze<T>(value: T): T {
  // Decimals are immutable by API; freezing their internals is unnecessary.
  if (value === null || typeof value !== 'object' || value instanceof Decimal) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

/** The secret values in a config by their variable's name; unset and empty ones are left out. */
export function namedConfigSecrets(config: Config): Record<string, string> {
  const named: Record<string, string | null | undefined> = {
    APCA_API_KEY_ID: config.alpaca.keyId,
    APCA_API_SECRET_KEY: config.alpaca.secretKey,
    DB_PASSWORD: config.db.password,
    DASHBOARD_TOKEN: config.dashboard.token,
    ALERT_EMAIL_SMTP_PASSWORD: config.alertEmail?.smtpPassword,
  };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(named))
    if (typeof value === 'string' && value !== '') out[name] = value;
  return out;
}

/** The secret values in a config, for the logger's scrubber. Empty strings are left out. */
export function configSecrets(config: Config): string[] {
  return Object.values(namedConfigSecrets(config));
}

const MASK = '[redacted]';
const mask = (v: string | null) => (v ? MASK : null);

/** The config as a plain object safe for the start-up banner: every secret is masked. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    alpaca: { ...config.alpaca, keyId: mask(config.alpaca.keyId), secretKey: mask(config.alpaca.secretKey) },
    db: { ...config.db, password: mask(config.db.password) },
    // Whether a token is needed, not a placeholder: the logger censors any key named `token`, so a
    // masked value would read "[redacted]" even when no token is set.
    dashboard: {
      port: config.dashboard.port,
      host: config.dashboard.host,
      tokenRequired: config.dashboard.token !== null,
    },
    feeRate: config.feeRate.toFixed(),
    minOrderValue: config.minOrderValue.toFixed(),
    quoteBand: { ...config.quoteBand, percent: config.quoteBand.percent.toFixed() },
    alertEmail: config.alertEmail && {
      ...config.alertEmail,
      smtpPassword: mask(config.alertEmail.smtpPassword),
    },
  };
}
