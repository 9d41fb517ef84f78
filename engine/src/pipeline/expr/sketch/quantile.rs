//! KLL quantile sketch (Karnin, Lang, Liberty 2016, as Apache DataSketches builds it): the
//! q-quantile of a stream of numbers in fixed memory. Items sit in levels; an item of level
//! h stands for 2^h inputs. When the sketch holds more than its capacity, the lowest full
//! level is sorted and every other item (from a coin-chosen offset) moves up one level, the
//! rest are dropped. Level capacities shrink geometrically (by 2/3) below the top one, which
//! holds `K` = 200; the sketch holds about 3K items (under 8 KiB) however long the stream.
//! The rank of an answer is within `RANK_ERROR` (1.65%) of the rank asked for in 99% of
//! cases. The coin comes from a seeded generator kept in the sketch, so a sketch is the
//! same however often it is built from the same input. Sketches merge level by level.

use super::format::{self, DecodeError, Reader, SketchKind, Writer};

/// Items the top level holds.
pub const K: usize = 200;
/// The normalized rank error bound an answer is within in 99% of cases.
pub const RANK_ERROR: f64 = 0.0165;
/// Each level below holds this share of the one above.
const SHRINK: f64 = 2.0 / 3.0;
/// The smallest level capacity.
const LEVEL_MIN: usize = 8;
/// Most levels (2^60 inputs and more).
const LEVELS_MAX: usize = 60;
/// Most items a sketch keeps: more than the sum of every level's capacity.
const RETAINED_MAX: usize = 3 * K + LEVEL_MIN * LEVELS_MAX;
/// The generator's fixed seed.
const SEED: u64 = 0x4b4c_4c5f_454d_4245;

/// A KLL sketch of numbers.
#[derive(Debug, Clone)]
pub struct Quantiles {
    /// `levels[h]`: items of weight 2^h.
    levels: Vec<Vec<f64>>,
    /// Inputs fed in all.
    count: u64,
    min: f64,
    max: f64,
    /// Whether every input was an integer (answers are then integers).
    integers: bool,
    /// The coin's generator state.
    state: u64,
    /// Items kept, in all levels.
    retained: usize,
    /// The sum of the levels' capacities (it changes with the number of levels).
    capacity_total: usize,
}

impl Default for Quantiles {
    fn default() -> Self {
        Quantiles::new()
    }
}

impl Quantiles {
    pub fn new() -> Quantiles {
        Quantiles {
            levels: vec![Vec::new()],
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            integers: true,
            state: SEED,
            retained: 0,
            capacity_total: K,
        }
    }

    /// Inputs fed in all.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether every input was an integer.
    pub fn integers(&self) -> bool {
        self.integers
    }

    /// Items kept (bounded: about 3K).
    pub fn retained(&self) -> usize {
        debug_assert_eq!(
            self.retained,
            self.levels.iter().map(Vec::len).sum::<usize>()
        );
        self.retained
    }

