//! The pipeline: documents → prepared texts → cluster assignments → the store.
//!
//! In: [`Document`]s from any reader (files today, feeds tomorrow: one code path). Out: an
//! [`Outcome`] per document, and the store updated.
//!
//! Two steps, so the expensive one runs in parallel:
//! 1. [`prepare`] (pure, any thread): extract markup, normalize, decide identity and content hash.
//! 2. [`Pipeline::accept`] (in order, one writer): skip unchanged documents, drop the source's
//!    learned boilerplate, fingerprint, cluster, and queue the write; [`Pipeline::flush`] hands
//!    the queued writes to the background writer, which commits them in one transaction while the
//!    next batch is accepted; [`Pipeline::sync`] waits until everything is committed.
//!
//! The in-memory state (known articles, cluster indexes, learned boilerplate) is rebuilt from the
//! store by [`Pipeline::open`]; if a flush fails the pipeline must be dropped and reopened.

mod files;
mod split;
mod writer;
pub use files::ingest_paths;

use crate::cluster::Clusterer;
use crate::config::Config;
use crate::dense::{DenseMap, Groups};
use crate::document::{ArticleId, Body, ClusterId, Document, SourceId, VersionId};
use crate::error::Result;
use crate::extract::{extract_html, looks_like_html};
use crate::fingerprint::facts::{self, FactLine, Facts, HeadlineSupport};
use crate::fingerprint::{Fingerprint, fingerprint};
use crate::ingest::{Origin, Rejected};
use crate::normalize::furniture::LearnedFurniture;
use crate::normalize::learned::LearnedBoilerplate;
use crate::normalize::text::{clean_line, key_hash};
use crate::normalize::{NormalizedText, Normalizer};
use crate::store::feeds::FeedWrite;
use crate::store::{ArticleWrite, NewSource, Store, WriteBatch};
use crate::story::closed_class::is_function_word;
use crate::story::features::{
    FeatureReader, Kind, Occurrence, ParagraphFeatures, StoryFeatures, feature_id,
};
use crate::story::{StoryId, Storyteller};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

/// A document after the parallel step.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub origin: Origin,
    pub doc: Document,
    pub identity: String,
    pub identity_hash: u64,
    pub content_hash: u64,
    /// The clean title.
    pub title: Option<String>,
    pub text: NormalizedText,
    /// Key hash of the clean title: a first line repeating it is dropped from the text.
    pub title_key: Option<u64>,
    /// Story features of the title and of each paragraph (same order as `text.paragraphs`).
    pub title_features: Vec<Occurrence>,
    pub paragraph_features: ParagraphFeatures,
    /// The facts of each paragraph (same order as `text.paragraphs`).
    pub paragraph_facts: Vec<Option<FactLine>>,
    /// The title's content words (story feature ids of its terms and figures, no function
    /// words), sorted: how many of them the kept text holds says whether it reports its headline.
    pub headline_words: Vec<u32>,
    /// The text as it is stored when the source's learned boilerplate drops none of its lines
    /// (nearly always), worked out here so that the sequential step only checks it.
    pub draft: Draft,
}

/// The kept text of a document, its fingerprint and story features.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Indexes of the kept paragraphs.
    pub kept_at: Vec<usize>,
    pub fingerprint: Fingerprint,
    pub clean_text: String,
    pub words: i64,
    pub story_features: StoryFeatures,
}

/// What a draft is built from: a prepared text's paragraphs, features and facts.
struct Parts<'a> {
    text: &'a NormalizedText,
    title_features: &'a [Occurrence],
    paragraph_features: &'a ParagraphFeatures,
    paragraph_facts: &'a [Option<FactLine>],
    headline_words: &'a [u32],
}

impl Prepared {
    fn parts(&self) -> Parts<'_> {
        Parts {
            text: &self.text,
            title_features: &self.title_features,
            paragraph_features: &self.paragraph_features,
            paragraph_facts: &self.paragraph_facts,
            headline_words: &self.headline_words,
        }
    }
}

