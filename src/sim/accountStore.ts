/**
 * The simulator's account in MySQL/MariaDB: `sim_account` (cash, identity, trade counter),
 * `sim_positions`, `sim_orders` and `sim_quotes` (the latest quote per symbol, where a feed goes on
 * from). The simulator creates these tables itself (CREATE TABLE IF NOT EXISTS): they belong to the
 * exchange it plays, not to the bot, whose migrations never touch them. Opt-in: a simulator started
 * without a store keeps its account in memory.
 */
import type { Pool } from 'mysql2/promise';
import { type Decimal, dec, roundDownTo } from '../money.js';
import { withTransaction } from '../store/db.js';
import { date, dateOrNull, decimal, decimalOrNull, type Row, text } from '../store/rows.js';
import type { SimAccountState } from './engine.js';
import type { SimOrder, SimOrderStatus, SimPosition, SimQuote } from './types.js';

export const SIM_TABLES = ['sim_account', 'sim_positions', 'sim_orders', 'sim_quotes'] as const;

const AMOUNT = 'DECIMAL(38,18)';
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS sim_account (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY DEFAULT 1,
    account_id CHAR(36) NOT NULL,
    created_at TIMESTAMP(3) NOT NULL,
    cash ${AMOUNT} NOT NULL,
    next_trade_id BIGINT NOT NULL,
    CONSTRAINT chk_sim_account_one_row CHECK (id = 1)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS sim_positions (
    symbol VARCHAR(32) NOT NULL PRIMARY KEY,
    asset_id CHAR(36) NOT NULL,
    qty ${AMOUNT} NOT NULL,
    avg_entry_price ${AMOUNT} NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS sim_orders (
    seq BIGINT NOT NULL PRIMARY KEY,
    id CHAR(36) NOT NULL UNIQUE,
    client_order_id VARCHAR(128) NOT NULL UNIQUE,
    symbol VARCHAR(32) NOT NULL,
    asset_id CHAR(36) NOT NULL,
    side VARCHAR(4) NOT NULL,
    type VARCHAR(8) NOT NULL,
    time_in_force VARCHAR(4) NOT NULL,
    qty ${AMOUNT} NULL,
    notional ${AMOUNT} NULL,
    limit_price ${AMOUNT} NULL,
    status VARCHAR(16) NOT NULL,
    filled_qty ${AMOUNT} NOT NULL,
    filled_value ${AMOUNT} NOT NULL,
    created_at TIMESTAMP(3) NOT NULL,
    updated_at TIMESTAMP(3) NOT NULL,
    filled_at TIMESTAMP(3) NULL,
    canceled_at TIMESTAMP(3) NULL,
    expired_at TIMESTAMP(3) NULL,
    failed_at TIMESTAMP(3) NULL,
    collar_reference ${AMOUNT} NULL,
    fill_ratio ${AMOUNT} NULL,
    external BOOLEAN NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS sim_quotes (
    symbol VARCHAR(32) NOT NULL PRIMARY KEY,
    bid ${AMOUNT} NOT NULL,
    ask ${AMOUNT} NOT NULL,
    bid_size ${AMOUNT} NOT NULL,
    ask_size ${AMOUNT} NOT NULL,
    at TIMESTAMP(3) NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

/** What one write-through carries: the account row always, the orders, positions and quotes that moved. */
export interface SimAccountWrite {
  readonly account: Pick<SimAccountState, 'accountId' | 'createdAt' | 'cash' | 'nextTradeId'>;
  /** With their place in the book (oldest first). */
  readonly orders: readonly { readonly seq: number; readonly order: SimOrder }[];
  /** A symbol whose position is now `null` is flat (its row goes). */
  readonly positions: readonly { readonly symbol: string; readonly position: SimPosition | null }[];
  readonly quotes: readonly SimQuote[];
}

export interface StoredSimAccount {
  readonly state: SimAccountState;
  /** Each stored order's place in the book, by order id. */
  readonly seqs: ReadonlyMap<string, number>;
}

export interface SimAccountStore {
  /** The stored account with each order's place in the book, or null when none is stored yet. */
  load(): Promise<StoredSimAccount | null>;
  write(change: SimAccountWrite): Promise<void>;
}

/** Creates the `sim_*` tables if they are missing and returns the store over them. */
export async function openSimAccountStore(pool: Pool): Promise<SimAccountStore> {
  for (const sql of SCHEMA) await pool.query(sql);
  return { load: () => load(pool), write: (change) => write(pool, change) };
}

/** Empties the `sim_*` tables (those that exist); returns the names of the tables emptied. */
export async function clearSimAccount(pool: Pool): Promise<string[]> {
  const [rows] = await pool.query(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?)',
    [SIM_TABLES],
  );
  const present = new Set((rows as { name: string }[]).map((r) => r.name));
  const cleared = SIM_TABLES.filter((t) => present.has(t));
  for (const table of cleared) await pool.query(`DELETE FROM ${table}`);
  return cleared;
}

async function load(pool: Pool): Promise<StoredSimAccount | null> {
  const [accounts] = await pool.query('SELECT * FROM sim_account WHERE id = 1');
  const account = (accounts as Row[])[0];
  if (!account) return null;
  const [positions] = await pool.query('SELECT * FROM sim_positions ORDER BY symbol');
  const [orders] = await pool.query('SELECT * FROM sim_orders ORDER BY seq');
  const [quotes] = await pool.query('SELECT * FROM sim_quotes ORDER BY symbol');
  const orderRows = orders as Row[];
  return {
    state: {
      accountId: text(account, 'account_id'),
      createdAt: date(account, 'created_at'),
      cash: decimal(account, 'cash'),
      nextTradeId: Number(account['next_trade_id']),
      positions: (positions as Row[]).map((r) => ({
        symbol: text(r, 'symbol'),
        assetId: text(r, 'asset_id'),
        qty: decimal(r, 'qty'),
        avgEntryPrice: decimal(r, 'avg_entry_price'),
      })),
      orders: orderRows.map(orderOf),
      quotes: (quotes as Row[]).map((r) => ({
        symbol: text(r, 'symbol'),
        bid: decimal(r, 'bid'),
        ask: decimal(r, 'ask'),
        bidSize: decimal(r, 'bid_size'),
        askSize: decimal(r, 'ask_size'),
        at: date(r, 'at'),
      })),
    },
    seqs: new Map(orderRows.map((r) => [text(r, 'id'), Number(r['seq'])])),
  };
}

const ORDER_COLUMNS = [
  'seq',
  'id',
  'client_order_id',
  'symbol',
  'asset_id',
  'side',
  'type',
  'time_in_force',
  'qty',
  'notional',
  'limit_price',
  'status',
  'filled_qty',
  'filled_value',
  'created_at',
  'updated_at',
  'filled_at',
  'canceled_at',
  'expired_at',
  'failed_at',
  'collar_reference',
  'fill_ratio',
  'external',
] as const;
/** What an order can still change after it was created. */
const ORDER_MUTABLE = [
  'status',
  'filled_qty',
  'filled_value',
  'updated_at',
  'filled_at',
  'canceled_at',
  'expired_at',
  'failed_at',
  'collar_reference',
];

async function write(pool: Pool, change: SimAccountWrite): Promise<void> {
  await withTransaction(pool, async (conn) => {
    const a = change.account;
    await conn.query(
      `INSERT INTO sim_account (id, account_id, created_at, cash, next_trade_id) VALUES (1, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE account_id = VALUES(account_id), created_at = VALUES(created_at),
         cash = VALUES(cash), next_trade_id = VALUES(next_trade_id)`,
      [a.accountId, a.createdAt, column(a.cash), a.nextTradeId],
    );
    if (change.orders.length > 0) {
      const placeholders = change.orders.map(() => `(${ORDER_COLUMNS.map(() => '?').join(', ')})`);
      await conn.query(
        `INSERT INTO sim_orders (${ORDER_COLUMNS.join(', ')}) VALUES ${placeholders.join(', ')}
         ON DUPLICATE KEY UPDATE ${ORDER_MUTABLE.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
        change.orders.flatMap(({ seq, order }) => orderValues(seq, order)),
      );
    }
    // One statement per table, whatever the number of symbols that moved.
    const flat = change.positions.filter(({ position }) => position === null).map(({ symbol }) => symbol);
    if (flat.length > 0) await conn.query('DELETE FROM sim_positions WHERE symbol IN (?)', [flat]);
    const held = change.positions.flatMap(({ symbol, position: p }) =>
      p === null ? [] : [[symbol, p.assetId, column(p.qty), column(p.avgEntryPrice)]],
    );
    if (held.length > 0) {
      await conn.query(
        `INSERT INTO sim_positions (symbol, asset_id, qty, avg_entry_price) VALUES ?
         ON DUPLICATE KEY UPDATE qty = VALUES(qty), avg_entry_price = VALUES(avg_entry_price)`,
        [held],
      );
    }
    if (change.quotes.length > 0) {
      await conn.query(
        `INSERT INTO sim_quotes (symbol, bid, ask, bid_size, ask_size, at) VALUES ?
         ON DUPLICATE KEY UPDATE bid = VALUES(bid), ask = VALUES(ask), bid_size = VALUES(bid_size),
           ask_size = VALUES(ask_size), at = VALUES(at)`,
        [
          change.quotes.map((q) => [
            q.symbol,
            column(q.bid),
            column(q.ask),
            column(q.bidSize),
            column(q.askSize),
            q.at,
          ]),
        ],
      );
    }
  });
}

const SCALE = dec('0.000000000000000001');

/** Amounts fit DECIMAL(38,18); an average entry price (a quotient) is cut to its 18 decimals. */
function column(value: Decimal): string {
  return roundDownTo(value, SCALE).toFixed();
}

function optional(value: Decimal | null): string | null {
  return value === null ? null : column(value);
}

function orderValues(seq: number, o: SimOrder): unknown[] {
  return [
    seq,
    o.id,
    o.clientOrderId,
    o.symbol,
    o.assetId,
    o.side,
    o.type,
    o.timeInForce,
    optional(o.qty),
    optional(o.notional),
    optional(o.limitPrice),
    o.status,
    column(o.filledQty),
    column(o.filledValue),
    o.createdAt,
    o.updatedAt,
    o.filledAt,
    o.canceledAt,
    o.expiredAt,
    o.failedAt,
    optional(o.collarReference),
    optional(o.fillRatio),
    o.external,
  ];
}

function orderOf(r: Row): SimOrder {
  return {
    id: text(r, 'id'),
    clientOrderId: text(r, 'client_order_id'),
    symbol: text(r, 'symbol'),
    assetId: text(r, 'asset_id'),
    side: r['side'] as SimOrder['side'],
    type: r['type'] as SimOrder['type'],
    timeInForce: r['time_in_force'] as SimOrder['timeInForce'],
    qty: decimalOrNull(r, 'qty'),
    notional: decimalOrNull(r, 'notional'),
    limitPrice: decimalOrNull(r, 'limit_price'),
    status: r['status'] as SimOrderStatus,
    filledQty: decimal(r, 'filled_qty'),
    filledValue: decimal(r, 'filled_value'),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    filledAt: dateOrNull(r, 'filled_at'),
    canceledAt: dateOrNull(r, 'canceled_at'),
    expiredAt: dateOrNull(r, 'expired_at'),
    failedAt: dateOrNull(r, 'failed_at'),
    collarReference: decimalOrNull(r, 'collar_reference'),
    fillRatio: decimalOrNull(r, 'fill_ratio'),
    external: Boolean(Number(r['external'])),
  };
}
