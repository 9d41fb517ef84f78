//! The executor: pull-based operators built from a plan's node tree. Each operator's `next`
//! returns one row or `None` at the end; operators borrow the plan, so running a prepared
//! plan again builds a fresh operator tree without cloning expressions.

pub(crate) mod aggregate;
mod bounds;
mod hash;
mod join;
pub(crate) mod parallel;
pub(crate) mod parallel_note;
pub mod profile;
mod push;
mod query;
mod scan;
pub mod schema;
mod sort;
mod window;
mod write;

use std::cell::Cell;

use ember_storage::{Transaction, Value};

use crate::error::Result;
use crate::expr::{EvalContext, SubqueryRuntime};
use crate::plan::{AccessPath, AggregateStrategy, DistinctStrategy, JoinKind, Node};

pub(crate) use aggregate::counted::count_rows;
pub(crate) use aggregate::folded::fold_rows;
pub(crate) use aggregate::streams_union;
pub use bounds::{format_duration, row_bytes, Deadline, MemoryCharge, StatementBounds};
pub use query::cte::{CteRows, WorkRow};
pub(crate) use scan::outer_probe::{may_probe, ProbeState};
pub(crate) use schema::alter::{
    alter_table, alter_table_in, replace_rewritten, replay_alter_table, DropCopy,
};
pub(crate) use schema::ddl::{create_index, create_table, drop_index, drop_table};
pub use schema::schema_host::SchemaHost;
pub(crate) use schema::trigger_ddl::{create_trigger, drop_trigger};
pub(crate) use schema::truncate::truncate_table;
pub(crate) use schema::view::{create_view, drop_view};
pub(crate) use sort::top_threshold::TopThreshold;
pub use write::dml::{delete, delete_all, update, UpdateStatement};
pub use write::foreign_key::DeferredKeys;
pub use write::insert::insert;
pub use write::trigger::TriggerRuntime;

/// A row flowing between operators.
pub type Row = Vec<Value>;

/// What operators read from: the transaction's snapshot and the bound parameters.
pub struct ExecContext<'a> {
    pub txn: &'a Transaction,
    pub eval: EvalContext<'a>,
    /// Most rows one materialization point of this statement may hold.
    pub rows_max: usize,
    /// The connection's reused row buffers (`None`: allocate).
    pub buffers: Option<&'a RowBuffers>,
    /// The rows recursive CTEs are computing from, innermost first (`exec::query::recursive`).
    pub work: Option<&'a WorkRow<'a>>,
}

impl<'a> ExecContext<'a> {
    /// The context of one statement execution: its transaction, parameters and subquery
    /// runtime (which holds both).
    pub fn new(runtime: &'a SubqueryRuntime<'a>) -> ExecContext<'a> {
        ExecContext {
            txn: runtime.txn,
            eval: EvalContext {
                params: runtime.env.params,
                subqueries: Some(runtime),
                outer: None,
            },
            rows_max: runtime.env.rows_max,
            buffers: runtime.env.buffers,
            work: None,
        }
    }

    /// Fails with a `Limit` error when a materialization point that already holds `held`
    /// rows would take one more past the statement's row cap.
    pub fn check_rows(&self, held: usize) -> Result<()> {
        if held >= self.rows_max {
            return Err(crate::err!(
                Limit,
                "statement materializes more than the limit of {} rows",
                self.rows_max
            ));
        }
        Ok(())
    }
}