impl Draft {
    /// Builds the draft of the paragraphs at `kept_at`.
    fn build(parts: &Parts<'_>, kept_at: Vec<usize>) -> Draft {
        let Parts {
            text,
            title_features,
            paragraph_features,
            ..
        } = *parts;
        let kept: Vec<_> = kept_at.iter().map(|&i| &text.paragraphs[i]).collect();
        let mut fingerprint = fingerprint(kept.iter().map(|para| para.tokens.as_slice()));

        let mut clean_text = String::with_capacity(kept.iter().map(|p| p.text.len() + 1).sum());
        for para in &kept {
            if !clean_text.is_empty() {
                clean_text.push('\n');
            }
            clean_text.push_str(&para.text);
        }
        let words = kept.iter().map(|para| para.tokens.len()).sum::<usize>() as i64;
        let story_features = crate::story::features::combine(
            std::iter::once(title_features)
                .chain(kept_at.iter().map(|&i| paragraph_features.paragraph(i))),
        );
        // Not the title's facts: outlets append their own name to a headline ("… - City Beacon"),
        // which would read as a substitution.
        fingerprint.facts = Facts::build(
            kept_at
                .iter()
                .filter_map(|&i| parts.paragraph_facts[i].as_ref()),
            parts.headline_words,
            headline_support(parts.headline_words, title_features, &story_features),
        );
        Draft {
            kept_at,
            fingerprint,
            clean_text,
            words,
            story_features,
        }
    }
}

/// How many of the headline's content words (`words`, sorted) the kept text holds, read from
/// the draft's features, which count the title's words twice over what the text adds.
fn headline_support(
    words: &[u32],
    title: &[Occurrence],
    features: &StoryFeatures,
) -> HeadlineSupport {
    let count = |id: u32| -> u32 {
        features
            .features
            .binary_search_by(|f| f.0.cmp(&id))
            .map_or(0, |at| features.features[at].2)
    };
    let found = words
        .iter()
        .filter(|&&id| {
            let in_title: u32 = title
                .iter()
                .filter(|o| o.id() == id)
                .map(|o| o.weight())
                .sum();
            count(id) > in_title
        })
        .count();
    HeadlineSupport {
        words: words.len(),
        found,
    }
}

/// The paragraphs kept of a text once the lines in `dropped` are removed: all of them if that
/// would leave none, and without a first line that repeats the headline.
fn kept_paragraphs(
    text: &NormalizedText,
    title_key: Option<u64>,
    dropped: impl Fn(&crate::normalize::Paragraph) -> bool,
) -> Vec<usize> {
    let mut kept_at: Vec<usize> = (0..text.paragraphs.len())
        .filter(|&i| !dropped(&text.paragraphs[i]))
        .collect();
    if kept_at.is_empty() {
        kept_at = (0..text.paragraphs.len()).collect();
    }
    // Texts often repeat their headline as the first line (after the source's boilerplate).
    if kept_at.len() > 1 && Some(text.paragraphs[kept_at[0]].key_hash) == title_key {
        kept_at.remove(0);
    }
    kept_at
}

/// The fewest words of its own an article needs to be clustered and linked to stories: what is
/// left once the fixed furniture rules, the source's learned boilerplate, the furniture learned
/// across sources, and the short lines its source printed in an earlier article are removed. An article with fewer is stored and searchable, in a
/// cluster and story of its own that nothing joins (`article_versions.reported` = 0).
pub const MIN_OWN_WORDS: usize = 8;

/// Paragraphs read for their facts: the first ones (boilerplate included) of a text, which
/// hold the [`facts::MAX_LINES`] lines with facts an article keeps in nearly every text.
const FACT_PARAGRAPHS: usize = 32;

