//! Space-Saving top-k: the most frequent values of a stream with `capacity` counters
//! (three per value asked for, at least 32). Each monitored value has an estimated count
//! and an error: its true count lies in `count - error ..= count`, and `error` is at most
//! total / capacity. A value not monitored was seen at most `unseen_bound` times. Counters
//! sit in a min-heap by count (the least one is replaced by a new value), with a map from
//! a value's canonical bytes (`item.rs`) to its heap position. Two sketches merge as in
//! Agarwal et al., "Mergeable summaries": counts add, a value missing from one side takes
//! that side's `unseen_bound` as count and error, and the `capacity` largest are kept.

use std::collections::HashMap;

use ember_storage::Value;

use super::format::{self, DecodeError, Reader, SketchKind, Writer};
use super::item::{decode_item, encode_item};

/// Most values a top-k sketch may be asked for.
pub const K_MAX: usize = 1_000;
/// Longest value (its canonical bytes) a top-k sketch keeps.
pub const ITEM_BYTES_MAX: usize = 4_096;
/// Counters kept per value asked for, and the least number of counters.
const COUNTERS_PER_K: usize = 3;
const COUNTERS_MIN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Counter {
    item: Box<[u8]>,
    count: u64,
    error: u64,
}

/// One value of a top-k answer: the value, its estimated count and the count's error.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub value: Value,
    pub count: u64,
    pub error: u64,
}

/// A Space-Saving sketch.
#[derive(Debug, Clone)]
pub struct TopK {
    /// Values a reader shows by default.
    k: usize,
    capacity: usize,
    /// Values fed in all.
    total: u64,
    /// The most times a value without a counter may have been seen.
    unseen_bound: u64,
    /// A min-heap by `count`.
    counters: Vec<Counter>,
    /// Each monitored value's position in `counters`.
    positions: HashMap<Box<[u8]>, usize>,
    /// Bytes of the monitored values (kept twice: in a counter and as a map key).
    item_bytes: usize,
    /// Reused per value: its canonical bytes.
    scratch: Vec<u8>,
}

/// Why a value cannot be added to a top-k sketch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTooLong(pub usize);

impl TopK {
    /// An empty sketch showing `k` values (1..=K_MAX, checked by the caller).
    pub fn new(k: usize) -> TopK {
        debug_assert!((1..=K_MAX).contains(&k));
        TopK {
            k,
            capacity: (k * COUNTERS_PER_K).max(COUNTERS_MIN),
            total: 0,
            unseen_bound: 0,
            counters: Vec::new(),
            positions: HashMap::new(),
            item_bytes: 0,
            scratch: Vec::new(),
        }
    }

    /// How many values a reader shows by default.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Values fed in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes the sketch holds on the heap, bounded by `capacity` values of at most
    /// `ITEM_BYTES_MAX` bytes.
    pub fn heap_bytes(&self) -> usize {
        self.counters.capacity() * std::mem::size_of::<Counter>()
            + self.positions.capacity() * (std::mem::size_of::<(Box<[u8]>, usize)>() + 1)
            + 2 * self.item_bytes
            + self.scratch.capacity()
    }

    /// Counts one non-NULL value.
    pub fn add(&mut self, value: &Value) -> Result<(), ItemTooLong> {
        let mut scratch = std::mem::take(&mut self.scratch);
        encode_item(value, &mut scratch);
        let added = self.add_item(&scratch, 1, 0);
        self.scratch = scratch;
        self.total += 1;
        added
    }

