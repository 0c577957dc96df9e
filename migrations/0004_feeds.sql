-- Feeds the daemon polls, their schedule and their entries. The schedule lives here, so a restart
-- resumes it; `newsdedup feeds ...` edits this table while the daemon runs (it re-reads it).

CREATE TABLE feeds (
    feed_id           INTEGER PRIMARY KEY,
    url               TEXT NOT NULL UNIQUE,   -- updated by a permanent redirect (301/308)
    name              TEXT,                   -- given name; else the feed's own title
    title             TEXT,                   -- the feed's own title, from its last parse
    site_url          TEXT,                   -- the feed's link to its website
    enabled           INTEGER NOT NULL DEFAULT 1,
    interval_secs     INTEGER,                -- fixed poll interval; NULL: adapted to the feed
    full_text         TEXT NOT NULL DEFAULT 'auto' CHECK (full_text IN ('auto', 'always', 'never')),
    from_config       INTEGER NOT NULL DEFAULT 0,
    added_at          TEXT NOT NULL,
    -- Conditional GET.
    etag              TEXT,
    last_modified     TEXT,
    -- Schedule and health.
    next_poll_at      TEXT,                   -- NULL: due now
    last_poll_at      TEXT,
    last_success_at   TEXT,
    last_status       INTEGER,                -- HTTP status of the last poll
    last_outcome      TEXT,                   -- ok, not_modified, http_error, fetch_error, parse_error, gone, ...
    last_error        TEXT,
    last_error_at     TEXT,
    failures          INTEGER NOT NULL DEFAULT 0,  -- consecutive failures (429 never counts)
    failing_since     TEXT,
    disabled_reason   TEXT,                   -- why the daemon stopped polling it (410, failing for days)
    disabled_at       TEXT,
    -- What the feed says of itself, and how often it really publishes.
    hints             TEXT,                   -- JSON: ttl, skip_hours, skip_days, update_period
    publish_interval_secs INTEGER,            -- estimated from entry dates
    entries_seen      INTEGER NOT NULL DEFAULT 0,
    articles          INTEGER NOT NULL DEFAULT 0  -- entries that became new articles or versions
);

CREATE INDEX feeds_due ON feeds(enabled, next_poll_at);

-- Every entry a feed has carried: its identity in the feed (guid, else the link without tracking
-- parameters, else a hash of its content), the hash of its content when last stored, and the
-- article it became. The same article reached through two feeds has two rows here.
CREATE TABLE feed_entries (
    feed_id       INTEGER NOT NULL REFERENCES feeds(feed_id) ON DELETE CASCADE,
    entry_key     TEXT NOT NULL,
    content_hash  INTEGER NOT NULL,
    article_id    INTEGER REFERENCES articles(article_id),
    link          TEXT,
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;

CREATE INDEX feed_entries_by_article ON feed_entries(article_id);

-- Hosts that asked us to wait (429/503 with Retry-After): honoured across restarts.
CREATE TABLE host_backoff (
    host         TEXT PRIMARY KEY,
    retry_after  TEXT NOT NULL,
    reason       TEXT
) WITHOUT ROWID;

-- One row a feed, for people: health and schedule at a glance.
CREATE VIEW feed_status AS
SELECT f.feed_id,
       COALESCE(f.name, f.title, f.url) AS name,
       f.url,
       CASE WHEN f.enabled = 1 THEN 'enabled'
            WHEN f.disabled_reason IS NOT NULL THEN 'disabled: ' || f.disabled_reason
            ELSE 'disabled' END AS status,
       f.last_success_at,
       f.last_outcome,
       f.last_error,
       f.last_error_at,
       f.failures,
       f.next_poll_at,
       f.articles,
       f.entries_seen
FROM feeds f;