/// When the rest of an article's text (without the lines its source printed before) matches
/// nothing, the article is still matched on all of it if it holds at least this share of an
/// earlier article's sketch (a copy with paragraphs added); below it, the shared lines are
/// taken for the source's template.
const COPY_CONTAINMENT: f64 = 0.9;

/// Sketch entries (about one per four words) the rest of an article needs before it can tell
/// an edited copy from a template: with fewer, the article is taken for a copy.
const MIN_REST_ENTRIES: usize = 3;

/// Scratch space for [`prepare_with`], reused from one document to the next (one per thread),
/// and the limits the extractor works within (the defaults unless [`Workspace::new`] is given
/// the configuration's).
#[derive(Default)]
pub struct Workspace {
    normalizer: Normalizer,
    features: FeatureReader,
    function_terms: FunctionTerms,
    limits: crate::limits::Limits,
}

/// The story feature ids of the function words long enough to be terms, sorted: they are not
/// what a headline reports.
struct FunctionTerms(Vec<u32>);

impl Default for FunctionTerms {
    fn default() -> Self {
        let mut ids: Vec<u32> = crate::story::closed_class::FUNCTION_WORDS
            .iter()
            .map(|w| feature_id(Kind::Term, w))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        FunctionTerms(ids)
    }
}

impl std::ops::Deref for FunctionTerms {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        &self.0
    }
}

impl Workspace {
    pub fn new(limits: crate::limits::Limits) -> Workspace {
        Workspace {
            limits,
            ..Workspace::default()
        }
    }
}

/// Extracts and normalizes one document. Pure: safe to run on any thread.
pub fn prepare(origin: Origin, doc: Document) -> std::result::Result<Prepared, Rejected> {
    prepare_with(origin, doc, &mut Workspace::default())
}

/// [`prepare`], with scratch space at hand.
pub fn prepare_with(
    origin: Origin,
    mut doc: Document,
    work: &mut Workspace,
) -> std::result::Result<Prepared, Rejected> {
    let reject = |reason: &str| Rejected {
        origin: origin.clone(),
        reason: reason.to_string(),
    };
    let plain: std::borrow::Cow<'_, str> = match &doc.body {
        Body::Html(html) => {
            let e = extract_html(html, &work.limits).map_err(|e| reject(&e.to_string()))?;
            if doc.title.is_none() {
                doc.title = e.title;
            }
            if doc.published.is_none() {
                doc.published = e.published;
            }
            if doc.url.is_none() {
                doc.url = e.canonical_url;
            }
            e.text.into()
        }
        Body::Text(t) if looks_like_html(t) => extract_html(t, &work.limits)
            .map_err(|e| reject(&e.to_string()))?
            .text
            .into(),
        Body::Text(t) => t.as_str().into(),
    };
    let title = doc
        .title
        .as_deref()
        .map(clean_line)
        .filter(|t| !t.is_empty());
    let text = work.normalizer.normalize(&plain);
    // A text that is only its headline has nothing to store.
    let title_key = title.as_deref().map(key_hash);
    let only_title = text.paragraphs.len() == 1 && Some(text.paragraphs[0].key_hash) == title_key;
    if text.paragraphs.is_empty() || only_title {
        return Err(reject(
            "no text left after removing markup, furniture and comments",
        ));
    }
    let identity = doc.identity_key();
    let mut h = Xxh3::new();
    h.update(doc.title.as_deref().unwrap_or("").as_bytes());
    h.update(b"\0");
    h.update(doc.body.as_str().as_bytes());
    let mut title_features = Vec::new();
    if let Some(t) = &title {
        work.features.read(t, true, &mut title_features);
    }
    let paragraph_features = ParagraphFeatures::read(
        &mut work.features,
        text.paragraphs.iter().map(|p| p.text.as_str()),
    );
    let fact_line = |line: &str| facts::fact_line(line, is_function_word);
    // Facts of the first paragraphs only: an article keeps the first lines with facts
    // (`fingerprint::facts`), and a long text's tail costs time and tells nothing more.
    let paragraph_facts: Vec<Option<FactLine>> = text
        .paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| (i < FACT_PARAGRAPHS).then(|| fact_line(&p.text)).flatten())
        .collect();
    let mut headline_words: Vec<u32> = title_features
        .iter()
        .filter(|o| !matches!(o.kind(), Kind::Name))
        .map(|o| o.id())
        .filter(|id| work.function_terms.binary_search(id).is_err())
        .collect();
    headline_words.sort_unstable();
    headline_words.dedup();
    let parts = Parts {
        text: &text,
        title_features: &title_features,
        paragraph_features: &paragraph_features,
        paragraph_facts: &paragraph_facts,
        headline_words: &headline_words,
    };
    let draft = Draft::build(&parts, kept_paragraphs(&text, title_key, |_| false));
    Ok(Prepared {
        paragraph_facts,
        headline_words,
        origin,
        identity_hash: xxh3_64(identity.as_bytes()),
        identity,
        content_hash: h.digest(),
        title_features,
        title,
        paragraph_features,
        text,
        title_key,
        draft,
        doc,
    })
}