    /// Adds `count` sightings (of which `error` may be over-counted) of the value whose
    /// canonical bytes are `item`.
    fn add_item(&mut self, item: &[u8], count: u64, error: u64) -> Result<(), ItemTooLong> {
        if item.len() > ITEM_BYTES_MAX {
            return Err(ItemTooLong(item.len()));
        }
        if let Some(&position) = self.positions.get(item) {
            let counter = &mut self.counters[position];
            counter.count += count;
            counter.error += error;
            self.sift_down(position);
            return Ok(());
        }
        let floor = if self.counters.len() < self.capacity {
            self.unseen_bound
        } else {
            self.counters[0].count
        };
        let counter = Counter {
            item: item.into(),
            count: floor + count,
            error: floor + error,
        };
        self.item_bytes += item.len();
        if self.counters.len() < self.capacity {
            self.positions.insert(item.into(), self.counters.len());
            self.counters.push(counter);
            self.sift_up(self.counters.len() - 1);
        } else {
            let evicted = std::mem::replace(&mut self.counters[0], counter);
            self.unseen_bound = self.unseen_bound.max(evicted.count);
            self.item_bytes -= evicted.item.len();
            self.positions.remove(&evicted.item);
            self.positions.insert(item.into(), 0);
            self.sift_down(0);
        }
        Ok(())
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.counters.swap(a, b);
        for at in [a, b] {
            if let Some(position) = self.positions.get_mut(&self.counters[at].item) {
                *position = at;
            }
        }
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.counters[parent].count <= self.counters[at].count {
                break;
            }
            self.swap(parent, at);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let (left, right) = (2 * at + 1, 2 * at + 2);
            let mut least = at;
            if left < self.counters.len() && self.counters[left].count < self.counters[least].count
            {
                least = left;
            }
            if right < self.counters.len()
                && self.counters[right].count < self.counters[least].count
            {
                least = right;
            }
            if least == at {
                return;
            }
            self.swap(at, least);
            at = least;
        }
    }

    /// The counters, largest count first (ties: smaller error, then value bytes).
    fn ranked_counters(&self) -> Vec<&Counter> {
        let mut ranked: Vec<&Counter> = self.counters.iter().collect();
        ranked.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.error.cmp(&b.error))
                .then(a.item.cmp(&b.item))
        });
        ranked
    }

    /// The `k` most frequent values with their counts and errors, most frequent first.
    pub fn top(&self, k: usize) -> Vec<Ranked> {
        self.ranked_counters()
            .into_iter()
            .take(k)
            .filter_map(|counter| {
                Some(Ranked {
                    value: decode_item(&counter.item).ok()?,
                    count: counter.count,
                    error: counter.error,
                })
            })
            .collect()
    }

    /// Folds `other` in (see the module comment); the larger `k` and capacity win.
    pub fn merge(&mut self, other: &TopK) {
        let mut combined: HashMap<Box<[u8]>, (u64, u64)> = HashMap::new();
        for counter in &self.counters {
            combined.insert(counter.item.clone(), (counter.count, counter.error));
        }
        for counter in &other.counters {
            let entry = combined
                .entry(counter.item.clone())
                .or_insert((self.unseen_bound, self.unseen_bound));
            entry.0 += counter.count;
            entry.1 += counter.error;
        }
        let other_floor = other.unseen_bound;
        for counter in &self.counters {
            if !other.positions.contains_key(&counter.item) {
                if let Some(entry) = combined.get_mut(&counter.item) {
                    entry.0 += other_floor;
                    entry.1 += other_floor;
                }
            }
        }
        let mut all: Vec<Counter> = combined
            .into_iter()
            .map(|(item, (count, error))| Counter { item, count, error })
            .collect();
        all.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.error.cmp(&b.error))
                .then(a.item.cmp(&b.item))
        });
        let capacity = self.capacity.max(other.capacity);
        let dropped_max = all.get(capacity).map_or(0, |counter| counter.count);
        all.truncate(capacity);
        let unseen_bound = (self.unseen_bound + other_floor).max(dropped_max);
        let total = self.total + other.total;
        let k = self.k.max(other.k);
        *self = TopK::new(k);
        self.capacity = capacity;
        self.total = total;
        self.unseen_bound = unseen_bound;
        self.rebuild(all);
    }

    /// Makes `counters` the sketch's counters (at most `capacity`, distinct values).
    fn rebuild(&mut self, counters: Vec<Counter>) {
        debug_assert!(counters.len() <= self.capacity);
        self.item_bytes = counters.iter().map(|counter| counter.item.len()).sum();
        self.positions = counters
            .iter()
            .enumerate()
            .map(|(at, counter)| (counter.item.clone(), at))
            .collect();
        self.counters = counters;
        for at in (0..self.counters.len() / 2).rev() {
            self.sift_down(at);
        }
    }

    /// The sketch as a value (`format.rs`), counters in ranked order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u32(self.k as u32);
        writer.u32(self.capacity as u32);
        writer.u64(self.total);
        writer.u64(self.unseen_bound);
        let ranked = self.ranked_counters();
        writer.u32(ranked.len() as u32);
        for counter in ranked {
            writer.bytes(&counter.item);
            writer.u64(counter.count);
            writer.u64(counter.error);
        }
        format::encode(SketchKind::TopK, &writer.bytes)
    }

    /// The sketch stored in `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<TopK, DecodeError> {
        let mut reader = Reader::new(format::decode(bytes, SketchKind::TopK)?);
        let k = reader.u32()? as usize;
        let capacity = reader.u32()? as usize;
        if !(1..=K_MAX).contains(&k) || capacity < k || capacity > K_MAX * COUNTERS_PER_K {
            return Err(DecodeError::BadPayload("a k or capacity out of range"));
        }
        let total = reader.u64()?;
        let unseen_bound = reader.u64()?;
        let count = reader.u32()? as usize;
        if count > capacity {
            return Err(DecodeError::BadPayload("more counters than its capacity"));
        }
        let mut counters = Vec::with_capacity(count);
        let mut seen = std::collections::HashSet::with_capacity(count);
        for _ in 0..count {
            let item: Box<[u8]> = reader.bytes(ITEM_BYTES_MAX)?.into();
            let (count, error) = (reader.u64()?, reader.u64()?);
            decode_item(&item)?;
            if error > count || count > total.saturating_add(unseen_bound) {
                return Err(DecodeError::BadPayload("a count out of range"));
            }
            if !seen.insert(item.clone()) {
                return Err(DecodeError::BadPayload("a value counted twice"));
            }
            counters.push(Counter { item, count, error });
        }
        reader.finish()?;
        let mut sketch = TopK::new(k);
        sketch.capacity = capacity;
        sketch.total = total;
        sketch.unseen_bound = unseen_bound;
        sketch.rebuild(counters);
        Ok(sketch)
    }
}

/// `ranked` as JSON text: `[{"value":v,"count":n,"error":e},...]`.
pub fn ranked_json(ranked: &[Ranked]) -> String {
    let mut json = String::from("[");
    for (at, entry) in ranked.iter().enumerate() {
        if at > 0 {
            json.push(',');
        }
        let value = match &entry.value {
            Value::Integer(integer) => integer.to_string(),
            Value::Real(real) if real.is_finite() => format!("{real:?}"),
            Value::Text(text) => crate::expr::json_quote_text(text),
            Value::Blob(blob) => {
                let hex: String = blob.iter().map(|byte| format!("{byte:02X}")).collect();
                crate::expr::json_quote_text(&hex)
            }
            _ => "null".to_string(),
        };
        json.push_str(&format!(
            "{{\"value\":{value},\"count\":{},\"error\":{}}}",
            entry.count, entry.error
        ));
    }
    json.push(']');
    json
}

#[cfg(test)]
#[path = "topk_tests.rs"]
mod tests;
