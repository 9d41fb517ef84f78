//! Sketches: fixed-memory summaries of a stream that answer approximately and merge.
//! HyperLogLog counts distinct values (`hll.rs`), Space-Saving finds the most frequent ones
//! (`topk.rs`), KLL answers quantiles (`quantile.rs`), a blocked bloom filter answers
//! membership (`bloom.rs`, stored as `bloom_value.rs`; the hash joins' runtime filters use
//! the cheaper one-word blocks of `word_bloom.rs`). Each is stored as a BLOB in one
//! checksummed, versioned envelope (`format.rs`) and sees values through one fixed hash and
//! encoding (`item.rs`). The SQL functions that read stored sketches are in `sql.rs`; the
//! aggregates that build them are `exec/aggregate/sketch_state.rs`.

pub mod bloom;
pub mod bloom_value;
pub mod format;
pub mod hll;
pub mod item;
pub mod quantile;
pub mod sql;
pub mod topk;
pub mod word_bloom;

#[cfg(test)]
mod test_data;

pub use sql::SketchFunction;
