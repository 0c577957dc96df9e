//! Ingesting inputs: readers on one thread, preparation in parallel, the pipeline in order.
//!
//! In: paths (and `-`). Out: a [`Summary`], and every readable document stored. A reader thread
//! reads a batch of documents, prepares them on all cores (rayon) and hands the batch to the
//! async side, which accepts them in input order and hands them to the writer; up to three prepared
//! batches wait, so reading and preparing go on while the pipeline waits for the writer.

use super::{Outcome, Pipeline, Prepared, Summary, Workspace, prepare_with};
use crate::error::Result;
use crate::ingest::{Item, ReadOptions, Rejected, read_inputs};
use rayon::prelude::*;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

type Batch = Vec<std::result::Result<Prepared, Rejected>>;

/// [`prepare`], with a panic on one document turned into its rejection: one strange page must
/// not stop an ingest.
pub(super) fn prepare_guarded(
    origin: String,
    doc: crate::document::Document,
    work: &mut Workspace,
) -> std::result::Result<Prepared, Rejected> {
    let o = origin.clone();
    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prepare_with(origin, doc, work)
    }));
    prepared.unwrap_or_else(|panic| {
        // Scratch space a panic left half-written is not reused.
        *work = Workspace::new(work.limits.clone());
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        Err(Rejected {
            origin: o,
            reason: format!("internal error while preparing the document: {what}"),
        })
    })
}

/// Prepared batches waiting for the pipeline at most: reading and preparing go on while the
/// pipeline waits for the writer (BENCHMARKS §5, ninth session).
const PREPARED_WAITING: usize = 3;

/// Reads, prepares and stores every document in `paths`. `on_outcome` sees each outcome (for a
/// progress display); setting `stop` ends the ingest after the batch in hand, committed.
pub async fn ingest_paths(
    pipeline: &mut Pipeline,
    paths: Vec<PathBuf>,
    opts: ReadOptions,
    stop: Arc<AtomicBool>,
    mut on_outcome: impl FnMut(&Outcome),
) -> Result<Summary> {
    let batch_size = pipeline.config().ingest.batch_size;
    let limits = pipeline.config().limits.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(PREPARED_WAITING);
    let reader_stop = stop.clone();
    let reader = std::thread::Builder::new()
        .name("newsdedup-reader".into())
        .spawn(move || {
            let mut items: Vec<Item> = Vec::with_capacity(batch_size);
            let send = |items: &mut Vec<Item>| -> ControlFlow<()> {
                let batch: Batch = std::mem::take(items)
                    .into_par_iter()
                    .map_init(
                        || Workspace::new(limits.clone()),
                        |work, item| match item {
                            Item::Doc { origin, doc } => prepare_guarded(origin, doc, work),
                            Item::Rejected(r) => Err(r),
                        },
                    )
                    .collect();
                if tx.blocking_send(batch).is_err() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            read_inputs(&paths, &opts, |item| {
                if reader_stop.load(Ordering::Relaxed) {
                    return ControlFlow::Break(());
                }
                items.push(item);
                if items.len() >= batch_size {
                    send(&mut items)
                } else {
                    ControlFlow::Continue(())
                }
            });
            if !items.is_empty() && !reader_stop.load(Ordering::Relaxed) {
                let _ = send(&mut items);
            }
        })
        .expect("spawning the reader thread");

    let mut summary = Summary::default();
    let mut result = Ok(());
    while let Some(batch) = rx.recv().await {
        let now = chrono::Utc::now();
        for item in batch {
            let outcome = match item {
                Ok(p) => pipeline.accept(p, now),
                Err(r) => Outcome::Rejected(r),
            };
            on_outcome(&outcome);
            summary.add(&outcome);
        }
        if let Err(e) = pipeline.flush().await {
            result = Err(e);
            break;
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    drop(rx);
    let _ = tokio::task::spawn_blocking(move || reader.join()).await;
    // Everything accepted is committed when this returns.
    result = result.and(pipeline.sync().await);
    result.map(|()| summary)
}
