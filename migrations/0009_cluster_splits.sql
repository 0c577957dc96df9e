-- Clusters split after lines their members were matched on became a source's boilerplate or
-- furniture across sources (`pipeline::split`). One row per cluster split off: the group of
-- members that no longer matches the rest, moved into a new cluster (and a story of its own).
-- The group holding the oldest member keeps the old id. Documented in docs/SCHEMA.md.
CREATE TABLE cluster_splits (
    into_cluster  INTEGER PRIMARY KEY REFERENCES clusters(cluster_id),
    from_cluster  INTEGER NOT NULL REFERENCES clusters(cluster_id),
    split_at      TEXT NOT NULL,
    -- the article whose arrival made the lines learned
    by_article    INTEGER NOT NULL,
    -- JSON array of {"line": the clean line, "learned_as": "boilerplate" or "furniture"}
    learned_lines TEXT NOT NULL,
    -- JSON array of the ids of the articles moved
    articles      TEXT NOT NULL,
    -- 1 when the moved article has too little text of its own left (`reported` = 0)
    unreported    INTEGER NOT NULL
);
CREATE INDEX cluster_splits_by_from ON cluster_splits(from_cluster);