impl ExecContext<'_> {
    /// A charge against the database's memory account for what an operator builds (counts
    /// nothing without a budget).
    pub fn memory_charge(&self, what: &'static str) -> MemoryCharge {
        let account = self
            .eval
            .subqueries
            .and_then(|runtime| runtime.env.bounds)
            .and_then(|bounds| bounds.memory);
        MemoryCharge::new(account, what)
    }

    /// The helper threads a scan may use besides the statement's own (`PRAGMA threads`).
    pub fn helper_threads(&self) -> usize {
        self.eval
            .subqueries
            .map_or(0, |runtime| runtime.env.helper_threads)
    }

    /// Whether hash joins the optimizer marked use their runtime bloom filter (`PRAGMA
    /// bloom_filter_joins`; on where no connection runs the statement).
    pub fn bloom_joins(&self) -> bool {
        self.eval
            .subqueries
            .is_none_or(|runtime| runtime.env.bloom_joins)
    }

    /// Whether the statement runs under a timeout (its deadline is checked on this thread
    /// only).
    pub fn has_deadline(&self) -> bool {
        self.eval.subqueries.is_some_and(|runtime| {
            runtime
                .env
                .bounds
                .as_ref()
                .is_some_and(|bounds| bounds.deadline.is_some())
        })
    }

    /// The flag another thread sets to stop the statement.
    pub fn interrupt_flag(&self) -> Option<&std::sync::atomic::AtomicBool> {
        self.eval
            .subqueries
            .and_then(|runtime| runtime.env.interrupt)
    }

    /// An `Interrupted` error if the statement was asked to stop (see `InterruptHandle`).
    pub fn check_interrupt(&self) -> Result<()> {
        match self.eval.subqueries {
            Some(runtime) => runtime.check_interrupt(),
            None => Ok(()),
        }
    }
}

/// A pull-based operator.
pub trait Operator {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>>;

    /// Says that each row this operator returns will be extended by `extra` more values
    /// downstream (an index join appends the right row to the left one), so an operator
    /// that allocates its rows can make room at once instead of growing them later. Only
    /// a hint: the default ignores it.
    fn reserve_extra_width(&mut self, _extra: usize) {}

    /// Hands back a row this operator returned, once its consumer is done with it, so its
    /// buffer can carry a later row instead of being freed (an operator that allocates its
    /// rows keeps a few; one that passes its input's rows through passes it down). Only a
    /// hint: the default drops the row.
    fn recycle(&mut self, _row: Row) {}

    /// Makes the operator start over from its first row, keeping what it compiled
    /// (projections, predicates): a recursive CTE runs its step plan once per step
    /// (`recursive.rs`). `false` when it cannot (the default; then the caller builds the
    /// plan anew): only operators whose state is their input's position rewind.
    fn rewind(&mut self) -> bool {
        false
    }
}

/// Builds the operator tree for `node` (each operator counted under EXPLAIN ANALYZE).
pub fn build(node: &Node) -> Box<dyn Operator + '_> {
    let operator = build_operator(node);
    if profile::active() {
        return profile::Profiled::wrap(node, operator);
    }
    operator
}

