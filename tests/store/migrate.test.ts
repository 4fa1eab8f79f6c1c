import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/store/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const ALL = [
  '001_seed_schema.sql',
  '002_cycle_bookkeeping.sql',
  '003_orders_ledger.sql',
  '004_installation.sql',
  '005_cycle_backoff.sql',
  '006_cycle_position_baseline.sql',
  '007_asset_supervision.sql',
  '008_strategy_controls.sql',
  '009_bars.sql',
  '010_clean_stop.sql',
  '011_cycle_given_up_order.sql',
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

/** name → [type, nullable, default, extra] as information_schema reports them. */
async function columns(table: string): Promise<Record<string, [string, string, string | null, string]>> {
  const [rows] = await db.pool.query(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [db.name, table],
  );
  return Object.fromEntries(
    (rows as { name: string; type: string; nullable: string; def: string | null; extra: string }[]).map(
      (r) => [r.name, [r.type, r.nullable, r.def, r.extra.toLowerCase()]],
    ),
  );
}

describe('migrate', () => {
  it('applies every migration to an empty database, in order', async () => {
    const lines: string[] = [];
    expect(await migrate(db.cfg, { log: (l) => lines.push(l) })).toEqual(ALL);
    expect(lines).toEqual(ALL.map((f) => `applied ${f}`));
    const [rows] = await db.pool.query('SELECT name FROM schema_migrations ORDER BY name');
    expect((rows as { name: string }[]).map((r) => r.name)).toEqual(ALL);
  });

  it('applies nothing the second time', async () => {
    const lines: string[] = [];
    expect(await migrate(db.cfg, { log: (l) => lines.push(l) })).toEqual([]);
    expect(lines).toEqual(['nothing to apply']);
  });

  it("creates dca_assets with the seed's columns exactly, then the strategy controls", async () => {
    const cols = await columns('dca_assets');
    expect(cols).toEqual({
      id: ['int(11)', 'NO', null, 'auto_increment'],
      asset_symbol: ['varchar(25)', 'NO', null, ''],
      is_enabled: ['tinyint(1)', 'NO', '1', ''],
      base_order_amount: ['decimal(20,10)', 'NO', null, ''],
      safety_order_amount: ['decimal(20,10)', 'NO', null, ''],
      max_safety_orders: ['int(11)', 'NO', null, ''],
      safety_order_deviation: ['decimal(10,4)', 'NO', null, ''],
      take_profit_percent: ['decimal(10,4)', 'NO', null, ''],
      cooldown_period: ['int(11)', 'NO', null, ''],
      buy_order_price_deviation_percent: ['decimal(10,4)', 'NO', null, ''],
      last_sell_price: ['decimal(20,10)', 'YES', 'NULL', ''],
      created_at: ['timestamp', 'YES', 'current_timestamp()', ''],
      updated_at: ['timestamp', 'YES', 'current_timestamp()', 'on update current_timestamp()'],
      // 008: the strategy controls, each defaulting to the seed's behaviour.
      ttp_enabled: ['tinyint(1)', 'NO', '0', ''],
      ttp_deviation_percent: ['decimal(10,4)', 'YES', 'NULL', ''],
      stop_loss_percent: ['decimal(10,4)', 'YES', 'NULL', ''],
      stop_loss_after_safety_orders: ['tinyint(1)', 'NO', '1', ''],
      safety_order_volume_scale: ['decimal(10,4)', 'NO', '1.0000', ''],
      safety_order_step_scale: ['decimal(10,4)', 'NO', '1.0000', ''],
    });
  });

  it("keeps the seed's dca_cycles columns and gives every added column a default", async () => {
    const cols = await columns('dca_cycles');
    expect(cols).toMatchObject({
      id: ['int(11)', 'NO', null, 'auto_increment'],
      asset_id: ['int(11)', 'NO', null, ''],
      status: ['varchar(20)', 'NO', null, ''],
      quantity: ['decimal(30,15)', 'NO', '0.000000000000000', ''],
      average_purchase_price: ['decimal(20,10)', 'NO', '0.0000000000', ''],
      safety_orders: ['int(11)', 'NO', '0', ''],
      latest_order_id: ['varchar(255)', 'YES', 'NULL', ''],
      last_order_fill_price: ['decimal(20,10)', 'YES', 'NULL', ''],
      completed_at: ['timestamp', 'YES', 'NULL', ''],
      created_at: ['timestamp', 'YES', 'current_timestamp()', ''],
      updated_at: ['timestamp', 'YES', 'current_timestamp()', 'on update current_timestamp()'],
    });
    const added = Object.entries(cols).filter(([, [, nullable, def]]) => nullable === 'NO' && def === null);
    expect(added.map(([name]) => name).sort()).toEqual(['asset_id', 'id', 'status']);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dca-sql-'));
    try {
      for (const file of ALL) {
        const sql = await readFile(join(DEFAULT_MIGRATIONS_DIR, file), 'utf8');
        await writeFile(join(dir, file), file === ALL[1] ? `${sql}\n-- edited\n` : sql);
      }
      await expect(migrate(db.cfg, { dir })).rejects.toThrow(
        /migration 002_cycle_bookkeeping.sql was changed after it was applied/,
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
