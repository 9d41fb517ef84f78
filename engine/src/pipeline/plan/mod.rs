//! Plans: what the binder produces and the executor runs. A statement becomes a `Plan`; a
//! query becomes a tree of `Node`s that the executor turns into pull-based operators.
//!
//! ```text
//! SELECT name FROM t WHERE id = 5 ORDER BY name LIMIT 1
//!
//! Limit 1
//! └─ Project name
//!    └─ Sort name ASC
//!       └─ KeyLookup t (id = 5) filter (id = 5)
//! ```
//! The primary-key lookup was chosen by `optimize::choose_access`; the filter stays on the
//! access as a recheck.

mod aggregate_read;
mod alter;
mod as_of;
mod cte;
mod display;
mod expiry;
mod fused_read;
mod index_distinct;
mod index_group;
mod index_range;
mod inputs;
mod insert;
mod join_probe;
mod on_conflict;
mod or_union;
mod relation;
mod strategy;
mod table_function;
mod update;
mod upsert;
mod window;

pub use on_conflict::OnConflict;

use std::sync::Arc;

use crate::catalog::{ColumnDef, IndexDef, TableDef};
use crate::expr::Expr;

pub use aggregate_read::AggregateOfRead;
pub use alter::AlterTable;
pub use as_of::AsOfScan;
pub use cte::{CteQuery, RecursiveUnion};
pub use expiry::expiry_test;
pub use fused_read::{FusedRead, ReadLimit};
pub use index_distinct::{
    counts_distinct_in_order, distinct_walk, range_walks_distinct, DistinctWalk,
};
pub use index_group::{
    group_term_columns, group_walk, order_insensitive, range_walks_groups, GroupWalk,
};
pub use index_range::{
    counts_range_rows, IndexRange, KeyOrder, KeyRange, RangeBound, CASED_LETTERS_MAX,
};
pub use insert::{
    Insert, InsertWrite, PlainRows, ProjectedSource, RowValue, PLAIN_ROW_COLUMNS_MAX,
};
pub use join_probe::JoinProbe;
pub use or_union::{OrBranch, OrUnion};
pub use relation::{IndexHint, Relation, RelationSource};
pub use strategy::{AggregateStrategy, DistinctStrategy};
pub use table_function::TableFunctionKind;
pub use update::UpdateFrom;
pub use upsert::{ConflictTarget, Returning, Sequence, Upsert, UpsertAction};
pub use window::{
    Frame, FrameBound, FrameExclude, FrameUnits, Window, WindowCall, WindowFunction, WindowPass,
    WindowTopN,
};

