-- Full text: entries whose article page is fetched and extracted (feeds.full_text policy).

-- Entries waiting for their page. A row is written in the same transaction as the poll that
-- found the entry, and deleted in the same transaction as the article the page (or, failing
-- that, the entry's own content) became: a crash in between loses nothing.
CREATE TABLE page_queue (
    feed_id         INTEGER NOT NULL REFERENCES feeds(feed_id) ON DELETE CASCADE,
    entry_key       TEXT NOT NULL,
    -- the entry's link: the page to fetch
    url             TEXT NOT NULL,
    -- the entry as the feed gave it, the fallback when the page gives nothing usable
    content_hash    INTEGER NOT NULL,
    source          TEXT NOT NULL,
    title           TEXT,
    published       TEXT,
    feed_html       TEXT NOT NULL,
    -- why the page is fetched: 'always', or the `auto` rule that fired
    reason          TEXT NOT NULL,
    queued_at       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;

CREATE INDEX page_queue_due ON page_queue(next_attempt_at);

-- Every finished page fetch: what it gave, and whether the article's text came from it.
--   extracted   the page's main text became the article
--   fragment    the page now extracts to much less than an earlier extraction: the earlier
--               version is kept
--   paywalled   the page says it is not free to read
--   blocked     HTTP 401, 402, 403 or 451
--   http_error  another HTTP error, or transient errors until attempts ran out
--   fetch_error no usable response (timeout, reset, truncated) until attempts ran out
--   too_large   the page is over fetch.max_body_bytes
--   not_html    the link is not a web page (a PDF, an image)
--   empty       the page has no main text
--   too_short   the main text is implausibly short (fewer words than the entry itself, or
--               than the minimum)
-- Every outcome but extracted and fragment falls back to the entry's own content.
CREATE TABLE page_fetches (
    page_fetch_id INTEGER PRIMARY KEY,
    feed_id       INTEGER REFERENCES feeds(feed_id) ON DELETE SET NULL,
    entry_key     TEXT NOT NULL,
    url           TEXT NOT NULL,
    -- the page's canonical URL (<link rel="canonical">, og:url), tracking parameters removed
    canonical_url TEXT,
    fetched_at    TEXT NOT NULL,
    status        INTEGER,
    outcome       TEXT NOT NULL CHECK (outcome IN ('extracted', 'fragment', 'paywalled', 'blocked',
                    'http_error', 'fetch_error', 'too_large', 'not_html', 'empty', 'too_short')),
    reason        TEXT,
    -- words of the extracted main text
    words         INTEGER,
    attempts      INTEGER NOT NULL,
    article_id    INTEGER REFERENCES articles(article_id)
);

CREATE INDEX page_fetches_by_article ON page_fetches(article_id);
CREATE INDEX page_fetches_by_feed ON page_fetches(feed_id, fetched_at);
