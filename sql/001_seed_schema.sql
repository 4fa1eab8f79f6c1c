-- The seed's schema, exactly as specified (columns, types, defaults), plus the indexes its queries need.

CREATE TABLE dca_assets (
    id INT AUTO_INCREMENT PRIMARY KEY,
    asset_symbol VARCHAR(25) NOT NULL UNIQUE, -- e.g., 'BTC/USD'
    is_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    base_order_amount DECIMAL(20, 10) NOT NULL,
    safety_order_amount DECIMAL(20, 10) NOT NULL,
    max_safety_orders INT NOT NULL,
    safety_order_deviation DECIMAL(10, 4) NOT NULL, -- Percentage price drop to trigger safety order
    take_profit_percent DECIMAL(10, 4) NOT NULL, -- Percentage price rise from avg purchase price to trigger sell
    cooldown_period INT NOT NULL, -- Seconds after a take profit
    buy_order_price_deviation_percent DECIMAL(10, 4) NOT NULL, -- Percent down from last sell to start new cycle (preempts cooldown)
    last_sell_price DECIMAL(20, 10) NULL, -- Price of the last successful take-profit sell for this asset
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE dca_cycles (
    id INT AUTO_INCREMENT PRIMARY KEY,
    asset_id INT NOT NULL,
    status VARCHAR(20) NOT NULL, -- e.g., 'watching', 'buying', 'selling', 'cooldown', 'complete', 'error'
    quantity DECIMAL(30, 15) NOT NULL DEFAULT 0, -- Total quantity of the asset held in this cycle
    average_purchase_price DECIMAL(20, 10) NOT NULL DEFAULT 0, -- Weighted average purchase price for this cycle
    safety_orders INT NOT NULL DEFAULT 0, -- Number of safety orders filled in this cycle
    latest_order_id VARCHAR(255) NULL, -- Alpaca order ID of the most recent order for this cycle
    last_order_fill_price DECIMAL(20, 10) NULL, -- Fill price of the most recent BUY order in this cycle
    completed_at TIMESTAMP NULL, -- Timestamp when the cycle reached a terminal status ('complete', 'error')
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    FOREIGN KEY (asset_id) REFERENCES dca_assets(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Latest cycle per asset (ORDER BY id DESC LIMIT 1) and the caretakers' scans by status.
CREATE INDEX idx_dca_cycles_asset_id ON dca_cycles (asset_id, id);
CREATE INDEX idx_dca_cycles_status ON dca_cycles (status);
CREATE INDEX idx_dca_cycles_latest_order_id ON dca_cycles (latest_order_id);