/// A bound statement, ready to execute.
pub enum Plan {
    CreateTable(CreateTable),
    DropTable {
        name: String,
        if_exists: bool,
    },
    CreateView {
        view: Arc<crate::catalog::ViewDef>,
        if_not_exists: bool,
    },
    DropView {
        name: String,
        if_exists: bool,
    },
    CreateTrigger {
        trigger: Arc<crate::catalog::TriggerDef>,
        if_not_exists: bool,
    },
    DropTrigger {
        name: String,
        if_exists: bool,
    },
    CreateIndex(CreateIndex),
    /// CREATE TABLE .. AS SELECT: the table (as a CREATE TABLE), then its rows.
    CreateTableAs(Box<CreateTableAs>),
    /// ALTER TABLE (boxed: it holds two table definitions).
    AlterTable(Box<AlterTable>),
    DropIndex {
        name: String,
        if_exists: bool,
    },
    Insert(Insert),
    /// UPDATE [OR ...] t SET ... [FROM ...] [WHERE ...]: with `from`, the assignments read the
    /// target row followed by the FROM row it joined with (`plan/update.rs`).
    Update {
        target: TableAccess,
        assignments: Vec<(usize, Expr)>,
        returning: Option<Box<Returning>>,
        on_conflict: OnConflict,
        from: Option<Box<UpdateFrom>>,
        /// The target's `INDEXED BY` / `NOT INDEXED`, which the optimizer's choice of
        /// `target`'s path follows (`optimize/statement.rs`).
        hint: Option<IndexHint>,
    },
    Delete {
        target: TableAccess,
        returning: Option<Box<Returning>>,
        /// As an UPDATE's.
        hint: Option<IndexHint>,
    },
    /// DELETE of every row of `target`'s table with nothing to do per row
    /// (`optimize/truncate.rs`): in autocommit a truncate (the table given a new, empty
    /// storage table, `exec/schema/truncate.rs`), else one bulk claim of every visible row.
    /// `target` is a full scan with no filter.
    DeleteAll {
        target: TableAccess,
    },
    Query(Query),
    /// INSERT, UPDATE or DELETE on a view, carried out by its INSTEAD OF triggers
    /// (`bind/view_write.rs`, `exec/write/trigger/instead.rs`).
    ViewWrite(Box<ViewWrite>),
    /// BEGIN, at the isolation level it names (`None`: the connection's default).
    Begin(Option<ember_storage::Isolation>),
    Commit,
    Rollback,
    /// SAVEPOINT / RELEASE / ROLLBACK TO (run by the session's `connection/savepoints.rs`).
    Savepoint(SavepointOp),
    Explain(Box<Plan>),
    /// EXPLAIN ANALYZE of a query or DML statement: runs it (a DML statement's changes are
    /// made, as in PostgreSQL) and shows the plan with what each operator did.
    ExplainAnalyze(Box<Plan>),
    /// VACUUM: garbage-collect old versions of every table now.
    Vacuum,
    /// PRAGMA (synchronous, wal_checkpoint / CHECKPOINT): run by `durability::pragma`.
    Pragma(Box<sqlparser::ast::Statement>),
    /// A schema change (CREATE / DROP / ALTER of a table, view or index) of the connection's
    /// temporary objects, not of the `main` schema: `CREATE TEMP TABLE`, `DROP TABLE temp.t`.
    Temp(Box<Plan>),
}

/// A write to a view: `source` gives, per row the triggers fire for, the OLD values then
/// the NEW values of the view's `columns`; `assigned` names an UPDATE's columns (for
/// `UPDATE OF`).
pub struct ViewWrite {
    pub view: String,
    pub columns: Vec<String>,
    pub event: crate::catalog::TriggerEventKind,
    pub assigned: Vec<String>,
    pub source: Node,
}

/// A savepoint statement, with the savepoint's name as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavepointOp {
    /// `SAVEPOINT name`: marks the write log (outside a transaction, starts one).
    Begin(String),
    /// `RELEASE [SAVEPOINT] name`: forgets it and every newer one.
    Release(String),
    /// `ROLLBACK [TRANSACTION] TO [SAVEPOINT] name`: undoes the writes since it.
    RollbackTo(String),
}

/// CREATE TABLE, bound: column definitions checked, constraints resolved to positions.
pub struct CreateTable {
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub primary_key: Vec<usize>,
    /// See `TableDef::keyed_by_unique`.
    pub keyed_by_unique: Vec<usize>,
    pub unique: Vec<Vec<usize>>,
    pub constraints: crate::catalog::TableConstraints,
    pub sql: String,
    /// See `TableDef::rowid_column` and `TableDef::autoincrement`.
    pub rowid_column: Option<usize>,
    pub autoincrement: bool,
    /// `WITH (..)` table options (catalog/options.rs).
    pub options: crate::catalog::TableOptions,
}

/// CREATE TABLE .. AS SELECT, bound: the table its query's columns define, and the query
/// (as text: the session inserts its rows with `INSERT INTO table <query>` once the table
/// exists).
pub struct CreateTableAs {
    pub table: CreateTable,
    pub query: String,
}

/// CREATE [UNIQUE] INDEX, bound: the table and column positions resolved.
pub struct CreateIndex {
    pub name: String,
    pub table: String,
    pub columns: Vec<usize>,
    pub unique: bool,
    /// An ordered index: the collation of each column; `None` for a hash index.
    pub ordering: Option<Vec<ember_storage::index::KeyCollation>>,
    /// A unique index: the collation its key of each column is normalized under (texts
    /// equal under it conflict); empty for a non-unique index, keyed by raw values.
    pub key_collations: Vec<ember_storage::index::KeyCollation>,
    pub if_not_exists: bool,
    pub sql: String,
    /// A partial index's WHERE clause; `None`: every row.
    pub predicate: Option<Arc<crate::catalog::IndexPredicate>>,
    /// The key derivation of a partial index or an index on expressions (`columns` is
    /// then empty); `None`: the columns' values, for every row.
    pub keys: Option<Arc<crate::catalog::IndexKeys>>,
}

