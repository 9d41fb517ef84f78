//! HyperLogLog: the number of distinct values of a stream in fixed memory. Precision 14:
//! 2^14 = 16384 registers, a relative standard error of 1.04 / sqrt(16384) = 0.81% (within
//! 2.44%, three standard errors, in 99.7% of cases). A sketch starts sparse (a sorted list of
//! the registers set, 4 bytes each) and turns dense (one byte per register, 16 KiB) when
//! the list would pass 8 KiB; both forms give the same estimate, computed with Ertl's
//! improved estimator (no bias tables, accurate from 0 to 2^50 values). Merging keeps each
//! register's maximum, so a merge equals the sketch of the union exactly.

use super::format::{self, DecodeError, Reader, SketchKind, Writer};

/// Bits of the hash that choose a register.
pub const PRECISION: u32 = 14;
/// The number of registers.
pub const REGISTERS: usize = 1 << PRECISION;
/// Hash bits left for the rank: a register holds 1..=RANK_BITS + 1 (0: never set).
const RANK_BITS: u32 = 64 - PRECISION;
const RANK_MAX: u8 = RANK_BITS as u8 + 1;
/// The relative standard error of an estimate, 1.04 / sqrt(REGISTERS).
pub const STANDARD_ERROR: f64 = 1.04 / 128.0;

/// Sparse entries kept before the sketch turns dense (their bytes equal half the dense form).
const SPARSE_MAX: usize = REGISTERS / 8;
/// Sparse entries buffered unsorted before they are merged into the sorted list.
const PENDING_MAX: usize = 256;

const FORM_SPARSE: u8 = 0;
const FORM_DENSE: u8 = 1;

/// A HyperLogLog sketch.
#[derive(Debug, Clone)]
pub struct HyperLogLog {
    form: Form,
}

#[derive(Debug, Clone)]
enum Form {
    /// `entries`: `register << 8 | rank`, sorted by register, one per register;
    /// `pending`: entries not merged into it yet (any order, repeats allowed).
    Sparse {
        entries: Vec<u32>,
        pending: Vec<u32>,
    },
    /// One rank per register.
    Dense(Box<[u8]>),
}

#[inline]
fn register_and_rank(hash: u64) -> (usize, u8) {
    let register = (hash >> RANK_BITS) as usize;
    let rest = hash << PRECISION;
    let rank = (rest.leading_zeros() + 1).min(u32::from(RANK_MAX)) as u8;
    (register, rank)
}

#[inline]
fn entry(register: usize, rank: u8) -> u32 {
    (register as u32) << 8 | u32::from(rank)
}

/// Sorts `entries` and keeps the highest rank of each register.
fn normalize(entries: &mut Vec<u32>) {
    entries.sort_unstable();
    // Equal registers sit together, the highest rank last: keep the last of each run.
    let mut kept = 0;
    for at in 0..entries.len() {
        let is_last = entries
            .get(at + 1)
            .is_none_or(|next| next >> 8 != entries[at] >> 8);
        if is_last {
            entries[kept] = entries[at];
            kept += 1;
        }
    }
    entries.truncate(kept);
}

impl Default for HyperLogLog {
    fn default() -> Self {
        HyperLogLog::new()
    }
}

impl HyperLogLog {
    pub fn new() -> HyperLogLog {
        HyperLogLog {
            form: Form::Sparse {
                entries: Vec::new(),
                pending: Vec::new(),
            },
        }
    }

    /// Adds a value by its hash (`item::hash_value`).
    #[inline]
    pub fn add_hash(&mut self, hash: u64) {
        let (register, rank) = register_and_rank(hash);
        match &mut self.form {
            Form::Dense(registers) => {
                let slot = &mut registers[register];
                if *slot < rank {
                    *slot = rank;
                }
            }
            Form::Sparse { pending, .. } => {
                pending.push(entry(register, rank));
                if pending.len() >= PENDING_MAX {
                    self.flush();
                }
            }
        }
    }

    /// Merges the pending sparse entries; turns dense when the list grows past its limit.
    fn flush(&mut self) {
        let Form::Sparse { entries, pending } = &mut self.form else {
            return;
        };
        if pending.is_empty() {
            return;
        }
        entries.append(pending);
        normalize(entries);
        if entries.len() > SPARSE_MAX {
            self.make_dense();
        }
    }

    fn make_dense(&mut self) {
        let Form::Sparse { entries, pending } = &self.form else {
            return;
        };
        let mut registers = vec![0u8; REGISTERS].into_boxed_slice();
        for &entry in entries.iter().chain(pending.iter()) {
            let (register, rank) = ((entry >> 8) as usize, (entry & 0xff) as u8);
            registers[register] = registers[register].max(rank);
        }
        self.form = Form::Dense(registers);
    }

    /// Whether the sketch holds one byte per register.
    pub fn is_dense(&self) -> bool {
        matches!(self.form, Form::Dense(_))
    }

    /// Bytes the sketch holds on the heap (at most 16 KiB plus the pending buffer).
    pub fn heap_bytes(&self) -> usize {
        match &self.form {
            Form::Dense(registers) => registers.len(),
            Form::Sparse { entries, pending } => 4 * (entries.capacity() + pending.capacity()),
        }
    }

