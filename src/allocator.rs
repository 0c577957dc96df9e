//! The process's allocator: mimalloc, and when it gives freed memory back to the system.
//!
//! mimalloc instead of the system allocator: the pipeline builds and drops many small vectors and
//! strings per document on several threads, and glibc's malloc cost a fifth of an ingest's CPU
//! (docs/BENCHMARKS.md, section 5). Built without the default `mimalloc` feature, the binary
//! keeps the system allocator, which heap profilers such as heaptrack see into.
//!
//! The crate is built with `no_thp`, so mimalloc does not ask for transparent huge pages (which
//! put whole 2 MiB pages in the resident set for a few live objects). When freed memory goes back
//! to the system depends on the command ([`FreedMemory`]).

/// What mimalloc does with pages that become free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreedMemory {
    /// Give them back at once: for the daemon and the other long-running or small commands. The
    /// pipeline frees a batch's documents in bursts, and with mimalloc's default delay of 1 s
    /// those bursts stayed in the resident set (a 200,000-entry poll cycle peaked at 466 instead
    /// of 400 MiB; BENCHMARKS §6).
    ReturnAtOnce,
    /// Keep them for reuse until the process ends: for a bulk ingest, which frees and refills
    /// the same amount of memory batch after batch. Giving it back each time cost a tenth of the
    /// 100k ingest's CPU in `madvise`, TLB shootdowns and page faults (BENCHMARKS §5, eighth
    /// session), for about 100 MB of peak.
    Keep,
}

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets what happens to freed pages from now on. An explicit `MIMALLOC_PURGE_DELAY` in the
/// environment wins. Without the `mimalloc` feature, does nothing.
pub fn set_freed_memory(policy: FreedMemory) {
    #[cfg(feature = "mimalloc")]
    {
        /// `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (include/mimalloc.h): the
        /// milliseconds before a free page is given back, or -1 for never.
        const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
        unsafe extern "C" {
            fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
        }
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        let delay = match policy {
            FreedMemory::ReturnAtOnce => 0,
            FreedMemory::Keep => -1,
        };
        // SAFETY: sets one of mimalloc's options, which it reads with atomics; the library is
        // linked in by the `mimalloc` crate, whose allocator this process uses.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, delay) };
    }
    #[cfg(not(feature = "mimalloc"))]
    let _ = policy;
}
