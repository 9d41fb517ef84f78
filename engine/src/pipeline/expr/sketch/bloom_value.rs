//! The bloom filter as a stored value: `bloom_filter(x [, capacity [, false_positive_rate]])`
//! builds one, `bloom_contains(filter, v)` tests a value, `bloom_merge(filter)` ORs filters
//! of one geometry. A blocked filter (`bloom.rs`) over the sketches' fixed value hash
//! (`item.rs`: equal values, 1 and 1.0 too, hash alike, in any process), sized for
//! `capacity` values at `bits_per_key(rate)` bits each, so that with at most `capacity`
//! distinct values about `rate` of absent values test present (never a present one
//! absent). Payload: the block count (u32), then each block's eight words (u64, little
//! endian), in the sketch envelope (`format.rs`, kind `Bloom`).

use ember_storage::Value;

use super::bloom::{Block, BlockedBloom, BLOCK_BYTES};
use super::format::{self, DecodeError, Reader, SketchKind, Writer};
use super::item::hash_value;

/// Values a filter is sized for when the call names no capacity.
pub const CAPACITY_DEFAULT: u64 = 10_000;

/// The false-positive rate a filter is sized for when the call names none.
pub const RATE_DEFAULT: f64 = 0.01;

/// The rates a call may ask for. Each value sets one bit in each of a block's eight words,
/// which holds the rate up to a quarter; below one in ten thousand the filter grows large.
pub const RATE_MIN: f64 = 0.0001;
pub const RATE_MAX: f64 = 0.25;

/// Fewest bits per value: at fewer, eight bits per value fill a block too fast.
const BITS_PER_KEY_MIN: u64 = 6;

/// Bits per value for `rate`: an ideal bloom filter's `1.44 * log2(1 / rate)`, times 1.35
/// for the blocked layout (values fall unevenly over blocks, and eight bits per value are
/// more than the ideal count for the larger rates).
pub fn bits_per_key(rate: f64) -> u64 {
    debug_assert!((RATE_MIN..=RATE_MAX).contains(&rate));
    let ideal = 1.44 * (1.0 / rate).log2();
    ((ideal * 1.35).ceil() as u64).max(BITS_PER_KEY_MIN)
}

/// Blocks for `capacity` values at `rate`.
pub fn blocks_for(capacity: u64, rate: f64) -> u64 {
    BlockedBloom::blocks_for(capacity, bits_per_key(rate))
}

/// Most blocks a stored filter may have (`limits::BLOOM_FILTER_BYTES_MAX`).
pub fn blocks_max() -> u64 {
    crate::limits::BLOOM_FILTER_BYTES_MAX / BLOCK_BYTES
}

/// A bloom filter over SQL values (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomValue {
    filter: BlockedBloom,
}

impl BloomValue {
    /// An empty filter of `blocks` blocks (at least one, at most `blocks_max()`).
    pub fn new(blocks: u64) -> BloomValue {
        debug_assert!(blocks >= 1 && blocks <= blocks_max());
        BloomValue {
            filter: BlockedBloom::with_blocks(blocks as usize),
        }
    }

    /// How many blocks it has (its geometry: filters merge only at equal counts).
    pub fn blocks(&self) -> usize {
        self.filter.blocks().len()
    }

    /// Memory the filter holds.
    pub fn heap_bytes(&self) -> usize {
        self.filter.bytes() as usize
    }

    /// Adds a non-NULL value.
    pub fn add(&mut self, value: &Value) {
        debug_assert!(!value.is_null());
        self.filter.insert(hash_value(value));
    }

    /// Whether `value` may have been added (`false`: it surely was not).
    pub fn contains(&self, value: &Value) -> bool {
        self.filter.may_contain(hash_value(value))
    }

