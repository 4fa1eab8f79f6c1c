/**
 * `dca-bot db init`: the database set-up in one command, for a fresh server with MariaDB (or MySQL)
 * from the distribution. It connects as an administrator — by default root through the unix socket,
 * which is how stock Debian/Ubuntu let root in (`sudo npx dca-bot db init`) — creates the database
 * and a dedicated user, grants it the database (and the sim demo's), applies the migrations as that
 * user (which proves the login works) and writes the DB_* lines of `.env`. Safe to run again: what
 * exists is kept, and the password already in `.env` is reused, so a running bot keeps working.
 *
 * The user is created twice, as 'user'@'localhost' and 'user'@'127.0.0.1', with one password: a
 * socket connection matches only 'localhost', and a TCP connection from 127.0.0.1 matches
 * 'localhost' only when the server resolves names, which `skip_name_resolve` turns off.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { type DbConfig, DEFAULT_DB_NAME, SIM_DB_NAME } from '../config.js';
import { describeDb } from '../store/db.js';
import { describeDbError } from '../store/dbErrors.js';
import { migrate } from '../store/migrate.js';
import { parseCommand, positionals, positiveInt } from './args.js';
import { readEnvFile, writeEnvFile } from './envFile.js';
import { type CliIo, EXIT_OK, println, RefusedError, UsageError } from './io.js';

export const DEFAULT_ADMIN_SOCKET = '/run/mysqld/mysqld.sock';
const BOT_HOSTS = ['localhost', '127.0.0.1'] as const;

export const DB_INIT_USAGE = `usage: dca-bot db init [options]
  creates the database and its user, applies the migrations, writes the DB_* lines of .env
  (mode 0600, other lines kept); safe to run again (the password already in .env is reused)
  --admin-user <name>      administrator to connect as (default root)
  --admin-password <pw>    its password (default none: unix_socket login, run with sudo)
  --admin-socket <path>    connect through this socket (default ${DEFAULT_ADMIN_SOCKET})
  --admin-host <host>      connect over TCP instead (with --admin-port, default 3306)
  --admin-port <port>
  --database <name>        database to create (default DB_NAME from .env, else ${DEFAULT_DB_NAME})
  --user <name>            the bot's user (default DB_USER from .env, else dca_bot)
  --password <pw>          the bot's password (default: the one in .env, else a generated one)
  --env-path <path>        the file to update (default .env; e.g. /etc/dca-bot/dca-bot.env)`;

export const DB_USAGE = `usage: dca-bot db init [options]
run \`dca-bot db init --help\` for its options`;

const OPTIONS = {
  'admin-user': { type: 'string' },
  'admin-password': { type: 'string' },
  'admin-socket': { type: 'string' },
  'admin-host': { type: 'string' },
  'admin-port': { type: 'string' },
  database: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  'env-path': { type: 'string' },
} as const;

export async function dbCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    println(io, DB_USAGE);
    return EXIT_OK;
  }
  if (sub !== 'init') {
    throw new UsageError(
      sub === undefined ? 'missing db command' : `unknown db command ${JSON.stringify(sub)}`,
      DB_USAGE,
    );
  }
  return dbInit(rest, io);
}

const str = (v: string | boolean | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

function plainName(value: string, flag: string): string {
  if (!/^[A-Za-z0-9_]{1,32}$/.test(value)) {
    throw new RefusedError(
      `refused: ${flag} ${JSON.stringify(value)} must be letters, digits and _ (at most 32)`,
    );
  }
  return value;
}

async function dbInit(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, DB_INIT_USAGE, io);
  if (parsed === null) return EXIT_OK;
  positionals(parsed, [], DB_INIT_USAGE);
  const v = parsed.values;
  const envPath = str(v['env-path']) ?? '.env';
  const file = await readEnvFile(envPath);
  const database = plainName(str(v['database']) ?? (file.values['DB_NAME'] || DEFAULT_DB_NAME), '--database');
  const user = plainName(str(v['user']) ?? (file.values['DB_USER'] || 'dca_bot'), '--user');
  const password =
    str(v['password']) ?? (file.values['DB_PASSWORD'] || randomBytes(18).toString('base64url'));
  const passwordFrom = str(v['password'])
    ? 'given'
    : file.values['DB_PASSWORD']
      ? `kept from ${envPath}`
      : 'generated';
  if (/['"\\\n\r]/.test(password))
    throw new RefusedError('refused: --password may not contain quotes, \\ or newlines');

  const adminHost = str(v['admin-host']);
  const adminSocket = adminHost ? null : (str(v['admin-socket']) ?? DEFAULT_ADMIN_SOCKET);
  const admin: DbConfig = {
    host: adminHost ?? 'localhost',
    port: positiveInt(v['admin-port'], 'admin-port', 3306),
    socket: adminSocket,
    user: str(v['admin-user']) ?? 'root',
    password: str(v['admin-password']) ?? '',
    database: database,
  };
  if (adminSocket && !existsSync(adminSocket)) {
    throw new RefusedError(
      `refused: no server socket at ${adminSocket}; is MariaDB installed and running? ` +
        '(pass --admin-socket <path>, or --admin-host 127.0.0.1 for TCP)',
    );
  }

  const conn = await connectAdmin(admin);
  try {
    println(io, `connected as ${describeDb(admin, false)}`);
    const [existing] = await conn.query('SHOW DATABASES LIKE ?', [database]);
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    println(
      io,
      `database ${database}: ${(existing as unknown[]).length > 0 ? 'already there, kept' : 'created'}`,
    );
    // With the default name the demo (`npm start -- --sim`) uses dca_bot_sim: the user may create it.
    const granted = database === DEFAULT_DB_NAME ? [database, SIM_DB_NAME] : [database];
    for (const host of BOT_HOSTS) {
      const [rows] = await conn.query('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [user, host]);
      const had = (rows as unknown[]).length > 0;
      if (had) await conn.query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password]);
      else await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
      for (const name of granted)
        await conn.query(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO ?@?`, [user, host]);
      println(
        io,
        `user '${user}'@'${host}': ${had ? 'already there, password set' : 'created'} (password ${passwordFrom}); ` +
          `all privileges on ${granted.map((n) => `${n}.*`).join(', ')}`,
      );
    }
  } finally {
    await conn.end().catch(() => conn.destroy());
  }

  // The bot's own login, the way the bot will connect: through the socket when there is one.
  const bot: DbConfig = {
    host: file.values['DB_HOST'] || '127.0.0.1',
    port: Number(file.values['DB_PORT'] || 3306),
    socket: adminSocket,
    user,
    password,
    database,
  };
  println(io, `migrating ${describeDb(bot)}`);
  try {
    await migrate(bot, { log: (line) => println(io, `  ${line}`) });
  } catch (err) {
    throw describeDbError(err, bot) ?? err;
  }

  const updates: Record<string, string> = {
    DB_USER: user,
    DB_PASSWORD: password,
    // Empty = the default: dca_bot, and dca_bot_sim in sim mode, so the demo keeps to its own database.
    DB_NAME: database === DEFAULT_DB_NAME ? '' : database,
    DB_SOCKET: adminSocket ?? '',
  };
  if (!adminSocket) {
    updates['DB_HOST'] = admin.host;
    updates['DB_PORT'] = String(admin.port);
  }
  await writeEnvFile(file, updates);
  println(
    io,
    `${envPath}: ${file.existed ? 'updated' : 'created'} ${Object.keys(updates).join(', ')} (mode 0600; other lines kept)`,
  );
  println(
    io,
    'done: `npm start -- --sim` runs the demo; set APCA_API_KEY_ID/APCA_API_SECRET_KEY for `npm start`',
  );
  return EXIT_OK;
}

async function connectAdmin(admin: DbConfig): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({
      ...(admin.socket ? { socketPath: admin.socket } : { host: admin.host, port: admin.port }),
      user: admin.user,
      password: admin.password,
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_HOST_NOT_PRIVILEGED') {
      throw new RefusedError(
        `refused: the server does not let ${admin.user} in as administrator (${(err as Error).message}); ` +
          (admin.socket
            ? 'run it as root (sudo npx dca-bot db init: root logs in through the socket) or pass --admin-user/--admin-password'
            : 'pass --admin-user/--admin-password, or use the socket (--admin-socket)'),
      );
    }
    const problem = describeDbError(err, admin);
    throw problem ?? err;
  }
}
