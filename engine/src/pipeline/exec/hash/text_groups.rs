//! `TextGroups`: the GROUP BY group table of a single TEXT key. A small open-addressed table
//! (linear probing, at most half full) whose slots hold the key's hash, its bytes and its
//! group's position: a row's key is hashed and compared as the bytes the scan decoded, in
//! place (no `KeyValue` built, no dynamic dispatch, no allocation for a key already seen).
//! Text keys are equal exactly when their bytes are (`KeyValue::Text` equality); a collation
//! other than BINARY reaches the grouper as the collation key (`Expr::CollationKey`), so
//! NOCASE groups fold here as they do in the general table.
//!
//! Not DoS resistant (as `FastHasher`): crafted collisions cost probing time, never a wrong
//! group, since a hit compares the whole key.

use ember_storage::index::{fx_add, fx_finish};

/// One occupied slot.
struct Entry {
    hash: u64,
    /// The group's position in the grouper's `groups`.
    group: u32,
    text: Box<str>,
}

#[derive(Default)]
pub(in crate::pipeline::exec) struct TextGroups {
    /// A power-of-two count of slots (none before the first key), at most half occupied.
    slots: Vec<Option<Entry>>,
    len: usize,
}

/// Slots of the first table.
const SLOTS_MIN: usize = 16;

impl TextGroups {
    /// The group of the key `text` (hashed to `hash` by `text_hash`), if it has one.
    #[inline(always)]
    pub(in crate::pipeline::exec) fn get(&self, text: &str, hash: u64) -> Option<usize> {
        self.get_bytes(text.as_bytes(), hash)
    }

    /// `get` of a key given as its UTF-8 bytes (a column batch's text span, hashed by
    /// `bytes_hash`): nothing to check before probing.
    #[inline(always)]
    pub(in crate::pipeline::exec) fn get_bytes(&self, text: &[u8], hash: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            match &self.slots[at] {
                None => return None,
                Some(entry)
                    if entry.hash == hash && same_byte_slices(entry.text.as_bytes(), text) =>
                {
                    return Some(entry.group as usize)
                }
                Some(_) => at = (at + 1) & mask,
            }
        }
    }

    /// Records `group` as the group of the key `text` (hashed to `hash`), which has none.
    pub(in crate::pipeline::exec) fn insert(&mut self, text: &str, hash: u64, group: u32) {
        debug_assert!(self.get(text, hash).is_none());
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let entry = Entry {
            hash,
            group,
            text: text.into(),
        };
        place(&mut self.slots, entry);
        self.len += 1;
    }

    /// Doubles the slots (or makes the first ones) and places every entry again.
    #[cold]
    fn grow(&mut self) {
        let count = (self.slots.len() * 2).max(SLOTS_MIN);
        let mut slots = Vec::with_capacity(count);
        slots.resize_with(count, || None);
        for entry in std::mem::take(&mut self.slots).into_iter().flatten() {
            place(&mut slots, entry);
        }
        self.slots = slots;
    }
}

/// Puts `entry` in the first free slot from its hash's (`slots` has one).
fn place(slots: &mut [Option<Entry>], entry: Entry) {
    debug_assert!(slots.len().is_power_of_two());
    let mask = slots.len() - 1;
    let mut at = entry.hash as usize & mask;
    while slots[at].is_some() {
        at = (at + 1) & mask;
    }
    slots[at] = Some(entry);
}

/// The hash of a text key's bytes: up to 16 bytes as two (overlapping) words, longer keys
/// Fx-hashed whole; the length is mixed in, then avalanched so the low bits pick the slot.
#[inline(always)]
pub(in crate::pipeline::exec) fn text_hash(text: &str) -> u64 {
    bytes_hash(text.as_bytes())
}

/// `text_hash` of a text given as its bytes.
#[inline(always)]
pub(in crate::pipeline::exec) fn bytes_hash(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let state = match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(first), Some(last)) if len <= 16 => {
            let first = u64::from_le_bytes(*first);
            let last = u64::from_le_bytes(*last);
            first.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ last.rotate_left(29)
        }
        _ if len < 8 => short_word(bytes).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        _ => fx_add(0, bytes),
    };
    fx_finish(state ^ (len as u64).rotate_left(56))
}

