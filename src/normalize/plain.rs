//! The fast path for plain lines: one pass over a line that needs no cleaning → its token spans and
//! token hashes.
//!
//! In: a raw line. Out: `true` with the tokens filled in when the line is *plain* — printable ASCII
//! with single spaces between words, no entity (`&`), no backquote and no space at either end, so
//! its clean form is the line itself — or `false` when it needs cleaning first
//! ([`super::text::clean_line`]). Most lines of news text are plain. An ASCII line that needed
//! cleaning is tokenized here too once clean ([`tokenize_clean`]); other lines go to
//! [`super::text::for_each_token`], which gives the same tokens.
//!
//! The line is classified 16 bytes at a time into bit masks (letters and digits, digits, `,`/`.`,
//! spaces, `&`, bytes that need the general path); tokens are the edges of the token mask, found
//! with bit scans, and each token's hash is computed from at most two 8-byte loads of the line. Tokens
//! are case-folded by setting bit 5 of each byte, which lower-cases ASCII letters and leaves digits,
//! `,` and `.` (the only other bytes a token can hold) unchanged.

use super::text::{hash_token_words, token_hash_bytes};

/// Bit masks of one line, one bit a byte, 64 bytes a word.
#[derive(Default)]
pub struct Masks {
    /// Letters and digits.
    alnum: Vec<u64>,
    /// Digits.
    digit: Vec<u64>,
    /// `,` and `.`.
    sep: Vec<u64>,
    /// Spaces.
    space: Vec<u64>,
    /// Any byte that needs the general path: controls (tab included), DEL, `` ` ``, non-ASCII.
    slow: Vec<u64>,
    /// `&`, which may open an entity in a raw line but is plain in a clean one.
    amp: Vec<u64>,
}

/// Scratch space reused across lines: the padded copy of the line, its masks and token spans.
#[derive(Default)]
pub struct Scratch {
    padded: Vec<u8>,
    masks: Masks,
    /// The token spans of the line.
    spans: Vec<(u32, u32)>,
    /// The length of the line.
    len: usize,
}

/// Bytes of zeros after the line, so that 16-byte loads at any token start stay in bounds.
const PAD: usize = 16;

/// Tokenizes a plain line: pushes each token's hash to `hashes` and its byte span to `spans`
/// (only the first `max_spans` spans are kept). Returns `false`, with `hashes` and `spans` as
/// they were, when the line is not plain.
pub fn tokenize_plain(
    line: &str,
    scratch: &mut Scratch,
    hashes: &mut Vec<u64>,
    spans: &mut Vec<(u32, u32)>,
    max_spans: usize,
) -> bool {
    tokenize_ascii(line, scratch, hashes, spans, max_spans, false)
}

/// [`tokenize_plain`] of a line already in its clean form ([`super::text::clean_line`]), where an
/// `&` is only punctuation. Returns `false` when the line is not ASCII.
pub fn tokenize_clean(
    clean: &str,
    scratch: &mut Scratch,
    hashes: &mut Vec<u64>,
    spans: &mut Vec<(u32, u32)>,
    max_spans: usize,
) -> bool {
    tokenize_ascii(clean, scratch, hashes, spans, max_spans, true)
}

fn tokenize_ascii(
    line: &str,
    scratch: &mut Scratch,
    hashes: &mut Vec<u64>,
    spans: &mut Vec<(u32, u32)>,
    max_spans: usize,
    amp_is_plain: bool,
) -> bool {
    if !find_spans(line, scratch, amp_is_plain) {
        return false;
    }
    let (found, padded) = (&scratch.spans, &scratch.padded);
    hashes.extend(
        found
            .iter()
            .map(|&(s, e)| hash_span(padded, s as usize, e as usize)),
    );
    spans.extend_from_slice(&found[..found.len().min(max_spans.saturating_sub(spans.len()))]);
    true
}

