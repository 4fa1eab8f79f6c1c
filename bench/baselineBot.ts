/**
 * The seed-style baseline of the end-to-end benchmark (e2e.ts), as a process of its own: what a
 * straightforward DCA bot does. Every quote reads the asset and its cycle from MySQL; a quote at or
 * below the safety trigger sends a GET (the account, to check buying power) and then the order
 * POST, and the cycle row is updated once the POST answered. No write-ahead, no actors, global
 * fetch. It trades only safety orders: enough for tick-to-order, idle RSS and cold start.
 * Reads the same DB_* and APCA_* variables as the bot; prints `{"msg":"ready"}` once subscribed.
 */
import { streaming } from '@alpacahq/alpaca-trade-api';
import mysql from 'mysql2/promise';

const env = (name: string): string => process.env[name] ?? '';
const pool = mysql.createPool({
  host: env('DB_HOST'),
  port: Number(env('DB_PORT')),
  user: env('DB_USER'),
  password: env('DB_PASSWORD'),
  database: env('DB_NAME'),
  connectionLimit: 4,
});
const headers = {
  'APCA-API-KEY-ID': env('APCA_API_KEY_ID'),
  'APCA-API-SECRET-KEY': env('APCA_API_SECRET_KEY'),
  'Content-Type': 'application/json',
};
const base = env('APCA_API_BASE_URL');

const [assetRows] = await pool.query('SELECT asset_symbol FROM dca_assets WHERE is_enabled = 1');
const symbols = (assetRows as { asset_symbol: string }[]).map((r) => r.asset_symbol);
const busy = new Set<string>();

interface CycleState {
  cycle_id: number;
  status: string;
  safety_order_deviation: string;
  safety_order_amount: string;
  last_order_fill_price: string | null;
  safety_orders: number;
  max_safety_orders: number;
}

async function onQuote(symbol: string, ask: number): Promise<void> {
  const [rows] = await pool.query(
    `SELECT c.id AS cycle_id, c.status, a.safety_order_deviation, a.safety_order_amount, c.last_order_fill_price,
            c.safety_orders, a.max_safety_orders
       FROM dca_assets a JOIN dca_cycles c ON c.asset_id = a.id
      WHERE a.asset_symbol = ? ORDER BY c.id DESC LIMIT 1`,
    [symbol],
  );
  const c = (rows as CycleState[])[0];
  if (c === undefined) return;
  if (c.status !== 'watching' || c.last_order_fill_price === null || busy.has(symbol)) return;
  if (c.safety_orders >= c.max_safety_orders) return;
  const trigger = Number(c.last_order_fill_price) * (1 - Number(c.safety_order_deviation) / 100);
  if (ask > trigger) return;
  busy.add(symbol);
  try {
    const account = (await (await fetch(`${base}/v2/account`, { headers })).json()) as {
      buying_power: string;
    };
    const amount = Number(c.safety_order_amount);
    if (Number(account.buying_power) < amount) return;
    const response = await fetch(`${base}/v2/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        symbol,
        side: 'buy',
        type: 'limit',
        time_in_force: 'gtc',
        qty: (amount / ask).toFixed(9),
        limit_price: ask.toFixed(2),
        client_order_id: `baseline-${c.cycle_id}-so${c.safety_orders + 1}`,
      }),
    });
    if (!response.ok) throw new Error(`order refused: ${response.status} ${await response.text()}`);
    await pool.query(
      'UPDATE dca_cycles SET last_order_fill_price = ?, safety_orders = safety_orders + 1 WHERE id = ?',
      [ask.toFixed(2), c.cycle_id],
    );
  } finally {
    busy.delete(symbol);
  }
}

const stream = new streaming.CryptoDataStream({
  credentials: { keyId: env('APCA_API_KEY_ID'), secret: env('APCA_API_SECRET_KEY') },
  url: env('APCA_API_DATA_STREAM_URL'),
  reconnect: false,
});
stream.on(streaming.EVENT.SUBSCRIPTION, () => process.stdout.write(`${JSON.stringify({ msg: 'ready' })}\n`));
stream.onQuote((q) => {
  const symbol = String(q.symbol).includes('/') ? String(q.symbol) : String(q.symbol).replace(/USD$/, '/USD');
  onQuote(symbol, Number(q.askPrice)).catch((err: unknown) => {
    process.stdout.write(`${JSON.stringify({ msg: 'error', err: String(err) })}\n`);
  });
});
stream.subscribeForQuotes(symbols);
stream.connect();
process.on('SIGTERM', () => {
  stream.disconnect();
  void pool.end().then(() => process.exit(0));
});
