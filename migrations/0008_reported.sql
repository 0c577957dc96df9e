-- Whether a version has enough text of its own to be clustered and linked to stories: 0 when,
-- once furniture, the source's learned boilerplate and the furniture learned across sources are
-- removed, fewer than 8 words are left (`pipeline::MIN_OWN_WORDS`). Such an article is stored
-- and searchable, in a cluster and story of its own that nothing is matched against. Versions
-- stored before this column count as reported.
ALTER TABLE article_versions ADD COLUMN reported INTEGER NOT NULL DEFAULT 1;
