//! Sorting many ordered-index entry keys at once (a new index's load, the collector's
//! batched removals): each key's first 16 bytes, read as one big-endian integer (zero bytes
//! past a shorter key's end), order the keys as their bytes do, or tie. The heads are
//! radix-sorted a byte at a time from the last, skipping the bytes every head shares (a
//! key's type tag, the high bytes of small integers and row ids), so a pass moves 24-byte
//! records and compares nothing; only keys whose heads tie are then compared byte by byte.

/// Below this many keys a comparison sort is as quick as the radix passes.
const RADIX_KEYS_MIN: usize = 256;

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
        // A run of equal heads: its keys ordered by their bytes.
        let head = headed[start].0;
        let mut end = start + 1;
        while end < headed.len() && headed[end].0 == head {
            end += 1;
        }
        let run = sorted.len();
        sorted.extend(
            headed[start..end]
                .iter()
                .map(|&(_, at)| entries[at as usize]),
        );
        if end - start > 1 {
            sorted[run..].sort_unstable();
        }
        start = end;
    }
    sorted.dedup();
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
fn head_of(entry: &[u8]) -> u128 {
    let mut head = [0u8; HEAD_BYTES];
    let taken = entry.len().min(HEAD_BYTES);
    head[..taken].copy_from_slice(&entry[..taken]);
    u128::from_be_bytes(head)
}

/// Sorts `records` by head, stably: one counting pass per byte of the head, least
/// significant first, over the bytes in which some two heads differ.
fn radix_sort(records: &mut Vec<(u128, u32)>) {
    let mut counts = vec![[0usize; 256]; HEAD_BYTES];
    for &(head, _) in records.iter() {
        for (byte, count) in counts.iter_mut().enumerate() {
            count[((head >> (8 * byte)) & 0xff) as usize] += 1;
        }
    }
    let mut spare = vec![(0u128, 0u32); records.len()];
    for (byte, count) in counts.iter().enumerate() {
        // A byte every head has alike leaves the order as it is.
        if count.contains(&records.len()) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut total = 0;
        for (value, &n) in count.iter().enumerate() {
            next[value] = total;
            total += n;
        }
        for &record in records.iter() {
            let value = ((record.0 >> (8 * byte)) & 0xff) as usize;
            spare[next[value]] = record;
            next[value] += 1;
        }
        std::mem::swap(records, &mut spare);
    }
    debug_assert!(records.windows(2).all(|pair| pair[0].0 <= pair[1].0));
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
}