    /// Adds every value `other` holds; `Err((mine, theirs))`, the two block counts, when
    /// the geometries differ (nothing changed).
    pub fn merge(&mut self, other: &BloomValue) -> Result<(), (usize, usize)> {
        if self.filter.union(&other.filter) {
            Ok(())
        } else {
            Err((self.blocks(), other.blocks()))
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u32(u32::try_from(self.blocks()).unwrap_or(u32::MAX));
        for block in self.filter.blocks() {
            for word in block {
                writer.u64(*word);
            }
        }
        format::encode(SketchKind::Bloom, &writer.bytes)
    }

    /// The filter stored in `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<BloomValue, DecodeError> {
        let mut reader = Reader::new(format::decode(bytes, SketchKind::Bloom)?);
        let blocks = u64::from(reader.u32()?);
        if blocks == 0 || blocks > blocks_max() {
            return Err(DecodeError::BadPayload("a block count out of range"));
        }
        if reader.remaining() as u64 != blocks * BLOCK_BYTES {
            return Err(DecodeError::BadPayload("blocks of the wrong size"));
        }
        let mut filter = Vec::with_capacity(blocks as usize);
        for _ in 0..blocks {
            let mut block: Block = [0; 8];
            for word in &mut block {
                *word = reader.u64()?;
            }
            filter.push(block);
        }
        Ok(BloomValue {
            filter: BlockedBloom::from_blocks(filter),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: u64) -> Value {
        Value::Text(format!("value-{n}"))
    }

    /// The share of `probes` absent values a filter for `capacity` values at `rate`, filled
    /// to capacity, reports present; asserts no value added is reported absent.
    fn observed_rate(capacity: u64, rate: f64, probes: u64, seed: u64) -> f64 {
        let mut filter = BloomValue::new(blocks_for(capacity, rate));
        let added = |n: u64| text(seed * 1_000_000_007 + 2 * n);
        for n in 0..capacity {
            filter.add(&added(n));
        }
        for n in 0..capacity {
            assert!(filter.contains(&added(n)), "false negative");
        }
        let hits = (0..probes)
            .filter(|n| filter.contains(&text(seed * 1_000_000_007 + 2 * n + 1)))
            .count();
        hits as f64 / probes as f64
    }

    #[test]
    fn false_positive_rate_stays_within_the_asked_rate_over_seeded_trials() {
        for rate in [0.25, 0.1, 0.01, 0.001] {
            let mut within = 0;
            let trials = 20;
            for seed in 0..trials {
                if observed_rate(2_000, rate, 20_000, seed) <= rate {
                    within += 1;
                }
            }
            assert!(
                within >= trials - 1,
                "rate {rate}: {within} of {trials} within"
            );
        }
    }

    #[test]
    fn equal_values_of_other_types_are_found() {
        let mut filter = BloomValue::new(blocks_for(100, RATE_DEFAULT));
        filter.add(&Value::Integer(1));
        filter.add(&Value::Real(2.0));
        assert!(filter.contains(&Value::Real(1.0)));
        assert!(filter.contains(&Value::Integer(2)));
        assert!(filter.contains(&Value::Boolean(true)));
    }

    #[test]
    fn merge_equals_one_filter_over_the_union() {
        let blocks = blocks_for(1_000, RATE_DEFAULT);
        let (mut a, mut b, mut both) = (
            BloomValue::new(blocks),
            BloomValue::new(blocks),
            BloomValue::new(blocks),
        );
        for n in 0..1_000 {
            let value = Value::Integer(n as i64 * 31);
            if n % 3 == 0 { &mut a } else { &mut b }.add(&value);
            both.add(&value);
        }
        a.merge(&b).unwrap();
        assert_eq!(a, both);
        assert_eq!(
            a.merge(&BloomValue::new(blocks + 1)),
            Err((blocks as usize, blocks as usize + 1))
        );
    }

    #[test]
    fn stored_filters_round_trip_and_damage_is_named() {
        let mut filter = BloomValue::new(blocks_for(500, 0.05));
        for n in 0..500 {
            filter.add(&text(n));
        }
        let bytes = filter.to_bytes();
        assert_eq!(BloomValue::from_bytes(&bytes).unwrap(), filter);
        let mut flipped = bytes.clone();
        flipped[20] ^= 0x10;
        assert_eq!(
            BloomValue::from_bytes(&flipped),
            Err(DecodeError::ChecksumMismatch)
        );
        assert_eq!(
            BloomValue::from_bytes(&bytes[..bytes.len() - 9]),
            Err(DecodeError::Truncated)
        );
        let hll = super::super::hll::HyperLogLog::new().to_bytes();
        assert!(matches!(
            BloomValue::from_bytes(&hll),
            Err(DecodeError::WrongKind { .. })
        ));
    }

    #[test]
    fn bits_per_key_grow_as_the_rate_falls() {
        assert_eq!(bits_per_key(RATE_MAX), BITS_PER_KEY_MIN);
        assert!(bits_per_key(0.01) < bits_per_key(0.001));
        assert!(bits_per_key(RATE_MIN) <= 32);
    }
}
