//! Sorting many ordered-index entry keys at once (a new index's load, the collector's
//! batched removals): each key's first 16 bytes, read as one big-endian integer (zero bytes
//! past a shorter key's end), order the keys as their bytes do, or tie. The heads are
//! radix-sorted from the most significant byte: one pass over a group of heads finds the
//! first byte in which any two differ (the bytes they all share, such as a key's type tag,
//! a common text prefix or the high bytes of small integers, cost nothing more), a
//! counting pass splits the group by that byte into buckets, and each bucket is sorted the
//! same way from the next byte; a bucket of a few heads is finished by a comparison sort.
//! The passes move the heads between two buffers, each bucket sorted from the one it was
//! split into towards the other, so no pass copies a group back.
//! Only keys whose heads tie are then compared byte by byte.

/// Below this many keys a comparison sort is as quick as the radix passes.
const RADIX_KEYS_MIN: usize = 256;

/// A bucket of at most this many heads is finished by a comparison sort.
const BUCKET_SORT_MAX: usize = 48;

/// Bytes of a key read into its head.
const HEAD_BYTES: usize = 16;

/// `entries` ascending, each once.
pub(crate) fn sort_entry_keys(entries: Vec<&[u8]>) -> Vec<&[u8]> {
    let mut headed: Vec<(u128, u32)> = Vec::with_capacity(entries.len());
    let Ok(count) = u32::try_from(entries.len()) else {
        return comparison_sorted(entries);
    };
    if entries.len() < RADIX_KEYS_MIN {
        return comparison_sorted(entries);
    }
    headed.extend((0..count).map(|at| (head_of(entries[at as usize]), at)));
    radix_sort(&mut headed);
    let mut sorted: Vec<&[u8]> = Vec::with_capacity(entries.len());
    let mut start = 0;
    while start < headed.len() {
        let (head, first) = headed[start];
        let mut end = start + 1;
        while end < headed.len() && headed[end].0 == head {
            end += 1;
        }
        if end - start == 1 {
            // A head no other key has: the key differs from both neighbours.
            sorted.push(entries[first as usize]);
        } else {
            // A run of equal heads: its keys ordered by their bytes, each once (keys with
            // different heads differ, so only a run can hold a key twice).
            let run = sorted.len();
            sorted.extend(
                headed[start..end]
                    .iter()
                    .map(|&(_, at)| entries[at as usize]),
            );
            sorted[run..].sort_unstable();
            let mut kept = run + 1;
            for at in run + 1..sorted.len() {
                if sorted[at] != sorted[kept - 1] {
                    sorted[kept] = sorted[at];
                    kept += 1;
                }
            }
            sorted.truncate(kept);
        }
        start = end;
    }
    debug_assert!(sorted.windows(2).all(|pair| pair[0] < pair[1]));
    sorted
}

/// `entries` sorted by comparing bytes, each once.
fn comparison_sorted(mut entries: Vec<&[u8]>) -> Vec<&[u8]> {
    entries.sort_unstable();
    entries.dedup();
    entries
}

/// The first 16 bytes of `entry` as a big-endian integer, zero bytes past its end:
/// integers that order as the keys do, or tie.
#[inline(always)]
fn head_of(entry: &[u8]) -> u128 {
    if let Some(first) = entry.first_chunk::<HEAD_BYTES>() {
        return u128::from_be_bytes(*first);
    }
    let mut head = [0u8; HEAD_BYTES];
    let taken = entry.len().min(HEAD_BYTES);
    head[..taken].copy_from_slice(&entry[..taken]);
    u128::from_be_bytes(head)
}

/// A key's head and its place among the keys.
type Record = (u128, u32);

/// Sorts `records` by head (equal heads in any order).
fn radix_sort(records: &mut [Record]) {
    let mut spare = vec![(0u128, 0u32); records.len()];
    sort_from_byte(records, &mut spare, 0);
    debug_assert!(records.windows(2).all(|pair| pair[0].0 <= pair[1].0));
}

/// Sorts `records`, whose heads agree on every byte before `agreed` (counted from the most
/// significant), in place, through `spare` (as long as `records`): a pass scatters them
/// into `spare` by their first differing byte, and each bucket is sorted from there back
/// into `records` (`sort_into`), so no pass copies a group back whole.
fn sort_from_byte(records: &mut [Record], spare: &mut [Record], agreed: usize) {
    debug_assert_eq!(records.len(), spare.len());
    if records.len() <= BUCKET_SORT_MAX {
        records.sort_unstable_by_key(|record| record.0);
        return;
    }
    let Some((byte, counts)) = scatter(records, spare, agreed) else {
        // Every head alike: the caller orders the tie by the keys' bytes.
        return;
    };
    let mut start = 0;
    for &count in &counts {
        let end = start + count as usize;
        if count > 0 {
            sort_into(&mut spare[start..end], &mut records[start..end], byte + 1);
        }
        start = end;
    }
}

