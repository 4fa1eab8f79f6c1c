/**
 * The page state built from an asset actor's view: trigger prices against the right side of the
 * quote, the cooldown countdown, and only the fields the page shows.
 */
import { describe, expect, it } from 'vitest';
import type { AssetView } from '../../src/actors/asset.js';
import { buildState, type ModelInput } from '../../src/dashboard/model.js';
import { dec } from '../../src/money.js';
import { aCycleRow, anAsset, at, someRules } from '../helpers/cycle.js';

function view(overrides: Partial<AssetView> = {}): AssetView {
  return {
    asset: anAsset(),
    rules: someRules(),
    cycle: aCycleRow(),
    state: 'watching',
    lastQuote: { symbol: 'BTC/USD', bid: dec('50400'), ask: dec('50410'), at: at(0) },
    ...overrides,
  };
}

function stateOf(v: AssetView, extra: Partial<ModelInput> = {}) {
  return buildState({
    now: at(10),
    mode: 'sim',
    views: [v],
    machines: new Map(),
    ledger: null,
    ledgerAt: null,
    ledgerError: null,
    supervisor: [],
    feeRate: dec('0.0025'),
    controls: { enabled: false, reason: 'read-only' },
    account: null,
    alerts: [],
    bars: () => [],
    ...extra,
  });
}

const holding = aCycleRow({
  quantity: dec('0.000399'),
  averagePurchasePrice: dec('50000'),
  lastOrderFillPrice: dec('50000'),
  safetyOrders: 1,
});

describe('buildState', () => {
  it('shows no triggers while nothing is held', () => {
    const [panel] = stateOf(view()).assets;
    expect(panel).toMatchObject({ quantity: '0', nextSafety: null, takeProfit: null, averagePrice: null });
  });

  it('compares the take-profit with the bid and the next safety order with the ask', () => {
    const [panel] = stateOf(view({ cycle: holding })).assets;
    expect(panel?.takeProfit).toEqual({ price: '50500.00', against: 'bid', distancePercent: '0.20' });
    expect(panel?.nextSafety).toEqual({ price: '49250.00', against: 'ask', distancePercent: '2.30' });
    expect(panel).toMatchObject({ quantity: '0.000399', averagePrice: '50000.00', safetyOrdersUsed: 1 });
  });

  it('shows a trailing take-profit under way and an armed stop-loss against the bid', () => {
    const asset = anAsset({
      maxSafetyOrders: 1,
      ttpEnabled: true,
      ttpDeviationPercent: dec('0.5'),
      stopLossPercent: dec('5'),
    });
    const [panel] = stateOf(view({ asset, cycle: { ...holding, ttpPeakPrice: dec('50600') } })).assets;
    // 0.5 % below the 50600 peak is 50347, 0.11 % below the 50400 bid; 5 % below 50000 is 47500.
    expect(panel?.trailing).toEqual({
      deviationPercent: '0.5',
      peak: '50600.00',
      sellAt: { price: '50347.00', against: 'bid', distancePercent: '0.11' },
    });
    expect(panel?.stopLoss).toEqual({ price: '47500.00', against: 'bid', distancePercent: '5.75' });
    const [plain] = stateOf(view({ cycle: holding })).assets;
    expect(plain).toMatchObject({ trailing: null, stopLoss: null });
  });

  it('offers no further safety order once all are used, and says it waits for the take-profit', () => {
    const [panel] = stateOf(view({ cycle: { ...holding, safetyOrders: 5 } })).assets;
    expect(panel?.nextSafety).toBeNull();
    expect(panel?.nextSafetyNote).toBe('all safety orders used — waiting for take-profit');
    const [fresh] = stateOf(view()).assets;
    expect(fresh?.nextSafetyNote).toBeNull();
  });

  it('values the open cycle at the bid after the sell fee, and the capital in use against the maximum', () => {
    const cycle = { ...holding, costBasis: dec('39.6'), sellProceeds: dec('0') };
    const [panel] = stateOf(view({ cycle })).assets;
    // 0.000399 × 50400 × (1 − 0.0025) − 39.6
    expect(panel?.unrealizedPnl).toBe('-19.54');
    // 20 base + 5 × 20 safety
    expect(panel).toMatchObject({ capitalInUse: '39.60', capitalMax: '120.00' });
    const [idle] = stateOf(view()).assets;
    expect(idle?.unrealizedPnl).toBeNull();
  });

  it('offers take profit now only while watching with coin held, and cancel only for an acknowledged order', () => {
    const [holdingPanel] = stateOf(view({ cycle: holding })).assets;
    expect(holdingPanel?.takeProfitNowBlocked).toBeNull();
    expect(holdingPanel?.cancelBlocked).toBe('no order in flight');
    const [buying] = stateOf(view({ cycle: holding, state: 'buying' })).assets;
    expect(buying?.takeProfitNowBlocked).toMatch(/cancel the order in flight first/);
    const [empty] = stateOf(view()).assets;
    expect(empty?.takeProfitNowBlocked).toBe('the cycle holds nothing to sell');
  });

  it('shows a disabled asset without an actor, so it can be enabled again', () => {
    const ledger = {
      orders: [],
      cycles: [],
      perAsset: [
        {
          assetId: 2,
          symbol: 'ETH/USD',
          enabled: false,
          cycles: 0,
          realizedPnl: dec('0'),
          errorCycles: 0,
          errorCost: dec('0'),
        },
      ],
      perDay: [],
      total: dec('0'),
      errorCost: dec('0'),
      symbols: new Map([[2, 'ETH/USD']]),
      cycleOrders: [],
    };
    const { assets } = stateOf(view(), { ledger });
    expect(assets.map((a) => [a.symbol, a.running, a.state])).toEqual([
      ['BTC/USD', true, 'watching'],
      ['ETH/USD', false, 'disabled'],
    ]);
  });

  it('counts the cooldown down from the previous cycle and shows the early-restart price', () => {
    const cooling = view({
      state: 'cooldown',
      asset: anAsset({ cooldownPeriod: 300, lastSellPrice: dec('51000') }),
    });
    const context = { previousCompletedAt: at(0), asset: cooling.asset } as never;
    const machines = new Map([[7, { value: 'cooldown', context }]]);
    const [panel] = stateOf(cooling, { machines, now: at(100) }).assets;
    expect(panel?.cooldownRemainingSeconds).toBe(200);
    expect(panel?.earlyRestart?.price).toBe('49980.00');
  });

  it('shows why a supervised asset is parked or idle and when it is tried again', () => {
    const parked = {
      id: 'asset:XYZ/USD',
      state: 'parked' as const,
      restarts: 10,
      since: at(0),
      lastError: 'get asset XYZ/USD: HTTP 500',
      reason: 'crashed after 10 restarts within 120000 ms',
      nextRetryAt: at(60),
    };
    const { supervisor } = stateOf(view(), { supervisor: [parked] });
    expect(supervisor).toEqual([
      {
        id: 'asset:XYZ/USD',
        state: 'parked',
        restarts: 10,
        since: at(0).toISOString(),
        lastError: 'get asset XYZ/USD: HTTP 500',
        reason: 'crashed after 10 restarts within 120000 ms',
        nextRetryAt: at(60).toISOString(),
      },
    ]);
  });

  it('copies no configuration into the page state', () => {
    const json = JSON.stringify(stateOf(view({ cycle: holding })));
    expect(json).not.toMatch(/baseOrderAmount|secret|password|keyId/i);
  });
});
