import { marketData, streaming, trading } from '@alpacahq/alpaca-trade-api';
import { describe, expect, it } from 'vitest';
import {
  mapAccount,
  mapAssetRules,
  mapOrder,
  mapPosition,
  mapRestQuote,
  mapTradeUpdate,
  quoteTickOf,
  toQuote,
} from '../../src/exchange/mappers.js';
import { dec } from '../../src/money.js';

/** Wire shapes as Alpaca sends them (snake_case, decimal strings), run through the SDK's parsers. */
const orderJson = {
  id: '61e69015-8549-4bfd-b9c3-01e75843f47d',
  client_order_id: 'dca-7-base-1',
  created_at: '2026-01-02T03:04:05.123456Z',
  updated_at: '2026-01-02T03:04:06Z',
  submitted_at: '2026-01-02T03:04:05.2Z',
  filled_at: '2026-01-02T03:04:06Z',
  asset_class: 'crypto',
  symbol: 'BTC/USD',
  qty: '0.000123456789',
  notional: null,
  filled_qty: '0.000123456789',
  filled_avg_price: '65000.123456789',
  order_class: '',
  order_type: 'limit',
  type: 'limit',
  side: 'buy',
  time_in_force: 'gtc',
  limit_price: '65001.1',
  status: 'filled',
  extended_hours: false,
};

describe('mapOrder', () => {
  it('keeps every amount exactly as the decimal string Alpaca sent', () => {
    const order = mapOrder(trading.OrderFromJSON(orderJson));

    expect(order.id).toBe(orderJson.id);
    expect(order.clientOrderId).toBe('dca-7-base-1');
    expect(order.symbol).toBe('BTC/USD');
    expect(order.side).toBe('buy');
    expect(order.type).toBe('limit');
    expect(order.status).toBe('filled');
    expect(order.timeInForce).toBe('gtc');
    expect(order.qty?.toFixed()).toBe('0.000123456789');
    expect(order.filledQty.toFixed()).toBe('0.000123456789');
    expect(order.filledAvgPrice?.toFixed()).toBe('65000.123456789');
    expect(order.limitPrice?.toFixed()).toBe('65001.1');
    expect(order.notional).toBeNull();
    expect(order.createdAt.toISOString()).toBe('2026-01-02T03:04:05.123Z');
    expect(order.filledAt?.toISOString()).toBe('2026-01-02T03:04:06.000Z');
  });

  it('reads a new order with nothing filled as zero filled and no average price', () => {
    const order = mapOrder(
      trading.OrderFromJSON({
        ...orderJson,
        status: 'new',
        filled_qty: '0',
        filled_avg_price: null,
        filled_at: null,
        updated_at: null,
      }),
    );

    expect(order.filledQty.isZero()).toBe(true);
    expect(order.filledAvgPrice).toBeNull();
    expect(order.filledAt).toBeNull();
    expect(order.updatedAt).toBeNull();
  });

  it('refuses an order without a client order id, naming the field', () => {
    expect(() => mapOrder(trading.OrderFromJSON({ ...orderJson, client_order_id: '' }))).toThrow(
      /order\.client_order_id/,
    );
  });

  it('refuses an order type the bot never places', () => {
    expect(() => mapOrder(trading.OrderFromJSON({ ...orderJson, type: 'stop_limit' }))).toThrow(
      /order\.type/,
    );
  });

  it('refuses an amount that is not a number', () => {
    expect(() => mapOrder(trading.OrderFromJSON({ ...orderJson, qty: 'abc' }))).toThrow(/order\.qty/);
  });
});

describe('mapPosition', () => {
  const positionJson = {
    asset_id: 'b0b6dd9d-8b9b-48a9-ba46-b9d54906e415',
    symbol: 'BTCUSD',
    exchange: 'CRYPTO',
    asset_class: 'crypto',
    avg_entry_price: '64000.5',
    qty: '0.0099750',
    qty_available: '0.0049750',
    side: 'long',
    market_value: '640.12',
    cost_basis: '638.40',
  };

  it('reports the position under the BTC/USD form with exact quantities', () => {
    const position = mapPosition(trading.PositionFromJSON(positionJson));

    expect(position.symbol).toBe('BTC/USD');
    expect(position.qty.toFixed()).toBe('0.009975');
    expect(position.qtyAvailable.toFixed()).toBe('0.004975');
    expect(position.avgEntryPrice.toFixed()).toBe('64000.5');
  });

  it('treats a missing qty_available as all of qty available', () => {
    const { qty_available: _omitted, ...withoutAvailable } = positionJson;
    const position = mapPosition(trading.PositionFromJSON(withoutAvailable));

    expect(position.qtyAvailable.toFixed()).toBe('0.009975');
  });
});

