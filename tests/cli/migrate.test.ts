import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { dropDatabase, randomDatabaseName, testServerConfig } from '../helpers/db.js';
import { dbEnv } from '../helpers/env.js';

const name = randomDatabaseName();
const env = dbEnv({ ...testServerConfig(), database: name });
afterAll(async () => {
  await dropDatabase(name);
});

describe('migrate', () => {
  it('creates the database and applies every migration, then has nothing to apply', async () => {
    const first = await cli(['migrate'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`/${name}`);
    expect(first.stdout).toContain('applied 001_seed_schema.sql');
    const again = await cli(['migrate'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to apply');
  });

  it('refuses a database name that is not a plain identifier as bad configuration (exit 2)', async () => {
    const run = await cli(['migrate'], { ...env, DB_NAME: 'x; DROP' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a plain identifier');
  });
});
