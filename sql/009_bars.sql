-- Historical bars cached for `dca-bot backtest` and `dca-bot bars fetch`, so a repeated run is
-- offline. `t` is the bar's open time in epoch milliseconds (UTC, no time zone questions).
-- dca_bar_ranges records which [start_ms, end_ms) spans were fetched completely: a span without
-- trades has no bars, and is not asked for again.

CREATE TABLE dca_bars (
    symbol VARCHAR(32) NOT NULL,
    timeframe VARCHAR(8) NOT NULL,
    t BIGINT NOT NULL,
    open DECIMAL(30,12) NOT NULL,
    high DECIMAL(30,12) NOT NULL,
    low DECIMAL(30,12) NOT NULL,
    close DECIMAL(30,12) NOT NULL,
    volume DECIMAL(30,12) NOT NULL DEFAULT 0,
    PRIMARY KEY (symbol, timeframe, t)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE dca_bar_ranges (
    symbol VARCHAR(32) NOT NULL,
    timeframe VARCHAR(8) NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    fetched_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (symbol, timeframe, start_ms, end_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
