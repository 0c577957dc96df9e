//! The store: one SQLite file through sqlx, and the only place that writes it.
//!
//! In: [`ArticleWrite`]s from the pipeline, a batch per transaction (each document is wholly in
//! its batch, so after a crash a document is either wholly there or absent). Out: the tables and
//! views of `migrations/` (documented in docs/SCHEMA.md), and the state the pipeline needs at start
//! ([`Store::load_state`]).
//!
//! The database runs in WAL mode with a busy timeout, so readers (sqlite3, Datasette, `newsdedup
//! clusters`) never wait for the writer, and foreign keys on. There is one writer connection.

pub mod feeds;
pub mod pages;
mod read;
pub mod rows;
mod split;
mod write;

pub use read::*;
pub use split::*;
pub use write::*;

use crate::error::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long a connection waits for a lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Keep the full-text index in step with the articles.
    pub full_text: bool,
    /// The writer's page cache, in MiB (`[database] cache_mib`).
    pub cache_mib: u32,
}

/// The writer's page cache unless configured: it holds the B-tree and FTS pages a batch updates.
pub const DEFAULT_CACHE_MIB: u32 = 16;

impl From<&crate::config::DatabaseConfig> for StoreOptions {
    fn from(c: &crate::config::DatabaseConfig) -> Self {
        StoreOptions {
            full_text: c.full_text,
            cache_mib: c.cache_mib,
        }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            full_text: true,
            cache_mib: DEFAULT_CACHE_MIB,
        }
    }
}

/// An open store: a pool of readers and the single writer.
pub struct Store {
    path: PathBuf,
    /// Held for the store's life: one writing process per database.
    _writer_lock: std::fs::File,
    readers: SqlitePool,
    writer: SqliteConnection,
    options: StoreOptions,
}

pub(crate) fn connect_options(path: &Path) -> Result<SqliteConnectOptions> {
    let url = format!("sqlite://{}", path.display());
    let opts = SqliteConnectOptions::from_str(&url).map_err(|source| Error::Open {
        path: path.to_owned(),
        source,
    })?;
    Ok(opts
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .page_size(PAGE_SIZE)
        .pragma("temp_store", "memory")
        // Readers take READER_CACHE_KIB each and leave the rest to the operating system's
        // cache; the writer's is set from StoreOptions.
        .pragma("cache_size", format!("-{READER_CACHE_KIB}")))
}

/// Page size of a new database (an existing one keeps its own). Most of the store is article
/// text, a few KB a row that spills into overflow pages: with 16 KiB pages each row takes a
/// quarter of the pages, and the WAL writes and checkpoint copies a quarter of the system calls,
/// which made a 100k-document ingest ~7% faster for a file ~5% larger (docs/BENCHMARKS.md §5).
const PAGE_SIZE: u32 = 16 * 1024;

/// Maps a query's rows one at a time as they arrive. sqlx's `fetch_all` holds every row, each
/// value copied, until the last arrives: reading 10,000 feeds that way held ~30 MB at once. A
/// row `f` cannot read ends the scan with `f`'s error (which names the row).
pub(crate) async fn map_rows<T>(
    rows: impl futures_util::Stream<Item = std::result::Result<sqlx::sqlite::SqliteRow, sqlx::Error>>,
    context: &'static str,
    mut f: impl FnMut(&sqlx::sqlite::SqliteRow) -> Result<T>,
) -> Result<Vec<T>> {
    use crate::error::DbContext;
    use futures_util::TryStreamExt;
    let mut rows = std::pin::pin!(rows);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await.ctx(context)? {
        out.push(f(&row)?);
    }
    Ok(out)
}

/// Page cache of each read-only connection, in KiB: scans (the pipeline's restore at start)
/// would otherwise fill a writer-sized cache per connection for nothing.
const READER_CACHE_KIB: i64 = 4096;

/// The options of the read-only connections.
fn reader_options(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.read_only(true)
}

