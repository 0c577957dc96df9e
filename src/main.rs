//! The `newsdedup` command: a thin layer over the library. See `newsdedup --help`.

mod cli;

/// mimalloc instead of the system allocator: the pipeline builds and drops many small vectors and
/// strings per document on several threads, and glibc's malloc cost a fifth of an ingest's CPU
/// (docs/BENCHMARKS.md, section 5). Built without the default `mimalloc` feature, the binary
/// keeps the system allocator, which heap profilers such as heaptrack see into.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
