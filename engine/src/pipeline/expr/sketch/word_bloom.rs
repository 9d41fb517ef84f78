//! A register-blocked bloom filter over 64-bit hashes: a hash picks one 64-bit word and sets
//! `WORD_BITS_SET` bits in it. A test is one load, a mask built from the hash with a
//! multiply and shifts, and one compare: fewer instructions than a cache-line block's eight
//! words (`bloom.rs`), which is what a test per streamed row of a hash join wants. One-word
//! blocks fill less evenly than cache lines, so they need more bits for the same rate: at
//! 16 bits per key about 0.4% of absent hashes test present (at 10 bits, 1.7%); a present
//! hash always does.

/// Bits one hash sets in its word.
pub const WORD_BITS_SET: u32 = 5;

/// Bytes in one word.
pub const WORD_BYTES: u64 = 8;

/// An odd multiplier spreading every bit of the hash into the top bits the mask reads.
const MASK_MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// A register-blocked bloom filter (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordBloom {
    words: Vec<u64>,
}

impl WordBloom {
    /// Words for `keys` keys at `bits_per_key` bits each (at least one word).
    pub fn words_for(keys: u64, bits_per_key: u64) -> u64 {
        super::bloom::units_for(keys, bits_per_key, 64)
    }

    /// An empty filter of `words` words (at least one).
    pub fn with_words(words: usize) -> WordBloom {
        WordBloom {
            words: vec![0; words.max(1)],
        }
    }

    /// Memory the bits take.
    pub fn bytes(&self) -> u64 {
        self.words.len() as u64 * WORD_BYTES
    }

    /// The word `hash` falls in: its high half scaled to the word count.
    #[inline(always)]
    fn word_of(&self, hash: u64) -> usize {
        super::bloom::unit_of(hash, self.words.len())
    }

    /// The bits `hash` sets: `WORD_BITS_SET` six-bit positions from the top of the hash
    /// mixed by one multiply (so they depend on every bit of it, not only on those that
    /// chose the word).
    #[inline(always)]
    fn mask(hash: u64) -> u64 {
        let mixed = hash.wrapping_mul(MASK_MIX);
        let mut mask = 0u64;
        for position in 0..WORD_BITS_SET {
            mask |= 1u64 << ((mixed >> (58 - 6 * position)) & 63);
        }
        mask
    }

    pub fn insert(&mut self, hash: u64) {
        let index = self.word_of(hash);
        self.words[index] |= Self::mask(hash);
    }

    /// Whether `hash` may have been inserted (`false`: it surely was not).
    #[inline(always)]
    pub fn may_contain(&self, hash: u64) -> bool {
        let mask = Self::mask(hash);
        self.words[self.word_of(hash)] & mask == mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The share of `probes` absent hashes a filter of `keys` keys at 16 bits per key
    /// reports present.
    fn false_positive_rate(keys: u64, probes: u64, seed: u64) -> f64 {
        let words = WordBloom::words_for(keys, 16) as usize;
        let filter = std::cell::RefCell::new(WordBloom::with_words(words));
        super::super::test_data::false_positive_rate(
            keys,
            probes,
            seed,
            |hash| filter.borrow_mut().insert(hash),
            |hash| filter.borrow().may_contain(hash),
        )
    }

    #[test]
    fn false_positives_stay_under_one_percent_at_sixteen_bits_per_key() {
        for (trial, keys) in [1_000u64, 10_000, 100_000].into_iter().enumerate() {
            let rate = false_positive_rate(keys, 200_000, trial as u64 * 7919);
            assert!(rate < 0.008, "{keys} keys: false-positive rate {rate}");
            assert!(
                rate > 0.0005,
                "{keys} keys: rate {rate} too low to be a bloom filter of this size"
            );
        }
    }

    #[test]
    fn size_follows_the_keys() {
        assert_eq!(WordBloom::words_for(0, 16), 1);
        assert_eq!(WordBloom::words_for(4, 16), 1);
        assert_eq!(WordBloom::words_for(5, 16), 2);
        assert_eq!(WordBloom::words_for(5, 10), 1);
        assert_eq!(WordBloom::with_words(3).bytes(), 24);
    }
}
