/**
 * The dca_assets row the backtest sweep test and the sweep benchmark both run: BTC/USD with a
 * 20 USD base order and five 20 USD safety orders 1.5 % apart, a 1 % take-profit.
 */
export const SWEEP_ROW = {
  id: 0,
  asset_symbol: 'BTC/USD',
  is_enabled: true,
  last_sell_price: null,
  base_order_amount: '20',
  safety_order_amount: '20',
  max_safety_orders: 5,
  safety_order_deviation: '1.5',
  take_profit_percent: '1',
  cooldown_period: 300,
  buy_order_price_deviation_percent: '2',
};
