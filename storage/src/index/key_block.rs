//! An immutable, sorted run of byte strings in one allocation: the keys of an ordered-index
//! tree leaf, or the separators of an inner node (`ordered_tree.rs`). Layout: the count
//! `n` (u32), then `n + 1` offsets (u32, the first 0), then the strings' bytes back to
//! back; string `i` is `bytes[offsets[i]..offsets[i + 1]]`. Built once, never changed, so
//! readers share it without locks while the epoch keeps it alive. Each builder writes into
//! a buffer its caller gives (a recycled one, `ordered_tree_pool.rs`, or a new one of
//! `block_bytes`); the buffer's capacity is what the block allocated.

use super::entry_key::Probe;

/// Bytes of the count and of each offset.
const WORD: usize = 4;

/// See the module comment.
pub(crate) struct KeyBlock {
    data: Vec<u8>,
}

/// Bytes a block of `count` strings totalling `key_bytes` holds.
#[inline]
pub(crate) fn block_bytes(count: usize, key_bytes: usize) -> usize {
    WORD * (count + 2) + key_bytes
}

impl KeyBlock {
    /// A block of `keys` (which the caller gives in ascending order), whose bytes total
    /// `key_bytes`, written into `data` (emptied first).
    pub(crate) fn build<'k>(
        count: usize,
        key_bytes: usize,
        keys: impl IntoIterator<Item = &'k [u8]>,
        mut data: Vec<u8>,
    ) -> KeyBlock {
        debug_assert!(u32::try_from(key_bytes).is_ok());
        let header = WORD * (count + 2);
        data.clear();
        data.reserve_exact(header + key_bytes);
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
        let block = KeyBlock { data };
        debug_assert!((1..block.len()).all(|i| block.get(i - 1) < block.get(i)));
        block
    }

    /// Bytes `with_inserted` writes for `key`.
    pub(crate) fn bytes_with(&self, key: &[u8]) -> usize {
        block_bytes(self.len() + 1, self.key_bytes() + key.len())
    }

    /// Bytes `with_removed` writes for string `at`.
    pub(crate) fn bytes_without(&self, at: usize) -> usize {
        block_bytes(self.len() - 1, self.key_bytes() - self.get(at).len())
    }

    /// Bytes `slice` writes for `range`.
    pub(crate) fn bytes_of_slice(&self, range: std::ops::Range<usize>) -> usize {
        let key_bytes = self.offset(range.end) - self.offset(range.start);
        block_bytes(range.end - range.start, key_bytes)
    }

    /// This block with `key` inserted at position `at` (which keeps the order), written
    /// into `data` (emptied first): the bytes and offsets copied in bulk, the offsets after
    /// `at` moved by the key's length.
    pub(crate) fn with_inserted(&self, at: usize, key: &[u8], mut data: Vec<u8>) -> KeyBlock {
        let count = self.len();
        debug_assert!(at <= count);
        let (offsets, bytes) = self.parts();
        let split = self.offset(at);
        data.clear();
        data.reserve_exact(self.bytes_with(key));
        data.extend_from_slice(&(count as u32 + 1).to_le_bytes());
        data.extend_from_slice(&offsets[..WORD * (at + 1)]);
        let grow = key.len() as u32;
        for word in offsets[WORD * at..].chunks_exact(WORD) {
            let moved = u32::from_le_bytes(word.try_into().unwrap_or([0; WORD])) + grow;
            data.extend_from_slice(&moved.to_le_bytes());
        }
        data.extend_from_slice(&bytes[..split]);
        data.extend_from_slice(key);
        data.extend_from_slice(&bytes[split..]);
        let block = KeyBlock { data };
        debug_assert!((1..block.len()).all(|i| block.get(i - 1) < block.get(i)));
        block
    }

    /// This block without string `at`, written into `data` (emptied first).
    pub(crate) fn with_removed(&self, at: usize, mut data: Vec<u8>) -> KeyBlock {
        let count = self.len();
        debug_assert!(at < count);
        let (offsets, bytes) = self.parts();
        let (start, end) = (self.offset(at), self.offset(at + 1));
        let shrink = (end - start) as u32;
        data.clear();
        data.reserve_exact(self.bytes_without(at));
        data.extend_from_slice(&(count as u32 - 1).to_le_bytes());
        data.extend_from_slice(&offsets[..WORD * (at + 1)]);
        for word in offsets[WORD * (at + 2)..].chunks_exact(WORD) {
            let moved = u32::from_le_bytes(word.try_into().unwrap_or([0; WORD])) - shrink;
            data.extend_from_slice(&moved.to_le_bytes());
        }
        data.extend_from_slice(&bytes[..start]);
        data.extend_from_slice(&bytes[end..]);
        KeyBlock { data }
    }

    /// Strings `range` as a block of their own (a half of a split), written into `data`
    /// (emptied first).
    pub(crate) fn slice(&self, range: std::ops::Range<usize>, mut data: Vec<u8>) -> KeyBlock {
        debug_assert!(range.start <= range.end && range.end <= self.len());
        let (offsets, bytes) = self.parts();
        let (start, end) = (self.offset(range.start), self.offset(range.end));
        let count = range.end - range.start;
        data.clear();
        data.reserve_exact(self.bytes_of_slice(range.clone()));
        data.extend_from_slice(&(count as u32).to_le_bytes());
        for word in offsets[WORD * range.start..WORD * (range.end + 1)].chunks_exact(WORD) {
            let moved = u32::from_le_bytes(word.try_into().unwrap_or([0; WORD])) - start as u32;
            data.extend_from_slice(&moved.to_le_bytes());
        }
        data.extend_from_slice(&bytes[start..end]);
        KeyBlock { data }
    }

    /// The block's buffer, emptied, for a new block to be written into. The block is left
    /// with no buffer at all: the caller replaces it before anything reads it.
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        let mut data = std::mem::take(&mut self.data);
        data.clear();
        data
    }

    /// The offsets (`len() + 1` words) and the strings' bytes.
    #[inline]
    fn parts(&self) -> (&[u8], &[u8]) {
        let (header, bytes) = self.data.split_at(WORD * (self.len() + 2));
        (&header[WORD..], bytes)
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

    /// Bytes this block allocated (its buffer's capacity).
    pub(crate) fn allocated(&self) -> usize {
        self.data.capacity()
    }

    /// How many strings order below the probe (with `equal_below`, at or below it): the
    /// position where a binary search for it lands. Each step reads the string's start and
    /// end offsets as one 8-byte word and decides on the probe's integer head
    /// (`Probe::orders_below`), the common step of every tree descent.
    #[inline]
    pub(crate) fn rank(&self, probe: &Probe<'_>, equal_below: bool) -> usize {
        let count = self.len();
        let Some((offsets, bytes)) = self
            .data
            .get(WORD..)
            .and_then(|rest| rest.split_at_checked(WORD * (count + 1)))
        else {
            return 0;
        };
        let (mut low, mut size) = (0, count);
        while size > 0 {
            let half = size / 2;
            let middle = low + half;
            let at = WORD * middle;
            // Offsets `middle` and `middle + 1` (little-endian u32 each) side by side.
            let pair = offsets
                .get(at..at + 2 * WORD)
                .and_then(|pair| pair.try_into().ok())
                .map_or(0, u64::from_le_bytes);
            let (start, end) = ((pair & 0xFFFF_FFFF) as usize, (pair >> 32) as usize);
            let key = bytes.get(start..end).unwrap_or_default();
            if probe.orders_below(key, equal_below) {
                low = middle + 1;
                size -= half + 1;
            } else {
                size = half;
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
        KeyBlock::build(keys.len(), bytes, keys.iter().copied(), Vec::new())
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
        let grown = block.with_inserted(2, b"aa", Vec::new());
        let expected: [&[u8]; 5] = [b"", b"a", b"aa", b"ab", b"b\xff"];
        assert_eq!(grown.iter().collect::<Vec<_>>(), expected.to_vec());
        assert_eq!(
            grown.with_removed(2, Vec::new()).iter().collect::<Vec<_>>(),
            keys.to_vec()
        );
        assert_eq!(
            grown.with_removed(4, Vec::new()).iter().collect::<Vec<_>>(),
            expected[..4].to_vec()
        );
        assert_eq!(
            grown.slice(2..5, Vec::new()).iter().collect::<Vec<_>>(),
            expected[2..].to_vec()
        );
        assert_eq!(grown.slice(2..5, Vec::new()).key_bytes(), 6);
        assert_eq!(block.with_inserted(4, b"c", Vec::new()).get(4), b"c");
        // A recycled buffer: old bytes in it and room to spare, all overwritten, and its
        // capacity is what the block counts as allocated.
        let mut recycled = Vec::with_capacity(256);
        recycled.extend_from_slice(&[0xAA; 100]);
        let capacity = recycled.capacity();
        let rebuilt = block.with_inserted(2, b"aa", recycled);
        assert_eq!(rebuilt.iter().collect::<Vec<_>>(), expected.to_vec());
        assert_eq!(rebuilt.allocated(), capacity);
        assert_eq!(grown.bytes_with(b"xyz"), 4 * 8 + 7 + 3);
        assert_eq!(grown.bytes_without(3), 4 * 6 + 7 - 2);
        assert_eq!(grown.bytes_of_slice(1..3), 4 * 4 + 3);
        let mut taken = rebuilt;
        let buffer = taken.take_buffer();
        assert!(buffer.is_empty() && buffer.capacity() == capacity);
        let empty = block_of(&[]);
        assert_eq!(empty.len(), 0);
        assert_eq!(empty.rank(&Probe::new(b"x"), true), 0);
    }

    /// `rank` lands where a linear count of the smaller (or not larger) strings does, for
    /// blocks of every size up to 70 and probes below, between, on and above their strings
    /// (long shared prefixes too, so heads tie and the whole bytes decide).
    #[test]
    fn rank_agrees_with_a_linear_count() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for count in 0..70 {
            let mut keys: Vec<Vec<u8>> = (0..count)
                .map(|_| {
                    let prefix = if next() % 2 == 0 {
                        0
                    } else {
                        14 + next() as usize % 6
                    };
                    let mut key = vec![7u8; prefix];
                    key.extend((0..next() % 5).map(|_| [0u8, 1, 200][next() as usize % 3]));
                    key
                })
                .collect();
            keys.sort();
            keys.dedup();
            let block = block_of(&keys.iter().map(Vec::as_slice).collect::<Vec<_>>());
            let mut probes = keys.clone();
            probes.extend(keys.iter().map(|k| [k.as_slice(), &[0]].concat()));
            probes.extend([vec![], vec![7; 16], vec![7; 30], vec![255]]);
            for probe in &probes {
                for equal_below in [false, true] {
                    let expected = keys
                        .iter()
                        .filter(|k| k.as_slice() < probe.as_slice() || (equal_below && *k == probe))
                        .count();
                    let probed = Probe::new(probe);
                    assert_eq!(block.rank(&probed, equal_below), expected, "{probe:?}");
                }
            }
        }
    }
}
