-- When the last process that traded on this database stopped cleanly: every safety order it sent was
-- recorded (architecture §4, "A safety order leaves while its write-ahead commits"). Set by a
-- graceful stop that leaves nothing unrecorded, cleared by the next start; NULL after a crash, a
-- kill, or before any clean stop, and then every cycle that holds coin first looks on the exchange
-- for the one safety order its row may have sent without recording it. run_id names the process
-- that traded last, so a process that stops after another one has taken the database over (its
-- instance lock lost) never marks the other's run clean.

ALTER TABLE dca_installation
    ADD COLUMN stopped_cleanly_at TIMESTAMP(3) NULL DEFAULT NULL,
    ADD COLUMN run_id VARCHAR(32) NULL DEFAULT NULL;
