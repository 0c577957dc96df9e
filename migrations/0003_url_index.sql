-- Newsrooms look articles up by URL ("is this one of ours, and which cluster is it in?").
CREATE INDEX articles_by_url ON articles(url);
