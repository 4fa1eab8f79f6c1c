/**
 * `dca-bot db init` against the real server, as a child process: database, user for both socket and
 * TCP logins (the server here runs with skip_name_resolve, where 'user'@'localhost' alone does not
 * match a TCP login from 127.0.0.1), migrations, the DB_* lines of the env file; and again, changing
 * nothing that works.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dotenv from 'dotenv';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomDatabaseName, testServerConfig } from '../helpers/db.js';
import { runEntry } from '../helpers/proc.js';

const server = testServerConfig();
const SOCKET = process.env['DCA_TEST_DB_SOCKET'] || '/run/mysqld/mysqld.sock';
const adminTcp = [
  '--admin-host',
  server.host,
  '--admin-port',
  String(server.port),
  '--admin-user',
  server.user,
  ...(server.password ? ['--admin-password', server.password] : []),
];

let dir: string;
const made: { database: string; user: string }[] = [];

function fresh() {
  const names = { database: randomDatabaseName(), user: `dcat_${randomBytes(4).toString('hex')}` };
  made.push(names);
  return names;
}

async function admin() {
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
  });
}

/** Logs in as the bot would and returns the tables it sees. */
async function tablesAs(opts: mysql.ConnectionOptions): Promise<string[]> {
  const conn = await mysql.createConnection(opts);
  try {
    const [rows] = await conn.query('SHOW TABLES');
    return (rows as Record<string, string>[]).map((r) => Object.values(r)[0] ?? '');
  } finally {
    await conn.end();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dca-dbinit-'));
});
afterAll(async () => {
  const conn = await admin();
  for (const { database, user } of made) {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
    for (const host of ['localhost', '127.0.0.1']) await conn.query('DROP USER IF EXISTS ?@?', [user, host]);
  }
  await conn.end();
  await rm(dir, { recursive: true, force: true });
});

describe('dca-bot db init', () => {
  it('creates the database and its user, migrates, and writes the DB_* lines keeping the others', async () => {
    const { database, user } = fresh();
    const envPath = join(dir, 'first.env');
    await writeFile(envPath, '# my settings\nDCA_MODE=paper\nDB_USER=old\nLOG_LEVEL=debug\n');
    const args = ['db', 'init', ...adminTcp, '--database', database, '--user', user, '--env-path', envPath];
    const r = await runEntry('cli', args, {});
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`database ${database}: created`);
    expect(r.stdout).toContain(`user '${user}'@'localhost': created (password generated)`);
    expect(r.stdout).toContain(`user '${user}'@'127.0.0.1': created (password generated)`);
    expect(r.stdout).toContain('applied 001_seed_schema.sql');

    const text = await readFile(envPath, 'utf8');
    expect(text.startsWith('# my settings\nDCA_MODE=paper\nDB_USER=')).toBe(true);
    expect(text).toContain('LOG_LEVEL=debug');
    const values = dotenv.parse(text);
    expect(values['DB_USER']).toBe(user);
    expect(values['DB_NAME']).toBe(database);
    expect(values['DB_SOCKET']).toBe('');
    expect(values['DB_PASSWORD']).toMatch(/^[\w-]{24}$/);
    expect((await stat(envPath)).mode & 0o777).toBe(0o600);

    // The bot's login works over TCP from 127.0.0.1 with skip_name_resolve, and sees the schema.
    const tables = await tablesAs({
      host: '127.0.0.1',
      port: server.port,
      user,
      password: values['DB_PASSWORD'] ?? '',
      database,
    });
    expect(tables).toContain('dca_assets');

    // Run twice: nothing is lost, the password in the file is kept, the login still works.
    const again = await runEntry('cli', args, {});
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`database ${database}: already there, kept`);
    expect(again.stdout).toContain(`(password kept from ${envPath})`);
    expect(again.stdout).toContain('nothing to apply');
    const after = dotenv.parse(await readFile(envPath, 'utf8'));
    expect(after['DB_PASSWORD']).toBe(values['DB_PASSWORD']);
    expect((await readFile(envPath, 'utf8')).match(/^DB_USER=/gm)).toHaveLength(1);

    // And the CLI reads that file's settings: `status` on the new database works.
    const status = await runEntry('cli', ['status'], {
      ...(after as Record<string, string>),
      DB_HOST: '127.0.0.1',
    });
    expect(status.stdout).toContain('no assets yet');
    expect(status.code).toBe(0);
  });

  it.skipIf(!existsSync(SOCKET))(
    'logs in as root through the socket (unix_socket style) and writes DB_SOCKET for the bot',
    async () => {
      const { database, user } = fresh();
      const envPath = join(dir, 'socket.env');
      // The server's root logs in through the socket here without a password, as under sudo on Debian.
      const args = ['db', 'init', '--admin-socket', SOCKET, '--database', database, '--user', user];
      const r = await runEntry('cli', [...args, '--password', 'pw-Given_1', '--env-path', envPath], {});
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`connected as root@localhost (socket ${SOCKET})`);
      expect(r.stdout).toContain('(password given)');
      const values = dotenv.parse(await readFile(envPath, 'utf8'));
      expect(values['DB_SOCKET']).toBe(SOCKET);
      expect(values['DB_PASSWORD']).toBe('pw-Given_1');
      expect(await tablesAs({ socketPath: SOCKET, user, password: 'pw-Given_1', database })).toContain(
        'dca_cycles',
      );
    },
  );

  it('an administrator the server refuses is one line naming what to do, exit 1', async () => {
    const r = await runEntry(
      'cli',
      [
        'db',
        'init',
        '--admin-host',
        server.host,
        '--admin-user',
        'dca_nobody_x9',
        '--admin-password',
        'no',
        '--env-path',
        join(dir, 'refused.env'),
      ],
      {},
    );
    expect(r.stderr).toMatch(
      /^dca-bot: refused: the server does not let dca_nobody_x9 in as administrator .*--admin-user\/--admin-password/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, 'refused.env'))).toBe(false);
  });

  it('a missing server socket is refused with a hint before anything is written', async () => {
    const r = await runEntry(
      'cli',
      ['db', 'init', '--admin-socket', '/tmp/dca-none.sock', '--env-path', join(dir, 'x.env')],
      {},
    );
    expect(r.stderr).toBe(
      'dca-bot: refused: no server socket at /tmp/dca-none.sock; is MariaDB installed and running? (pass --admin-socket <path>, or --admin-host 127.0.0.1 for TCP)\n',
    );
    expect(r.code).toBe(1);
  });
});