    /// Every register's rank (0: not set), the same for both forms.
    pub fn registers(&self) -> Vec<u8> {
        match &self.form {
            Form::Dense(registers) => registers.to_vec(),
            Form::Sparse { entries, pending } => {
                let mut registers = vec![0u8; REGISTERS];
                for &entry in entries.iter().chain(pending.iter()) {
                    let (register, rank) = ((entry >> 8) as usize, (entry & 0xff) as u8);
                    registers[register] = registers[register].max(rank);
                }
                registers
            }
        }
    }

    /// Folds `other` in: each register keeps the higher rank.
    pub fn merge(&mut self, other: &HyperLogLog) {
        match (&mut self.form, &other.form) {
            (
                Form::Sparse { pending, .. },
                Form::Sparse {
                    entries,
                    pending: more,
                },
            ) => {
                pending.extend_from_slice(entries);
                pending.extend_from_slice(more);
                self.flush();
            }
            (Form::Dense(registers), _) => {
                for (register, rank) in registers.iter_mut().zip(other.registers()) {
                    *register = (*register).max(rank);
                }
            }
            (Form::Sparse { .. }, Form::Dense(_)) => {
                self.make_dense();
                self.merge(other);
            }
        }
    }

    /// How many registers hold each rank (index 0..=RANK_MAX).
    fn histogram(&self) -> [u32; RANK_MAX as usize + 1] {
        let mut counts = [0u32; RANK_MAX as usize + 1];
        match &self.form {
            Form::Dense(registers) => {
                for &rank in registers.iter() {
                    counts[usize::from(rank.min(RANK_MAX))] += 1;
                }
            }
            Form::Sparse { entries, pending } => {
                let mut all = entries.clone();
                all.extend_from_slice(pending);
                normalize(&mut all);
                for &entry in &all {
                    counts[((entry & 0xff) as u8).min(RANK_MAX) as usize] += 1;
                }
                counts[0] = (REGISTERS - all.len()) as u32;
            }
        }
        counts
    }

    /// The estimated number of distinct values added (Ertl 2017, "New cardinality
    /// estimation algorithms for HyperLogLog sketches", the improved raw estimator).
    pub fn estimate(&self) -> f64 {
        let counts = self.histogram();
        let m = REGISTERS as f64;
        if counts[0] as usize == REGISTERS {
            return 0.0;
        }
        let mut z = m * tau(1.0 - f64::from(counts[RANK_MAX as usize]) / m);
        for rank in (1..RANK_MAX as usize).rev() {
            z = 0.5 * (z + f64::from(counts[rank]));
        }
        z += m * sigma(f64::from(counts[0]) / m);
        let alpha = 0.5 / std::f64::consts::LN_2;
        alpha * m * m / z
    }

    /// The estimate rounded to a count.
    pub fn count(&self) -> i64 {
        self.estimate().round() as i64
    }

    /// The sketch as a value (`format.rs`): sparse or dense, whichever it is.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u8(PRECISION as u8);
        match &self.form {
            Form::Dense(registers) => {
                writer.u8(FORM_DENSE);
                writer.bytes.extend_from_slice(registers);
            }
            Form::Sparse { entries, pending } => {
                let mut all = entries.clone();
                all.extend_from_slice(pending);
                normalize(&mut all);
                writer.u8(FORM_SPARSE);
                writer.u32(all.len() as u32);
                for entry in all {
                    writer.u32(entry);
                }
            }
        }
        format::encode(SketchKind::HyperLogLog, &writer.bytes)
    }

    /// The sketch stored in `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<HyperLogLog, DecodeError> {
        let mut reader = Reader::new(format::decode(bytes, SketchKind::HyperLogLog)?);
        if u32::from(reader.u8()?) != PRECISION {
            return Err(DecodeError::BadPayload("a precision other than 14"));
        }
        let form = match reader.u8()? {
            FORM_DENSE => {
                let registers = reader.raw(REGISTERS)?;
                if registers.iter().any(|&rank| rank > RANK_MAX) {
                    return Err(DecodeError::BadPayload("a register out of range"));
                }
                Form::Dense(registers.into())
            }
            FORM_SPARSE => {
                let count = reader.u32()? as usize;
                if count > SPARSE_MAX || count * 4 != reader.remaining() {
                    return Err(DecodeError::BadPayload("a sparse list of the wrong size"));
                }
                let mut entries = Vec::with_capacity(count);
                let mut previous: Option<u32> = None;
                for _ in 0..count {
                    let entry = reader.u32()?;
                    let (register, rank) = (entry >> 8, (entry & 0xff) as u8);
                    let ordered = previous.is_none_or(|previous| previous < register);
                    if register as usize >= REGISTERS || rank == 0 || rank > RANK_MAX || !ordered {
                        return Err(DecodeError::BadPayload("a sparse entry out of range"));
                    }
                    previous = Some(register);
                    entries.push(entry);
                }
                Form::Sparse {
                    entries,
                    pending: Vec::new(),
                }
            }
            _ => return Err(DecodeError::BadPayload("an unknown form")),
        };
        reader.finish()?;
        Ok(HyperLogLog { form })
    }
}

/// Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for the empty registers' share.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's tau(x), for the share of registers at the highest rank.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
#[path = "hll_tests.rs"]
mod tests;
