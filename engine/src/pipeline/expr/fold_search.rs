//! Substring search with ASCII letters matched in either case (LIKE's `%abc%`) or exactly
//! (instr()): a packed-pair search over sixteen start positions at a time with SSE2 on
//! x86-64, and eight at a time in a `u64` for the rest (and on other targets).
//! Two bytes of the needle (its first and its last) are compared at every start of a
//! block at once, each text byte OR'd with `0x20` where the needle's byte is an ASCII
//! letter (which maps exactly the two cases of that letter onto its lower case), and only
//! the starts where both agree compare the whole needle. No start is skipped whatever
//! byte the needle begins with, so a common first letter costs no more than a rare one.
//! A needle searched for in many texts (a LIKE pattern's `%body%`) is prepared once as a
//! `Finder`, its pair of broadcast bytes made once instead of per text.
//!
//! A match starts at a character's first byte whenever the needle does: a UTF-8
//! continuation byte equals no ASCII byte and no lead byte, and folding changes ASCII
//! letters only.

/// Every byte of a `u64` set to 0x01.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
/// Every byte of a `u64` set to 0x80.
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
/// Start positions tested at once.
const BLOCK: usize = 8;

/// The leftmost start of `needle` in `haystack`, ASCII letters matched in either case
/// when `fold_case` (as `eq_ignore_ascii_case`), bytes compared exactly otherwise.
#[inline(always)]
pub(crate) fn find(haystack: &[u8], needle: &[u8], fold_case: bool) -> Option<usize> {
    let (&first, &last) = match (needle.first(), needle.last()) {
        (Some(first), Some(last)) => (first, last),
        _ => return Some(0),
    };
    let pair = Pair::of(first, last, needle.len() - 1, fold_case);
    find_with(haystack, needle, fold_case, &pair)
}

/// A needle prepared once for many searches (a LIKE pattern's `%body%`): its pair of
/// broadcast bytes made once, not per text.
#[derive(Debug, Clone)]
pub(crate) struct Finder {
    needle: Box<[u8]>,
    fold_case: bool,
    /// `None` for the empty needle (found at 0 in every text).
    pair: Option<Pair>,
}

impl Finder {
    pub(crate) fn new(needle: &[u8], fold_case: bool) -> Finder {
        let pair = match (needle.first(), needle.last()) {
            (Some(&first), Some(&last)) => Some(Pair::of(first, last, needle.len() - 1, fold_case)),
            _ => None,
        };
        Finder {
            needle: needle.into(),
            fold_case,
            pair,
        }
    }

    /// `find(haystack, needle, fold_case)` for this finder's needle.
    #[inline(always)]
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<usize> {
        match &self.pair {
            Some(pair) => find_with(haystack, &self.needle, self.fold_case, pair),
            None => Some(0),
        }
    }
}

/// `find` with the needle's `pair` made (the needle is not empty).
#[inline(always)]
fn find_with(haystack: &[u8], needle: &[u8], fold_case: bool, pair: &Pair) -> Option<usize> {
    debug_assert!(!needle.is_empty());
    let first = needle[0];
    let last_start = haystack.len().checked_sub(needle.len())?;
    let equal = |text: &[u8]| {
        if fold_case {
            text.eq_ignore_ascii_case(needle)
        } else {
            text == needle
        }
    };
    if needle.len() == 1 {
        return if fold_case && first.is_ascii_alphabetic() {
            memchr::memchr2(
                first.to_ascii_lowercase(),
                first.to_ascii_uppercase(),
                haystack,
            )
        } else {
            memchr::memchr(first, haystack)
        };
    }
    let mut start = 0;
    // Blocks of 16 starts compared by SSE2 (part of every x86-64), while they fit.
    #[cfg(target_arch = "x86_64")]
    {
        let wide = wide::WidePair::of(pair);
        while start + wide::WIDE_BLOCK <= last_start + 1 {
            let mut candidates = wide.candidates(haystack, start);
            while candidates != 0 {
                let at = start + candidates.trailing_zeros() as usize;
                if equal(&haystack[at..at + needle.len()]) {
                    return Some(at);
                }
                candidates &= candidates - 1;
            }
            start += wide::WIDE_BLOCK;
        }
    }
    // Blocks of BLOCK starts, all at most `last_start`.
    while start + BLOCK <= last_start + 1 {
        if let Some(found) = pair.block(haystack, start, &equal, needle.len()) {
            return Some(found);
        }
        start += BLOCK;
    }
    if start > last_start {
        return None;
    }
    if last_start + 1 >= BLOCK {
        // The last starts, in one block that overlaps the tested ones (they failed).
        return pair.block(haystack, last_start + 1 - BLOCK, &equal, needle.len());
    }
    (start..=last_start)
        .find(|&at| pair.at(haystack, at) && equal(&haystack[at..at + needle.len()]))
}

/// The needle's first and last bytes, each broadcast to a `u64` with the mask that folds
/// a text byte onto it (`0x20` for an ASCII letter when folding case, else 0).
#[derive(Debug, Clone)]
struct Pair {
    first: u64,
    first_fold: u64,
    last: u64,
    last_fold: u64,
    /// The last byte's distance from the first.
    distance: usize,
}