/// What happened to one document.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A new article that started its own cluster. `reported` is false for an article with too
    /// little text of its own (see [`MIN_OWN_WORDS`]): stored and searchable, in no one's
    /// cluster or story.
    New {
        article: ArticleId,
        cluster: ClusterId,
        reported: bool,
    },
    /// A new article that joined an existing cluster (it copies `of`).
    NearDuplicate {
        article: ArticleId,
        cluster: ClusterId,
        of: ArticleId,
    },
    /// A stored article whose content changed: a new version.
    Updated {
        article: ArticleId,
        cluster: ClusterId,
        version: i64,
    },
    /// Already stored with this content: nothing written.
    Unchanged {
        article: ArticleId,
    },
    Rejected(Rejected),
}

/// Counts of outcomes, and the rejections in full.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub new: u64,
    /// Of `new`, the articles with too little text of their own to join a cluster or story.
    pub unreported: u64,
    pub near_duplicate: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<Rejected>,
}

impl Summary {
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::New { reported, .. } => {
                self.new += 1;
                self.unreported += u64::from(!reported);
            }
            Outcome::NearDuplicate { .. } => self.near_duplicate += 1,
            Outcome::Updated { .. } => self.updated += 1,
            Outcome::Unchanged { .. } => self.unchanged += 1,
            Outcome::Rejected(r) => self.rejected.push(r.clone()),
        }
    }

    pub fn total(&self) -> u64 {
        self.new + self.near_duplicate + self.updated + self.unchanged + self.rejected.len() as u64
    }
}

/// A stored article, under the hash of its identity.
struct Known {
    article: ArticleId,
    version: i64,
    /// The latest version's content hash (older versions' are in `Pipeline::older`): a text seen
    /// before is not stored again.
    content_hash: u64,
}

/// The sequential half of the pipeline, owning the store's writer.
pub struct Pipeline {
    writer: writer::BatchWriter,
    config: Config,
    clusterer: Clusterer,
    storyteller: Storyteller,
    /// The story of every live cluster, and the clusters of every story.
    cluster_story: DenseMap<ClusterId, StoryId>,
    story_clusters: Groups<StoryId, ClusterId>,
    learned: LearnedBoilerplate,
    furniture: LearnedFurniture,
    /// Clusters to re-check when lines their members carry are learned (see [`split`]).
    splits: split::SplitWatch,
    known: HashMap<u64, Known>,
    /// Content hashes of articles' older versions, by identity hash (few articles have any).
    older: HashMap<u64, Vec<u64>>,
    sources: HashMap<String, SourceId>,
    next_article: i64,
    next_version: i64,
    next_source: i64,
    pending: Vec<ArticleWrite>,
    pending_feeds: Vec<FeedWrite>,
}

