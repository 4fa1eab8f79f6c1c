-- Every order the bot sent (written ahead of the POST) and its cumulative fills: audit and P&L.

CREATE TABLE dca_orders (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    cycle_id INT NOT NULL,
    asset_id INT NOT NULL,
    client_order_id VARCHAR(128) NOT NULL,
    alpaca_order_id VARCHAR(64) NULL,
    step VARCHAR(8) NOT NULL, -- 'base', 'so1'..'soN', 'tp'
    side VARCHAR(4) NOT NULL, -- 'buy' | 'sell'
    order_type VARCHAR(8) NOT NULL, -- 'limit' | 'market'
    time_in_force VARCHAR(4) NOT NULL,
    qty DECIMAL(30, 15) NOT NULL,
    limit_price DECIMAL(20, 10) NULL,
    -- 'pending' (written ahead, not yet acknowledged) or the exchange's order status.
    status VARCHAR(24) NOT NULL DEFAULT 'pending',
    filled_qty DECIMAL(30, 15) NOT NULL DEFAULT 0, -- cumulative, gross
    filled_avg_price DECIMAL(20, 10) NULL,
    fee DECIMAL(30, 15) NOT NULL DEFAULT 0, -- coin (buys) or USD (sells) taken as fee
    submitted_at TIMESTAMP NULL,
    closed_at TIMESTAMP NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    UNIQUE KEY uq_dca_orders_client_order_id (client_order_id),
    UNIQUE KEY uq_dca_orders_alpaca_order_id (alpaca_order_id),
    KEY idx_dca_orders_cycle (cycle_id, id),
    KEY idx_dca_orders_asset (asset_id, id),
    KEY idx_dca_orders_status (status),
    FOREIGN KEY (cycle_id) REFERENCES dca_cycles(id) ON DELETE CASCADE,
    FOREIGN KEY (asset_id) REFERENCES dca_assets(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
