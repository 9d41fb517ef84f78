//! How the aggregate operator's groups are fed from a table read (a scan row by row, in
//! column batches or split across threads, a counting walk's count) and from an OR union's
//! rows as the union reads them; and how each group's first row is made at the end, read
//! again by the id it kept or, when nothing above reads more than a one-column key, made
//! from the key (`key_only_read`).

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{AccessPath, AggregateCall, AggregateFunction, AggregateStrategy, TableAccess};

use super::super::{profile, scan, ExecContext};
use super::aggregate_feed::Feeder;
use super::column_aggregate;
use super::{AggregateOperator, Group, GroupKey, Grouper};

/// Whether an aggregate over an OR's union of lookups may feed its groups the rows as the
/// union reads them (`union_groups`): the aggregates are built-in ones of plain columns (no
/// FILTER) and the GROUP BY terms plain columns, so feeding rows that are then thrown away
/// calls nothing a user could observe.
pub fn streams_union(group_by: &[Expr], aggregates: &[AggregateCall]) -> bool {
    Feeder::all_plain(aggregates)
        && aggregates
            .iter()
            .all(|call| call.function != AggregateFunction::User && call.user.is_none())
        && group_by
            .iter()
            .all(|term| matches!(term, Expr::Column { .. }))
}

impl<'p> AggregateOperator<'p> {
    /// Feeds `grouper` the rows of the OR union `access` as the union reads them (no row
    /// copied or queued), each group keeping its first row's id; when the union gives way to
    /// a scan (`or_union.rs`), starts over from fresh groups and feeds the scan's rows. A
    /// feeding error is held until the union is known to complete: the scan that replaces
    /// it gives its own answer, as it did when the union's rows were collected first.
    pub(super) fn union_groups(
        &self,
        access: &'p TableAccess,
        grouper: &mut Grouper<'p>,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        let AccessPath::OrUnion(union) = &access.path else {
            return Err(crate::err!(
                Internal,
                "an OR union aggregate over another path"
            ));
        };
        let mut failure = None;
        let complete = super::super::scan::or_union::walk_union(
            access,
            union,
            context,
            &mut |row_id, row| {
                if failure.is_none() {
                    if let Err(error) = feed_row(grouper, row_id, row, context) {
                        failure = Some(error);
                    }
                }
                Ok(())
            },
        )?;
        if complete {
            if let Some(error) = failure {
                return Err(error);
            }
        } else {
            *grouper = Grouper::new(self.group_by, self.aggregates, self.input_width, context);
            super::super::scan::or_union::scan_instead(access, context, &mut |row_id, row| {
                feed_row(grouper, row_id, row, context)
            })?;
        }
        read_first_rows(
            access,
            grouper,
            self.bare_reads,
            self.input_width + self.aggregates.len(),
            context,
        )
    }

    /// Groups the rows of the scan `access` (split across threads when `parallel` and the
    /// run allows, else in column batches when the optimizer chose them (`columns`), else
    /// row by row), then reads each group's first row.
    pub(super) fn scan_groups(
        &self,
        access: &'p TableAccess,
        (parallel, columns): (bool, bool),
        grouper: &mut Grouper<'p>,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        // The scan's rows, for EXPLAIN ANALYZE (a split's threads count none).
        let mut tally = profile::Tally::of(self.input);
        if parallel && self.split(access, columns, grouper, context)? {
            tally.forget();
        } else if columns {
            tally.rows(column_aggregate::fold(access, grouper, context)?);
        } else {
            scan::for_each_row(access, context, |row_id, row| {
                tally.row();
                let before = grouper.groups.len();
                let position = grouper.add(row, context)?;
                if position == before {
                    grouper.groups[position].first_row_id = row_id;
                }
                Ok(())
            })?
        }
        self.read_first_rows(access, grouper, context)
    }

    /// Whether an operator above reads a column of a group's first row (a bare column).
    pub(super) fn reads_first_row(&self) -> bool {
        self.bare_reads.is_none_or(|reads| reads.contains(&true))
    }

    /// Takes a counting walk's rows when it ran (`Some`), else groups the scan.
    pub(super) fn counted_or_scanned(
        &self,
        counted: Option<u64>,
        access: &'p TableAccess,
        grouper: &mut Grouper<'p>,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        let Some(rows) = counted else {
            return self.scan_groups(access, (false, false), grouper, context);
        };
        if self.strategy != AggregateStrategy::DistinctCount {
            // Every row counted (a count(DISTINCT) walk reads past repeats).
            profile::Tally::of(self.input).rows(rows);
        }
        // Nothing above reads the group's row: `finish` makes it NULLs.
        grouper.push_counted(rows, context);
        Ok(())
    }

    /// Reads each group's first row (its bare columns) by the row id the fold kept.
    fn read_first_rows(
        &self,
        access: &TableAccess,
        grouper: &mut Grouper<'p>,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        let row_width = self.input_width + self.aggregates.len();
        read_first_rows(access, grouper, self.bare_reads, row_width, context)
    }

    /// Computes the groups of a full scan `access` into `grouper` on several threads
    /// (`exec::parallel`; each worker through column batches when the optimizer chose
    /// them, `columns`); false, `grouper` untouched, when the statement runs serially.
    pub(super) fn split(
        &self,
        access: &TableAccess,
        columns: bool,
        grouper: &mut Grouper<'p>,
        context: &ExecContext<'_>,
    ) -> Result<bool> {
        if !matches!(access.path, AccessPath::FullScan | AccessPath::KeyRange(_)) {
            return Ok(false);
        }
        // Without GROUP BY, aggregates of plain columns take the lighter path; others (an
        // expression, a FILTER) are one group of the grouped split.
        if !self.group_by.is_empty() || !super::parallel::plain_arguments(self.aggregates) {
            return super::parallel_grouped::aggregate(access, columns, grouper, context);
        }
        match super::parallel::aggregate(access, self.aggregates, context)? {
            None => Ok(false),
            // No row passed: `finish` makes the one group of an empty input.
            Some((_, None)) => Ok(true),
            Some((accumulators, Some(first_row_id))) => {
                debug_assert_eq!(accumulators.len(), self.aggregates.len());
                grouper.groups.push(Group {
                    key: GroupKey::Many(Vec::new()),
                    first_row: Vec::new(),
                    first_row_id,
                });
                grouper.accumulators.push(accumulators);
                Ok(true)
            }
        }
    }
}