impl Pipeline {
    /// Opens the pipeline on a store, rebuilding the in-memory state from it.
    pub async fn open(mut store: Store, config: Config) -> Result<Pipeline> {
        let counters = store.counters().await?;
        let stored_sources = store.sources().await?;
        // From every id: two names read lossily may be one string, and keep one id in the map.
        let next_source = stored_sources.iter().map(|s| s.0.0).max().unwrap_or(0) + 1;
        let sources: HashMap<String, SourceId> = stored_sources
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
        let mut clusterer = Clusterer::new(config.cluster.clone());
        clusterer.reserve_cluster_ids(counters.max_cluster);
        let mut learned = LearnedBoilerplate::new(
            config.boilerplate.min_articles,
            config.boilerplate.max_words,
        );
        let mut furniture = LearnedFurniture::default();
        let mut known = HashMap::with_capacity(counters.max_article.max(0) as usize);
        let mut storyteller = Storyteller::new(config.story.clone());
        let mut cluster_story: DenseMap<ClusterId, StoryId> = DenseMap::default();
        cluster_story.reserve_ids(counters.max_cluster.max(0) as usize);
        for (c, s) in store.cluster_stories().await? {
            cluster_story.insert(c, s);
        }
        let mut story_clusters: Groups<StoryId, ClusterId> = Groups::default();
        story_clusters.reserve_ids(counters.max_cluster.max(0) as usize);
        for (c, s) in cluster_story.iter() {
            story_clusters.push(s, c);
        }
        // Furniture counts an article in the cluster it arrived in, before any split moved it.
        let split_origins: HashMap<ArticleId, ClusterId> =
            store.split_origins().await?.into_iter().collect();
        let mut splits = split::SplitWatch::default();
        let left_out = store
            .for_each_stored(|a| {
                if let Some(ix) = a.index {
                    let boilerplate = learned.record(a.source, &ix.line_hashes);
                    let origin = split_origins.get(&a.article).copied();
                    let furnished =
                        furniture.record(a.source, origin.unwrap_or(a.cluster), &ix.line_hashes);
                    splits.note(
                        a.article,
                        a.source,
                        ix.joined_text.as_deref().map(split::line_keys),
                        &ix.line_hashes,
                        &boilerplate,
                        &furnished,
                        &learned,
                        &furniture,
                    );
                    if ix.reported {
                        clusterer.restore(a.article, a.cluster, &ix.fingerprint);
                    }
                    if let (true, Some(f), Some(v)) =
                        (ix.reported, &ix.story_features, ix.story_vector)
                    {
                        storyteller.record_features(f);
                        let story = cluster_story.get(a.cluster).unwrap_or(StoryId(a.cluster.0));
                        storyteller.restore(a.article, story, ix.published, &v);
                    }
                }
                known.insert(
                    xxh3_64(a.identity.as_bytes()),
                    Known {
                        article: a.article,
                        version: a.version,
                        content_hash: a.content_hash,
                    },
                );
            })
            .await?;
        splits.restored();
        if left_out > 0 {
            tracing::error!(
                articles = left_out,
                "stored articles left out of the pipeline's state (each logged above)"
            );
        }
        // Older versions' content hashes, so an export holding several versions of one URL adds
        // nothing when it is ingested again.
        let mut older: HashMap<u64, Vec<u64>> = HashMap::new();
        for (identity, hash) in store.older_version_hashes().await? {
            older
                .entry(xxh3_64(identity.as_bytes()))
                .or_default()
                .push(hash);
        }
        let (watched_lines, watched_carriers) = splits.len();
        tracing::debug!(
            articles = known.len(),
            sources = sources.len(),
            watched_lines,
            watched_carriers,
            "pipeline state restored"
        );
        Ok(Pipeline {
            writer: writer::BatchWriter::new(store, config.database.commit_documents),
            config,
            clusterer,
            storyteller,
            cluster_story,
            story_clusters,
            learned,
            furniture,
            splits,
            known,
            older,
            sources,
            next_article: counters.max_article + 1,
            next_version: counters.max_version + 1,
            next_source,
            pending: Vec::new(),
            pending_feeds: Vec::new(),
        })
    }

