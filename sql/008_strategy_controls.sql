-- Strategy controls beside the seed's settings: trailing take-profit, stop-loss and safety order
-- scaling. Every default keeps the behaviour of a row inserted naming only the seed's columns:
-- no trailing, no stop-loss, every safety order the same amount at the same deviation.

ALTER TABLE dca_assets
    -- Once the bid reaches the take-profit price, follow its highest bid instead of selling there.
    ADD COLUMN ttp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- Percent below that highest bid at which the trailing take-profit sells (needed when enabled).
    ADD COLUMN ttp_deviation_percent DECIMAL(10, 4) NULL,
    -- Percent below the average purchase price at which everything is sold at market; NULL = off.
    ADD COLUMN stop_loss_percent DECIMAL(10, 4) NULL,
    -- The stop-loss fires only once every safety order is used.
    ADD COLUMN stop_loss_after_safety_orders BOOLEAN NOT NULL DEFAULT TRUE,
    -- Each next safety order's USD amount is the previous one's times this.
    ADD COLUMN safety_order_volume_scale DECIMAL(10, 4) NOT NULL DEFAULT 1.0,
    -- Each next safety order's deviation (from the last buy fill) is the previous one's times this.
    ADD COLUMN safety_order_step_scale DECIMAL(10, 4) NOT NULL DEFAULT 1.0;

ALTER TABLE dca_cycles
    -- The highest bid since a trailing take-profit started (NULL: not trailing). Kept on the row so a
    -- restart keeps trailing from the same peak.
    ADD COLUMN ttp_peak_price DECIMAL(20, 10) NULL AFTER last_order_fill_price;
