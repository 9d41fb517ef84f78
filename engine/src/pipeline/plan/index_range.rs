//! The `IndexRange` access path: the rows whose key in an ordered secondary index starts
//! with constants for its leading columns (`prefix`) and whose next column lies between
//! optional bounds, read in key order or its reverse. Chosen by `optimize::index_range`
//! (ranges, prefix equalities) and `optimize::index_order` (ORDER BY .. LIMIT, min/max);
//! run by `exec::scan::index_range`. A text prefix (`LIKE 'abc%'`) is a range too: every key
//! that starts with the prefix's encoding (for `LIKE` under a BINARY key, of each case
//! variant of its first letters). The access filter is rechecked on every row, so
//! the range only narrows what is read.

use std::fmt;

use crate::catalog::{IndexDef, TableDef};
use crate::expr::Expr;

/// ASCII letters of an either-case text prefix that get case variants; the prefix is cut
/// after them (at most 2^3 ranges, then a superset the recheck narrows).
pub const CASED_LETTERS_MAX: usize = 3;

/// One bound of the ranged column.
#[derive(Clone)]
pub struct RangeBound {
    pub value: Expr,
    pub inclusive: bool,
}

/// See the module comment.
#[derive(Clone)]
pub struct IndexRange {
    pub index: IndexDef,
    /// Values the leading index columns equal, in index column order.
    pub prefix: Vec<Expr>,
    /// Bounds of index column `prefix.len()`; with either, rows whose value there is NULL
    /// are not reached (NULL is in no range).
    pub lower: Option<RangeBound>,
    pub upper: Option<RangeBound>,
    /// Instead of bounds: the ranged column holds text that starts with this (from `LIKE
    /// 'abc%'` or `GLOB 'abc*'`, under the index column's collation); only TEXT columns.
    pub text_prefix: Option<String>,
    /// The text prefix's ASCII letters match either case (`LIKE` under a BINARY key): the
    /// range is the union, in key order, of the ranges of the prefix's case variants
    /// (`exec::scan::index_range`, up to its first few letters; the recheck narrows).
    pub prefix_either_case: bool,
    /// Read in descending key order.
    pub descending: bool,
    /// Rows whose ranged column is NULL are skipped even without bounds (min/max,
    /// `col IS NOT NULL`).
    pub skip_nulls: bool,
    /// Only rows whose ranged column is NULL are reached (`col IS NULL`): the keys that
    /// hold NULL there after the prefix. With a bound or `skip_nulls` beside it, none.
    pub only_nulls: bool,
    /// Only the first row (in read order) that passes the filter is wanted (min/max).
    pub first_only: bool,
    /// The LIMIT and OFFSET above an unfiltered walk: how many rows it will give at most,
    /// which sizes its first batch (`optimize::hint_index_walk`).
    pub rows_taken: Option<Box<(Expr, Option<Expr>)>>,
}

impl IndexRange {
    /// An ascending walk of every entry of `index` (no bound, NULLs included).
    pub fn whole(index: &crate::catalog::IndexDef) -> IndexRange {
        IndexRange {
            index: index.clone(),
            prefix: Vec::new(),
            lower: None,
            upper: None,
            text_prefix: None,
            prefix_either_case: false,
            descending: false,
            skip_nulls: false,
            only_nulls: false,
            first_only: false,
            rows_taken: None,
        }
    }

    /// The ranged (or ordered) column's position in the index.
    pub fn ranged_position(&self) -> usize {
        self.prefix.len()
    }

    /// `EXPLAIN`'s text after the table name.
    pub fn describe(&self, table: &TableDef, out: &mut impl fmt::Write) -> fmt::Result {
        let name = |position: usize| self.index.part_name(position, table);
        let mut terms: Vec<String> = self
            .prefix
            .iter()
            .enumerate()
            .map(|(position, value)| format!("{} = {value}", name(position)))
            .collect();
        let ranged = name(self.ranged_position());
        if let Some(prefix) = &self.text_prefix {
            let literal = Expr::Literal(ember_storage::Value::Text(prefix.clone()));
            let cases = if self.prefix_either_case {
                " in either case"
            } else {
                ""
            };
            terms.push(format!("{ranged} starts with {literal}{cases}"));
        }
        describe_bounds(&ranged, &self.lower, &self.upper, &mut terms);
        if self.lower.is_none() && self.upper.is_none() && self.skip_nulls {
            terms.push(format!("{ranged} IS NOT NULL"));
        }
        if self.only_nulls {
            terms.push(format!("{ranged} IS NULL"));
        }
        write!(out, "using {}", self.index.name)?;
        if !terms.is_empty() {
            write!(out, " ({})", terms.join(", "))?;
        }
        // Every key part equal to a value: none left to order by.
        if self.ranged_position() < self.index.storage.columns().len() {
            let order = if self.descending { "DESC" } else { "ASC" };
            write!(out, " order {ranged} {order}")?;
        }
        if self.first_only {
            write!(out, " first")?;
        }
        Ok(())
    }
}