    /// The store's pool of read connections (they see what is committed; see [`Pipeline::sync`]).
    pub fn readers(&self) -> &sqlx::SqlitePool {
        self.writer.readers()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of stored articles.
    pub fn articles(&self) -> usize {
        self.known.len()
    }

    /// Writes queued since the last flush.
    pub fn pending(&self) -> usize {
        self.pending.len() + self.pending_feeds.len()
    }

    fn source_id(&mut self, name: &str) -> (SourceId, Option<NewSource>) {
        if let Some(&id) = self.sources.get(name) {
            return (id, None);
        }
        let id = SourceId(self.next_source);
        self.next_source += 1;
        self.sources.insert(name.to_string(), id);
        (
            id,
            Some(NewSource {
                id,
                name: name.to_string(),
            }),
        )
    }

    /// Takes one prepared document, in arrival order, and queues its write.
    pub fn accept(&mut self, mut p: Prepared, now: DateTime<Utc>) -> Outcome {
        let (article, version, is_new) = match self.known.get(&p.identity_hash) {
            Some(k)
                if k.content_hash == p.content_hash
                    || self
                        .older
                        .get(&p.identity_hash)
                        .is_some_and(|o| o.contains(&p.content_hash)) =>
            {
                return Outcome::Unchanged { article: k.article };
            }
            Some(k) => (k.article, k.version + 1, false),
            None => {
                let id = ArticleId(self.next_article);
                self.next_article += 1;
                (id, 1, true)
            }
        };
        let (source, new_source) = self.source_id(&p.doc.source);

        // The source's learned boilerplate and the furniture learned across sources are not the
        // article's reporting; what is left is its own text.
        let learned_line =
            |h: u64| self.learned.is_boilerplate(source, h) || self.furniture.is_furniture(h);
        let own_at = kept_paragraphs(&p.text, p.title_key, |para| learned_line(para.key_hash));
        let dropped_all = own_at
            .iter()
            .all(|&i| learned_line(p.text.paragraphs[i].key_hash));
        let words_at = |at: &[usize]| -> usize {
            if dropped_all {
                0
            } else {
                at.iter().map(|&i| p.text.paragraphs[i].tokens.len()).sum()
            }
        };
        // A source's first articles: lines it has printed before (up to the longest lines learned)
        // are its template until learned, and a template alone never makes a copy: unless the rest
        // of the text matches too, the article is matched on the rest alone.
        let fresh_at: Vec<usize> = own_at
            .iter()
            .copied()
            .filter(|&i| {
                let para = &p.text.paragraphs[i];
                !(self.learned.tracks(para.tokens.len())
                    && self.learned.seen_in_source(source, para.key_hash))
            })
            .collect();
        let fresh_words = words_at(&fresh_at);
        let own_words = words_at(&own_at);
        let reported = own_words >= MIN_OWN_WORDS;
        let p_draft = std::mem::take(&mut p.draft);
        let parts = p.parts();
        let build = |kept_at: Vec<usize>, p_draft: Draft| {
            if p_draft.kept_at == kept_at && !p_draft.kept_at.is_empty() {
                p_draft
            } else {
                Draft::build(&parts, kept_at)
            }
        };
        let draft = if !reported || fresh_at.len() == own_at.len() || fresh_words < MIN_OWN_WORDS {
            // Nothing held back, or nothing but what the source printed before: a copy of an
            // earlier article (a page of nothing but its template is learned as such later).
            build(own_at, p_draft)
        } else {
            // The rest of the text decides: when it matches, or the earlier article is copied
            // whole, the held-back lines are shared reporting; otherwise they are the template.
            let fresh = build(fresh_at, Draft::default());
            if !self
                .clusterer
                .matches(article, &fresh.fingerprint)
                .is_empty()
            {
                build(own_at, p_draft)
            } else {
                let own = build(own_at, p_draft);
                let best = self.clusterer.matches(article, &own.fingerprint);
                // The rest matches the article the whole matched when a quarter of its sketch is
                // found there (an edited copy); too short to sketch, it is an edit too.
                let copied = best.first().is_some_and(|(_, m)| {
                    m.containment >= COPY_CONTAINMENT
                        || self
                            .clusterer
                            .entries_found(&fresh.fingerprint, m.article)
                            .is_some_and(|(found, of)| of < MIN_REST_ENTRIES || 4 * found >= of)
                });
                if copied { own } else { fresh }
            }
        };
        let mut line_hashes: Vec<u64> = p
            .text
            .paragraphs
            .iter()
            .filter(|para| self.learned.tracks(para.tokens.len()))
            .map(|para| para.key_hash)
            .collect();
        line_hashes.sort_unstable();
        line_hashes.dedup();
        let boilerplate = if is_new {
            self.learned.record(source, &line_hashes)
        } else {
            Vec::new()
        };

        let Draft {
            fingerprint: fp,
            clean_text,
            words,
            story_features: features,
            kept_at,
        } = draft;
        let assignment = if reported {
            self.clusterer.assign(article, &fp)
        } else {
            self.clusterer.start_alone(article)
        };
        let furnished = if is_new {
            self.furniture
                .record(source, assignment.cluster, &line_hashes)
        } else {
            Vec::new()
        };
        let joined = reported && assignment.best.is_some();
        self.splits.note(
            article,
            source,
            joined.then(|| kept_at.iter().map(|&i| p.text.paragraphs[i].key_hash)),
            &line_hashes,
            &boilerplate,
            &furnished,
            &self.learned,
            &self.furniture,
        );

        // Stories: an article that starts a cluster is linked by its features; a copy shares its
        // cluster's story; clusters merged by this article bring their stories along.
        let mut story_features = None;
        let mut story_vector = None;
        let mut story_matched = None;
        let mut story_merged: Vec<StoryId> = Vec::new();
        let (story, story_started) = if !reported {
            // Too little reporting of its own: a story of its own, linked to nothing.
            (StoryId(assignment.cluster.0), true)
        } else if assignment.started {
            let ids: Vec<u32> = features.features.iter().map(|f| f.0).collect();
            let vector = self.storyteller.record_and_vector(&features);
            let s = self
                .storyteller
                .assign(article, assignment.cluster, p.doc.published, &vector);
            story_features = Some(ids);
            story_vector = Some(vector);
            story_matched = s.best;
            story_merged = s.merged;
            (s.story, s.started)
        } else {
            let s = self
                .cluster_story
                .get(assignment.cluster)
                .unwrap_or(StoryId(assignment.cluster.0));
            for c in &assignment.merged {
                if let Some(other) = self.cluster_story.get(*c)
                    && other != s
                    && !story_merged.contains(&other)
                {
                    story_merged.push(other);
                }
            }
            self.storyteller.merge(s, &story_merged);
            (s, false)
        };
        for c in &assignment.merged {
            self.cluster_story.remove(*c);
        }
        for m in &story_merged {
            let cs = self.story_clusters.remove(*m);
            for &c in &cs {
                self.cluster_story.insert(c, story);
            }
            self.story_clusters.extend(story, cs);
        }
        if assignment.started {
            self.cluster_story.insert(assignment.cluster, story);
            self.story_clusters.push(story, assignment.cluster);
        }

        match self.known.entry(p.identity_hash) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let known = e.get_mut();
                known.version = version;
                let previous = std::mem::replace(&mut known.content_hash, p.content_hash);
                self.older
                    .entry(p.identity_hash)
                    .or_default()
                    .push(previous);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Known {
                    article,
                    version,
                    content_hash: p.content_hash,
                });
            }
        }
        let version_id = VersionId(self.next_version);
        self.next_version += 1;
        let outcome = match (is_new, assignment.best) {
            (false, _) => Outcome::Updated {
                article,
                cluster: assignment.cluster,
                version,
            },
            (true, Some(m)) => Outcome::NearDuplicate {
                article,
                cluster: assignment.cluster,
                of: m.article,
            },
            (true, None) => Outcome::New {
                article,
                cluster: assignment.cluster,
                reported,
            },
        };
        self.pending.push(ArticleWrite {
            article,
            is_new,
            identity: p.identity,
            source,
            new_source,
            external_id: p.doc.external_id,
            url: p.doc.url,
            version_id,
            version,
            title: p.title,
            published: p.doc.published,
            ingested_at: now,
            content_hash: p.content_hash,
            body_kind: p.doc.body.kind(),
            original: match p.doc.body {
                Body::Text(s) | Body::Html(s) => s,
            },
            clean_text,
            words,
            fingerprint: fp,
            line_hashes,
            reported,
            cluster: assignment.cluster,
            cluster_started: assignment.started,
            merged: assignment.merged,
            matched: assignment
                .best
                .map(|m| (m.article, m.containment, m.hamming)),
            story,
            story_started,
            story_merged,
            story_features,
            story_vector,
            story_matched,
        });
        outcome
    }

    /// Hands the queued writes to the background writer (one transaction); waits only while an
    /// earlier batch is still waiting. An error of an earlier batch is returned here.
    pub async fn flush(&mut self) -> Result<()> {
        let splits = self.split_clusters().await?;
        self.splits
            .handed(&self.pending, self.config.database.commit_documents);
        let batch = WriteBatch {
            articles: std::mem::take(&mut self.pending),
            feeds: std::mem::take(&mut self.pending_feeds),
            splits,
        };
        self.writer.write(batch).await
    }

    /// Prepares documents in parallel and accepts them in order, queueing their writes: the path
    /// feed entries take, as files take it through [`ingest_paths`]. A document whose preparation
    /// fails (or panics) is rejected and the rest go on.
    pub async fn ingest_documents(&mut self, docs: Vec<(Origin, Document)>) -> Vec<Outcome> {
        use rayon::prelude::*;
        let limits = self.config.limits.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            docs.into_par_iter()
                .map_init(
                    || Workspace::new(limits.clone()),
                    |work, (origin, doc)| files::prepare_guarded(origin, doc, work),
                )
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let now = Utc::now();
        prepared
            .into_iter()
            .map(|p| match p {
                Ok(p) => self.accept(p, now),
                Err(r) => Outcome::Rejected(r),
            })
            .collect()
    }

    /// Queues a change to the feed tables, committed with the next batch.
    pub fn record_feed(&mut self, w: FeedWrite) {
        self.pending_feeds.push(w);
    }

    /// Flushes and waits until every write so far is committed.
    pub async fn sync(&mut self) -> Result<()> {
        self.flush().await?;
        self.writer.sync().await
    }

    /// Recomputes the differences of the stories changed since they were last computed.
    pub async fn refresh_stories(&mut self) -> Result<usize> {
        self.sync().await?;
        self.writer.store().await?.refresh_stories().await
    }

    /// Commits everything and closes the store, leaving story differences queued (they are
    /// computed by the next [`Pipeline::refresh_stories`] or [`Pipeline::close`], also after a
    /// restart): for stopping quickly.
    pub async fn shutdown(mut self) -> Result<()> {
        self.flush().await?;
        self.writer.into_store().await?.close().await
    }

    /// Commits everything, brings story differences up to date, and closes the store.
    pub async fn close(mut self) -> Result<()> {
        self.flush().await?;
        let mut store = self.writer.into_store().await?;
        let started = std::time::Instant::now();
        let stories = store.refresh_stories().await?;
        tracing::info!(
            stories,
            seconds = started.elapsed().as_secs_f64(),
            "story differences brought up to date"
        );
        store.close().await
    }
}
