//! The `newsdedup` command: a thin layer over the library. See `newsdedup --help`.

mod cli;

/// mimalloc instead of the system allocator: the pipeline builds and drops many small vectors and
/// strings per document on several threads, and glibc's malloc cost a fifth of an ingest's CPU
/// (docs/BENCHMARKS.md, section 5). Built without the default `mimalloc` feature, the binary
/// keeps the system allocator, which heap profilers such as heaptrack see into.
///
/// Two settings keep the process small (BENCHMARKS §6, third session): the crate is built with
/// `no_thp`, so mimalloc does not ask for transparent huge pages (which put whole 2 MiB pages
/// in the resident set for a few live objects), and [`return_freed_memory_at_once`] sets
/// mimalloc's purge delay to zero.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Makes mimalloc give freed memory back to the system at once instead of after its purge delay
/// (1 s in the build we link): the pipeline frees a batch's documents in bursts, and with the
/// delay those bursts stayed in the resident set (a 200,000-entry poll cycle peaked at 466
/// instead of 400 MiB). An explicit `MIMALLOC_PURGE_DELAY` in the environment wins.
#[cfg(feature = "mimalloc")]
fn return_freed_memory_at_once() {
    /// `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (include/mimalloc.h).
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options, which it reads with atomics; the library is
        // linked in by the `mimalloc` crate, whose allocator this process uses.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(feature = "mimalloc")]
    return_freed_memory_at_once();
    cli::main()
}
