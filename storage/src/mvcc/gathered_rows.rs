//! The slots one key's hash entries name, gathered before any row is read (a visit cannot
//! change what the walk sees): up to `GATHERED_INLINE` in place, the rest spilled to a
//! vector, and put in row id order for the reader.

use super::table::RowId;

/// Slots read from one key's entries: the first `GATHERED_INLINE` inline, the rest spilled
/// to a vector.
#[derive(Default)]
pub(super) struct GatheredRows {
    inline: [RowId; GATHERED_INLINE],
    inline_len: usize,
    spilled: Vec<RowId>,
}

/// Slots a `GatheredRows` holds without allocating.
pub(super) const GATHERED_INLINE: usize = 8;

impl GatheredRows {
    pub(super) fn push(&mut self, row: RowId) {
        if self.inline_len < GATHERED_INLINE {
            self.inline[self.inline_len] = row;
            self.inline_len += 1;
        } else {
            self.spilled.push(row);
        }
    }

    /// Puts the slots in ascending order (more than fit inline end up spilled, all of them).
    pub(super) fn sort(&mut self) {
        if self.spilled.is_empty() {
            self.inline[..self.inline_len].sort_unstable();
            return;
        }
        let mut all = Vec::with_capacity(self.inline_len + self.spilled.len());
        all.extend_from_slice(&self.inline[..self.inline_len]);
        all.append(&mut self.spilled);
        all.sort_unstable();
        self.spilled = all;
        self.inline_len = 0;
    }

    /// The slots, in the order they were pushed (or sorted).
    pub(super) fn iter(&self) -> impl Iterator<Item = RowId> + '_ {
        debug_assert!(
            self.spilled.is_empty() || self.inline_len == GATHERED_INLINE || self.inline_len == 0
        );
        self.inline[..self.inline_len]
            .iter()
            .chain(&self.spilled)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::{GatheredRows, GATHERED_INLINE};

    /// Slots past the inline part keep their push order until sorted.
    #[test]
    fn gathered_rows_keep_push_order_past_the_inline_part() {
        for count in [0, 1, GATHERED_INLINE, GATHERED_INLINE + 1, 40] {
            let mut rows = GatheredRows::default();
            for row in 0..count as u64 {
                rows.push(row * 3);
            }
            let expected: Vec<u64> = (0..count as u64).map(|row| row * 3).collect();
            assert_eq!(rows.iter().collect::<Vec<_>>(), expected);
        }
    }

    /// Any number of slots, inline or spilled, come back sorted and each once.
    #[test]
    fn gathered_slots_come_back_in_row_id_order() {
        for count in [0, 1, 3, GATHERED_INLINE, GATHERED_INLINE + 1, 40] {
            let mut rows = GatheredRows::default();
            let pushed: Vec<u64> = (0..count as u64).map(|i| (i * 7919) % 101).rev().collect();
            for &row in &pushed {
                rows.push(row);
            }
            rows.sort();
            let mut expected = pushed.clone();
            expected.sort_unstable();
            assert_eq!(rows.iter().collect::<Vec<_>>(), expected, "{count} slots");
        }
    }
}
