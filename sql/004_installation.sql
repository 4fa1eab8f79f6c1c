-- This database's installation id: one row, created once, by this migration. Client order ids carry
-- it (dca-<installation>-<cycleId>-<step>-<attempt>), so a database dropped and re-created on the
-- same Alpaca account gets a new id and its restarted cycle ids can never collide with, or adopt,
-- the old database's orders. Ten random lowercase hex digits: short and URL-safe.

CREATE TABLE dca_installation (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY DEFAULT 1,
    installation_id VARCHAR(16) NOT NULL,
    -- The highest cycle id when this migration ran on a database already in use (NULL on a new one):
    -- that database's own pre-installation orders (dca-<cycleId>-<step>-<attempt>) stay its own, so
    -- an order in flight during the upgrade is still reconciled, booked and cared for.
    legacy_cycle_max INT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT chk_dca_installation_one_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO dca_installation (id, installation_id, legacy_cycle_max)
SELECT 1,
       LOWER(SUBSTRING(SHA2(CONCAT(UUID(), RAND(), SYSDATE(6), CONNECTION_ID()), 256), 1, 10)),
       (SELECT MAX(id) FROM dca_cycles);