/// Feeds `row` (id `row_id`) to its group, which keeps the id when the row is its first.
#[inline]
fn feed_row(
    grouper: &mut Grouper<'_>,
    row_id: RowId,
    row: &[Value],
    context: &ExecContext<'_>,
) -> Result<()> {
    let before = grouper.groups.len();
    let position = if grouper.add_plain(row)? {
        0
    } else {
        grouper.add(row, context)?
    };
    if position == before {
        grouper.groups[position].first_row_id = row_id;
    }
    Ok(())
}

/// Reads each group's first row (by the id it kept) again under the same snapshot (this
/// statement writes nothing, so it is the row the walk saw), with room for `row_width`
/// values (the aggregates `finish` appends, no second allocation). When the operators
/// above read no bare column but GROUP BY columns (`bare_reads`), the group's key gives
/// them and nothing is read (`key_gives_bare_reads`).
pub(super) fn read_first_rows(
    access: &TableAccess,
    grouper: &mut Grouper<'_>,
    bare_reads: Option<&[bool]>,
    row_width: usize,
    context: &ExecContext<'_>,
) -> Result<()> {
    if let Some(key_columns) = key_gives_bare_reads(grouper, bare_reads) {
        // Nothing above reads the first row but key columns: the group's key is them,
        // moved into the rows once the groups are ordered (`Grouper::finish`).
        grouper.keys_fill_rows = Some(key_columns);
        return Ok(());
    }
    let columns = access.read.columns();
    let table = &access.table.storage;
    for group in &mut grouper.groups {
        group.first_row.reserve_exact(row_width);
        let found = context.txn.read_row_columns(
            table,
            group.first_row_id,
            columns,
            &mut group.first_row,
        )?;
        if !found {
            return Err(crate::err!(
                Internal,
                "row {} of a group vanished during the statement",
                group.first_row_id
            ));
        }
    }
    Ok(())
}

/// When a scan's groups need not read their first rows again: every GROUP BY term is a
/// plain column, every key fed was exactly its group's key (`Grouper::exact_keys`), and
/// the operators above read no column of the first row but those (`bare_reads`). Then the
/// first row is NULLs but for the key columns read, which are the group's key: for each
/// term, its column when it is read.
fn key_gives_bare_reads(
    grouper: &Grouper<'_>,
    bare_reads: Option<&[bool]>,
) -> Option<Vec<Option<usize>>> {
    let bare_reads = bare_reads?;
    if !grouper.exact_keys || bare_reads.len() > grouper.input_width {
        return None;
    }
    let key_columns = grouper
        .group_by
        .iter()
        .map(|term| match term {
            Expr::Column { index, .. } => Some(*index),
            _ => None,
        })
        .collect::<Option<Vec<usize>>>()?;
    let others_read = bare_reads
        .iter()
        .enumerate()
        .any(|(column, &read)| read && !key_columns.contains(&column));
    if others_read {
        return None;
    }
    Some(
        key_columns
            .into_iter()
            .map(|column| {
                bare_reads
                    .get(column)
                    .copied()
                    .unwrap_or(false)
                    .then_some(column)
            })
            .collect(),
    )
}
