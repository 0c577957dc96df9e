//! Reading with a bound where the bytes arrive: nothing over a limit is held whole.
//!
//! In: a reader and a [`LimitExceeded`] to raise. Out: [`Capped`], a reader that fails with that
//! error once more than its limit has come through it (for a `.gz` input's decompressed total),
//! [`read_line`], one line into a buffer of at most a limit (a longer line is skipped to its
//! newline and measured, not buffered), and [`read_capped`], a whole input of at most a limit.

use crate::limits::LimitExceeded;
use std::io::{self, BufRead, Read};

/// A reader that fails with its [`LimitExceeded`] once more than `limit` bytes came through.
pub struct Capped<R> {
    inner: R,
    left: u64,
    over: LimitExceeded,
}

impl<R: Read> Capped<R> {
    pub fn new(inner: R, over: LimitExceeded) -> Self {
        Capped {
            inner,
            left: over.limit,
            over,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte past the limit is asked for, to tell "exactly at the limit" from "over it".
        let want = buf
            .len()
            .min(usize::try_from(self.left + 1).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => Err(io::Error::other(self.over.clone())),
        }
    }
}

/// The [`LimitExceeded`] an I/O error carries, when [`Capped`] raised it.
pub fn limit_of(e: &io::Error) -> Option<&LimitExceeded> {
    e.get_ref()?.downcast_ref::<LimitExceeded>()
}

/// What [`read_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// The end of the input; nothing was read.
    End,
    /// A line is in the buffer (its newline, if it had one, included).
    Read,
    /// A line of this many bytes (newline not counted) was over the limit and skipped; the
    /// buffer holds nothing of it.
    TooLong(u64),
}

/// Reads one line into `buf` (cleared first), holding at most `limit` bytes of it plus the
/// newline: a longer line is read through to its newline without being kept.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, limit: u64) -> io::Result<Line> {
    buf.clear();
    let mut len: u64 = 0;
    let mut skipping = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(match (len, skipping) {
                (0, _) => Line::End,
                (_, false) => Line::Read,
                (n, true) => Line::TooLong(n),
            });
        }
        let (take, newline) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        len += take as u64;
        if len > limit && !skipping {
            skipping = true;
            buf.clear();
            buf.shrink_to(0);
        }
        if !skipping {
            buf.extend_from_slice(&chunk[..take + usize::from(newline)]);
        }
        reader.consume(take + usize::from(newline));
        if newline {
            return Ok(if skipping {
                Line::TooLong(len)
            } else {
                Line::Read
            });
        }
    }
}

/// Reads a whole input of at most `over.limit` bytes; a longer one fails with `over` after
/// reading one byte past the limit.
pub fn read_capped(reader: impl Read, over: &LimitExceeded) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(over.limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > over.limit {
        return Err(io::Error::other(over.clone()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn over(limit: u64) -> LimitExceeded {
        LimitExceeded::bytes("test input", "test_bytes", limit)
    }

    #[test]
    fn a_capped_reader_passes_the_limit_and_fails_past_it() {
        let mut at = Vec::new();
        Capped::new(&[7u8; 100][..], over(100))
            .read_to_end(&mut at)
            .unwrap();
        assert_eq!(at.len(), 100);
        let mut past = Vec::new();
        let e = Capped::new(&[7u8; 101][..], over(100))
            .read_to_end(&mut past)
            .unwrap_err();
        assert_eq!(limit_of(&e), Some(&over(100)));
        assert!(past.len() <= 100, "read {} bytes", past.len());
    }

    #[test]
    fn an_endless_input_stops_at_the_cap() {
        let e = Capped::new(io::repeat(b'a'), over(1 << 20))
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(limit_of(&e).is_some());
        let e = read_capped(io::repeat(b'a'), &over(1 << 20)).unwrap_err();
        assert!(limit_of(&e).is_some());
        assert_eq!(read_capped(&b"abc"[..], &over(3)).unwrap(), b"abc");
    }

    #[test]
    fn long_lines_are_measured_and_skipped_and_the_next_ones_read() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 10_000));
        input.extend(b"\nnext\nexactly10!\nlast");
        // A small buffer, so the long line spans many fills.
        let mut r = BufReader::with_capacity(64, &input[..]);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        loop {
            match read_line(&mut r, &mut buf, 10).unwrap() {
                Line::End => break,
                Line::Read => got.push(String::from_utf8(buf.clone()).unwrap()),
                Line::TooLong(n) => {
                    assert!(buf.capacity() <= 64, "the long line was buffered");
                    got.push(format!("too long: {n}"));
                }
            }
        }
        assert_eq!(
            got,
            [
                "short\n",
                "too long: 10000",
                "next\n",
                "exactly10!\n",
                "last"
            ]
        );
        let mut r = BufReader::new(&b"0123456789ab"[..]);
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::TooLong(12));
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::End);
    }
}
