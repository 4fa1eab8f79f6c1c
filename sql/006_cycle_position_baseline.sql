-- The position the account held before a cycle's first buy (dust, or coin a person holds). The
-- exchange's position minus this is what the cycle holds: the take-profit sells that, so a fee lower
-- than the configured estimate leaves no coin behind, and coin that was there before is not claimed.

ALTER TABLE dca_cycles
    ADD COLUMN position_baseline DECIMAL(30, 15) NOT NULL DEFAULT 0 AFTER bought_quantity;
