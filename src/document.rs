//! What flows into the pipeline: one [`Document`] per article as a reader or a feed saw it, and
//! the identifiers the store gives things.

use chrono::{DateTime, Utc};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An article: one URL (or one source's id), across all its versions.
    ArticleId
);
id_type!(
    /// A near-duplicate cluster. Ids are never reused; a merged cluster's id resolves through
    /// `cluster_merges`.
    ClusterId
);
id_type!(
    /// A story: clusters that report the same news. A story takes the id of the cluster that
    /// started it; a merged story's id resolves through `story_merges`.
    StoryId
);
id_type!(
    /// A source (outlet or feed name).
    SourceId
);
id_type!(
    /// A feed the daemon polls.
    FeedId
);
id_type!(
    /// One stored text of an article.
    VersionId
);

/// The article body as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Plain text, one paragraph a line (entities and stray markup are tolerated).
    Text(String),
    /// An HTML page or fragment.
    Html(String),
}

impl Body {
    pub fn as_str(&self) -> &str {
        match self {
            Body::Text(s) | Body::Html(s) => s,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Body::Text(_) => "text",
            Body::Html(_) => "html",
        }
    }
}

/// One article as it arrived, before any processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The source's own id for the article (a JSONL `id`, a file name, a feed entry's guid).
    pub external_id: String,
    pub url: Option<String>,
    pub source: String,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub body: Body,
}

impl Document {
    /// The identity of the article across versions: its URL when it has one (tracking
    /// parameters removed), otherwise the source and the source's id.
    pub fn identity_key(&self) -> String {
        match &self.url {
            Some(u) if !u.trim().is_empty() => canonical_url(u),
            _ => format!("{}\u{1f}{}", self.source, self.external_id),
        }
    }
}

/// Query parameters that only track where a reader came from.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "yclid"
                | "_ga"
                | "ref"
                | "ref_src"
                | "cmpid"
                | "ocid"
                | "smid"
                | "at_medium"
                | "at_campaign"
        )
}

/// A URL with its fragment and tracking parameters removed, and scheme and host lower-cased.
pub fn canonical_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or(url);
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                path
            )
        }
        None => base.to_string(),
    };
    let kept: Vec<&str> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|kv| !kv.is_empty() && !is_tracking_param(kv.split('=').next().unwrap_or(kv)))
        .collect();
    if kept.is_empty() {
        base
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_and_fragments_do_not_change_identity() {
        assert_eq!(
            canonical_url("HTTPS://Example.COM/a/b?utm_source=x&id=3&fbclid=y#top"),
            "https://example.com/a/b?id=3"
        );
        assert_eq!(canonical_url("https://example.com"), "https://example.com/");
        assert_eq!(
            canonical_url("https://example.com/x?utm_medium=rss"),
            "https://example.com/x"
        );
    }
}