fn build_operator(node: &Node) -> Box<dyn Operator + '_> {
    match node {
        Node::Scan(access) => Box::new(scan::ScanOperator::new(access)),
        // Pulled lazily (`start_query`): the operators of its parts, one over the other.
        Node::FusedRead(read) => {
            let mut operator: Box<dyn Operator + '_> =
                Box::new(scan::ScanOperator::new(&read.access));
            if let Some(exprs) = &read.exprs {
                operator = Box::new(query::ProjectOperator::new(operator, exprs));
            }
            if let Some(bounds) = &read.limit {
                let (limit, offset) = (bounds.limit.as_ref(), bounds.offset.as_ref());
                operator = Box::new(query::LimitOperator::new(operator, limit, offset));
            }
            operator
        }
        Node::System {
            table,
            tables,
            views,
            triggers,
        } => Box::new(schema::system::SystemTableOperator::new(
            *table,
            tables,
            (views, triggers),
        )),
        Node::Values { rows } => Box::new(query::ValuesOperator::new(rows)),
        Node::Filter { input, predicate } => {
            Box::new(query::FilterOperator::new(build(input), predicate))
        }
        Node::Project { input, exprs } => {
            Box::new(query::ProjectOperator::new(build(input), exprs))
        }
        Node::Sort {
            input,
            keys,
            top: None,
        } => Box::new(query::SortOperator::new(build(input), keys)),
        Node::Sort {
            input,
            keys,
            top: Some(top),
        } => sort::top_k::build(input, keys, top),
        Node::Limit {
            input,
            limit,
            offset,
        } => Box::new(query::LimitOperator::new(
            build(input),
            limit.as_ref(),
            offset.as_ref(),
        )),
        Node::Join(join) => match (join.kind, &join.probe) {
            (_, Some(probe)) => Box::new(join::index_join::IndexJoinOperator::new(join, probe)),
            (JoinKind::Inner | JoinKind::Left, None) => Box::new(join::JoinOperator::new(join)),
            (JoinKind::Right | JoinKind::Full, None) => {
                Box::new(join::outer_join::OuterJoinOperator::new(join))
            }
        },
        Node::Aggregate {
            input,
            group_by,
            aggregates,
            input_width,
            strategy,
            bare_reads,
        } => {
            let walk = match strategy {
                AggregateStrategy::GroupWalk => crate::plan::group_walk(input, group_by),
                _ => None,
            };
            debug_assert!(
                walk.is_some() || *strategy != AggregateStrategy::GroupWalk,
                "a GroupWalk strategy over a plan that is not a group walk"
            );
            match walk {
                Some(walk) => Box::new(aggregate::group_walk::GroupWalkOperator::new(
                    walk,
                    input,
                    group_by,
                    aggregates,
                    *input_width,
                )),
                None => Box::new(aggregate::AggregateOperator::new(
                    input,
                    group_by,
                    aggregates,
                    *input_width,
                    *strategy,
                    bare_reads.as_deref(),
                )),
            }
        }
        Node::Window(window) => Box::new(window::WindowOperator::new(window)),
        Node::Distinct {
            input,
            collations,
            strategy,
        } => {
            let walk = match strategy {
                DistinctStrategy::IndexWalk => crate::plan::distinct_walk(input, collations),
                DistinctStrategy::Hash => None,
            };
            debug_assert!(
                walk.is_some() || *strategy == DistinctStrategy::Hash,
                "an IndexWalk DISTINCT over a plan that is not an index walk"
            );
            match walk {
                Some(walk) => Box::new(aggregate::distinct_walk::IndexDistinctOperator::new(
                    walk, input, collations,
                )),
                None => Box::new(aggregate::distinct::DistinctOperator::new(
                    build(input),
                    collations,
                )),
            }
        }
        Node::TableFunction(scan) => {
            Box::new(query::table_function::TableFunctionOperator::new(scan))
        }
        Node::SetOperation {
            op,
            left,
            right,
            collations,
            unsorted,
            ..
        } => Box::new(aggregate::distinct::SetOperationOperator::new(
            *op,
            (left, right),
            collations,
            *unsorted,
        )),
        Node::CteScan(cte) => Box::new(query::cte::CteScanOperator::new(cte)),
        Node::AsOf(as_of) => Box::new(query::as_of::AsOfOperator::new(as_of)),
        Node::RecursiveUnion(union) => {
            Box::new(query::recursive::RecursiveUnionOperator::new(union))
        }
        Node::WorkTable { id, .. } => Box::new(query::cte::WorkTableOperator::new(*id)),
    }
}

/// Row buffers a connection keeps from statement to statement, so that a point select
/// allocates nothing: the decode buffer of key lookups (kept full: the next lookup decodes
/// over it in place) and the memory of the last result row `query_row` handed back; and
/// the emptied row buffers a finished scan had spare (at most `scan::SCAN_BATCH_ROWS`,
/// values dropped), which the next statement's scan decodes into instead of allocating;
/// and an index range walk's key buffers (`index_range.rs`, at most
/// `RANGE_SCRATCH_KEPT_BYTES` each); and a plain UPDATE's emptied lists of target ids and
/// new values (`dml::UpdateLists`, at most `UPDATE_LISTS_KEPT_MAX` entries each); and the
/// column batch of an aggregate over a scan (`column_aggregate.rs`, at most
/// `COLUMN_BATCH_KEPT_BYTES`).
#[derive(Default)]
pub struct RowBuffers {
    pub(crate) column_batch: Cell<ember_storage::row::ColumnBatch>,
    pub(crate) lookup: Cell<Row>,
    pub(crate) result: Cell<Row>,
    pub(crate) scan_spare: Cell<Vec<Row>>,
    pub(crate) range_scratch: Cell<ember_storage::RangeScratch>,
    pub(crate) update_lists: Cell<write::dml::UpdateLists>,
}