/// A query: its operator tree and the names of its output columns.
pub struct Query {
    pub node: Node,
    pub columns: Vec<String>,
}

/// How rows of one table are reached, with a predicate rechecked on every row.
pub struct TableAccess {
    pub table: Arc<TableDef>,
    pub path: AccessPath,
    pub filter: Option<Expr>,
    /// The columns the operators above read and the decoder that reads them (boxed: `Node`
    /// stays small).
    pub read: Box<ColumnsRead>,
    /// For a `KeyLookup`, `KeyIn`, `IndexLookup` or `IndexIn`: `filter` without the key
    /// equalities (and the IN list) the lookup already decided (`Some(None)`: nothing
    /// left). Rechecked instead of `filter` for a key whose every value is an integer
    /// probing an INTEGER column, where index equality
    /// is SQL equality (storage returns only rows whose key equals the probe). Made with
    /// the path; a path rewritten later (`optimize/index_order.rs`) only becomes an
    /// `IndexRange`, which does not read it. Boxed: `Node` stays small.
    ///
    /// For a `KeyRange` (or the `KeyOrder` made from one, with the same bounds): `filter`
    /// without the conjuncts the range's bounds came from, checked instead of `filter` on
    /// the direct rows of a window whose bounds are exact (`exec/scan/key_range.rs`).
    ///
    /// For an `IndexRange` under a `RangeCount` aggregate: `filter` without the conjuncts
    /// the range decides (`optimize::range_decides`), set when that strategy is chosen;
    /// the counting walk checks only it (`exec/aggregate/counted.rs`).
    pub key_residual: Option<Box<Option<Expr>>>,
}

impl TableAccess {
    /// An access as the binder writes it: the rows of `table` that pass `filter`, no path
    /// chosen yet. The optimizer's pass over the statement (`optimize::optimize_statement`)
    /// chooses the path and adds the expiry test of a table whose rows expire.
    pub fn unplanned(table: Arc<TableDef>, filter: Option<Expr>) -> TableAccess {
        TableAccess {
            read: ColumnsRead::all(&table),
            table,
            path: AccessPath::FullScan,
            filter,
            key_residual: None,
        }
    }

    /// Whether the access is as `unplanned` makes it (a full scan, nothing derived).
    pub fn is_unplanned(&self) -> bool {
        matches!(self.path, AccessPath::FullScan) && self.key_residual.is_none()
    }

    /// Every row of `table` that has not expired, in slot order: a full scan filtered by
    /// the table's expiry test alone (none for a table whose rows never expire).
    pub fn every_live_row(table: Arc<TableDef>) -> TableAccess {
        let filter = expiry_test(&table);
        TableAccess::unplanned(table, filter)
    }

    /// Whether the access reaches every row of its table: a full scan whose filter, if
    /// any, is a constant that is true (as SQLite tests a WHERE: a nonzero number).
    pub fn reaches_every_row(&self) -> bool {
        use ember_storage::Value;
        if !matches!(self.path, AccessPath::FullScan) {
            return false;
        }
        match &self.filter {
            None => true,
            Some(Expr::Literal(Value::Boolean(flag))) => *flag,
            Some(Expr::Literal(Value::Integer(int))) => *int != 0,
            Some(Expr::Literal(Value::Real(real))) => *real != 0.0,
            Some(_) => false,
        }
    }
}

/// The columns a table access decodes (`optimize::prune_columns`); the others are not decoded
/// and read as NULL.
pub struct ColumnsRead {
    /// `None`: every column.
    columns: Option<Vec<bool>>,
    /// Decodes the table's rows as `columns` says, made once per plan.
    decoder: ember_storage::row::RowDecoder,
}