impl Pair {
    #[inline(always)]
    fn of(first: u8, last: u8, distance: usize, fold_case: bool) -> Pair {
        let fold = |byte: u8| {
            if fold_case && byte.is_ascii_alphabetic() {
                (byte.to_ascii_lowercase(), 0x20_u8)
            } else {
                (byte, 0_u8)
            }
        };
        let ((first, first_fold), (last, last_fold)) = (fold(first), fold(last));
        Pair {
            first: ONES * u64::from(first),
            first_fold: ONES * u64::from(first_fold),
            last: ONES * u64::from(last),
            last_fold: ONES * u64::from(last_fold),
            distance,
        }
    }

    /// Whether the pair's bytes sit at start `at` (one start, for the short texts).
    #[inline(always)]
    fn at(&self, haystack: &[u8], at: usize) -> bool {
        // Only the low byte of each broadcast is read.
        let fold = |byte: u8, mask: u64| byte | mask as u8;
        fold(haystack[at], self.first_fold) == self.first as u8
            && fold(haystack[at + self.distance], self.last_fold) == self.last as u8
    }

    /// The leftmost start in `start .. start + BLOCK` where the whole needle (of
    /// `needle_len` bytes, compared by `equal`) matches; every such start leaves room for
    /// the needle.
    #[inline(always)]
    fn block(
        &self,
        haystack: &[u8],
        start: usize,
        equal: &impl Fn(&[u8]) -> bool,
        needle_len: usize,
    ) -> Option<usize> {
        debug_assert!(start + BLOCK - 1 + needle_len <= haystack.len());
        let firsts = load(haystack, start);
        let lasts = load(haystack, start + self.distance);
        let differ =
            ((firsts | self.first_fold) ^ self.first) | ((lasts | self.last_fold) ^ self.last);
        // A high bit for every zero byte of `differ` (and perhaps, from the borrow, for
        // bytes above one: the whole needle is compared at each, so those only cost time).
        let mut candidates = differ.wrapping_sub(ONES) & !differ & HIGHS;
        while candidates != 0 {
            let at = start + candidates.trailing_zeros() as usize / 8;
            if equal(&haystack[at..at + needle_len]) {
                return Some(at);
            }
            candidates &= candidates - 1;
        }
        None
    }
}

/// The pair test over 16 starts at once with SSE2 compares (x86-64 only; elsewhere the
/// `u64` blocks do all the work).
#[cfg(target_arch = "x86_64")]
mod wide {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    use super::Pair;

    /// Start positions one wide block tests.
    pub(super) const WIDE_BLOCK: usize = 16;

    /// `Pair`'s bytes and masks, each broadcast to 16 lanes.
    pub(super) struct WidePair {
        first: __m128i,
        first_fold: __m128i,
        last: __m128i,
        last_fold: __m128i,
        distance: usize,
    }

    impl WidePair {
        #[inline(always)]
        pub(super) fn of(pair: &Pair) -> WidePair {
            // Only the low byte of each broadcast word is read.
            let lanes = |word: u64| word as u8 as i8;
            // SAFETY: SSE2 is part of the x86-64 baseline every such target enables.
            unsafe {
                WidePair {
                    first: _mm_set1_epi8(lanes(pair.first)),
                    first_fold: _mm_set1_epi8(lanes(pair.first_fold)),
                    last: _mm_set1_epi8(lanes(pair.last)),
                    last_fold: _mm_set1_epi8(lanes(pair.last_fold)),
                    distance: pair.distance,
                }
            }
        }

        /// Bit `i` set when the pair's bytes sit at start `start + i` (each of the 16
        /// starts leaving room for the needle, which the caller checks).
        #[inline(always)]
        pub(super) fn candidates(&self, haystack: &[u8], start: usize) -> u32 {
            let firsts = &haystack[start..start + WIDE_BLOCK];
            let lasts = &haystack[start + self.distance..start + self.distance + WIDE_BLOCK];
            // SAFETY: SSE2 is part of the x86-64 baseline; both loads read the 16 bytes of
            // a slice of exactly that length (unaligned loads allow any address).
            unsafe {
                let firsts = _mm_loadu_si128(firsts.as_ptr().cast::<__m128i>());
                let lasts = _mm_loadu_si128(lasts.as_ptr().cast::<__m128i>());
                let first_hit = _mm_cmpeq_epi8(_mm_or_si128(firsts, self.first_fold), self.first);
                let last_hit = _mm_cmpeq_epi8(_mm_or_si128(lasts, self.last_fold), self.last);
                _mm_movemask_epi8(_mm_and_si128(first_hit, last_hit)) as u32
            }
        }
    }
}

/// The eight bytes of `haystack` from `at` on, the first in the low byte.
#[inline(always)]
fn load(haystack: &[u8], at: usize) -> u64 {
    let mut bytes = [0; BLOCK];
    bytes.copy_from_slice(&haystack[at..at + BLOCK]);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
#[path = "fold_search_tests.rs"]
mod tests;