impl RowBuffers {
    /// Keeps a result row and its values for the next statement's result: a key lookup
    /// swaps its decoded columns with them (`project_key_row`), so a text column's memory
    /// comes back to the decode buffer and the next decode writes over it instead of
    /// allocating. Takers that build a row from nothing clear it first. (Holds at most one
    /// row's values between statements, as the lookup buffer does.)
    pub(crate) fn recycle_result(&self, row: Row) {
        self.result.set(row);
    }
}

/// Receives a statement's result rows one at a time and says whether it wants more
/// (`Ok(false)` stops the query there: `query_row` reads one row, not the whole result).
/// The row is lent: the sink may take its values (a result set moves them into its own
/// storage, leaving the row empty) or only read them; the producer keeps the buffer and
/// builds its next row in it (clearing it, or overwriting a row of the full width), so
/// handing rows over allocates no row per row.
pub type RowSink<'s> = dyn FnMut(&mut Row) -> Result<bool> + 's;

/// Runs a query or DML plan in `txn`, handing its rows (a query's, or RETURNING's) to
/// `sink`; returns the rows the DML changed (0 for a query). Statements run in a
/// transaction and the statements of a trigger body both come here; any other plan is an
/// internal error.
pub fn run_data_plan(
    txn: &mut Transaction,
    plan: &crate::plan::Plan,
    env: crate::expr::StatementEnv<'_>,
    sink: &mut RowSink<'_>,
) -> Result<usize> {
    use crate::plan::Plan;
    match plan {
        Plan::Query(query) => {
            let runtime = SubqueryRuntime::new(txn, env);
            let context = ExecContext::new(&runtime);
            run_query(&query.node, &context, sink)?;
            Ok(0)
        }
        Plan::Insert(insert_plan) => insert(txn, insert_plan, env, sink),
        Plan::Update {
            target,
            assignments,
            returning,
            on_conflict,
            from,
            hint: _,
        } => {
            let statement = UpdateStatement {
                target,
                assignments,
                on_conflict: *on_conflict,
                from: from.as_deref(),
            };
            update(txn, &statement, returning.as_deref(), env, sink)
        }
        Plan::Delete {
            target, returning, ..
        } => delete(txn, target, returning.as_deref(), env, sink),
        Plan::DeleteAll { target } => delete_all(txn, target, env),
        Plan::ViewWrite(write) => write::trigger::write_view(txn, write, env),
        _ => Err(crate::err!(
            Internal,
            "run_data_plan was given a plan that is not a query or DML"
        )),
    }
}

/// Runs a query node, handing its rows to `sink` until the input ends or the sink has
/// enough. Every row handed over counts against the statement's row cap.
pub fn run_query(node: &Node, context: &ExecContext<'_>, sink: &mut RowSink<'_>) -> Result<()> {
    if let Node::FusedRead(read) = node {
        return query::fused_read::run(node, read, context, sink);
    }
    let mut operator = build(node);
    let mut delivered = 0;
    // The rows handed over are held (a result set) while the statement runs.
    let mut memory = context.memory_charge("the result rows");
    while let Some(mut row) = operator.next(context)? {
        context.check_rows(delivered)?;
        memory.add_row(&row)?;
        delivered += 1;
        let more = sink(&mut row)?;
        // Emptied (the sink took the values) or as the sink left it: the operator that made
        // it builds a later row in it.
        operator.recycle(row);
        if !more {
            break;
        }
    }
    Ok(())
}

