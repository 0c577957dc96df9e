//! A small HTTP/1.1 server on 127.0.0.1 (port 0) for the daemon's tests: each request is logged
//! and answered by the test's handler; every connection is closed after one response. It runs on
//! its own thread, so the binary under test (a child process) can reach it while the test waits.
//! It counts the requests it is handling at once, so tests can assert a client's concurrency cap.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub at: Instant,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Written as is instead of a response made of the fields above (truncated bodies, lies).
    pub raw: Option<Vec<u8>>,
    /// Waited before answering.
    pub delay: std::time::Duration,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            raw: None,
            delay: std::time::Duration::ZERO,
        }
    }

    /// Bytes written as they are, then the connection is closed.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply {
            raw: Some(bytes.into()),
            ..Reply::new(200, "")
        }
    }

    pub fn delayed(mut self, d: std::time::Duration) -> Reply {
        self.delay = d;
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

type Handler = dyn Fn(&Hit) -> Reply + Send + Sync;

pub struct Server {
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    load: Arc<Load>,
}

/// Requests being handled: from the end of their headers until just before the reply is
/// written. The client holds a request open for longer than that, so `peak` never exceeds the
/// number of requests the client really had open at once.
#[derive(Default)]
struct Load {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Server {
    pub fn start(handler: impl Fn(&Hit) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let hits = Arc::new(Mutex::new(Vec::new()));
        let load = Arc::new(Load::default());
        let (log, gauge) = (hits.clone(), load.clone());
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, handler, gauge) = (log.clone(), handler.clone(), gauge.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &log, &*handler, &gauge);
                });
            }
        });
        Server { addr, hits, load }
    }

    /// The most requests handled at once so far.
    pub fn peak_concurrency(&self) -> usize {
        self.load.peak.load(Ordering::SeqCst)
    }

    /// Every request so far, in arrival order.
    pub fn all_hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("the hit log").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The requests for `path` so far.
    pub fn hits(&self, path: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .expect("the hit log")
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }
}

fn serve_one(
    stream: std::net::TcpStream,
    log: &Mutex<Vec<Hit>>,
    handler: &Handler,
    load: &Load,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let hit = Hit {
        path,
        headers,
        at: Instant::now(),
    };
    log.lock().expect("the hit log").push(hit.clone());
    let open = load.now.fetch_add(1, Ordering::SeqCst) + 1;
    load.peak.fetch_max(open, Ordering::SeqCst);
    let reply = handler(&hit);
    std::thread::sleep(reply.delay);
    load.now.fetch_sub(1, Ordering::SeqCst);
    let mut out = stream;
    if let Some(raw) = &reply.raw {
        out.write_all(raw)?;
        return out.flush();
    }
    write!(out, "HTTP/1.1 {} Status\r\n", reply.status)?;
    for (k, v) in &reply.headers {
        write!(out, "{k}: {v}\r\n")?;
    }
    write!(
        out,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    )?;
    out.write_all(&reply.body)?;
    out.flush()
}
