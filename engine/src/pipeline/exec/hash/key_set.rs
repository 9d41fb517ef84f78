//! `KeySet`: the set of row keys seen by a DISTINCT, a recursive UNION or the right side of
//! an INTERSECT / EXCEPT, which only ask whether a row is new. Each key is kept as one
//! compact byte string in a single arena (no value, no allocation per row): the `KeyRef` of
//! each value (`1`, `1.0` and TRUE one integer, `-0.0` the integer 0, a text or blob its
//! length and bytes) after a tag byte. Two rows' byte strings are equal exactly when every
//! value's `KeyRef` is (`same_key`: NULLs equal NULLs, text is not blob). A row is looked
//! up by its borrowed values, hashed as `key_hash` hashes them and compared with the stored
//! bytes in place, so a row seen before is neither encoded nor copied.
//!
//! A collation other than BINARY is the caller's: it looks up the row's collation keys
//! (`Collation::key`).

use ember_storage::Value;

use super::key_groups::{key_hash, KeyGroups};
use crate::error::Result;
use crate::expr::KeyRef;

const TAG_NULL: u8 = 0;
const TAG_INTEGER: u8 = 1;
const TAG_REAL: u8 = 2;
const TAG_TEXT: u8 = 3;
const TAG_BLOB: u8 = 4;

#[derive(Default)]
pub(in crate::pipeline::exec) struct KeySet {
    /// Every key's bytes, one after another, in insertion order.
    bytes: Vec<u8>,
    /// Where each key's bytes end in `bytes` (a key starts where the previous one ends).
    ends: Vec<usize>,
    table: KeyGroups,
}

impl KeySet {
    pub(in crate::pipeline::exec) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of the key at `position`.
    #[inline]
    fn key(&self, position: usize) -> &[u8] {
        let start = match position.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(position).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// Whether the set holds the key of `row`.
    #[inline]
    pub(in crate::pipeline::exec) fn contains(&self, row: &[Value]) -> bool {
        self.find_hashed(key_hash(row.iter()), row).is_some()
    }

    #[inline(always)]
    fn find_hashed(&self, hash: u64, row: &[Value]) -> Option<usize> {
        self.table
            .get(hash, |position| encodes(self.key(position), row))
    }

    /// Bytes the set holds: what its buffers allocated, growth slack included.
    fn allocated_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.table.allocated_bytes()
    }

    /// Adds the key of `row` unless held; returns whether it was new and the bytes the set
    /// allocated for it (usually 0; the whole growth when a buffer grew), so a caller that
    /// charges these holds the set's real size.
    #[inline]
    pub(in crate::pipeline::exec) fn insert(&mut self, row: &[Value]) -> Result<Option<u64>> {
        let hash = key_hash(row.iter());
        if self.find_hashed(hash, row).is_some() {
            return Ok(None);
        }
        let Ok(position) = u32::try_from(self.ends.len()) else {
            return Err(crate::err!(Internal, "a set of keys over u32::MAX keys"));
        };
        let before = self.allocated_bytes();
        encode_into(row, &mut self.bytes);
        self.ends.push(self.bytes.len());
        self.table.insert(hash, position);
        Ok(Some(self.allocated_bytes().saturating_sub(before) as u64))
    }
}

/// Appends the key bytes of `row` to `out` (see the file comment).
fn encode_into(row: &[Value], out: &mut Vec<u8>) {
    for value in row {
        match KeyRef::of(value) {
            KeyRef::Null => out.push(TAG_NULL),
            KeyRef::Integer(i) => {
                out.push(TAG_INTEGER);
                out.extend_from_slice(&i.to_le_bytes());
            }
            KeyRef::Real(bits) => {
                out.push(TAG_REAL);
                out.extend_from_slice(&bits.to_le_bytes());
            }
            KeyRef::Text(text) => push_bytes(TAG_TEXT, text.as_bytes(), out),
            KeyRef::Blob(bytes) => push_bytes(TAG_BLOB, bytes, out),
        }
    }
}

fn push_bytes(tag: u8, bytes: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Whether `key` is the key bytes of `row` (what `encode_into` appends for it), compared
/// in place.
#[inline]
fn encodes(mut key: &[u8], row: &[Value]) -> bool {
    for value in row {
        let Some((&tag, rest)) = key.split_first() else {
            return false;
        };
        let after = match KeyRef::of(value) {
            KeyRef::Null => (tag == TAG_NULL).then_some(rest),
            KeyRef::Integer(i) => strip_word(TAG_INTEGER, tag, i as u64, rest),
            KeyRef::Real(bits) => strip_word(TAG_REAL, tag, bits, rest),
            KeyRef::Text(text) => strip_bytes(TAG_TEXT, tag, text.as_bytes(), rest),
            KeyRef::Blob(bytes) => strip_bytes(TAG_BLOB, tag, bytes, rest),
        };
        match after {
            Some(after) => key = after,
            None => return false,
        }
    }
    key.is_empty()
}

#[inline(always)]
fn strip_word(expected: u8, tag: u8, word: u64, rest: &[u8]) -> Option<&[u8]> {
    if tag != expected {
        return None;
    }
    let (stored, after) = rest.split_first_chunk::<8>()?;
    (u64::from_le_bytes(*stored) == word).then_some(after)
}

#[inline(always)]
fn strip_bytes<'k>(expected: u8, tag: u8, bytes: &[u8], rest: &'k [u8]) -> Option<&'k [u8]> {
    if tag != expected {
        return None;
    }
    let (length, after) = rest.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*length) != bytes.len() as u64 {
        return None;
    }
    after.strip_prefix(bytes)
}

#[cfg(test)]
#[path = "key_set_tests.rs"]
mod tests;
