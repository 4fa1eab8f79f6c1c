/**
 * The doctor's checks of this machine's side: the configuration as the bot parses it (every problem
 * at once), where orders would go and whether the live opt-in agrees, and the database: reachable,
 * migrated, and its single-instance lock free. Read-only: nothing is migrated, no lock is taken.
 */
import mysql from 'mysql2/promise';
import { type Config, type DbConfig, loadConfig, loadDbConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { describeDestination } from '../exchange/destination.js';
import { describeDb, serverOptions } from '../store/db.js';
import { describeDbError } from '../store/dbErrors.js';
import { describeLockHolder, instanceLockHolder, instanceLockName } from '../store/instanceLock.js';
import { migrationStatus } from '../store/migrate.js';
import { unknownVariableWarnings } from '../unknownVariables.js';
import { type DoctorReport, fail, ok, skip, warn } from './doctorReport.js';

/** How long the doctor waits for the database: it reports an outage, it does not sit it out. */
const DB_CONNECT_TIMEOUT_MS = 5_000;

export interface LocalFindings {
  readonly config: Config | null;
  readonly db: DbConfig | null;
  /** The database answered and holds the bot's tables (dca_assets can be read). */
  readonly tablesReady: boolean;
  /** Who holds the instance lock (a running bot), or null when it is free or unknown. */
  readonly lockHeldBy: string | null;
}

/** The configuration, as `npm start` reads it; also the DB_* settings alone when the rest is broken. */
export function checkConfig(env: NodeJS.ProcessEnv, report: DoctorReport): Config | null {
  const unknown = unknownVariableWarnings(env);
  if (unknown.length > 0)
    report.add(warn('variables', unknown.join('; '), 'rename or remove them: the bot ignores them'));
  try {
    const config = loadConfig(env);
    report.add(ok('config', `parses (DCA_MODE=${config.mode}, database ${describeDb(config.db)})`));
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report.add(
      fail(
        'config',
        `${err.problems.length} problem(s): ${err.problems.join('; ')}`,
        'correct these variables in .env or the environment (.env.example lists every one)',
      ),
    );
    return null;
  }
}

/** Mode, destination and the opt-in, judged as the live-money guard judges them (destination.ts). */
export function checkDestination(config: Config | null, report: DoctorReport): void {
  if (config === null) {
    report.add(skip('destination', 'the configuration does not parse'));
    return;
  }
  const d = config.destination;
  const where = `DCA_MODE=${config.mode}: orders go to ${describeDestination(d)}`;
  if (config.mode === 'live' && d.kind !== 'live') {
    report.add(
      warn(
        'destination',
        `${where}, not Alpaca's live host`,
        'set DCA_MODE=paper for a paper or local exchange, or point APCA_API_BASE_URL at https://api.alpaca.markets',
      ),
    );
  } else if (config.mode !== 'live' && d.kind === 'live') {
    report.add(
      warn(
        'destination',
        `${where}: REAL MONEY although DCA_MODE is not live`,
        'set DCA_MODE=live to say so, or point APCA_API_BASE_URL at https://paper-api.alpaca.markets',
      ),
    );
  } else if (config.liveTrading && !d.needsLiveOptIn) {
    report.add(
      warn(
        'destination',
        `${where}; DCA_LIVE_TRADING=yes is set but not needed there`,
        'unset DCA_LIVE_TRADING, so that a later change of URL cannot trade real money unnoticed',
      ),
    );
  } else {
    const optIn = d.needsLiveOptIn ? ' (DCA_LIVE_TRADING=yes: real money)' : '';
    report.add(
      ok('destination', `${where}${optIn}`, { mode: config.mode, destination: d.kind, host: d.host }),
    );
  }
}

/** Database reachable, migrations applied, instance lock free. */
export async function checkDatabase(
  env: NodeJS.ProcessEnv,
  config: Config | null,
  report: DoctorReport,
): Promise<Omit<LocalFindings, 'config'>> {
  let db: DbConfig;
  try {
    db = config?.db ?? loadDbConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const name of ['database', 'migrations', 'instance lock'])
      report.add(skip(name, 'DB_* settings are invalid'));
    return { db: null, tablesReady: false, lockHeldBy: null };
  }
  const reached = await reachDatabase(db, report);
  if (!reached) {
    for (const name of ['migrations', 'instance lock'])
      report.add(skip(name, 'the database is not reachable'));
    return { db, tablesReady: false, lockHeldBy: null };
  }
  const tablesReady = await checkMigrations(db, report);
  return { db, tablesReady, lockHeldBy: await checkLock(db, config?.mode === 'sim', report) };
}

async function reachDatabase(db: DbConfig, report: DoctorReport): Promise<boolean> {
  const started = performance.now();
  try {
    const conn = await mysql.createConnection({
      ...serverOptions(db),
      database: db.database,
      connectTimeout: DB_CONNECT_TIMEOUT_MS,
    });
    try {
      const [rows] = await conn.query('SELECT VERSION() AS version');
      const version = (rows as { version: string }[])[0]?.version ?? '?';
      const ms = Math.round(performance.now() - started);
      report.add(
        ok('database', `${describeDb(db)} answers (server ${version}, ${ms} ms)`, { connectMs: ms }),
      );
      return true;
    } finally {
      await conn.end();
    }
  } catch (err) {
    const problem = describeDbError(err, db);
    if (problem === null) throw err;
    const [detail, fix] = problem.message.split(' — ');
    report.add(
      fail(
        'database',
        detail ?? problem.message,
        fix ?? 'start the database server, or check DB_HOST/DB_PORT/DB_SOCKET',
      ),
    );
    return false;
  }
}

/** True when the bot's tables exist (the asset checks can read them). */
async function checkMigrations(db: DbConfig, report: DoctorReport): Promise<boolean> {
  const status = await migrationStatus(db);
  if (status.changed.length > 0) {
    report.add(
      fail(
        'migrations',
        `applied migration(s) changed since: ${status.changed.join(', ')}; the bot refuses to start`,
        'restore those files as they were applied (git checkout sql/) and add a new migration instead',
      ),
    );
    return status.applied.length > 0;
  }
  if (status.pending.length === 0) {
    report.add(ok('migrations', `all ${status.applied.length} applied`));
    return true;
  }
  report.add(
    warn(
      'migrations',
      `${status.pending.length} pending: ${status.pending.join(', ')} (the bot applies them at start)`,
      'run `dca-bot migrate` now, so that the asset checks below can read the tables',
    ),
  );
  return status.applied.length > 0;
}

/** The lock `npm start` takes first; held means a bot runs on this database and a second would exit 1. */
async function checkLock(db: DbConfig, simMode: boolean, report: DoctorReport): Promise<string | null> {
  const holder = await instanceLockHolder(db);
  const name = instanceLockName(db.database);
  if (holder === null) {
    report.add(ok('instance lock', `"${name}" is free: no bot runs on ${db.database}`));
    return null;
  }
  const who = describeLockHolder(holder);
  if (simMode) {
    // The demo's exchange lives inside the running bot: checking it needs the bot running.
    report.add(
      warn(
        'instance lock',
        `"${name}" is held by ${who}: the demo bot is running`,
        'stop it before starting another',
        {
          holder,
        },
      ),
    );
    return who;
  }
  report.add(
    fail(
      'instance lock',
      `"${name}" is held by ${who}: a bot is running on ${db.database}, and \`npm start\` would exit 1`,
      `stop that bot before starting another on this database (systemctl stop dca-bot), or give the new one its own DB_NAME`,
      { holder },
    ),
  );
  return who;
}