/// Whether an Aggregate of `aggregates` grouped by `group_by` over a walk of `range` counts
/// its rows without stepping the aggregates (`exec::aggregate::counted`, EXPLAIN's `counting`): no
/// GROUP BY, and every call `count(*)` or `count(col)` of a column the range never reaches
/// NULL in, without DISTINCT or FILTER.
pub fn counts_range_rows(
    range: &IndexRange,
    group_by: &[Expr],
    aggregates: &[super::AggregateCall],
) -> bool {
    use super::AggregateFunction;
    let counts_rows = |call: &super::AggregateCall| {
        !call.distinct
            && call.filter.is_none()
            && match (call.function, call.args.as_slice()) {
                (AggregateFunction::CountStar, []) => true,
                (AggregateFunction::Count, [Expr::Column { index, .. }]) => {
                    range.never_null(*index)
                }
                _ => false,
            }
    };
    !aggregates.is_empty() && group_by.is_empty() && aggregates.iter().all(counts_rows)
}

impl IndexRange {
    /// Whether table column `column` holds a value (not NULL) in every row the range
    /// reaches: a prefix column (equal to a value; a NULL one reaches no row), or the
    /// ranged column when bounded.
    pub fn never_null(&self, column: usize) -> bool {
        let bounded = self.lower.is_some()
            || self.upper.is_some()
            || self.text_prefix.is_some()
            || self.skip_nulls;
        match self.index.columns.iter().position(|&c| c == column) {
            Some(position) if position < self.prefix.len() => true,
            Some(position) => position == self.ranged_position() && bounded,
            None => false,
        }
    }
}

/// `ranged BETWEEN low AND high`, or one comparison per bound, appended to `terms`.
fn describe_bounds(
    ranged: &str,
    lower: &Option<RangeBound>,
    upper: &Option<RangeBound>,
    terms: &mut Vec<String>,
) {
    match (lower, upper) {
        (Some(low), Some(high)) if low.inclusive && high.inclusive => {
            terms.push(format!("{ranged} BETWEEN {} AND {}", low.value, high.value))
        }
        (lower, upper) => {
            if let Some(low) = lower {
                let op = if low.inclusive { ">=" } else { ">" };
                terms.push(format!("{ranged} {op} {}", low.value));
            }
            if let Some(high) = upper {
                let op = if high.inclusive { "<=" } else { "<" };
                terms.push(format!("{ranged} {op} {}", high.value));
            }
        }
    }
}

/// The `KeyRange` access path: a clustered table's rows whose INTEGER key lies between
/// optional bounds (`optimize::key_range`), read by walking only the slots those keys
/// address, then the overflow rows (keys that address no slot: negative or far ones),
/// in slot order; the access filter is rechecked on every row (`exec::scan`).
pub struct KeyRange {
    pub lower: Option<RangeBound>,
    pub upper: Option<RangeBound>,
}

impl KeyRange {
    /// `EXPLAIN`'s text after the table name.
    pub fn describe(&self, table: &TableDef, out: &mut impl fmt::Write) -> fmt::Result {
        let key = table
            .primary_key
            .first()
            .map_or("?", |&column| table.columns[column].name.as_str());
        let mut terms = Vec::new();
        describe_bounds(key, &self.lower, &self.upper, &mut terms);
        write!(out, "({})", terms.join(", "))
    }
}

/// The `KeyOrder` access path: a clustered table's rows in the order of its INTEGER key (or
/// its reverse), within an optional `range` (`optimize::index_order`, for `ORDER BY key`
/// without a sort). The direct rows are walked in slot order (their row id is their key),
/// up or down, in batches that start small; the overflow rows (keys that address no slot,
/// or no integer) are read first, sorted by key, and merged in (`exec::scan::key_order`). The
/// access filter is rechecked on every row.
pub struct KeyOrder {
    pub range: KeyRange,
    /// Read in descending key order.
    pub descending: bool,
    /// The LIMIT and OFFSET above the walk: how many rows it gives at most, which sizes its
    /// first batch and bounds the overflow rows it keeps (`optimize::hint_index_walk`).
    pub rows_taken: Option<Box<(Expr, Option<Expr>)>>,
}

impl KeyOrder {
    /// `EXPLAIN`'s text after the table name.
    pub fn describe(&self, table: &TableDef, out: &mut impl fmt::Write) -> fmt::Result {
        let key = table
            .primary_key
            .first()
            .map_or("?", |&column| table.columns[column].name.as_str());
        let mut terms = Vec::new();
        describe_bounds(key, &self.range.lower, &self.range.upper, &mut terms);
        if !terms.is_empty() {
            write!(out, "({}) ", terms.join(", "))?;
        }
        let order = if self.descending { "DESC" } else { "ASC" };
        write!(out, "order {key} {order}")
    }
}