/// The token spans of a clean ASCII line, as [`tokenize_clean`] finds them; `None` when the line
/// is not ASCII or needs cleaning.
pub fn clean_token_spans<'s>(clean: &str, scratch: &'s mut Scratch) -> Option<&'s [(u32, u32)]> {
    find_spans(clean, scratch, true).then_some(&scratch.spans)
}

/// The words of the line [`clean_token_spans`] last accepted, as byte ranges: a clean line has
/// single spaces between words and none at either end, so the words lie between the bits of the
/// space mask.
pub fn clean_word_spans(scratch: &Scratch) -> impl Iterator<Item = (usize, usize)> + '_ {
    let len = scratch.len;
    let spaces = scratch.masks.space.iter().enumerate().flat_map(|(w, &m)| {
        let mut m = m;
        std::iter::from_fn(move || {
            (m != 0).then(|| {
                let at = w * 64 + m.trailing_zeros() as usize;
                m &= m - 1;
                at
            })
        })
    });
    // Each word ends at a space, the last at the end of the line.
    let mut start = 0;
    spaces
        .take_while(move |&at| at < len)
        .chain((len > 0).then_some(len))
        .map(move |end| {
            let word = (start, end);
            start = end + 1;
            word
        })
}

/// Fills `scratch` with the line padded, its masks and its token spans; `false` when the line is
/// not plain (or, with `amp_is_plain`, not clean ASCII).
fn find_spans(line: &str, scratch: &mut Scratch, amp_is_plain: bool) -> bool {
    let bytes = line.as_bytes();
    let n = bytes.len();
    if n == 0 || bytes[0] == b' ' || bytes[n - 1] == b' ' || n > u32::MAX as usize {
        return false;
    }
    let words = n.div_ceil(64);
    scratch.len = 0;
    scratch.padded.clear();
    scratch.padded.extend_from_slice(bytes);
    // Padded to whole 64-byte words plus a load's width, with zeros.
    scratch.padded.resize(words * 64 + PAD, 0);
    classify(&scratch.padded[..words * 64], &mut scratch.masks);
    let m = &mut scratch.masks;

    // Bytes past the end of the line are zeros, which count as "slow": mask them out.
    let tail = n % 64;
    if tail != 0 {
        let valid = (1u64 << tail) - 1;
        m.slow[words - 1] &= valid;
    }
    let mut bad = 0u64;
    let mut prev_space = 0u64;
    for w in 0..words {
        // A space right after a space: the clean form would collapse them.
        let s = m.space[w];
        bad |= m.slow[w] | (s & ((s << 1) | prev_space));
        if !amp_is_plain {
            bad |= m.amp[w];
        }
        prev_space = s >> 63;
    }
    if bad != 0 {
        return false;
    }

    // The token mask: letters and digits, and `,`/`.` between two digits.
    let mut tok = std::mem::take(&mut m.alnum);
    let mut carry = 0u64;
    for (w, t) in tok.iter_mut().enumerate() {
        let d = m.digit[w];
        let next_low = m.digit.get(w + 1).map_or(0, |n| n & 1);
        let before = (d << 1) | carry;
        let after = (d >> 1) | (next_low << 63);
        *t |= m.sep[w] & before & after;
        carry = d >> 63;
    }

    // Token starts and ends are the rising and falling edges of the token mask; they alternate,
    // so one token at a time is open. Bits past the line are zeros, so the last token of a line
    // that does not fill its last word ends inside it. The spans are found first and hashed in a
    // second loop, whose iterations are independent.
    let found = &mut scratch.spans;
    found.clear();
    let mut open: Option<usize> = None;
    let mut carry = 0u64;
    for (w, &t) in tok.iter().enumerate() {
        let before = (t << 1) | carry;
        carry = t >> 63;
        let mut starts = t & !before;
        let mut ends = !t & before;
        let base = w * 64;
        loop {
            if let Some(start) = open {
                if ends == 0 {
                    break;
                }
                found.push((start as u32, (base + ends.trailing_zeros() as usize) as u32));
                ends &= ends - 1;
                open = None;
            }
            if starts == 0 {
                break;
            }
            open = Some(base + starts.trailing_zeros() as usize);
            starts &= starts - 1;
        }
    }
    if let Some(start) = open {
        found.push((start as u32, n as u32));
    }
    scratch.masks.alnum = tok;
    scratch.len = n;
    true
}

