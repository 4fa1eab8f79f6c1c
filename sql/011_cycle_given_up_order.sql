-- The cycle's latest order when it was given up as never accepted: looked up twice a grace period
-- apart and not found (architecture §4, "Unknown is not 'not accepted'"). The exchange may still
-- create it late, so the next order of the same step reuses this exact client order id, and Alpaca
-- refuses the second one as a duplicate (it is then looked up and adopted) instead of taking both.
-- Cleared by the next order the cycle places; NULL for every existing row.

ALTER TABLE dca_cycles
    ADD COLUMN given_up_client_order_id VARCHAR(128) NULL DEFAULT NULL;
