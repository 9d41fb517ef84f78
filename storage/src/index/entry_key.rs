//! The key of one ordered-index entry as the skip list holds it (`ordered.rs`): the entry's
//! bytes, with their first `HEAD_BYTES` bytes also kept as one big-endian integer. Keys
//! order as their bytes do, but most comparisons of a skip-list search (two keys that
//! differ in their first 16 bytes, which covers an integer key and most of its row id) are
//! one integer comparison instead of a byte-string comparison through `memcmp`.

use std::cmp::Ordering;

/// Leading bytes of a key held in its integer head.
const HEAD_BYTES: usize = 16;

/// Bytes an `EntryKey` takes beyond its bytes' own (the head), for memory accounting.
pub const ENTRY_KEY_HEAD_BYTES: u64 = HEAD_BYTES as u64;

/// An entry key (see the module comment).
#[derive(Debug, Clone)]
pub struct EntryKey {
    /// The first `HEAD_BYTES` bytes, zero-padded, big-endian.
    head: u128,
    bytes: Box<[u8]>,
}

impl EntryKey {
    pub fn new(bytes: Box<[u8]>) -> EntryKey {
        EntryKey {
            head: head_of(&bytes),
            bytes,
        }
    }

    /// A key of a copy of `bytes` (a bound of a range read).
    pub fn copied(bytes: &[u8]) -> EntryKey {
        EntryKey::new(bytes.into())
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// `bytes`' first `HEAD_BYTES` bytes, zero-padded, as a big-endian integer. Two byte
/// strings whose heads differ order as their heads do: the first difference is within the
/// head, and a shorter string's padding zero there is below the other's byte (a zero byte
/// would not differ). Equal heads leave the order to the whole bytes.
fn head_of(bytes: &[u8]) -> u128 {
    let mut head = [0u8; HEAD_BYTES];
    let shown = bytes.len().min(HEAD_BYTES);
    head[..shown].copy_from_slice(&bytes[..shown]);
    u128::from_be_bytes(head)
}

impl PartialEq for EntryKey {
    #[inline]
    fn eq(&self, other: &EntryKey) -> bool {
        self.head == other.head && self.bytes == other.bytes
    }
}

impl Eq for EntryKey {}

impl PartialOrd for EntryKey {
    #[inline]
    fn partial_cmp(&self, other: &EntryKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EntryKey {
    #[inline]
    fn cmp(&self, other: &EntryKey) -> Ordering {
        match self.head.cmp(&other.head) {
            Ordering::Equal => self.bytes.cmp(&other.bytes),
            unequal => unequal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte strings that stress the head: empty, zero bytes, prefixes of each other,
    /// lengths around 16, differences before, at and after the 16th byte.
    fn samples() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = vec![Vec::new(), vec![0], vec![0, 0], vec![255], vec![1]];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for length in [1, 2, 8, 9, 15, 16, 17, 24, 40] {
            for _ in 0..12 {
                let mut bytes = Vec::with_capacity(length);
                for _ in 0..length {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Few distinct byte values, so many strings share long prefixes.
                    bytes.push([0u8, 1, 127, 255][(seed % 4) as usize]);
                }
                out.push(bytes);
            }
        }
        let base: Vec<u8> = (1..=20).collect();
        for cut in 0..=base.len() {
            out.push(base[..cut].to_vec());
            let mut padded = base[..cut].to_vec();
            padded.push(0);
            out.push(padded);
        }
        out
    }

    #[test]
    fn keys_order_and_compare_equal_as_their_bytes() {
        let samples = samples();
        for a in &samples {
            let key_a = EntryKey::copied(a);
            assert_eq!(key_a.bytes(), &a[..]);
            for b in &samples {
                let key_b = EntryKey::new(b.clone().into_boxed_slice());
                assert_eq!(key_a.cmp(&key_b), a.cmp(b), "{a:?} vs {b:?}");
                assert_eq!(key_a == key_b, a == b, "{a:?} vs {b:?}");
            }
        }
    }
}
