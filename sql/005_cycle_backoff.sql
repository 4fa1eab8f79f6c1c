-- A refused order (403/422), a 429 or an unsellable take-profit puts the asset in a back-off: no
-- new order before backoff_until. Kept on the cycle row so a restart keeps waiting and the CLI
-- and the dashboard can say "waiting after refusal: <reason> until <time>".

ALTER TABLE dca_cycles
    ADD COLUMN backoff_until DATETIME(3) NULL,
    ADD COLUMN backoff_reason VARCHAR(255) NULL;