describe('mapAssetRules', () => {
  it('reads the crypto trading increments', () => {
    const rules = mapAssetRules(
      trading.AssetsFromJSON({
        id: '276e2673-764b-4ab6-a611-caf665ca6340',
        class: 'crypto',
        exchange: 'CRYPTO',
        symbol: 'BTC/USD',
        name: 'Bitcoin / US Dollar',
        status: 'active',
        tradable: true,
        marginable: false,
        shortable: false,
        easy_to_borrow: false,
        fractionable: true,
        min_order_size: '0.000011',
        min_trade_increment: '0.000000001',
        price_increment: '1',
      }),
      dec('10'),
    );

    expect(rules).toMatchObject({ symbol: 'BTC/USD', tradable: true });
    expect(rules.minOrderSize.toFixed()).toBe('0.000011');
    expect(rules.minTradeIncrement.toFixed()).toBe('0.000000001');
    expect(rules.priceIncrement.toFixed()).toBe('1');
    expect(rules.minOrderValue.toFixed()).toBe('10');
  });

  it('refuses an asset without trading increments (a stock, for instance)', () => {
    expect(() =>
      mapAssetRules(
        trading.AssetsFromJSON({ symbol: 'AAPL', class: 'us_equity', tradable: true }),
        dec('10'),
      ),
    ).toThrow(/asset\.min_order_size/);
  });
});

describe('mapAccount', () => {
  it('uses the non-marginable buying power, which is what crypto buys spend', () => {
    const account = mapAccount(
      trading.AccountFromJSON({
        id: 'acc',
        currency: 'USD',
        cash: '1000.25',
        buying_power: '4000.5',
        non_marginable_buying_power: '1000.25',
      }),
    );

    expect(account.cash.toFixed()).toBe('1000.25');
    expect(account.buyingPower.toFixed()).toBe('1000.25');
    expect(account.currency).toBe('USD');
  });

  it("keeps the account's status, its crypto status and whether trading is blocked", () => {
    const json = { id: 'acc', cash: '1', non_marginable_buying_power: '1' };
    const active = mapAccount(
      trading.AccountFromJSON({ ...json, status: 'ACTIVE', crypto_status: 'ACTIVE', trading_blocked: false }),
    );
    expect([active.status, active.cryptoStatus, active.blocked]).toEqual(['ACTIVE', 'ACTIVE', false]);
    const blocked = mapAccount(
      trading.AccountFromJSON({
        ...json,
        status: 'ACTIVE',
        crypto_status: 'INACTIVE',
        account_blocked: true,
      }),
    );
    expect([blocked.cryptoStatus, blocked.blocked]).toEqual(['INACTIVE', true]);
    expect(mapAccount(trading.AccountFromJSON(json)).cryptoStatus).toBeNull();
  });
});

