-- newsdedup core schema: sources, articles and their versions, near-duplicate clusters, search.
-- Documented in docs/SCHEMA.md. Timestamps are RFC 3339 text in UTC; simhashes are the i64 with
-- the same 64 bits.

CREATE TABLE sources (
    source_id   INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE
);

CREATE TABLE clusters (
    cluster_id  INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    -- set when this cluster was found to be the same as another and merged into it
    merged_into INTEGER REFERENCES clusters(cluster_id),
    -- the story this cluster belongs to; NULL until stories are built (the views then use cluster_id)
    story_id    INTEGER
);

CREATE TABLE cluster_merges (
    from_cluster INTEGER PRIMARY KEY REFERENCES clusters(cluster_id),
    into_cluster INTEGER NOT NULL REFERENCES clusters(cluster_id),
    merged_at    TEXT NOT NULL,
    -- the article whose arrival showed the two clusters to be one
    by_article   INTEGER NOT NULL
);

CREATE TABLE articles (
    article_id        INTEGER PRIMARY KEY,
    -- canonical URL (tracking parameters removed), or source + external id when there is no URL
    identity          TEXT NOT NULL UNIQUE,
    source_id         INTEGER NOT NULL REFERENCES sources(source_id),
    external_id       TEXT NOT NULL,
    url               TEXT,
    cluster_id        INTEGER NOT NULL REFERENCES clusters(cluster_id),
    latest_version_id INTEGER NOT NULL,
    first_seen        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX articles_by_cluster ON articles(cluster_id);
CREATE INDEX articles_by_source ON articles(source_id);

CREATE TABLE article_versions (
    version_id    INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES articles(article_id),
    version       INTEGER NOT NULL,
    title         TEXT,
    published     TEXT,
    ingested_at   TEXT NOT NULL,
    -- XXH3-64 of title and original body: a re-run with the same content adds nothing
    content_hash  INTEGER NOT NULL,
    body_kind     TEXT NOT NULL CHECK (body_kind IN ('text', 'html')),
    -- the body exactly as received
    original      TEXT NOT NULL,
    -- normalized text: markup, furniture, reader comments and learned boilerplate removed
    clean_text    TEXT NOT NULL,
    words         INTEGER NOT NULL,
    simhash       INTEGER NOT NULL,
    -- sampled shingle hashes (u32 little-endian), for containment
    sketch        BLOB NOT NULL,
    -- key hashes of short lines (u64 little-endian), for learning per-source boilerplate
    line_hashes   BLOB NOT NULL,
    -- the stored article this version matched best when it was clustered, and how well
    matched_article INTEGER,
    containment   REAL,
    hamming       INTEGER,
    -- 1 while this version is in the full-text index (the latest version, when indexing is on)
    searchable    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (article_id, version)
);
CREATE INDEX versions_by_published ON article_versions(published);

-- Full-text search over the latest version of each article (rowid = article_id). External
-- content: the text is read from the latest versions, nothing is stored twice.
CREATE VIEW article_search_content AS
SELECT a.article_id, v.title, v.clean_text
FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id;

CREATE VIRTUAL TABLE article_search USING fts5(
    title, clean_text,
    content = 'article_search_content',
    content_rowid = 'article_id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- One row per article, latest version.
CREATE VIEW article_clusters AS
SELECT a.article_id,
       a.external_id,
       a.url,
       s.name AS source,
       v.title,
       v.published,
       a.cluster_id,
       COALESCE(c.story_id, a.cluster_id) AS story_id
FROM articles a
JOIN sources s ON s.source_id = a.source_id
JOIN article_versions v ON v.version_id = a.latest_version_id
JOIN clusters c ON c.cluster_id = a.cluster_id;

-- Canonical member of a cluster: the earliest published (undated articles last), then the
-- fullest (most words), then the first stored.
CREATE VIEW cluster_members AS
SELECT a.article_id,
       a.cluster_id,
       s.name AS source,
       v.title,
       v.published,
       v.words,
       ROW_NUMBER() OVER (
           PARTITION BY a.cluster_id
           ORDER BY v.published IS NULL, v.published, v.words DESC, a.article_id
       ) AS rank
FROM articles a
JOIN sources s ON s.source_id = a.source_id
JOIN article_versions v ON v.version_id = a.latest_version_id;

CREATE VIEW cluster_summary AS
SELECT m.cluster_id,
       COUNT(*) AS size,
       COUNT(DISTINCT m.source) AS sources,
       MIN(m.published) AS first_published,
       MAX(m.published) AS last_published,
       MAX(CASE WHEN m.rank = 1 THEN m.article_id END) AS canonical_article_id,
       MAX(CASE WHEN m.rank = 1 THEN m.title END) AS canonical_title
FROM cluster_members m
GROUP BY m.cluster_id;
