-- What the running bot's assets supervisor reports about an asset it is not trading right now:
-- 'parked' (its actor crashed past the restart intensity; retried at next_retry_at or when its row
-- changes) or 'idle' (the exchange does not list or trade the pair; checked at every asset poll).
-- Written by the bot, read by `dca-bot status`. No row: the bot trades the asset (or is not running).

CREATE TABLE dca_asset_supervision (
    asset_id INT NOT NULL PRIMARY KEY,
    state VARCHAR(16) NOT NULL, -- 'parked' | 'idle'
    reason VARCHAR(500) NOT NULL,
    since TIMESTAMP(3) NOT NULL,
    next_retry_at TIMESTAMP(3) NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    FOREIGN KEY (asset_id) REFERENCES dca_assets(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