/// The bytes of a text shorter than 8 bytes as one word (two overlapping 4-byte loads, or
/// the bytes one by one), without a call to `memcpy`: equal texts give equal words.
#[inline(always)]
fn short_word(bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len() < 8);
    match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(first), Some(last)) => {
            u64::from(u32::from_le_bytes(*first)) | (u64::from(u32::from_le_bytes(*last)) << 32)
        }
        _ => bytes
            .iter()
            .fold(0u64, |word, &byte| (word << 8) | u64::from(byte)),
    }
}

/// Whether two texts have the same bytes; keys of up to 16 bytes (the common group key)
/// are compared as two (overlapping) words instead of through `memcmp`.
#[inline(always)]
pub(super) fn same_bytes(stored: &str, probe: &str) -> bool {
    same_byte_slices(stored.as_bytes(), probe.as_bytes())
}

/// `same_bytes` of two texts given as their bytes.
#[inline(always)]
fn same_byte_slices(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match (
        a.first_chunk::<8>(),
        a.last_chunk::<8>(),
        b.first_chunk::<8>(),
        b.last_chunk::<8>(),
    ) {
        (Some(a_first), Some(a_last), Some(b_first), Some(b_last)) if a.len() <= 16 => {
            a_first == b_first && a_last == b_last
        }
        _ if a.len() < 8 => short_word(a) == short_word(b),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group_of(table: &mut TextGroups, next: &mut u32, text: &str) -> usize {
        let hash = text_hash(text);
        match table.get(text, hash) {
            Some(group) => group,
            None => {
                table.insert(text, hash, *next);
                *next += 1;
                (*next - 1) as usize
            }
        }
    }

    /// Every distinct text gets its own group, and the same text (of every length class
    /// the hash treats apart, and texts differing in one byte) always finds it again,
    /// across many growths of the table.
    #[test]
    fn finds_each_key_again_across_growth() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "a".into(),
            "b".into(),
            "ab".into(),
            "ba".into(),
            "a\0".into(),
            "1234567".into(),
            "12345678".into(),
            "123456789".into(),
            "1234567890123456".into(),
            "1234567890123457".into(),
            "12345678901234567".into(),
            "x".repeat(100),
            format!("{}y", "x".repeat(99)),
            "é".into(),
            "e\u{301}".into(),
        ];
        texts.extend((0..2000).map(|i| format!("key{i}")));
        let mut table = TextGroups::default();
        let mut next = 0;
        let first: Vec<usize> = texts
            .iter()
            .map(|text| group_of(&mut table, &mut next, text))
            .collect();
        assert_eq!(next as usize, texts.len(), "every text is a new group");
        for (text, &group) in texts.iter().zip(&first).rev() {
            assert_eq!(table.get(text, text_hash(text)), Some(group), "{text:?}");
        }
        assert!(table.len * 2 <= table.slots.len());
        assert_eq!(table.get("absent", text_hash("absent")), None);
    }

    /// `same_bytes` agrees with `==` on texts of every length class, equal and not.
    #[test]
    fn byte_comparison_agrees_with_equality() {
        let texts: Vec<String> = (0..=20)
            .flat_map(|len| {
                let base: String = (0..len)
                    .map(|i| char::from(b'a' + (i % 26) as u8))
                    .collect();
                let mut variants = vec![base.clone()];
                for at in 0..len {
                    let mut bytes = base.clone().into_bytes();
                    bytes[at] = b'Z';
                    variants.push(String::from_utf8(bytes).unwrap());
                }
                variants
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} vs {b:?}");
                if a == b {
                    assert_eq!(text_hash(a), text_hash(b));
                }
            }
        }
    }

    /// Keys that share a hash (forced here) still group apart: a hit compares the bytes.
    #[test]
    fn colliding_hashes_compare_the_bytes() {
        let mut table = TextGroups::default();
        for (group, text) in ["p", "q", "r"].iter().enumerate() {
            table.insert(text, 7, group as u32);
        }
        assert_eq!(table.get("p", 7), Some(0));
        assert_eq!(table.get("q", 7), Some(1));
        assert_eq!(table.get("r", 7), Some(2));
        assert_eq!(table.get("s", 7), None);
    }
}