impl ColumnsRead {
    /// Every column of `table`.
    pub fn all(table: &TableDef) -> Box<ColumnsRead> {
        ColumnsRead::some(table, None)
    }

    /// The columns `columns` marks (every column when `None`).
    pub fn some(table: &TableDef, columns: Option<Vec<bool>>) -> Box<ColumnsRead> {
        Box::new(ColumnsRead {
            decoder: table.storage.schema().decoder(columns.as_deref()),
            columns,
        })
    }

    /// The mask of columns read (`None`: every column).
    pub fn columns(&self) -> Option<&[bool]> {
        self.columns.as_deref()
    }

    pub fn decoder(&self) -> &ember_storage::row::RowDecoder {
        &self.decoder
    }
}

pub enum AccessPath {
    /// Every visible row, in slot order.
    FullScan,
    /// The one row whose primary key equals these values (in key column order).
    KeyLookup(Vec<Expr>),
    /// The rows whose primary key equals any of these keys (`id IN (...)`).
    KeyIn(Vec<Vec<Expr>>),
    /// The rows whose key in a secondary index equals these values (in index column order).
    IndexLookup { index: IndexDef, values: Vec<Expr> },
    /// The rows whose key in a secondary index equals any of these keys (`col IN (...)`).
    IndexIn {
        index: IndexDef,
        keys: Vec<Vec<Expr>>,
    },
    /// The rows whose key in a one-column secondary index on an INTEGER column is a member
    /// of an uncorrelated `col IN (SELECT ..)` (the subquery's integers, computed when the
    /// query runs; a set too large for probing to pay scans instead).
    IndexInSet {
        index: IndexDef,
        subquery: Box<crate::expr::SubqueryExpr>,
    },
    /// The rows whose one-column INTEGER primary key is a member of an uncorrelated
    /// `key IN (SELECT ..)` (the subquery's integers, computed when the query runs, probed
    /// in ascending order; a set too large for probing to pay scans instead).
    KeyInSet(Box<crate::expr::SubqueryExpr>),
    /// The rows in a range of an ordered secondary index, in index order (index_range.rs).
    IndexRange(Box<IndexRange>),
    /// A clustered table's rows in a range of its INTEGER key, in slot order (index_range.rs).
    KeyRange(Box<KeyRange>),
    /// A clustered table's rows in the order of its INTEGER key, or its reverse, within an
    /// optional range (index_range.rs): ORDER BY the key without a sort.
    KeyOrder(Box<KeyOrder>),
    /// The rows of an OR whose every branch a lookup or range reaches: the union of the
    /// branches' rows, each once (or_union.rs).
    OrUnion(Box<OrUnion>),
}

/// One ORDER BY key.
#[derive(Clone)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
    /// `ORDER BY expr COLLATE name` with a collation the application registered: texts
    /// compare by it (the built-in collations are folded into `expr` instead).
    pub collation: Option<crate::expr::UserCollation>,
}

/// The bound of a top-k sort: the LIMIT and OFFSET of the `Limit` above it (literals or
/// parameters, evaluated as that `Limit` evaluates them). The sort keeps the first
/// `limit + offset` rows and returns them without the first OFFSET, which it skips itself
/// (never sorted among themselves, never read whole, never projected): the `Limit` above
/// applies the LIMIT only.
pub struct SortTop {
    pub limit: Expr,
    pub offset: Option<Expr>,
    /// The top-k publishes the worst key it keeps to this threshold, which a join below
    /// tests its streamed rows against (`Join::top_gate`, `optimize/top_threshold.rs`).
    pub threshold: Option<ThresholdId>,
}

/// Names the threshold a top-k sort shares with the join gate below it within one
/// execution (`SortTop::threshold`, `TopGate::threshold`): unique among every plan made.
pub type ThresholdId = u64;

/// A join's streamed rows tested against the top-k threshold above it
/// (`optimize/top_threshold.rs`): a row whose sort key does not sort before the worst
/// key the top keeps gives only joined rows the top would refuse, so it is not joined.
pub struct TopGate {
    pub threshold: ThresholdId,
    /// Which input streams and is tested.
    pub side: JoinSide,
    /// The top-k's sort keys over that input's rows.
    pub keys: Vec<SortKey>,
}