/// The [`super::text::token_hash`] of the token at `start..end` of a padded line, case-folded.
#[inline]
fn hash_span(padded: &[u8], start: usize, end: usize) -> u64 {
    let len = end - start;
    if len <= 16 {
        let lo = u64::from_le_bytes(padded[start..start + 8].try_into().expect("8 bytes"));
        let hi = u64::from_le_bytes(padded[start + 8..start + 16].try_into().expect("8 bytes"));
        let (lo, hi) = fold_case_and_cut(lo, hi, len);
        return hash_token_words(lo, hi, len);
    }
    let token = &padded[start..end];
    let mut lowered = [0u8; 64];
    if len <= lowered.len() {
        for (o, &b) in lowered.iter_mut().zip(token) {
            *o = b | 0x20;
        }
        token_hash_bytes(&lowered[..len])
    } else {
        let lowered: Vec<u8> = token.iter().map(|&b| b | 0x20).collect();
        token_hash_bytes(&lowered)
    }
}

/// Case-folds the first `len` (1 to 16) bytes of two little-endian words and zeroes the rest.
#[inline]
fn fold_case_and_cut(lo: u64, hi: u64, len: usize) -> (u64, u64) {
    const CASE: u64 = 0x2020_2020_2020_2020;
    // Bits of the first `bytes` bytes (0 to 8) of a word.
    let keep = |bytes: usize| -> u64 { ((1u128 << (8 * bytes)) - 1) as u64 };
    let lo = (lo | CASE) & keep(len.min(8));
    let hi = (hi | CASE) & keep(len.saturating_sub(8));
    (lo, hi)
}

/// Fills the masks for `bytes` (a whole number of 64-byte words).
fn classify(bytes: &[u8], m: &mut Masks) {
    let words = bytes.len() / 64;
    for v in [
        &mut m.alnum,
        &mut m.digit,
        &mut m.sep,
        &mut m.space,
        &mut m.slow,
        &mut m.amp,
    ] {
        v.clear();
        v.resize(words, 0);
    }
    for (w, block) in bytes.chunks_exact(64).enumerate() {
        let [alnum, digit, sep, space, slow, amp] = classify64(block.try_into().expect("64 bytes"));
        m.alnum[w] = alnum;
        m.digit[w] = digit;
        m.sep[w] = sep;
        m.space[w] = space;
        m.slow[w] = slow;
        m.amp[w] = amp;
    }
}

