-- Failed logins are counted per (account name, source) instead of per account, so that
-- someone who knows a user name can lock it out only from the addresses they send from, never
-- for its owner elsewhere. A source is the client's IPv4 address or IPv6 /64 network; the name
-- is the one tried, known or not, so the answers do not tell which accounts exist. Every server
-- sharing the database enforces the same lockouts.
--
-- The per-account counter and lock of the users table go; a lockout in force when this runs
-- is dropped with them (its source was never recorded).
CREATE TABLE login_failures (
    username     TEXT NOT NULL,
    source       TEXT NOT NULL,
    -- Failures since the last success from this source or the last lockout.
    failures     BIGINT NOT NULL,
    last_failure TEXT NOT NULL,
    -- Logins of this name from this source are refused until then.
    locked_until TEXT,
    PRIMARY KEY (username, source)
);
-- Stale pairs are forgotten by the time of their last failure.
CREATE INDEX login_failures_last_failure ON login_failures (last_failure);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
