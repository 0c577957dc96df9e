//! The background writer: batches of article writes → committed transactions, while the pipeline
//! goes on accepting the next batch.
//!
//! In: batches from [`super::Pipeline::flush`]. Out: each batch committed in one transaction, in
//! order; the first failure stops the writer and is returned by the next call. At most one batch
//! waits while another is written, so memory stays bounded and a crash loses only uncommitted
//! batches, which a re-run ingests again.

use crate::error::{Error, Result};
use crate::store::{Store, WriteBatch};
use sqlx::SqlitePool;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub(super) struct BatchWriter {
    readers: SqlitePool,
    batches: Option<mpsc::Sender<WriteBatch>>,
    task: Option<JoinHandle<(Store, Result<()>)>>,
    /// The store while no writer task runs (between [`BatchWriter::sync`] and the next batch).
    idle: Option<Store>,
}

impl BatchWriter {
    pub(super) fn new(store: Store) -> Self {
        BatchWriter {
            readers: store.readers().clone(),
            batches: None,
            task: None,
            idle: Some(store),
        }
    }

    pub(super) fn readers(&self) -> &SqlitePool {
        &self.readers
    }

    /// Queues a batch; waits while another batch is already waiting.
    pub(super) async fn write(&mut self, batch: WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.batches.is_none() {
            let mut store = self.idle.take().ok_or(Error::WriterGone)?;
            let (tx, mut rx) = mpsc::channel::<WriteBatch>(1);
            self.batches = Some(tx);
            self.task = Some(tokio::spawn(async move {
                while let Some(batch) = rx.recv().await {
                    if let Err(e) = store.write_batch(&batch).await {
                        return (store, Err(e));
                    }
                }
                (store, Ok(()))
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
