//! A blocked bloom filter over 64-bit hashes: the bits are split into blocks of one cache
//! line (512 bits, eight 64-bit words), a hash picks one block and sets one bit in each of
//! its eight words (the bit chosen by multiplying the hash's low half with a per-word odd
//! salt, as Parquet's split-block filter does). A test reads one cache line. At 10 bits
//! per key about 1% of absent hashes test present; a present hash always does.

/// Bits in one block.
pub const BLOCK_BITS: u64 = 512;

/// Bytes in one block.
pub const BLOCK_BYTES: u64 = BLOCK_BITS / 8;

/// One block: a cache line of eight words.
pub type Block = [u64; 8];

/// The odd multipliers choosing a block's bit per word (Parquet's split-block salts,
/// widened to 64 bits of state by the block choice taking the hash's high half).
const SALTS: [u32; 8] = [
    0x47b6_137b,
    0x4497_4d91,
    0x8824_ad5b,
    0xa2b7_289d,
    0x7054_95c7,
    0x2df1_424b,
    0x9efc_4947,
    0x5c6b_fb31,
];

/// A blocked bloom filter (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedBloom {
    blocks: Vec<Block>,
}

impl BlockedBloom {
    /// Blocks for `keys` keys at `bits_per_key` bits each (at least one block).
    pub fn blocks_for(keys: u64, bits_per_key: u64) -> u64 {
        units_for(keys, bits_per_key, BLOCK_BITS)
    }

    /// An empty filter of `blocks` blocks (at least one).
    pub fn with_blocks(blocks: usize) -> BlockedBloom {
        BlockedBloom {
            blocks: vec![[0; 8]; blocks.max(1)],
        }
    }

    /// A filter holding `blocks` (at least one block).
    pub fn from_blocks(blocks: Vec<Block>) -> BlockedBloom {
        debug_assert!(!blocks.is_empty());
        BlockedBloom { blocks }
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Memory the bits take.
    pub fn bytes(&self) -> u64 {
        self.blocks.len() as u64 * BLOCK_BYTES
    }

    /// The block `hash` falls in: its high half scaled to the block count.
    #[inline(always)]
    fn block_of(&self, hash: u64) -> usize {
        unit_of(hash, self.blocks.len())
    }

    /// The bit of each word `hash` sets.
    #[inline(always)]
    fn mask(hash: u64) -> Block {
        let low = hash as u32;
        let mut mask = [0u64; 8];
        for (word, salt) in mask.iter_mut().zip(SALTS) {
            *word = 1u64 << (low.wrapping_mul(salt) >> 26);
        }
        mask
    }

    pub fn insert(&mut self, hash: u64) {
        let index = self.block_of(hash);
        let mask = Self::mask(hash);
        for (word, bit) in self.blocks[index].iter_mut().zip(mask) {
            *word |= bit;
        }
    }

    /// Whether `hash` may have been inserted (`false`: it surely was not).
    #[inline]
    pub fn may_contain(&self, hash: u64) -> bool {
        let block = &self.blocks[self.block_of(hash)];
        let mask = Self::mask(hash);
        block
            .iter()
            .zip(mask)
            .fold(true, |all, (word, bit)| all & (word & bit != 0))
    }

    /// Adds every hash `other` holds; `false` (nothing changed) when the geometries differ.
    pub fn union(&mut self, other: &BlockedBloom) -> bool {
        if self.blocks.len() != other.blocks.len() {
            return false;
        }
        for (mine, theirs) in self.blocks.iter_mut().zip(&other.blocks) {
            for (word, bits) in mine.iter_mut().zip(theirs) {
                *word |= bits;
            }
        }
        true
    }
}

/// Units (blocks or words) of `unit_bits` bits for `keys` keys at `bits_per_key` bits each
/// (at least one): the sizing of every blocked filter here.
pub(super) fn units_for(keys: u64, bits_per_key: u64, unit_bits: u64) -> u64 {
    keys.saturating_mul(bits_per_key).div_ceil(unit_bits).max(1)
}

/// The unit of `units` that `hash` falls in: its high half scaled to the count (the low
/// half is left for the bits chosen within the unit).
#[inline(always)]
pub(super) fn unit_of(hash: u64, units: usize) -> usize {
    (((hash >> 32) * units as u64) >> 32) as usize
}

/// A 64-bit mix of `seed` (splitmix64's finalizer), for tests and callers that need
/// well-spread hashes from counters.
pub fn mix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The share of `probes` absent hashes a filter of `keys` keys at `bits` bits per key
    /// reports present.
    fn false_positive_rate(keys: u64, bits: u64, probes: u64, seed: u64) -> f64 {
        let blocks = BlockedBloom::blocks_for(keys, bits) as usize;
        let filter = std::cell::RefCell::new(BlockedBloom::with_blocks(blocks));
        super::super::test_data::false_positive_rate(
            keys,
            probes,
            seed,
            |hash| filter.borrow_mut().insert(hash),
            |hash| filter.borrow().may_contain(hash),
        )
    }

    #[test]
    fn false_positives_stay_near_one_percent_at_ten_bits_per_key() {
        for (trial, keys) in [1_000u64, 10_000, 100_000].into_iter().enumerate() {
            let rate = false_positive_rate(keys, 10, 200_000, trial as u64 * 7919);
            assert!(rate < 0.02, "{keys} keys: false-positive rate {rate}");
            assert!(
                rate > 0.0005,
                "{keys} keys: rate {rate} too low to be a bloom filter"
            );
        }
    }

    #[test]
    fn more_bits_per_key_give_fewer_false_positives() {
        let ten = false_positive_rate(20_000, 10, 100_000, 11);
        let sixteen = false_positive_rate(20_000, 16, 100_000, 11);
        assert!(sixteen < ten, "16 bits/key {sixteen} vs 10 bits/key {ten}");
    }

    #[test]
    fn union_holds_both_sides_and_refuses_other_geometry() {
        let mut a = BlockedBloom::with_blocks(4);
        let mut b = BlockedBloom::with_blocks(4);
        let mut both = BlockedBloom::with_blocks(4);
        for key in 0..100 {
            let hash = mix64(key);
            if key % 2 == 0 {
                a.insert(hash);
            } else {
                b.insert(hash);
            }
            both.insert(hash);
        }
        assert!(a.union(&b));
        assert_eq!(a, both);
        assert!(!a.union(&BlockedBloom::with_blocks(5)));
        assert_eq!(a.bytes(), 4 * BLOCK_BYTES);
    }
}
