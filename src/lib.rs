//! newsdedup: news feeds in, near-duplicate clusters and stories out, in one SQLite file.
//!
//! The modules follow the data:
//!
//! ```text
//! ingest (files, JSONL)  ─┐
//!                          ├─► extract ─► normalize ─► fingerprint ─► cluster ─► store
//! (feeds: next)          ─┘     HTML→text   clean text     simhash +      near-dup    SQLite
//!                                           + tokens        sketch         clusters
//! ```
//!
//! [`pipeline`] runs that chain for each [`document::Document`]; [`diff`] explains how the members
//! of a cluster differ; [`config`] holds the settings. The binary (`src/main.rs`, `src/cli/`) is a
//! thin layer of commands over this library.

pub mod cluster;
pub mod config;
pub mod daemon;
pub mod dense;
pub mod diff;
pub mod document;
pub mod error;
pub mod eval;
pub mod extract;
pub mod feeds;
pub mod fetch;
pub mod fingerprint;
pub mod ingest;
pub mod limits;
pub mod normalize;
pub mod pipeline;
pub mod report;
pub mod schedule;
pub mod store;
pub mod story;
#[cfg(test)]
mod test_rng;

pub use error::{Error, Result};
