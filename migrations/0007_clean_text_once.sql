-- The clean text is stored once when it is the original as received (plain text that needed no
-- cleaning, about half of a JSON Lines export): `clean_text_own` is then '' and `clean_text`, now
-- a generated column, reads the original. Queries see `clean_text` as before. An empty clean text
-- is never stored otherwise: a document with no text left is rejected.
ALTER TABLE article_versions RENAME COLUMN clean_text TO clean_text_own;
ALTER TABLE article_versions ADD COLUMN clean_text TEXT
    GENERATED ALWAYS AS (CASE clean_text_own WHEN '' THEN original ELSE clean_text_own END) VIRTUAL;

-- The rename rewrote the full-text index's content view to the stored column: point it at the
-- generated one again.
DROP VIEW article_search_content;
CREATE VIEW article_search_content AS
SELECT a.article_id, v.title, v.clean_text
FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id;
