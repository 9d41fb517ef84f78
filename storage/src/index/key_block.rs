//! An immutable, sorted run of byte strings in one allocation: the keys of an ordered-index
//! tree leaf, or the separators of an inner node (`ordered_tree.rs`). Layout: the count
//! `n` (u32), then `n + 1` offsets (u32, the first 0), then the strings' bytes back to
//! back; string `i` is `bytes[offsets[i]..offsets[i + 1]]`. Built once, never changed, so
//! readers share it without locks while the epoch keeps it alive.

use std::cmp::Ordering;

use super::entry_key::Probe;

/// Bytes of the count and of each offset.
const WORD: usize = 4;

/// See the module comment.
pub(crate) struct KeyBlock {
    data: Box<[u8]>,
}

impl KeyBlock {
    /// A block of `keys` (which the caller gives in ascending order), whose bytes total
    /// `key_bytes`.
    pub(crate) fn build<'k>(
        count: usize,
        key_bytes: usize,
        keys: impl IntoIterator<Item = &'k [u8]>,
    ) -> KeyBlock {
        debug_assert!(u32::try_from(key_bytes).is_ok());
        let header = WORD * (count + 2);
        let mut data = Vec::with_capacity(header + key_bytes);
        data.extend_from_slice(&(count as u32).to_le_bytes());
        data.resize(header, 0);
        let mut end = 0usize;
        let mut written = 0;
        for key in keys {
            data.extend_from_slice(key);
            end += key.len();
            written += 1;
            let at = WORD * (written + 1);
            data[at..at + WORD].copy_from_slice(&(end as u32).to_le_bytes());
        }
        debug_assert_eq!(written, count, "the count given must be the keys'");
        debug_assert_eq!(end, key_bytes, "the byte total given must be the keys'");
        let block = KeyBlock {
            data: data.into_boxed_slice(),
        };
        debug_assert!((1..block.len()).all(|i| block.get(i - 1) < block.get(i)));
        block
    }

    /// Number of strings.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        u32::from_le_bytes(self.word(0)) as usize
    }

    #[inline(always)]
    fn word(&self, index: usize) -> [u8; WORD] {
        let at = index * WORD;
        // The header holds `len + 2` words, and every index read is below that.
        self.data[at..at + WORD].try_into().unwrap_or([0; WORD])
    }

    #[inline(always)]
    fn offset(&self, index: usize) -> usize {
        u32::from_le_bytes(self.word(index + 1)) as usize
    }

    /// String `index` (below `len()`).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> &[u8] {
        debug_assert!(index < self.len());
        let base = WORD * (self.len() + 2);
        &self.data[base + self.offset(index)..base + self.offset(index + 1)]
    }

    /// Bytes of all the strings together.
    pub(crate) fn key_bytes(&self) -> usize {
        self.offset(self.len())
    }

    /// Bytes this block allocated.
    pub(crate) fn allocated(&self) -> usize {
        self.data.len()
    }

    /// How many strings order below the probe (with `equal_below`, at or below it): the
    /// position where a binary search for it lands.
    #[inline]
    pub(crate) fn rank(&self, probe: &Probe<'_>, equal_below: bool) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = (low + high) / 2;
            let below = match probe.order_of(self.get(middle)) {
                Ordering::Less => true,
                Ordering::Equal => equal_below,
                Ordering::Greater => false,
            };
            if below {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// The strings, in order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.iter_range(0..self.len())
    }

    /// Strings `range` (within `0..len()`), in order: each offset read once, as a pair
    /// with the next (what a walk over a leaf reads per key).
    #[inline]
    pub(crate) fn iter_range(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        debug_assert!(range.start <= range.end && range.end <= self.len());
        let base = WORD * (self.len() + 2);
        let (offsets, bytes) = self.data.split_at(base);
        let offsets = &offsets[WORD * (range.start + 1)..WORD * (range.end + 2)];
        let starts = offsets[..offsets.len() - WORD].chunks_exact(WORD);
        let ends = offsets[WORD..].chunks_exact(WORD);
        let word = |w: &[u8]| u32::from_le_bytes(w.try_into().unwrap_or([0; WORD])) as usize;
        starts
            .zip(ends)
            .map(move |(start, end)| &bytes[word(start)..word(end)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_of(keys: &[&[u8]]) -> KeyBlock {
        let bytes = keys.iter().map(|k| k.len()).sum();
        KeyBlock::build(keys.len(), bytes, keys.iter().copied())
    }

    #[test]
    fn strings_come_back_in_order_and_rank_finds_their_places() {
        let keys: [&[u8]; 4] = [b"", b"a", b"ab", b"b\xff"];
        let block = block_of(&keys);
        assert_eq!(block.len(), 4);
        assert_eq!(block.key_bytes(), 5);
        assert_eq!(block.iter().collect::<Vec<_>>(), keys.to_vec());
        assert_eq!(
            block.iter_range(1..3).collect::<Vec<_>>(),
            keys[1..3].to_vec()
        );
        assert_eq!(block.iter_range(2..2).count(), 0);
        assert_eq!(block.iter_range(0..4).next_back(), Some(&b"b\xff"[..]));
        assert_eq!(block.rank(&Probe::new(b"a"), false), 1);
        assert_eq!(block.rank(&Probe::new(b"a"), true), 2);
        assert_eq!(block.rank(&Probe::new(b"aa"), false), 2);
        assert_eq!(block.rank(&Probe::new(b"c"), true), 4);
        assert_eq!(block.rank(&Probe::new(b""), false), 0);
        let empty = block_of(&[]);
        assert_eq!(empty.len(), 0);
        assert_eq!(empty.rank(&Probe::new(b"x"), true), 0);
    }
}
