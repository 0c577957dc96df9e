-- The names and figures a version states, line by line, packed (`fingerprint::facts::Facts`):
-- near-duplicate matching tells a copy with a figure changed from a template filled with other
-- facts by them, and a page whose text does not report its headline (a registration box, a
-- paywall notice) from a copy of an article. NULL for versions stored before this column: they
-- are matched on their wording alone.
ALTER TABLE article_versions ADD COLUMN facts BLOB;
