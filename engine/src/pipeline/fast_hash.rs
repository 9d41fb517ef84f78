//! `FastHasher`: the hasher of the engine's hot hash maps (the per-connection plan cache,
//! probed on every `execute`/`query`; the GROUP BY group table and `IN (SELECT ..)` sets,
//! probed once per input row). Fx-style: a multiply and a rotate per 8 bytes, far cheaper
//! than std's SipHash on short keys; the rounds are the storage hash index's
//! (`ember_storage::index`); an integer (a key's tag, an integer value, a length) is one
//! round, not a pass over its bytes. Not DoS resistant (like the storage hash index): a crafted
//! collision costs time, never a wrong answer, since equal-hash keys still compare in full.

use std::hash::{BuildHasherDefault, Hasher};

use ember_storage::index::{fx_add, fx_add_word, fx_finish};

/// The `BuildHasher` for `HashMap`s keyed by SQL text or group keys.
pub(crate) type FastBuildHasher = BuildHasherDefault<FastHasher>;

/// A fast, non-cryptographic hasher (Fx-style, 8 bytes per step).
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fx_add(self.0, bytes);
    }

    // Integers are folded in whole (the default writes their bytes through `write`): what
    // derived `Hash` impls write for tags, lengths and integer fields.
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = fx_add_word(self.0, u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.0 = fx_add_word(self.0, u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.0 = fx_add_word(self.0, u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = fx_add_word(self.0, i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.0 = fx_add_word(self.0, i as u64);
    }

    fn finish(&self) -> u64 {
        fx_finish(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_texts_that_differ_in_one_byte() {
        let hash = |text: &str| {
            let mut hasher = FastHasher::default();
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        assert_ne!(
            hash("SELECT a FROM t WHERE id = ?"),
            hash("SELECT b FROM t WHERE id = ?")
        );
        assert_ne!(hash("x"), hash("y"));
        assert_eq!(hash("same"), hash("same"));
    }

    /// Integers hash by value in one round each: equal values (through any width) hash
    /// alike, and neighbouring integers spread over the low bits a table indexes by.
    #[test]
    fn integers_hash_by_value_and_spread_over_the_low_bits() {
        use std::hash::{BuildHasher, Hash};
        let build = FastBuildHasher::default();
        assert_eq!(build.hash_one(7i64), build.hash_one(7i64));
        assert_ne!(build.hash_one(7i64), build.hash_one(8i64));
        assert_ne!(build.hash_one((1u8, 2i64)), build.hash_one((2u8, 1i64)));
        let mut buckets = [0u32; 64];
        for i in 0..64_000i64 {
            buckets[(build.hash_one(i) & 63) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (800..1200).contains(&n)),
            "{buckets:?}"
        );
        // A value hashed through `Hash` and the same writes by hand agree.
        let mut by_hand = FastHasher::default();
        by_hand.write_u64(7);
        let mut derived = FastHasher::default();
        7u64.hash(&mut derived);
        assert_eq!(by_hand.finish(), derived.finish());
    }
}