/// `found`, the row (or none) a subquery's first-row read found for `node` (a table
/// access or a projection of one; `None`: the read did not run), counted on both nodes
/// under EXPLAIN ANALYZE.
fn tallied(node: &Node, found: Option<Option<Row>>) -> Option<Option<Row>> {
    if let (true, Some(row)) = (profile::active(), &found) {
        let rows = u64::from(row.is_some());
        if let Node::Project { input, .. } = node {
            profile::Tally::of(input).rows(rows);
        }
        profile::Tally::of(node).rows(rows);
    }
    found
}

/// How a query starts: a primary-key lookup done at once, or the operator tree to pull
/// its rows from.
pub enum QueryStart<'n> {
    /// The row of a lookup by the whole primary key (`None`: no such row).
    Looked(Option<Row>),
    /// The root operator of the query's tree.
    Operator(Box<dyn Operator + 'n>),
}

/// Starts a query node: a fused read by the whole primary key (without LIMIT) runs at
/// once, any other plan builds its operators.
pub fn start_query<'n>(node: &'n Node, context: &ExecContext<'_>) -> Result<QueryStart<'n>> {
    if let Node::FusedRead(read) = node {
        if let Some(key) = read.point_key() {
            let exprs = read.exprs.as_deref();
            let row = query::key_lookup::lookup_row(&read.access, key, exprs, context)?;
            if profile::active() {
                query::fused_read::count_point(node, read, row.is_some());
            }
            return Ok(QueryStart::Looked(row));
        }
    }
    Ok(QueryStart::Operator(build(node)))
}

/// Hands `rows` to `sink` until it has enough.
pub(crate) fn feed(
    rows: impl IntoIterator<Item = Vec<Value>>,
    sink: &mut RowSink<'_>,
) -> Result<()> {
    for mut row in rows {
        if !sink(&mut row)? {
            break;
        }
    }
    Ok(())
}

/// Runs a query node to completion, collecting its rows.
pub fn collect(node: &Node, context: &ExecContext<'_>) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    run_query(node, context, &mut |row| {
        rows.push(std::mem::take(row));
        Ok(true)
    })?;
    Ok(rows)
}

/// The table access of a plan that is a scan or a projection of one, with the projection.
fn one_table_read(
    node: &Node,
) -> Option<(&crate::plan::TableAccess, Option<&Vec<crate::expr::Expr>>)> {
    match node {
        Node::Scan(access) => Some((access, None)),
        Node::Project { input, exprs } => match input.as_ref() {
            Node::Scan(access) => Some((access, Some(exprs))),
            _ => None,
        },
        _ => None,
    }
}

/// The first row of a plan that reads one table by key or index (a primary-key lookup, a
/// secondary-index lookup of one key or an IN list, an index range), or of a projection of
/// one, run without an operator tree and stopping at the first row found (in the order the
/// operator would return them): `Some(first)`, `None` for any other plan shape or when the
/// index no longer exists. What a correlated EXISTS or scalar subquery reads.
pub(crate) fn first_row(node: &Node, context: &ExecContext<'_>) -> Result<Option<Option<Row>>> {
    let found = match one_table_read(node) {
        Some((access, exprs)) => match &access.path {
            AccessPath::KeyLookup(key) => {
                let exprs = exprs.map(Vec::as_slice);
                Some(query::key_lookup::lookup_row(access, key, exprs, context)?)
            }
            _ => index_first_row(access, exprs, context)?,
        },
        None => None,
    };
    Ok(tallied(node, found))
}

/// `first_row` of a secondary-index lookup or range (uncounted).
fn index_first_row(
    access: &crate::plan::TableAccess,
    exprs: Option<&Vec<crate::expr::Expr>>,
    context: &ExecContext<'_>,
) -> Result<Option<Option<Row>>> {
    let mut first = None;
    let mut take_first = |_, values: &mut Row| -> Result<bool> {
        first = Some(match exprs {
            None => std::mem::take(values),
            Some(exprs) => exprs
                .iter()
                .map(|expr| expr.eval(values, &context.eval))
                .collect::<Result<Row>>()?,
        });
        Ok(false)
    };
    let mut buffer = Vec::new();
    let found = scan::for_each_indexed_row(access, context, &mut buffer, &mut take_first)?;
    Ok(found.then_some(first))
}
