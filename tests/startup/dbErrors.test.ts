/**
 * Start-up database problems as an operator sees them: one line on stderr, no stack, a hint, and
 * an exit code systemd acts on (2: a restart cannot help; 1: the server stayed unreachable).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  randomDatabaseName,
  type TestDatabase,
  testServerConfig,
} from '../helpers/db.js';
import { runEntry } from '../helpers/proc.js';

const server = testServerConfig();
const SOCKET = process.env['DCA_TEST_DB_SOCKET'] || '/run/mysqld/mysqld.sock';
const tcp = { DB_HOST: server.host, DB_PORT: String(server.port) };
const root = { ...tcp, DB_USER: server.user, DB_PASSWORD: server.password };
/** A user no test creates, so the server refuses it. */
const stranger = { ...tcp, DB_USER: 'dca_nobody_x9', DB_PASSWORD: 'wrong' };

/** The whole of stderr is this one line (no stack trace, nothing else). */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? '';
}

/** A TCP port where nothing listens: bound, then closed. */
async function closedPort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('a permanent database problem at start-up is one line with a hint and exit 2', () => {
  it('the bot refused by the server names the user and host and points to db init', async () => {
    const r = await runEntry('bot', ['--sim'], stranger);
    expect(oneLine(r.stderr)).toBe(
      `dca-bot: cannot start, access denied for dca_nobody_x9@${server.host} — check DB_USER/DB_PASSWORD, or run \`dca-bot db init\``,
    );
    expect(r.code).toBe(2);
  });

  it('the bot on a database that does not exist (outside sim mode) says so and exits 2', async () => {
    const missing = randomDatabaseName();
    const r = await runEntry('bot', [], {
      ...root,
      DB_NAME: missing,
      APCA_API_KEY_ID: 'k',
      APCA_API_SECRET_KEY: 's',
      APCA_API_BASE_URL: 'http://127.0.0.1:9',
    });
    expect(oneLine(r.stderr)).toMatch(
      new RegExp(
        `^dca-bot: cannot start, unknown database ${missing} on .* — check DB_NAME, or run \`dca-bot db init\`$`,
      ),
    );
    expect(r.code).toBe(2);
  });

  it('npm run migrate refused by the server exits 2 with the same line', async () => {
    const r = await runEntry('migrate', [], { ...stranger, DB_NAME: db.name });
    expect(oneLine(r.stderr)).toBe(
      `dca-bot: access denied for dca_nobody_x9@${server.host} — check DB_USER/DB_PASSWORD, or run \`dca-bot db init\``,
    );
    expect(r.code).toBe(2);
  });

  it('a CLI command on an unknown database exits 2', async () => {
    const r = await runEntry('cli', ['status'], { ...root, DB_NAME: randomDatabaseName() });
    expect(oneLine(r.stderr)).toMatch(/^dca-bot: unknown database dca_test_\w+ on .* — check DB_NAME/);
    expect(r.code).toBe(2);
  });

  it('a bad DB_* value makes the CLI exit 2, like the bot', async () => {
    const r = await runEntry('cli', ['status'], { ...root, DB_PORT: 'abc' });
    expect(r.stderr).toMatch(/DB_PORT: expected an integer from 1 to 65535, got "abc"/);
    expect(r.code).toBe(2);
  });
});

describe('a transient database problem is retried for DB_CONNECT_TIMEOUT_SECONDS, then exit 1', () => {
  it('the bot retries a refused connection with back-off, then gives up with one line', async () => {
    const port = String(await closedPort());
    const started = Date.now();
    const r = await runEntry('bot', ['--sim'], { ...root, DB_PORT: port, DB_CONNECT_TIMEOUT_SECONDS: '3' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(oneLine(r.stderr)).toBe(
      `dca-bot: cannot start, the database server at ${server.host}:${port} refused the connection — is it running? (gave up after 3 s; DB_CONNECT_TIMEOUT_SECONDS)`,
    );
    const retries = r.stdout.split('\n').filter((l) => l.includes('retrying'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(r.code).toBe(1);
  });

  it('npm run migrate against a server that is not up exits 1 after its retries', async () => {
    const port = String(await closedPort());
    const r = await runEntry('migrate', [], { ...root, DB_PORT: port, DB_CONNECT_TIMEOUT_SECONDS: '1' });
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/refused the connection — is it running\? \(gave up after 1 s/);
    expect(lines.slice(0, -1).every((l) => l.endsWith(' s') && l.includes('retrying in'))).toBe(true);
    expect(r.code).toBe(1);
  });

  it('the bot waits for a server that comes up within the time and then starts', async () => {
    // The refused port turns into a forwarder to the real server once the first retry was announced.
    const port = await closedPort();
    const { connect } = await import('node:net');
    let proxy: Server | null = null;
    const openProxy = () => {
      proxy ??= createServer((c) => {
        const up = connect(server.port, server.host);
        c.pipe(up).pipe(c);
        c.on('error', () => up.destroy());
        up.on('error', () => c.destroy());
      }).listen(port, '127.0.0.1');
    };
    try {
      const r = await runEntry(
        'migrate',
        [],
        { ...root, DB_PORT: String(port), DB_NAME: db.name },
        { onStderr: (text) => text.includes('retrying in') && openProxy() },
      );
      expect(r.stderr).toMatch(/retrying in/);
      expect(r.stdout).toMatch(/nothing to apply/);
      expect(r.code).toBe(0);
    } finally {
      await new Promise<void>((res) => (proxy ? proxy.close(() => res()) : res()));
    }
  });
});

describe('DB_SOCKET', () => {
  it.skipIf(!existsSync(SOCKET))('connects through the unix socket and ignores DB_HOST/DB_PORT', async () => {
    const r = await runEntry('migrate', [], {
      DB_SOCKET: SOCKET,
      DB_HOST: 'no-such-host.invalid',
      DB_PORT: '1',
      DB_USER: 'root',
      DB_PASSWORD: server.password,
      DB_NAME: db.name,
    });
    expect(r.stdout).toContain(`migrating root@localhost (socket ${SOCKET})/${db.name}`);
    expect(r.stdout).toMatch(/nothing to apply/);
    expect(r.code).toBe(0);
  });

  it('a socket path with no server behind it is retried, then one line and exit 1', async () => {
    const r = await runEntry('cli', ['status'], {
      DB_SOCKET: '/tmp/dca-no-such.sock',
      DB_USER: 'root',
      DB_CONNECT_TIMEOUT_SECONDS: '0',
    });
    expect(oneLine(r.stderr)).toBe(
      'dca-bot: no database socket at /tmp/dca-no-such.sock — is the server running? check DB_SOCKET (gave up after 0 s; DB_CONNECT_TIMEOUT_SECONDS)',
    );
    expect(r.code).toBe(1);
  });
});