/// One input of a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinSide {
    Left,
    Right,
}

/// A node of a query's operator tree.
pub enum Node {
    Scan(TableAccess),
    /// The rows of a system table (`exec::schema::system`), computed when the query runs.
    System {
        table: crate::exec::schema::system::SystemTable,
        tables: Vec<Arc<TableDef>>,
        /// The views (`sqlite_schema` lists them).
        views: Vec<Arc<crate::catalog::ViewDef>>,
        /// The triggers (`sqlite_schema` lists them too).
        triggers: Vec<Arc<crate::catalog::TriggerDef>>,
    },
    /// Literal rows (also the single empty row of a SELECT without FROM).
    Values {
        rows: Vec<Vec<Expr>>,
    },
    Filter {
        input: Box<Node>,
        predicate: Expr,
    },
    Project {
        input: Box<Node>,
        exprs: Vec<Expr>,
    },
    /// Sorts its input by `keys` (stable). With `top` (a top-k sort, set by
    /// `optimize::bound_sort` under a LIMIT), only the first `limit + offset` rows in that
    /// order are kept, and those after the first `offset` returned.
    Sort {
        input: Box<Node>,
        keys: Vec<SortKey>,
        top: Option<Box<SortTop>>,
    },
    Limit {
        input: Box<Node>,
        limit: Option<Expr>,
        offset: Option<Expr>,
    },
    /// Rows of `left` joined with rows of `right`: each output row is the left row followed
    /// by the right row (or NULLs for an unmatched left row of a LEFT or FULL join; an
    /// unmatched right row of a RIGHT or FULL join comes after all others, NULLs first).
    Join(Box<Join>),
    /// Groups its input by `group_by` and computes `aggregates` per group. Each output row
    /// is the group's first input row (`input_width` values, so bare columns read as in
    /// SQLite) followed by one value per aggregate. Without GROUP BY, exactly one row.
    Aggregate {
        input: Box<Node>,
        group_by: Vec<Expr>,
        aggregates: Vec<AggregateCall>,
        input_width: usize,
        /// How it runs (`optimize/strategy.rs` chooses; `Hash` until then).
        strategy: AggregateStrategy,
        /// The columns of a group's first input row (its bare columns) the operators above
        /// read, `bare_reads[c]` for column `c` (`optimize::prune_columns` sets it); `None`:
        /// every column.
        bare_reads: Option<Vec<bool>>,
    },
    /// Window functions (plan/window.rs): each output row is the input row followed by one
    /// value per window call.
    Window(Box<Window>),
    /// Drops rows equal to an earlier row (NULLs equal), keeping first occurrences in order.
    /// `collations` (empty when every column is BINARY) gives each column's collation.
    Distinct {
        input: Box<Node>,
        collations: Vec<crate::expr::Collation>,
        /// How it runs (`optimize/strategy.rs` chooses; `Hash` until then).
        strategy: DistinctStrategy,
    },
    /// The rows of a table-valued function (`json_each`, `json_tree`).
    TableFunction(Box<TableFunctionScan>),
    /// UNION [ALL], INTERSECT, EXCEPT of two inputs of the same width.
    SetOperation {
        op: SetOperator,
        left: Box<Node>,
        right: Box<Node>,
        /// Each column's collation, which rows compare by (empty: all BINARY): the
        /// leftmost SELECT's that has one, as SQLite's `multiSelectCollSeq`.
        collations: Vec<crate::expr::Collation>,
        /// The number of columns of its rows.
        width: usize,
        /// The distinct rows come in the order they were first read, not the compound's
        /// order, because the sort above orders them by keys covering every column
        /// (`optimize/compound_order.rs`); UNION ALL streams in input order anyway.
        unsorted: bool,
    },
    /// The rows of a CTE bound once for the statement (`plan::cte`).
    CteScan(Arc<CteQuery>),
    /// One table read at a past commit (`FOR SYSTEM_TIME AS OF`, `plan::as_of`).
    AsOf(Box<AsOfScan>),
    /// A recursive CTE (`plan::cte`).
    RecursiveUnion(Box<RecursiveUnion>),
    /// The current row of the recursive CTE `id`, read by its recursive terms.
    WorkTable {
        id: usize,
        name: String,
    },
    /// A statement's root that reads one table and at most projects and limits its rows,
    /// run as one loop (`plan/fused_read.rs`).
    FusedRead(Box<FusedRead>),
}