/// Sorts the records of `from` (heads agreeing before `agreed`) into `to`, as long, leaving
/// `from` as scratch.
fn sort_into(from: &mut [Record], to: &mut [Record], agreed: usize) {
    debug_assert_eq!(from.len(), to.len());
    if from.len() <= BUCKET_SORT_MAX {
        from.sort_unstable_by_key(|record| record.0);
        to.copy_from_slice(from);
        return;
    }
    let Some((byte, counts)) = scatter(from, to, agreed) else {
        to.copy_from_slice(from);
        return;
    };
    let mut start = 0;
    for &count in &counts {
        let end = start + count as usize;
        if count > 1 {
            sort_from_byte(&mut to[start..end], &mut from[start..end], byte + 1);
        }
        start = end;
    }
}

/// Moves `from`'s records into `to` (as long) grouped by the first byte in which two of
/// their heads differ (at or past `agreed`), groups in ascending byte order, each keeping
/// its records' order; returns the byte and each group's size. `None`, with nothing moved,
/// when every head is alike.
fn scatter(from: &[Record], to: &mut [Record], agreed: usize) -> Option<(usize, [u32; 256])> {
    // The first byte in which some two heads of the group differ, found in one pass: the
    // bytes every head shares before it need no pass of their own.
    let first = from.first()?.0;
    let differing = from
        .iter()
        .fold(0u128, |bits, record| bits | (record.0 ^ first));
    if differing == 0 {
        return None;
    }
    let byte = (differing.leading_zeros() / 8) as usize;
    debug_assert!(agreed <= byte && byte < HEAD_BYTES);
    // The byte, read from the half of the head that holds it (a shift of a u128 by a
    // variable amount costs several instructions; of a u64, one).
    let high_half = byte < 8;
    let shift = 8 * (7 - byte % 8);
    let digit = |record: &Record| {
        let half = if high_half {
            (record.0 >> 64) as u64
        } else {
            record.0 as u64
        };
        ((half >> shift) & 0xff) as usize
    };
    let mut counts = [0u32; 256];
    for record in from {
        counts[digit(record)] += 1;
    }
    let mut next = [0u32; 256];
    let mut total = 0;
    for (value, &count) in counts.iter().enumerate() {
        next[value] = total;
        total += count;
    }
    for record in from {
        let slot = &mut next[digit(record)];
        to[*slot as usize] = *record;
        *slot += 1;
    }
    Some((byte, counts))
}

#[cfg(test)]
mod tests {
    use super::sort_entry_keys;

    /// The keys come out in their own order, each once: keys shorter and longer than the
    /// head, with zero bytes, shared heads and prefixes of each other, few and many (the
    /// comparison sort and the radix passes).
    #[test]
    fn sorted_entry_keys_follow_the_keys_order() {
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..120 {
            let count = if round % 2 == 0 {
                rng.usize(..60)
            } else {
                rng.usize(256..3000)
            };
            let keys: Vec<Vec<u8>> = (0..count)
                .map(|_| {
                    let len = rng.usize(..24);
                    let alphabet = if round % 3 == 0 {
                        [0u8, 1, 9, 255]
                    } else {
                        [7u8, 7, 7, rng.u8(..)]
                    };
                    (0..len).map(|_| alphabet[rng.usize(..4)]).collect()
                })
                .collect();
            let sorted = sort_entry_keys(keys.iter().map(Vec::as_slice).collect());
            let mut plain: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            plain.sort_unstable();
            plain.dedup();
            assert_eq!(sorted, plain, "round {round}");
        }
    }

    /// Keys whose bytes take two values split into two buckets a pass, so a group goes
    /// through many passes, each moving it to the other buffer: an odd and an even number
    /// of passes both end with every key in place.
    #[test]
    fn many_passes_between_the_two_buffers_end_in_order() {
        let mut rng = fastrand::Rng::with_seed(5);
        for (count, len) in [(40_000, 14), (9_000, 7), (1_000, 3)] {
            let keys: Vec<Vec<u8>> = (0..count)
                .map(|_| (0..len).map(|_| 1 + rng.u8(..2)).collect())
                .collect();
            let sorted = sort_entry_keys(keys.iter().map(Vec::as_slice).collect());
            let mut plain: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            plain.sort_unstable();
            plain.dedup();
            assert_eq!(sorted, plain, "{count} keys of {len} bytes");
        }
    }

    /// Keys sharing long prefixes (the text keys of a name column, a tag and common
    /// letters) and keys whose 16-byte heads all tie sort as their bytes do.
    #[test]
    fn keys_with_shared_prefixes_sort_by_their_bytes() {
        let mut rng = fastrand::Rng::with_seed(11);
        for shared in [0usize, 3, 10, 16, 20] {
            let keys: Vec<Vec<u8>> = (0..5000)
                .map(|_| {
                    let mut key = vec![3u8; shared];
                    let len = rng.usize(..12);
                    key.extend((0..len).map(|_| b'a' + rng.u8(..4)));
                    key
                })
                .collect();
            let sorted = sort_entry_keys(keys.iter().map(Vec::as_slice).collect());
            let mut plain: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            plain.sort_unstable();
            plain.dedup();
            assert_eq!(sorted, plain, "shared prefix {shared}");
        }
    }
}