    /// Bytes the sketch holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.levels.capacity() * std::mem::size_of::<Vec<f64>>()
            + self
                .levels
                .iter()
                .map(|level| level.capacity() * 8)
                .sum::<usize>()
    }

    /// Adds a number (`integer`: whether the input was an integer). NaN is ignored.
    pub fn add(&mut self, value: f64, integer: bool) {
        if value.is_nan() {
            return;
        }
        self.integers &= integer;
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.levels[0].push(value);
        self.retained += 1;
        if self.retained >= self.capacity_total {
            self.compress();
        }
    }

    fn capacity(&self, level: usize) -> usize {
        let depth = (self.levels.len() - 1 - level) as i32;
        ((K as f64 * SHRINK.powi(depth)).ceil() as usize).max(LEVEL_MIN)
    }

    fn add_level(&mut self) {
        self.levels.push(Vec::new());
        self.capacity_total = (0..self.levels.len())
            .map(|level| self.capacity(level))
            .sum();
    }

    fn coin(&mut self) -> usize {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = self.state;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((x ^ (x >> 31)) & 1) as usize
    }

    /// Compacts full levels until the sketch is within its capacity.
    fn compress(&mut self) {
        while self.retained >= self.capacity_total {
            let Some(level) = (0..self.levels.len())
                .find(|&level| self.levels[level].len() >= self.capacity(level))
            else {
                return;
            };
            if level + 1 == self.levels.len() {
                if self.levels.len() >= LEVELS_MAX {
                    return;
                }
                self.add_level();
            }
            let offset = self.coin();
            let mut items = std::mem::take(&mut self.levels[level]);
            self.retained -= items.len();
            items.sort_unstable_by(f64::total_cmp);
            // An odd item stays where it is; the rest pair up, one of each pair moving up.
            if items.len() % 2 == 1 {
                if let Some(last) = items.pop() {
                    self.levels[level].push(last);
                    self.retained += 1;
                }
            }
            let promoted = items.iter().skip(offset).step_by(2).copied();
            let before = self.levels[level + 1].len();
            self.levels[level + 1].extend(promoted);
            self.retained += self.levels[level + 1].len() - before;
        }
    }

    /// Folds `other` in.
    pub fn merge(&mut self, other: &Quantiles) {
        if other.count == 0 {
            return;
        }
        while self.levels.len() < other.levels.len() {
            self.add_level();
        }
        for (level, items) in other.levels.iter().enumerate() {
            self.levels[level].extend_from_slice(items);
            self.retained += items.len();
        }
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.integers &= other.integers;
        self.state ^= other.state.rotate_left(17);
        self.compress();
    }

    /// The q-quantile (0 <= q <= 1): the least kept item whose weighted rank reaches
    /// q * count; the exact minimum at 0 and maximum at 1. `None` over no input.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles(&[q]).pop().flatten()
    }

    /// `quantile` of each of `qs`, sorting the kept items once.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<Option<f64>> {
        if self.count == 0 {
            return vec![None; qs.len()];
        }
        let mut weighted: Vec<(f64, u64)> = Vec::with_capacity(self.retained());
        for (level, items) in self.levels.iter().enumerate() {
            weighted.extend(items.iter().map(|&item| (item, 1u64 << level)));
        }
        weighted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut cumulative = Vec::with_capacity(weighted.len());
        let mut sum = 0u64;
        for &(_, weight) in &weighted {
            sum += weight;
            cumulative.push(sum);
        }
        qs.iter()
            .map(|&q| {
                if q <= 0.0 {
                    return Some(self.min);
                }
                if q >= 1.0 {
                    return Some(self.max);
                }
                let target = q * self.count as f64;
                let at = cumulative.partition_point(|&rank| (rank as f64) < target);
                let item = weighted.get(at).map_or(self.max, |entry| entry.0);
                Some(item.clamp(self.min, self.max))
            })
            .collect()
    }

    /// The sketch as a value (`format.rs`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u32(K as u32);
        writer.u64(self.count);
        writer.f64(self.min);
        writer.f64(self.max);
        writer.u8(u8::from(self.integers));
        writer.u64(self.state);
        writer.u8(self.levels.len() as u8);
        for items in &self.levels {
            writer.u32(items.len() as u32);
            for &item in items {
                writer.f64(item);
            }
        }
        format::encode(SketchKind::Quantile, &writer.bytes)
    }

    /// The sketch stored in `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Quantiles, DecodeError> {
        let mut reader = Reader::new(format::decode(bytes, SketchKind::Quantile)?);
        if reader.u32()? as usize != K {
            return Err(DecodeError::BadPayload("a level capacity other than 200"));
        }
        let count = reader.u64()?;
        let (min, max) = (reader.f64()?, reader.f64()?);
        let integers = match reader.u8()? {
            0 => false,
            1 => true,
            _ => return Err(DecodeError::BadPayload("a flag out of range")),
        };
        let state = reader.u64()?;
        let level_count = usize::from(reader.u8()?);
        if level_count == 0 || level_count > LEVELS_MAX {
            return Err(DecodeError::BadPayload("a level count out of range"));
        }
        let mut levels = Vec::with_capacity(level_count);
        let mut weight_sum: u128 = 0;
        let mut retained = 0;
        for level in 0..level_count {
            let length = reader.u32()? as usize;
            retained += length;
            if retained > RETAINED_MAX || length * 8 > reader.remaining() {
                return Err(DecodeError::BadPayload("more items than its capacity"));
            }
            let mut items = Vec::with_capacity(length);
            for _ in 0..length {
                let item = reader.f64()?;
                if !(min..=max).contains(&item) {
                    return Err(DecodeError::BadPayload("an item outside its range"));
                }
                items.push(item);
            }
            weight_sum += (length as u128) << level;
            levels.push(items);
        }
        reader.finish()?;
        if weight_sum != u128::from(count) {
            return Err(DecodeError::BadPayload(
                "weights that do not add up to its count",
            ));
        }
        if count == 0 && (min != f64::INFINITY || max != f64::NEG_INFINITY) {
            return Err(DecodeError::BadPayload("a range without items"));
        }
        let mut sketch = Quantiles {
            levels: vec![Vec::new()],
            count,
            min,
            max,
            integers,
            state,
            retained,
            capacity_total: K,
        };
        for _ in 1..levels.len() {
            sketch.add_level();
        }
        sketch.levels = levels;
        if sketch.retained >= sketch.capacity_total {
            sketch.compress();
        }
        Ok(sketch)
    }
}

#[cfg(test)]
#[path = "quantile_tests.rs"]
mod tests;
