//! How an aggregate and a DISTINCT run: the physical choice the optimizer makes once per
//! statement (`optimize/strategy.rs`), which EXPLAIN prints and the executor matches on
//! (`exec::build`, `exec/aggregate/mod.rs`). The executor never tests a plan's shape to pick
//! one. A strategy whose shortcut the storage cannot take for this run (a live-row count
//! under a snapshot older than the table's last commit, an index dropped since planning)
//! runs the fallback its variant names, and gives the same rows.

/// How an `Aggregate` node reads its input and groups it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AggregateStrategy {
    /// Any input: its rows are pushed one at a time into a hash table of groups.
    #[default]
    Hash,
    /// A scan of one table (all of it, a key range or an index range) read row by row in
    /// place into a hash table of groups; with `parallel`, split across threads when the
    /// connection's threads and the table's size allow and the partial sums merge exactly
    /// (`exec::parallel`).
    ScanHash { parallel: bool },
    /// A full scan read as typed column batches into a hash table of groups: calls of
    /// COUNT(*) or one plain column, GROUP BY plain columns, a filter over decoded columns
    /// (`exec/aggregate/column_aggregate.rs`); `parallel` as for `ScanHash`.
    ColumnBatches { parallel: bool },
    /// `count(*)` of a whole table with nothing else read: the table's count of live rows;
    /// as `ScanHash` when the storage cannot give it at the statement's snapshot.
    TableCount { parallel: bool },
    /// Counts of rows over an index range: the range's entries counted, no aggregate
    /// stepped per row; as `ScanHash` when the index is gone.
    RangeCount,
    /// Counts of rows under one index key (an index lookup), no aggregate stepped per row:
    /// a settled index's entries counted (`Transaction::settled_index_rows`, no row read)
    /// when the key decides the whole filter; else each row the lookup finds read, checked
    /// and counted. As `ScanHash` when the index is gone or a bare column above reads the
    /// first row.
    KeyCount,
    /// `count(DISTINCT col)` over an index range in `col`'s order: each new value counted
    /// once in walk order; as `ScanHash` when the index is gone.
    DistinctCount,
    /// GROUP BY columns an index range reads in order: one group folded at a time
    /// (`exec/aggregate/group_walk.rs`), nothing hashed.
    GroupWalk,
    /// An OR union of lookups whose rows feed the groups as the union reads them.
    UnionStream,
}

impl AggregateStrategy {
    /// The words EXPLAIN adds after the aggregate calls (empty for `Hash` and `ScanHash`,
    /// the general cases; parallelism has its own note).
    pub fn explain_words(self) -> &'static str {
        match self {
            AggregateStrategy::Hash | AggregateStrategy::ScanHash { .. } => "",
            AggregateStrategy::ColumnBatches { .. } => " in column batches",
            AggregateStrategy::TableCount { .. } => " from row count",
            AggregateStrategy::RangeCount | AggregateStrategy::KeyCount => " counting",
            AggregateStrategy::DistinctCount | AggregateStrategy::GroupWalk => " by index order",
            AggregateStrategy::UnionStream => " streaming union",
        }
    }

    /// Whether the run may split its scan across threads.
    pub fn parallel(self) -> bool {
        matches!(
            self,
            AggregateStrategy::ScanHash { parallel: true }
                | AggregateStrategy::ColumnBatches { parallel: true }
                | AggregateStrategy::TableCount { parallel: true }
        )
    }
}

/// How a `Distinct` node drops repeated rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistinctStrategy {
    /// Rows remembered in a hash set.
    #[default]
    Hash,
    /// An index range read in the order of the projected columns: a row is new when it
    /// differs from the one before (`exec/aggregate/distinct_walk.rs`); hashed when the index is
    /// gone.
    IndexWalk,
}
