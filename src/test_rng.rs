//! A small deterministic generator for the unit tests' random inputs (xorshift64).

/// Returns a generator of pseudo-random `u64`s starting from `seed` (which must not be zero).
pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
