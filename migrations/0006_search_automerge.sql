-- The full-text index merges its segments 16 at a time instead of SQLite's default of 4: a bulk
-- ingest then rewrites each indexed text about half as often (docs/BENCHMARKS.md, section 5).
-- Searches read a few more segments, which costs nothing measurable at a newsroom's scale; run
-- INSERT INTO article_search(article_search) VALUES('optimize') to merge them all into one.
INSERT INTO article_search(article_search, rank) VALUES ('automerge', 16);