/// The six masks of 64 bytes: letters and digits, digits, separators, spaces, slow bytes, `&`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify64(block: &[u8; 64]) -> [u64; 6] {
    // SAFETY: SSE2 is part of the x86_64 baseline, so every x86_64 CPU has it.
    unsafe { sse2::classify64(block) }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "sse2")]
    fn splat(b: u8) -> __m128i {
        _mm_set1_epi8(b as i8)
    }

    /// Bytes of `x` in `[lo, lo + n)`: compared as signed, `x + (0x80 - lo)` maps that range to
    /// `[-128, -128 + n)`.
    #[target_feature(enable = "sse2")]
    fn in_range(x: __m128i, lo: u8, n: u8) -> __m128i {
        let shifted = _mm_add_epi8(x, splat(0x80u8.wrapping_sub(lo)));
        _mm_cmplt_epi8(shifted, splat(0x80u8.wrapping_add(n)))
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn classify64(block: &[u8; 64]) -> [u64; 6] {
        let mut out = [0u64; 6];
        for (i, chunk) in block.chunks_exact(16).enumerate() {
            // SAFETY: `chunk` is 16 readable bytes; `_mm_loadu_si128` needs no alignment.
            let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
            let letter = in_range(_mm_or_si128(v, splat(0x20)), b'a', 26);
            let digit = in_range(v, b'0', 10);
            let alnum = _mm_or_si128(letter, digit);
            let sep = _mm_or_si128(
                _mm_cmpeq_epi8(v, splat(b',')),
                _mm_cmpeq_epi8(v, splat(b'.')),
            );
            let space = _mm_cmpeq_epi8(v, splat(b' '));
            // Signed: controls (0x00-0x1f) and every non-ASCII byte (negative) are below 0x20.
            let slow = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmplt_epi8(v, splat(0x20)),
                    _mm_cmpeq_epi8(v, splat(0x7f)),
                ),
                _mm_cmpeq_epi8(v, splat(b'`')),
            );
            let amp = _mm_cmpeq_epi8(v, splat(b'&'));
            let shift = 16 * i;
            out[0] |= (_mm_movemask_epi8(alnum) as u16 as u64) << shift;
            out[1] |= (_mm_movemask_epi8(digit) as u16 as u64) << shift;
            out[2] |= (_mm_movemask_epi8(sep) as u16 as u64) << shift;
            out[3] |= (_mm_movemask_epi8(space) as u16 as u64) << shift;
            out[4] |= (_mm_movemask_epi8(slow) as u16 as u64) << shift;
            out[5] |= (_mm_movemask_epi8(amp) as u16 as u64) << shift;
        }
        out
    }
}

/// The six masks of 64 bytes, one byte at a time (targets without SSE2, and the reference the
/// SSE2 version is tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn classify64_scalar(block: &[u8; 64]) -> [u64; 6] {
    let mut out = [0u64; 6];
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        if b.is_ascii_alphanumeric() {
            out[0] |= bit;
        }
        if b.is_ascii_digit() {
            out[1] |= bit;
        }
        if b == b',' || b == b'.' {
            out[2] |= bit;
        }
        if b == b' ' {
            out[3] |= bit;
        }
        if !(0x20..0x7f).contains(&b) || b == b'`' {
            out[4] |= bit;
        }
        if b == b'&' {
            out[5] |= bit;
        }
    }
    out
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn classify64(block: &[u8; 64]) -> [u64; 6] {
    classify64_scalar(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse2_masks_match_the_scalar_reference() {
        let mut block = [0u8; 64];
        for start in (0..256).step_by(64) {
            for (i, b) in block.iter_mut().enumerate() {
                *b = (start + i) as u8;
            }
            assert_eq!(classify64(&block), classify64_scalar(&block), "{start}");
        }
    }

    #[test]
    fn tokens_span_words_and_numbers() {
        let line = "About 16,000 Citizens, 1.5 times; O'Brien said 1,2";
        let (mut hashes, mut spans) = (Vec::new(), Vec::new());
        assert!(tokenize_plain(
            line,
            &mut Scratch::default(),
            &mut hashes,
            &mut spans,
            usize::MAX
        ));
        let words: Vec<&str> = spans
            .iter()
            .map(|&(s, e)| &line[s as usize..e as usize])
            .collect();
        assert_eq!(
            words,
            [
                "About", "16,000", "Citizens", "1.5", "times", "O", "Brien", "said", "1,2"
            ]
        );
        assert_eq!(hashes.len(), words.len());
    }

    #[test]
    fn lines_needing_cleaning_are_refused() {
        for line in [
            " leading",
            "trailing ",
            "two  spaces",
            "tab\there",
            "caf\u{e9}",
            "a &amp; b",
            "`quoted'",
            "",
        ] {
            let (mut hashes, mut spans) = (Vec::new(), Vec::new());
            assert!(
                !tokenize_plain(line, &mut Scratch::default(), &mut hashes, &mut spans, 8),
                "{line:?}"
            );
            assert!(hashes.is_empty() && spans.is_empty());
        }
    }
}
