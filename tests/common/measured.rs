//! Running the binary with its peak memory and time measured by the kernel, not guessed: the
//! child is reaped with `wait4`, whose `ru_maxrss` is the child's peak resident set.
//!
//! On Linux that figure is an upper bound: `exec` records the high-water mark of the memory it
//! replaces, and a spawned child replaces (a copy of) the test process's, so `ru_maxrss` is the
//! larger of the child's own peak and the test process's peak before the spawn. [`Measured`]
//! keeps both, and says which one a figure is.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// What one measured run did.
pub struct Measured {
    pub output: Output,
    /// Peak resident set of the child, in bytes: an upper bound (see the module comment).
    pub peak_rss: u64,
    /// The test process's own peak before the spawn: `peak_rss` is the child's when larger.
    pub parent_peak_rss: u64,
    pub elapsed: Duration,
    /// Killed because it ran past its time bound.
    pub timed_out: bool,
}

impl Measured {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Panics with everything the run printed unless it ended within its bound, under
    /// `max_rss_mib`, without a panic message.
    pub fn assert_bounded(&self, what: &str, max_rss_mib: u64) {
        let mib = self.peak_rss / (1024 * 1024);
        assert!(
            !self.timed_out && mib < max_rss_mib && !self.stderr().contains("panicked"),
            "{what}: timed out {}, peak RSS {mib} MiB (bound {max_rss_mib} MiB; the test process \
             had {} MiB at the spawn), {:?}, {}\nstdout: {}\nstderr: {}",
            self.timed_out,
            self.parent_peak_rss / (1024 * 1024),
            self.elapsed,
            self.output.status,
            self.stdout(),
            self.stderr()
        );
    }
}

/// Runs `cmd` to completion (stdin closed, output captured), killing it after `limit`.
pub fn run_measured(mut cmd: Command, limit: Duration) -> Measured {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let parent_peak_rss = own_peak_rss();
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the binary");
    let pid = child.id() as libc::pid_t;
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let (status, rusage) = loop {
        let mut status: libc::c_int = 0;
        // SAFETY: plain FFI call with valid out-pointers; the pid is our own child's.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break (status, usage);
        }
        assert!(r >= 0, "wait4: {}", std::io::Error::last_os_error());
        if !timed_out && start.elapsed() > limit {
            timed_out = true;
            // SAFETY: signalling our own child, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The child is reaped already; keep std from waiting on it again.
    std::mem::forget(child);
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    };
    Measured {
        output,
        // Linux reports ru_maxrss in KiB.
        peak_rss: rusage.ru_maxrss as u64 * 1024,
        parent_peak_rss,
        elapsed: start.elapsed(),
        timed_out,
    }
}

/// The calling process's peak resident set so far, in bytes.
fn own_peak_rss() -> u64 {
    // SAFETY: plain FFI call with a valid out-pointer.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss as u64 * 1024
}