describe('quotes', () => {
  it('parses a REST latest quote, whose prices arrive as JSON numbers, from their shortest form', () => {
    const body = JSON.parse(
      '{"quotes":{"BTC/USD":{"ap":65000.12,"as":0.5,"bp":64999.87,"bs":1.2,"t":"2026-01-02T03:04:05.5Z"}}}',
    );
    const resp = marketData.CryptoLatestQuotesRespFromJSON(body);
    const quote = mapRestQuote('BTC/USD', resp.quotes['BTC/USD']!);

    expect(quote.symbol).toBe('BTC/USD');
    expect(quote.ask.toFixed()).toBe('65000.12');
    expect(quote.bid.toFixed()).toBe('64999.87');
    expect(quote.at.toISOString()).toBe('2026-01-02T03:04:05.500Z');
  });

  it('parses a stream quote message into numbers, and its Decimals from their shortest form', () => {
    const tick = quoteTickOf({
      T: 'q',
      S: 'ETH/USD',
      bp: 3000.1,
      bs: 1,
      ap: 3000.3,
      as: 2,
      t: '2026-01-02T03:04:05Z',
    });

    expect(tick).toEqual({
      symbol: 'ETH/USD',
      bid: 3000.1,
      ask: 3000.3,
      at: Date.parse('2026-01-02T03:04:05Z'),
    });
    const quote = toQuote(tick);
    expect(quote.bid.toFixed()).toBe('3000.1');
    expect(quote.ask.toFixed()).toBe('3000.3');
    expect(quote.at.toISOString()).toBe('2026-01-02T03:04:05.000Z');
  });

  it('takes the msgpack timestamp as milliseconds and the compact symbol form', () => {
    expect(quoteTickOf({ T: 'q', S: 'ETHUSD', bp: 1, ap: 2, t: 1_767_323_045_000.5 })).toEqual({
      symbol: 'ETH/USD',
      bid: 1,
      ask: 2,
      at: 1_767_323_045_000.5,
    });
  });

  it('refuses a stream quote without a price', () => {
    expect(() => quoteTickOf({ T: 'q', S: 'ETH/USD', ap: 1, t: '2026-01-02T03:04:05Z' })).toThrow(
      /quote\.bp/,
    );
  });

  it('refuses a stream quote without a symbol or a timestamp', () => {
    expect(() => quoteTickOf({ T: 'q', bp: 1, ap: 2, t: '2026-01-02T03:04:05Z' })).toThrow(/quote\.S/);
    expect(() => quoteTickOf({ T: 'q', S: 'ETH/USD', bp: 1, ap: 2, t: 'yesterday' })).toThrow(/quote\.t/);
  });

  it.each([
    ['a zero bid', 0, 3000, /quote\.bp: 0 is not above zero/],
    ['a negative ask', 3000, -1, /quote\.ap: -1 is not above zero/],
    ['an infinite ask', 3000, Number.POSITIVE_INFINITY, /quote\.ap/],
    ['a NaN bid', Number.NaN, 3000, /quote\.bp/],
    ['a text bid', 'cheap', 3000, /quote\.bp/],
  ])('refuses a stream quote with %s', (_what, bp, ap, message) => {
    const frame = { T: 'q', S: 'ETH/USD', bp, bs: 1, ap, as: 1, t: '2026-01-02T03:04:05Z' };
    expect(() => quoteTickOf(frame)).toThrow(message);
  });
});

describe('mapTradeUpdate', () => {
  it('maps a partial fill with its execution price, qty and resulting position', () => {
    const update = mapTradeUpdate(
      streaming.mapTradeUpdate({
        event: 'partial_fill',
        execution_id: 'exec-1',
        timestamp: '2026-01-02T03:04:06.5Z',
        price: '65000.1',
        qty: '0.0001',
        position_qty: '0.0001',
        order: { ...orderJson, status: 'partially_filled', filled_qty: '0.0001' },
      }),
    );

    expect(update.event).toBe('partial_fill');
    expect(update.at.toISOString()).toBe('2026-01-02T03:04:06.500Z');
    expect(update.executionId).toBe('exec-1');
    expect(update.price?.toFixed()).toBe('65000.1');
    expect(update.qty?.toFixed()).toBe('0.0001');
    expect(update.positionQty?.toFixed()).toBe('0.0001');
    expect(update.order.status).toBe('partially_filled');
    expect(update.order.filledQty.toFixed()).toBe('0.0001');
  });

  it('maps an update without execution fields (a cancel) to nulls', () => {
    const update = mapTradeUpdate(
      streaming.mapTradeUpdate({
        event: 'canceled',
        timestamp: '2026-01-02T03:04:07Z',
        order: { ...orderJson, status: 'canceled' },
      }),
    );

    expect(update.executionId).toBeNull();
    expect(update.price).toBeNull();
    expect(update.qty).toBeNull();
    expect(update.positionQty).toBeNull();
  });

  it.each([
    ['a negative filled_qty', { filled_qty: '-0.0001' }, /order\.filled_qty: -0\.0001 is negative/],
    ['a zero qty', { qty: '0' }, /order\.qty: 0 is not above zero/],
    ['a negative limit price', { limit_price: '-5' }, /order\.limit_price: -5 is not above zero/],
    ['a zero filled_avg_price', { filled_avg_price: '0' }, /order\.filled_avg_price: 0 is not above zero/],
  ])('refuses an update whose order has %s', (_what, order, message) => {
    const frame = { event: 'fill', timestamp: '2026-01-02T03:04:07Z', order: { ...orderJson, ...order } };
    expect(() => mapTradeUpdate(streaming.mapTradeUpdate(frame))).toThrow(message);
  });
});
