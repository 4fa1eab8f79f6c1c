-- Bookkeeping the design adds beside the seed's columns. Every column has a default, so rows
-- written with only the seed's columns stay valid.

ALTER TABLE dca_cycles
    -- Client order id of the cycle's most recent order, written ahead of the POST
    -- (dca-<cycleId>-<step>-<attempt>); kept after the order ends so the next attempt is known.
    ADD COLUMN client_order_id VARCHAR(128) NULL AFTER latest_order_id,
    -- Gross coin bought (before the fee taken in the coin): the weight of average_purchase_price.
    ADD COLUMN bought_quantity DECIMAL(30, 15) NOT NULL DEFAULT 0 AFTER average_purchase_price,
    -- USD spent on the cycle's buys.
    ADD COLUMN cost_basis DECIMAL(30, 15) NOT NULL DEFAULT 0 AFTER bought_quantity,
    -- USD received from the cycle's sells, net of the sell fee (a partly filled sell adds its part).
    ADD COLUMN sell_proceeds DECIMAL(30, 15) NOT NULL DEFAULT 0 AFTER cost_basis,
    -- sell_proceeds minus cost_basis; set when the cycle completes.
    ADD COLUMN realized_pnl DECIMAL(30, 15) NULL AFTER sell_proceeds,
    -- Optimistic concurrency: an UPDATE names the version it read, so a stale writer matches no row.
    ADD COLUMN version INT NOT NULL DEFAULT 0 AFTER completed_at;

CREATE UNIQUE INDEX uq_dca_cycles_client_order_id ON dca_cycles (client_order_id);