/// A table-valued function call. Without `input`, its arguments are evaluated once and its
/// rows are the output. With `input` (a lateral join: the arguments read the input's
/// columns), the arguments are evaluated over each input row and each output row is that
/// input row followed by a function row; with `left`, an input row with no function row
/// passing `condition` is kept once, NULL-padded.
pub struct TableFunctionScan {
    pub function: TableFunctionKind,
    pub args: Vec<Expr>,
    pub input: Option<Node>,
    pub left: bool,
    /// Checked over the joined row (input values, then the function's).
    pub condition: Option<Expr>,
    /// Set by the binder while the arguments read columns of relations to its left and
    /// `input` is not yet attached.
    pub lateral: bool,
}

/// A join of two inputs. With `left_keys`/`right_keys` it is a hash join on their equality
/// (NULL keys never match); `condition` is checked on every candidate pair.
pub struct Join {
    pub kind: JoinKind,
    pub left: Node,
    pub right: Node,
    pub left_keys: Vec<Expr>,
    pub right_keys: Vec<Expr>,
    /// Evaluated over the joined row (left values, then right values).
    pub condition: Option<Expr>,
    /// Widths of the inputs' rows (the NULL padding of an unmatched row).
    pub left_width: usize,
    pub right_width: usize,
    /// An index nested-loop join (INNER / LEFT): the right side, a base-table scan, is
    /// probed per left row by these keys instead of hashed (`plan/join_probe.rs`).
    pub probe: Option<Box<JoinProbe>>,
    /// A hash or nested-loop INNER join that reads its left input into memory and streams
    /// its right one (the left is the smaller by estimate).
    pub build_left: bool,
    /// An anti join (`optimize/anti_join.rs`): a LEFT join that emits only its unmatched left
    /// rows (NULL-padded) and stops at a left row's first match, because a WHERE term above
    /// it (`right_col IS NULL`, the column never NULL in a matched row) drops every joined
    /// row.
    pub unmatched_only: bool,
    /// A semi or anti join made of a correlated `[NOT] EXISTS` (`optimize/exists_join.rs`), a
    /// LEFT join whose output row is the left row alone (`left_width` values: nothing above
    /// reads the right side), emitted once when some right row joins it (`Semi`) or when
    /// none does (`Anti`); it stops at a left row's first match.
    pub existence: Option<Existence>,
    /// A hash join whose streamed rows are first tested against a bloom filter of its
    /// build side's key hashes (`optimize/join_bloom.rs` marks it; `exec/join/bloom.rs`).
    pub bloom: Option<JoinBloom>,
    /// The streamed rows tested against a top-k threshold above the join
    /// (`optimize/top_threshold.rs` sets it; `exec/sort/top_threshold.rs` tests).
    pub top_gate: Option<Box<TopGate>>,
}

/// Where a hash join's runtime bloom filter is tested (`Join::bloom`): its streamed side is
/// a full scan, and each row is tested once the scan has decoded column `key_stop`, the
/// last of the join's key columns. The filter itself is sized at run time from the build
/// side's distinct key hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinBloom {
    pub key_stop: usize,
    /// The key is one INTEGER, REAL or TEXT column: each row's key is tested on its
    /// payload bytes before anything is decoded (EXPLAIN `bloom filter raw`), except in a
    /// table whose rows may lack columns added after they were written, where the test
    /// runs once the key is decoded.
    pub raw: bool,
}

/// What an existence join keeps of its left rows (`Join::existence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existence {
    /// Those some right row joins (`EXISTS`).
    Semi,
    /// Those no right row joins (`NOT EXISTS`).
    Anti,
}

impl Join {
    /// Whether a left row's first joining right row decides what it gives (an anti join or
    /// an existence join): the other candidates are not looked at.
    pub fn stops_at_first_match(&self) -> bool {
        self.unmatched_only || self.existence.is_some()
    }