/// The database file's own path, symlinks and `..` resolved: two paths to one file (a symlink,
/// a relative and an absolute path) name one lock. A file not created yet is found by its folder.
fn canonical_db_path(path: &Path) -> Result<PathBuf> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut p = path.to_owned();
    // Symlinks to a file not created yet are followed to the file they will be (as far as the
    // system follows them: 40 links).
    for _ in 0..40 {
        if let Ok(c) = std::fs::canonicalize(&p) {
            return Ok(c);
        }
        match std::fs::read_link(&p) {
            Ok(target) => p = p.parent().unwrap_or(Path::new("")).join(target),
            Err(_) => {
                let name = p.file_name().ok_or_else(|| {
                    io(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "not a file name",
                    ))
                })?;
                let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
                let dir = std::fs::canonicalize(dir.unwrap_or(Path::new("."))).map_err(io)?;
                return Ok(dir.join(name));
            }
        }
    }
    Err(io(std::io::Error::other(
        "too many levels of symbolic links",
    )))
}

/// Takes the database's writer lock (an advisory lock on `<db>.writer-lock` beside the database
/// file, symlinks resolved, released when the process ends, however it ends), or says which
/// database another process is writing.
fn lock_writer(path: &Path) -> Result<std::fs::File> {
    let canonical = canonical_db_path(path)?;
    let mut name = canonical.as_os_str().to_owned();
    name.push(".writer-lock");
    let lock_path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| Error::Io {
            path: lock_path.clone(),
            source,
        })?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a descriptor we own; it does not touch memory.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            return Err(Error::Busy(format!(
                "database {} is being written by another newsdedup process (lock {}); wait for it to finish or stop it, then run this again (readers can run alongside)",
                path.display(),
                lock_path.display()
            )));
        }
    }
    Ok(file)
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub async fn open(path: &Path, options: StoreOptions) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let writer_lock = lock_writer(path)?;
        let opts = connect_options(path)?;
        use sqlx::ConnectOptions;
        let writer_opts = opts.clone().pragma(
            "cache_size",
            format!("-{}", u64::from(options.cache_mib.max(1)) * 1024),
        );
        let mut writer = writer_opts.connect().await.map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
        MIGRATOR
            .run(&mut writer)
            .await
            .map_err(|source| Error::Migrate {
                path: path.to_owned(),
                source,
            })?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(reader_options(opts))
            .await
            .map_err(|source| Error::Open {
                path: path.to_owned(),
                source,
            })?;
        Ok(Store {
            path: path.to_owned(),
            _writer_lock: writer_lock,
            readers,
            writer,
            options,
        })
    }

    /// Opens an existing database for reading only (no migration, no writer).
    pub async fn open_read_only(path: &Path) -> Result<SqlitePool> {
        if !path.exists() {
            return Err(Error::NotFound(format!(
                "database {} does not exist (ingest something first, or pass --db)",
                path.display()
            )));
        }
        let opts = reader_options(connect_options(path)?.create_if_missing(false));
        SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|source| Error::Open {
                path: path.to_owned(),
                source,
            })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn readers(&self) -> &SqlitePool {
        &self.readers
    }

    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Closes the connections, checkpointing the WAL.
    pub async fn close(self) -> Result<()> {
        use sqlx::Connection;
        self.readers.close().await;
        self.writer.close().await.map_err(|source| Error::Db {
            context: "closing",
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn paths_to_one_database_file_take_one_lock() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("news.db");
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        // The file does not exist yet: the link leads to the file it will be.
        let canonical = canonical_db_path(&real).unwrap();
        assert_eq!(canonical_db_path(&link).unwrap(), canonical);
        std::fs::write(&real, b"").unwrap();
        assert_eq!(canonical_db_path(&link).unwrap(), canonical);
        let lock = lock_writer(&real).unwrap();
        let e = lock_writer(&link).unwrap_err().to_string();
        assert!(
            e.contains("being written by another newsdedup process"),
            "{e}"
        );
        drop(lock);
        lock_writer(&link).unwrap();
    }
}
