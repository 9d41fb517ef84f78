//! Comparing ordered-index entry keys (`ordered_tree.rs`) fast: a key's first `HEAD_BYTES`
//! bytes read as one big-endian integer pair. Keys order as their bytes do, but most
//! comparisons of a tree search (two keys that differ in their first 16 bytes, which
//! covers an integer key and most of its row id) are two integer comparisons instead of a
//! byte-string comparison through `memcmp`. A search key (`Probe`) computes its head once.

use std::cmp::Ordering;

/// Leading bytes of a key held in its integer head.
const HEAD_BYTES: usize = 16;

/// `bytes`' first `HEAD_BYTES` bytes, zero-padded, as a big-endian integer (high and low
/// halves). Two byte strings whose heads differ order as their heads do: the first
/// difference is within the head, and a shorter string's padding zero there is below the
/// other's byte (a zero byte would not differ). Equal heads leave the order to the whole
/// bytes.
#[inline(always)]
fn head_of(bytes: &[u8]) -> (u64, u64) {
    if let (Some(high), Some(low)) = (bytes.get(..8), bytes.get(8..HEAD_BYTES)) {
        return (
            u64::from_be_bytes(high.try_into().expect("8 bytes")),
            u64::from_be_bytes(low.try_into().expect("8 bytes")),
        );
    }
    let mut head = [0u8; HEAD_BYTES];
    let shown = bytes.len().min(HEAD_BYTES);
    head[..shown].copy_from_slice(&bytes[..shown]);
    let (high, low) = head.split_at(8);
    (
        u64::from_be_bytes(high.try_into().expect("8 bytes")),
        u64::from_be_bytes(low.try_into().expect("8 bytes")),
    )
}

/// A key searched for, with its head computed once.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    head: (u64, u64),
    bytes: &'a [u8],
}

impl<'a> Probe<'a> {
    pub fn new(bytes: &'a [u8]) -> Probe<'a> {
        Probe {
            head: head_of(bytes),
            bytes,
        }
    }

    /// How `key` orders against the probe (`key.cmp(probe)`, as bytes).
    #[inline(always)]
    pub fn order_of(&self, key: &[u8]) -> Ordering {
        match head_of(key).cmp(&self.head) {
            Ordering::Equal => key.cmp(self.bytes),
            unequal => unequal,
        }
    }

    /// Whether `key` orders below the probe (with `equal_below`, at or below it): what one
    /// step of a binary search asks, decided on the heads unless they are equal.
    #[inline(always)]
    pub fn orders_below(&self, key: &[u8], equal_below: bool) -> bool {
        let head = head_of(key);
        if head != self.head {
            return head < self.head;
        }
        match key.cmp(self.bytes) {
            Ordering::Less => true,
            Ordering::Equal => equal_below,
            Ordering::Greater => false,
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
    fn keys_order_against_probes_as_their_bytes() {
        let samples = samples();
        for a in &samples {
            let probe = Probe::new(a);
            for b in &samples {
                assert_eq!(probe.order_of(b), b.cmp(a), "{b:?} vs {a:?}");
                assert_eq!(probe.orders_below(b, false), b < a, "{b:?} < {a:?}");
                assert_eq!(probe.orders_below(b, true), b <= a, "{b:?} <= {a:?}");
            }
        }
    }
}