    /// The width of the rows the join gives.
    pub fn output_width(&self) -> usize {
        match self.existence {
            Some(_) => self.left_width,
            None => self.left_width + self.right_width,
        }
    }

    /// For a join that stops at the first match: what a left row gives, knowing whether
    /// some right row joined it: `None` nothing, `Some(true)` the row padded with the right
    /// side's NULLs, `Some(false)` the left row alone.
    pub fn first_match_output(&self, matched: bool) -> Option<bool> {
        debug_assert!(self.stops_at_first_match());
        match self.existence {
            Some(Existence::Semi) => matched.then_some(false),
            Some(Existence::Anti) => (!matched).then_some(false),
            None => (!matched).then_some(true),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    /// Every right row at least once: unmatched ones padded with NULLs on the left.
    Right,
    /// LEFT and RIGHT at once.
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    Union,
    UnionAll,
    Intersect,
    Except,
}

/// One aggregate function call: `function(DISTINCT? args) FILTER (WHERE filter)?`; COUNT(*)
/// has no arguments. Rows where `filter` is not true are not fed to it.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateCall {
    pub function: AggregateFunction,
    pub args: Vec<Expr>,
    pub distinct: bool,
    /// The first argument's collation, which MIN/MAX and DISTINCT compare text by.
    pub collation: crate::expr::Collation,
    pub filter: Option<Expr>,
    /// The registered function when `function` is `AggregateFunction::User`.
    pub user: Option<crate::expr::UserFunction>,
    /// `ORDER BY` inside the call (`group_concat(x, ';' ORDER BY y)`): the last
    /// `order.len()` values of `args` are its keys, and the rows are fed in their order.
    pub order: Vec<AggregateOrder>,
}

/// One key of an aggregate call's `ORDER BY` (its expression is among the call's args).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateOrder {
    pub descending: bool,
    pub nulls_first: bool,
}

impl AggregateCall {
    /// Whether the call takes no argument or one plain column, without FILTER.
    pub fn is_plain(&self) -> bool {
        self.filter.is_none() && matches!(self.args.as_slice(), [] | [Expr::Column { .. }])
    }

