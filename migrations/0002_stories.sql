-- Stories: clusters that report the same news in different words, and how their sources differ.
-- Documented in docs/SCHEMA.md.

CREATE TABLE stories (
    -- the id of the cluster that started the story
    story_id     INTEGER PRIMARY KEY,
    created_at   TEXT NOT NULL,
    merged_into  INTEGER REFERENCES stories(story_id),
    -- when story_facts were last computed
    updated_at   TEXT NOT NULL
);

CREATE TABLE story_merges (
    from_story  INTEGER PRIMARY KEY REFERENCES stories(story_id),
    into_story  INTEGER NOT NULL REFERENCES stories(story_id),
    merged_at   TEXT NOT NULL,
    by_article  INTEGER NOT NULL
);

-- Features of articles that started a cluster, for linking stories (rebuilt into memory at start).
ALTER TABLE article_versions ADD COLUMN story_features BLOB;
ALTER TABLE article_versions ADD COLUMN story_vector BLOB;
-- the article this version's cluster was linked to when it joined a story, and how similar
ALTER TABLE article_versions ADD COLUMN story_matched_article INTEGER;
ALTER TABLE article_versions ADD COLUMN story_similarity REAL;

CREATE INDEX clusters_by_story ON clusters(story_id);

-- Stories changed since their differences were last computed (the work queue of
-- `Store::refresh_stories`, which runs after each ingest and survives a crash).
CREATE TABLE stories_dirty (
    story_id INTEGER PRIMARY KEY
);

-- Per-source differences, recomputed after a story changes.
CREATE TABLE story_facts (
    story_id  INTEGER NOT NULL REFERENCES stories(story_id),
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    source    TEXT,
    value     TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX story_facts_by_story ON story_facts(story_id, kind);

CREATE VIEW story_sources AS
SELECT ac.story_id, ac.source, ac.article_id, ac.url, ac.title, ac.published
FROM article_clusters ac;

CREATE VIEW story_members AS
SELECT a.article_id,
       COALESCE(c.story_id, a.cluster_id) AS story_id,
       a.cluster_id,
       s.name AS source,
       v.title,
       v.published,
       v.words,
       ROW_NUMBER() OVER (
           PARTITION BY COALESCE(c.story_id, a.cluster_id)
           ORDER BY v.published IS NULL, v.published, v.words DESC, a.article_id
       ) AS rank
FROM articles a
JOIN clusters c ON c.cluster_id = a.cluster_id
JOIN sources s ON s.source_id = a.source_id
JOIN article_versions v ON v.version_id = a.latest_version_id;

CREATE VIEW story_summary AS
SELECT m.story_id,
       MAX(CASE WHEN m.rank = 1 THEN m.title END) AS title,
       COUNT(*) AS size,
       COUNT(DISTINCT m.source) AS sources,
       COUNT(DISTINCT m.cluster_id) AS clusters,
       MIN(m.published) AS first_published,
       MAX(m.published) AS last_published,
       MAX(CASE WHEN m.rank = 1 THEN m.article_id END) AS canonical_article_id
FROM story_members m
GROUP BY m.story_id;

CREATE VIEW story_differences AS
SELECT story_id, kind, subject, source, value, detail FROM story_facts;
