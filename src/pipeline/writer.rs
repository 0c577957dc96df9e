//! The background writer: batches of article writes → committed transactions, while the pipeline
//! goes on accepting the next batch.
//!
//! In: batches from [`super::Pipeline::flush`]. Out: the batches written in order, several to a
//! transaction (group commit): the writer commits when `commit_documents` are written, when no
//! batch comes for [`COMMIT_IDLE`], or when the pipeline waits for the store
//! ([`BatchWriter::sync`]). Each document is wholly in one transaction. The first failure rolls
//! the open transaction back, stops the writer and is returned by the next call. At most
//! [`WAITING`] batches wait while another is written, so memory stays bounded and the pipeline
//! goes on while a commit waits for the disk; a crash loses only uncommitted batches, which a
//! re-run ingests again.
//!
//! Why group: a commit writes every page the transaction changed to the WAL, and the pages that
//! batches share (index leaves keyed by URL, cluster and story rows) are changed by nearly every
//! batch, so they were written once per batch.

use crate::error::{Error, Result};
use crate::store::{Store, WriteBatch};
use sqlx::SqlitePool;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A transaction left open this long with no batch to add is committed.
const COMMIT_IDLE: Duration = Duration::from_millis(250);

/// Batches queued for the writer at most. A commit's checkpoint waits for the disk (fsync), and
/// with one place the pipeline stopped behind it; three kept the cores busier (100k ingest,
/// alternating runs: 17.7 / 19.4 / 20.1 s → 17.7 / 18.5 / 18.9 s) for about 70 MiB more peak.
pub(super) const WAITING: usize = 3;

pub(super) struct BatchWriter {
    readers: SqlitePool,
    batches: Option<mpsc::Sender<WriteBatch>>,
    task: Option<JoinHandle<(Store, Result<()>)>>,
    /// The store while no writer task runs (between [`BatchWriter::sync`] and the next batch).
    idle: Option<Store>,
    /// Documents (and feed changes) per transaction, at most.
    commit_documents: usize,
}

impl BatchWriter {
    pub(super) fn new(store: Store, commit_documents: usize) -> Self {
        BatchWriter {
            readers: store.readers().clone(),
            batches: None,
            task: None,
            idle: Some(store),
            commit_documents,
        }
    }

    pub(super) fn readers(&self) -> &SqlitePool {
        &self.readers
    }

    /// Queues a batch; waits while [`WAITING`] batches are already waiting.
    pub(super) async fn write(&mut self, batch: WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.batches.is_none() {
            let mut store = self.idle.take().ok_or(Error::WriterGone)?;
            let (tx, mut rx) = mpsc::channel::<WriteBatch>(WAITING);
            self.batches = Some(tx);
            let commit_documents = self.commit_documents;
            self.task = Some(tokio::spawn(async move {
                let result = write_batches(&mut store, &mut rx, commit_documents).await;
                (store, result)
            }));
        }
        let sent = match &self.batches {
            Some(tx) => tx.send(batch).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            // The writer stopped on an error: report it.
            self.sync().await?;
            Err(Error::WriterGone)
        }
    }

    /// Waits until every queued batch is committed, and gives back the first error.
    pub(super) async fn sync(&mut self) -> Result<()> {
        self.batches = None;
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let (store, result) = task.await.map_err(|e| Error::Task(e.to_string()))?;
        self.idle = Some(store);
        result
    }

    /// The store, once every queued batch is committed.
    pub(super) async fn store(&mut self) -> Result<&mut Store> {
        self.sync().await?;
        self.idle.as_mut().ok_or(Error::WriterGone)
    }

    /// Commits what is queued and hands the store back.
    pub(super) async fn into_store(mut self) -> Result<Store> {
        self.sync().await?;
        self.idle.take().ok_or(Error::WriterGone)
    }
}

/// The writer task: writes the batches `rx` gives, committing as the module says, until the
/// sender is dropped (then it commits what it holds) or a write fails.
async fn write_batches(
    store: &mut Store,
    rx: &mut mpsc::Receiver<WriteBatch>,
    commit_documents: usize,
) -> Result<()> {
    // Documents and feed changes written since the open transaction began (0: none is open).
    let mut open = 0;
    loop {
        let next = if open == 0 {
            rx.recv().await
        } else {
            match tokio::time::timeout(COMMIT_IDLE, rx.recv()).await {
                Ok(next) => next,
                Err(_idle) => {
                    store.end_writes(Ok(())).await?;
                    open = 0;
                    continue;
                }
            }
        };
        // `write` queues no empty batch, so a batch always leaves a transaction open.
        let Some(batch) = next else { break };
        if open == 0 {
            store.begin_writes().await?;
        }
        let written = store.write_in_transaction(&batch).await;
        if written.is_err() {
            return store.end_writes(written).await;
        }
        open += batch.articles.len() + batch.feeds.len() + batch.splits.len();
        if open >= commit_documents {
            store.end_writes(Ok(())).await?;
            open = 0;
        }
    }
    if open > 0 {
        store.end_writes(Ok(())).await?;
    }
    Ok(())
}