    /// The function's name as written in SQL.
    pub fn name(&self) -> &str {
        match &self.user {
            Some(user) => user.name(),
            None => self.function.name(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunction {
    CountStar,
    Count,
    Sum,
    Total,
    Avg,
    Min,
    Max,
    GroupConcat,
    /// json_group_array(x): its argument is bound as `json_quote(x)`. Also
    /// jsonb_group_array(x), whose result is bound as `jsonb(..)` of this one's.
    JsonGroupArray,
    /// json_group_object(key, x): `x` is bound as `json_quote(x)`. Also
    /// jsonb_group_object(key, x), whose result is bound as `jsonb(..)` of this one's.
    JsonGroupObject,
    /// A function the application registered (`AggregateCall::user`).
    User,
    /// `value_at_min(k, v)`: the value of `v` on the row where `min(k)` took its value,
    /// as SQLite takes a bare column beside one min() (`bind/min_max_row.rs`; no SQL name).
    ValueAtMin,
    /// `value_at_max(k, v)`: the same beside one max().
    ValueAtMax,
    /// `approx_count_distinct(x)`: a HyperLogLog's estimate (`expr/sketch`).
    ApproxCountDistinct,
    /// `hll_sketch(x)`: a HyperLogLog sketch as a BLOB.
    HllSketch,
    /// `hll_merge(sketch)`: the union of HyperLogLog sketches.
    HllMerge,
    /// `topk_sketch(x, k)`: a top-k sketch for k values (`bind/sketch.rs` reads k); also
    /// under `approx_top_k(x, k)`.
    TopKSketch(u32),
    /// `topk_merge(sketch)`: the union of top-k sketches.
    TopKMerge,
    /// `quantile_sketch(x)`: a KLL quantile sketch; also under `approx_quantile(x, q)`.
    QuantileSketch,
    /// `quantile_merge(sketch)`: the union of quantile sketches.
    QuantileMerge,
    /// `bloom_filter(x [, capacity [, rate]])`: a bloom filter of this many blocks
    /// (`bind/sketch.rs` sizes it from the call's constants).
    BloomFilter(u32),
    /// `bloom_merge(filter)`: the union of bloom filters of one geometry.
    BloomMerge,
}

impl AggregateFunction {
    /// The aggregate a function name denotes with `arg_count` arguments, if any.
    pub fn by_name(name: &str, arg_count: usize) -> Option<AggregateFunction> {
        Some(match (name.to_ascii_lowercase().as_str(), arg_count) {
            ("count", 0) => AggregateFunction::CountStar,
            ("count", 1) => AggregateFunction::Count,
            ("sum", 1) => AggregateFunction::Sum,
            ("total", 1) => AggregateFunction::Total,
            ("avg", 1) => AggregateFunction::Avg,
            ("min", 1) => AggregateFunction::Min,
            ("max", 1) => AggregateFunction::Max,
            ("group_concat", 1 | 2) | ("string_agg", 2) => AggregateFunction::GroupConcat,
            ("json_group_array" | "jsonb_group_array", 1) => AggregateFunction::JsonGroupArray,
            ("json_group_object" | "jsonb_group_object", 2) => AggregateFunction::JsonGroupObject,
            ("approx_count_distinct", 1) => AggregateFunction::ApproxCountDistinct,
            ("hll_sketch", 1) => AggregateFunction::HllSketch,
            ("hll_merge", 1) => AggregateFunction::HllMerge,
            ("topk_merge", 1) => AggregateFunction::TopKMerge,
            ("quantile_sketch", 1) => AggregateFunction::QuantileSketch,
            ("quantile_merge", 1) => AggregateFunction::QuantileMerge,
            // k is read from the call's second argument by `bind/sketch.rs`.
            ("topk_sketch" | "approx_top_k", 2) => AggregateFunction::TopKSketch(0),
            ("approx_quantile", 2) => AggregateFunction::QuantileSketch,
            // Sized from the capacity and rate by `bind/sketch.rs`.
            ("bloom_filter", 1..=3) => AggregateFunction::BloomFilter(0),
            ("bloom_merge", 1) => AggregateFunction::BloomMerge,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            AggregateFunction::CountStar | AggregateFunction::Count => "count",
            AggregateFunction::Sum => "sum",
            AggregateFunction::Total => "total",
            AggregateFunction::Avg => "avg",
            AggregateFunction::Min => "min",
            AggregateFunction::Max => "max",
            AggregateFunction::GroupConcat => "group_concat",
            AggregateFunction::JsonGroupArray => "json_group_array",
            AggregateFunction::JsonGroupObject => "json_group_object",
            AggregateFunction::User => "user aggregate",
            AggregateFunction::ValueAtMin => "value_at_min",
            AggregateFunction::ValueAtMax => "value_at_max",
            AggregateFunction::ApproxCountDistinct => "approx_count_distinct",
            AggregateFunction::HllSketch => "hll_sketch",
            AggregateFunction::HllMerge => "hll_merge",
            AggregateFunction::TopKSketch(_) => "topk_sketch",
            AggregateFunction::TopKMerge => "topk_merge",
            AggregateFunction::QuantileSketch => "quantile_sketch",
            AggregateFunction::QuantileMerge => "quantile_merge",
            AggregateFunction::BloomFilter(_) => "bloom_filter",
            AggregateFunction::BloomMerge => "bloom_merge",
        }
    }

    /// Whether the aggregate keeps a sketch (`exec/aggregate/sketch_state.rs`): it merges, never
    /// takes rows back, and holds bounded memory.
    pub fn is_sketch(self) -> bool {
        matches!(
            self,
            AggregateFunction::ApproxCountDistinct
                | AggregateFunction::HllSketch
                | AggregateFunction::HllMerge
                | AggregateFunction::TopKSketch(_)
                | AggregateFunction::TopKMerge
                | AggregateFunction::QuantileSketch
                | AggregateFunction::QuantileMerge
                | AggregateFunction::BloomFilter(_)
                | AggregateFunction::BloomMerge
        )
    }
}
