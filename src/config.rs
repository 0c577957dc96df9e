//! Configuration: the commented default in `config/newsdedup.toml` (embedded), an optional file,
//! environment variables (`NEWSDEDUP_SECTION__KEY`), then command-line flags, each overriding the
//! one before.

use crate::cluster::ClusterParams;
use crate::error::{Error, Result};
use crate::schedule::ScheduleConfig;
use crate::store::feeds::FullTextPolicy;
use crate::story::StoryParams;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The shipped default configuration.
pub const DEFAULT_TOML: &str = include_str!("../config/newsdedup.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub ingest: IngestConfig,
    pub boilerplate: BoilerplateConfig,
    pub cluster: ClusterParams,
    pub story: StoryParams,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    #[serde(default)]
    pub daemon: DaemonConfig,
    #[serde(default)]
    pub fetch: crate::fetch::FetchConfig,
    /// Bounds on the work one input may cause.
    #[serde(default)]
    pub limits: crate::limits::Limits,
    /// Feeds listed in the config file (`[[feeds]]`): added to the store when the daemon starts.
    #[serde(default)]
    pub feeds: Vec<FeedConfig>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseConfig {
    pub path: PathBuf,
    pub full_text: bool,
    /// The writer's SQLite page cache, in MiB.
    pub cache_mib: u32,
    /// Documents the background writer puts in one transaction at most (group commit).
    pub commit_documents: usize,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IngestConfig {
    pub batch_size: usize,
    /// The writer's SQLite page cache during `newsdedup ingest`, in MiB, in place of
    /// `database.cache_mib`.
    pub cache_mib: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BoilerplateConfig {
    pub min_articles: u32,
    pub max_words: usize,
}

/// The daemon (`newsdedup run`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// Who runs this daemon (an e-mail address or a URL), sent in the User-Agent so that site
    /// owners can reach you.
    pub contact: String,
    /// Address of the `/healthz` and `/metrics` endpoints; empty turns them off.
    pub listen: String,
    /// How often story differences are brought up to date while running, in seconds.
    pub story_refresh_secs: u64,
    /// On SIGINT/SIGTERM, polls still running after this many seconds are abandoned.
    pub shutdown_grace_secs: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            contact: String::new(),
            listen: "127.0.0.1:9464".into(),
            story_refresh_secs: 60,
            shutdown_grace_secs: 10,
        }
    }
}

/// A feed listed in the config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    /// A fixed poll interval, e.g. "15m" (default: adapted to the feed).
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub full_text: FullTextPolicy,
}

impl Config {
    /// Loads the default, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        Self::load_with_env(file, true)
    }

    /// The embedded default alone (for tests and benchmarks).
    pub fn default_config() -> Config {
        Self::load_with_env(None, false).expect("the embedded default configuration is valid")
    }

    fn load_with_env(file: Option<&Path>, env: bool) -> Result<Config> {
        use config::{Environment, File, FileFormat};
        let mut b =
            config::Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        let origin = match file {
            Some(p) => {
                if !p.exists() {
                    return Err(Error::Config {
                        path: p.display().to_string(),
                        message: "no such file".into(),
                    });
                }
                b = b.add_source(File::from(p).format(FileFormat::Toml));
                p.display().to_string()
            }
            None => "(built-in default)".to_string(),
        };
        if env {
            b = b.add_source(
                Environment::with_prefix("NEWSDEDUP")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    // Lists from the environment: comma-separated.
                    .list_separator(",")
                    .with_list_parse_key("fetch.allow_hosts"),
            );
        }
        let cfg: Config =
            b.build()
                .and_then(|c| c.try_deserialize())
                .map_err(|e| Error::Config {
                    path: origin.clone(),
                    message: e.to_string(),
                })?;
        cfg.validate().map_err(|message| Error::Config {
            path: origin,
            message,
        })?;
        Ok(cfg)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let c = &self.cluster;
        if c.max_hamming > 15 {
            return Err(format!(
                "cluster.max_hamming = {} (at most 15)",
                c.max_hamming
            ));
        }
        for (name, v) in [
            ("min_containment", c.min_containment),
            ("bridge_containment", c.bridge_containment),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("cluster.{name} = {v} (must be between 0 and 1)"));
            }
        }
        if !(0.0..=1.0).contains(&self.story.min_similarity) {
            return Err(format!(
                "story.min_similarity = {} (must be between 0 and 1)",
                self.story.min_similarity
            ));
        }
        if self.story.window_hours <= 0 {
            return Err(format!(
                "story.window_hours = {} (must be positive)",
                self.story.window_hours
            ));
        }
        if self.boilerplate.min_articles > crate::normalize::learned::MAX_MIN_ARTICLES {
            return Err(format!(
                "boilerplate.min_articles = {} (at most {})",
                self.boilerplate.min_articles,
                crate::normalize::learned::MAX_MIN_ARTICLES
            ));
        }
        if self.ingest.batch_size == 0 {
            return Err("ingest.batch_size = 0 (must be at least 1)".into());
        }
        if self.database.commit_documents == 0 {
            return Err("database.commit_documents = 0 (must be at least 1)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_loads_and_matches_the_code_defaults() {
        let c = Config::default_config();
        let d = ClusterParams::default();
        assert_eq!(c.cluster.max_hamming, d.max_hamming);
        assert_eq!(c.cluster.min_containment, d.min_containment);
        assert_eq!(c.cluster.min_shared, d.min_shared);
        assert_eq!(c.cluster.min_sketch, d.min_sketch);
        assert_eq!(c.cluster.bridge_containment, d.bridge_containment);
        assert_eq!(c.cluster.max_candidates, d.max_candidates);
        assert!(c.database.full_text);
        let s = StoryParams::default();
        assert_eq!(c.story.min_similarity, s.min_similarity);
        assert_eq!(c.story.window_hours, s.window_hours);
        assert_eq!(c.story.name_boost, s.name_boost);
        assert_eq!(c.story.figure_boost, s.figure_boost);
        assert_eq!(c.story.vector_size, s.vector_size);
        assert_eq!(c.story.max_candidates, s.max_candidates);
        assert_eq!(c.limits, crate::limits::Limits::default());
        assert_eq!(c.fetch, crate::fetch::FetchConfig::default());
    }

    #[test]
    fn a_bad_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, "[cluster]\nmin_containment = 7\n").unwrap();
        let e = Config::load_with_env(Some(&p), false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad.toml") && e.contains("min_containment"),
            "{e}"
        );
    }
}
