//! Subquery expressions: scalar `(SELECT ...)`, `[NOT] EXISTS (...)` and `x [NOT] IN
//! (SELECT ...)`. An uncorrelated subquery runs once per statement execution and its result
//! is cached in the `SubqueryRuntime`; a correlated one runs again for every outer row, with
//! that row pushed as an `OuterFrame` so `Expr::OuterColumn` can read it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember_storage::{Transaction, Value};

use crate::error::Result;
use crate::exec::{self, ExecContext};
use crate::fast_hash::FastBuildHasher;
use crate::plan::Query;

use super::key::KeyValue;
use super::subquery_by_groups::{GroupState, GroupedSubquery};
use super::subquery_memo::{MemoKey, OuterRead, SubqueryMemo};
use super::subquery_tree::{KeptTree, KEPT_TREE_IDS_MAX};
use super::{EvalContext, Expr};

/// What a subquery expression computes from the subquery's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryKind {
    /// The first column of the first row, or NULL for no rows.
    Scalar,
    Exists {
        negated: bool,
    },
    /// `expr` is already converted for the comparison (bind/compare.rs `in_subquery`); the
    /// subquery's values are converted by `affinity` and `collation` as the set is built.
    In {
        expr: Box<Expr>,
        negated: bool,
        affinity: Option<super::Affinity>,
        collation: super::Collation,
    },
    /// `(a, b, ..) [NOT] IN (SELECT x, y, ..)` (row_in.rs): `exprs` already converted for
    /// their comparisons; each column of the subquery converted by its affinity and
    /// collation as the rows are read.
    InRow {
        exprs: Vec<Expr>,
        negated: bool,
        affinities: Vec<Option<super::Affinity>>,
        collations: Vec<super::Collation>,
    },
}

/// How a subquery runs, chosen from its plan by the optimizer (`optimize/subquery_run.rs`)
/// and shown by EXPLAIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubqueryRun {
    /// Its operator tree (a correlated one's kept and rewound between runs).
    #[default]
    Tree,
    /// The first row of its read of one table by key or index, or of a projection of it,
    /// read without an operator tree (`exec::first_row`).
    FirstRow,
    /// `count(*)` of its read of one table by index: the rows the read finds counted
    /// without an operator tree (`exec::count_rows`).
    CountRows,
    /// Aggregates of plain columns (no GROUP BY) over its read of one table by index: the
    /// rows the read finds fed to the calls' accumulators without an operator tree
    /// (`exec::fold_rows`).
    Fold,
}

impl SubqueryRun {
    /// The words EXPLAIN adds to the subquery's line (none for the operator tree).
    pub fn explain_words(self) -> &'static str {
        match self {
            SubqueryRun::Tree => "",
            SubqueryRun::FirstRow => ", first row",
            SubqueryRun::CountRows => ", rows counted",
            SubqueryRun::Fold => ", folded",
        }
    }
}

/// A bound subquery inside an expression.
#[derive(Clone)]
pub struct SubqueryExpr {
    /// Unique within one statement's plan: the cache key of an uncorrelated result.
    pub id: usize,
    pub kind: SubqueryKind,
    pub query: Arc<Query>,
    /// Whether the subquery reads a row of an enclosing query (then it cannot be cached).
    pub correlated: bool,
    /// The columns of enclosing rows it reads (its subqueries' reads that reach past it
    /// included), sorted: level 1 indexes the row the expression is evaluated on, as an
    /// `Expr::Column` does. Empty when not correlated.
    pub outer_reads: Arc<[OuterRead]>,
    /// For a correlated subquery whose result is a function of the enclosing-row columns
    /// it reads (it calls nothing non-deterministic): those columns, sorted, by which its
    /// results are memoized within one execution (`subquery_memo.rs`).
    pub memo_key: Option<Arc<[OuterRead]>>,
    /// For a correlated scalar subquery the optimizer decorrelated: its grouped form, run
    /// once per execution and looked up by the outer row's values
    /// (`subquery_by_groups.rs`).
    pub grouped: Option<Arc<GroupedSubquery>>,
    /// How it runs (`SubqueryRun::Tree` until the optimizer chose).
    pub run: SubqueryRun,
}

impl PartialEq for SubqueryExpr {
    fn eq(&self, other: &SubqueryExpr) -> bool {
        self.id == other.id && Arc::ptr_eq(&self.query, &other.query)
    }
}

impl fmt::Debug for SubqueryExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subquery#{}({:?})", self.id, self.kind)
    }
}

impl fmt::Display for SubqueryExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.correlated {
            "correlated subquery"
        } else {
            "subquery"
        };
        // A grouped subquery's plan says so where EXPLAIN lists it (`Subquery #N by
        // groups of ..`); its memo is what serves rows if the groups give way.
        let memo = if self.memo_key.is_some() {
            ", memoized"
        } else {
            ""
        };
        let id = self.id;
        match &self.kind {
            SubqueryKind::Scalar => write!(f, "({what} #{id}{memo})"),
            SubqueryKind::Exists { negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{not}EXISTS ({what} #{id}{memo})")
            }
            SubqueryKind::In { expr, negated, .. } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}IN ({what} #{id}{memo}))")
            }
            SubqueryKind::InRow { exprs, negated, .. } => {
                let not = if *negated { "NOT " } else { "" };
                let values: Vec<String> = exprs.iter().map(ToString::to_string).collect();
                write!(f, "(({}) {not}IN ({what} #{}))", values.join(", "), self.id)
            }
        }
    }
}

/// A row of an enclosing query, and the frames further out.
pub struct OuterFrame<'a> {
    pub row: &'a [Value],
    pub parent: Option<&'a OuterFrame<'a>>,
}

impl<'a> OuterFrame<'a> {
    /// The frame `level` steps out (1 = this one).
    pub fn up(&'a self, level: usize) -> Option<&'a OuterFrame<'a>> {
        let mut frame = self;
        for _ in 1..level {
            frame = frame.parent?;
        }
        Some(frame)
    }

    /// Column `index` of the row `level` frames out (1 = this one's), `None` past the
    /// frames or the row there is.
    pub fn value(&'a self, level: usize, index: usize) -> Option<&'a Value> {
        self.up(level)?.row.get(index)
    }
}

/// Subquery ids (a statement's subqueries are numbered from 0) past which a correlated
/// subquery runs unmemoized: the runtime's memo list is indexed by id.
pub(super) const MEMOIZED_IDS_MAX: usize = 1024;

/// The result of a subquery, reduced to what its expression kind needs.
enum SubqueryResult {
    Scalar(Value),
    Exists(bool),
    Set {
        keys: HashSet<KeyValue, FastBuildHasher>,
        has_null: bool,
    },
    Rows(super::row_in::RowSet),
}

impl SubqueryResult {
    /// Estimated bytes the result holds (for the memory account).
    fn bytes(&self) -> u64 {
        match self {
            SubqueryResult::Scalar(value) => exec::row_bytes(std::slice::from_ref(value)),
            SubqueryResult::Exists(_) => 0,
            SubqueryResult::Set { keys, .. } => {
                let heap: usize = keys.iter().map(KeyValue::heap_bytes).sum();
                (keys.capacity() * 2 * std::mem::size_of::<KeyValue>() + heap) as u64
            }
            SubqueryResult::Rows(rows) => rows.bytes(),
        }
    }
}

/// What one statement execution carries besides its transaction.
#[derive(Clone, Copy)]
pub struct StatementEnv<'a> {
    /// The values bound to the statement's parameters.
    pub params: &'a [Value],
    /// Most rows one materialization point of the statement may hold.
    pub rows_max: usize,
    /// Set from another thread to stop the statement (checked by scans and joins).
    pub interrupt: Option<&'a AtomicBool>,
    /// The durable side of a directory database (read by the `ember_durability` table).
    pub durable: Option<&'a dyn exec::schema::system::DurabilityRow>,
    /// The connection's change counters (`last_insert_rowid()`, `changes()`); `None` where
    /// no connection runs the statement.
    pub counters: Option<&'a super::ChangeCounters>,
    /// Row buffers kept by the connection between statements (see `exec::RowBuffers`).
    pub(crate) buffers: Option<&'a exec::RowBuffers>,
    /// The statement's memory account and deadline; `None` when there is neither a memory
    /// budget nor a statement timeout (the common case costs one word).
    pub bounds: Option<&'a exec::StatementBounds<'a>>,
    /// The catalog FOREIGN KEY constraints resolve against, when the connection enforces
    /// them (`PRAGMA foreign_keys = ON`); `None` (SQLite's default) enforces none.
    pub foreign_keys: Option<&'a crate::catalog::Catalog>,
    /// Where the checks of deferred foreign keys wait for COMMIT: the connection's, in an
    /// explicit transaction; `None` elsewhere (the statement's end checks them).
    pub deferred_keys: Option<&'a exec::DeferredKeys>,
    /// Helper threads a large scan may use besides the statement's own (`PRAGMA threads`;
    /// 0: every scan runs on the calling thread).
    pub helper_threads: usize,
    /// Whether marked hash joins use their runtime bloom filter (`PRAGMA
    /// bloom_filter_joins`).
    pub bloom_joins: bool,
    /// The time the transaction reads row expiries at (`expiry.rs`); `None` where no
    /// connection runs the statement (no table with `expire_at` can be read then).
    pub time: Option<&'a super::TransactionTime>,
    /// The triggers the statement's row changes fire (`exec::write::trigger`); `None` when the
    /// catalog holds none.
    pub triggers: Option<&'a exec::TriggerRuntime>,
}

/// Runs subqueries for one statement execution: the transaction they read, the statement's
/// environment (parameters, row cap, interrupt flag, durable side), and the cache of
/// uncorrelated results.
pub struct SubqueryRuntime<'a> {
    pub txn: &'a Transaction,
    /// The statement's environment, its row cap clamped to `STATEMENT_ROWS_MAX`.
    pub env: StatementEnv<'a>,
    /// Keyed by small ids: the fast hasher makes an empty map free to create (no random
    /// keys to draw), which every statement does.
    cache: RefCell<HashMap<usize, Arc<SubqueryResult>, FastBuildHasher>>,
    /// The rows of CTEs read more than once, computed once per execution (`exec::query::cte`).
    pub(crate) cte_rows: RefCell<HashMap<usize, Rc<exec::CteRows>, FastBuildHasher>>,
    /// The automatic indexes of correlated subqueries' scans, by access
    /// (`exec::scan::outer_probe`).
    pub(crate) outer_probes: RefCell<HashMap<usize, Rc<exec::ProbeState>, FastBuildHasher>>,
    /// The thresholds top-k sorts share with the joins below them, by plan id
    /// (`exec/sort/top_threshold.rs`).
    top_thresholds: RefCell<HashMap<u64, Rc<exec::TopThreshold>, FastBuildHasher>>,
    /// The memoized results of correlated subqueries, by subquery id (`subquery_memo.rs`).
    /// Indexed by subquery id (`None`: not run yet, or an id past `MEMOIZED_IDS_MAX`).
    memos: RefCell<Vec<Option<SubqueryMemo<SubqueryResult>>>>,
    /// The operator trees of correlated subqueries, by subquery id, rewound for each run
    /// (`subquery_tree.rs`); a tree is taken out while it runs.
    trees: RefCell<Vec<Option<KeptTree>>>,
    /// The groups of decorrelated subqueries, by subquery id (`subquery_by_groups.rs`).
    pub(super) groups: RefCell<Vec<Option<GroupState>>>,
}

/// What a `SubqueryRuntime` computed once for its execution (uncorrelated subquery results,
/// CTE rows), kept between the resumptions of a query read lazily (`session::cursor`), where
/// each row is pulled under a runtime of its own.
#[derive(Default)]
pub struct RuntimeCaches {
    subqueries: HashMap<usize, Arc<SubqueryResult>, FastBuildHasher>,
    cte_rows: HashMap<usize, Rc<exec::CteRows>, FastBuildHasher>,
    outer_probes: HashMap<usize, Rc<exec::ProbeState>, FastBuildHasher>,
    memos: Vec<Option<SubqueryMemo<SubqueryResult>>>,
    groups: Vec<Option<GroupState>>,
}

impl<'a> SubqueryRuntime<'a> {
    /// The runtime of one statement execution; the environment's row cap is clamped to
    /// `STATEMENT_ROWS_MAX`.
    #[inline]
    pub fn new(txn: &'a Transaction, env: StatementEnv<'a>) -> SubqueryRuntime<'a> {
        SubqueryRuntime::resume(txn, env, RuntimeCaches::default())
    }

    /// The runtime of an execution resumed with what it computed before (`into_caches`).
    #[inline]
    pub fn resume(
        txn: &'a Transaction,
        env: StatementEnv<'a>,
        caches: RuntimeCaches,
    ) -> SubqueryRuntime<'a> {
        SubqueryRuntime {
            txn,
            env: StatementEnv {
                rows_max: env.rows_max.min(crate::limits::STATEMENT_ROWS_MAX),
                ..env
            },
            cache: RefCell::new(caches.subqueries),
            cte_rows: RefCell::new(caches.cte_rows),
            outer_probes: RefCell::new(caches.outer_probes),
            top_thresholds: RefCell::default(),
            memos: RefCell::new(caches.memos),
            trees: RefCell::new(Vec::new()),
            groups: RefCell::new(caches.groups),
        }
    }

    /// What this execution computed once, to `resume` it with.
    pub fn into_caches(self) -> RuntimeCaches {
        RuntimeCaches {
            subqueries: self.cache.into_inner(),
            cte_rows: self.cte_rows.into_inner(),
            outer_probes: self.outer_probes.into_inner(),
            memos: self.memos.into_inner(),
            groups: self.groups.into_inner(),
        }
    }
}

impl SubqueryRuntime<'_> {
    /// The threshold `id` of this execution, made at its first use.
    pub(crate) fn top_threshold(&self, id: u64) -> Rc<exec::TopThreshold> {
        Rc::clone(self.top_thresholds.borrow_mut().entry(id).or_default())
    }

    /// An `Interrupted` error if the statement was asked to stop.
    pub fn check_interrupt(&self) -> Result<()> {
        self.env.check_interrupt()
    }
}

impl StatementEnv<'_> {
    /// An `Interrupted` error if the statement was asked to stop (or ran past its
    /// deadline).
    pub fn check_interrupt(&self) -> Result<()> {
        match self.interrupt {
            Some(flag) if flag.load(Ordering::Relaxed) => {
                Err(crate::err!(Interrupted, "interrupted"))
            }
            _ => match self.bounds.and_then(|bounds| bounds.deadline.as_ref()) {
                Some(deadline) => deadline.check(),
                None => Ok(()),
            },
        }
    }
}

/// The runtime subqueries run in, or the error of a place that has none.
fn runtime_of<'c>(context: &EvalContext<'c>) -> Result<&'c SubqueryRuntime<'c>> {
    context
        .subqueries
        .ok_or_else(|| crate::err!(Unsupported, "not supported: a subquery in this place"))
}

/// A memoized subquery's result for one outer row: shared with the memo that keeps it, or
/// the row's own when the memo keeps nothing.
enum Memoized {
    Shared(Arc<SubqueryResult>),
    Own(SubqueryResult),
}

impl Memoized {
    fn as_ref(&self) -> &SubqueryResult {
        match self {
            Memoized::Shared(result) => result,
            Memoized::Own(result) => result,
        }
    }
}

impl SubqueryExpr {
    /// Whether the subquery gives one value per execution, read with no row (uncorrelated,
    /// scalar or EXISTS): compiled code reads it once, as a constant (`constant_value`),
    /// the value the tree would read from the cache at its first row.
    pub fn gives_one_value(&self) -> bool {
        !self.correlated
            && matches!(
                self.kind,
                SubqueryKind::Scalar | SubqueryKind::Exists { .. }
            )
    }

    /// Whether the operands outside the subquery (the IN operand) read no column.
    pub fn operands_constant(&self) -> bool {
        match &self.kind {
            SubqueryKind::In { expr, .. } => expr.is_constant(),
            SubqueryKind::InRow { exprs, .. } => exprs.iter().all(Expr::is_constant),
            _ => true,
        }
    }

    pub fn eval(&self, row: &[Value], context: &EvalContext<'_>) -> Result<Value> {
        if !self.correlated {
            let result = self.cached_result(context)?;
            return self.value_of(&result, row, context);
        }
        let runtime = runtime_of(context)?;
        let frame = OuterFrame {
            row,
            parent: context.outer,
        };
        if let Some(grouped) = &self.grouped {
            if let Some(value) = self.value_from_groups(grouped, runtime, &frame)? {
                return Ok(value);
            }
        }
        match &self.memo_key {
            Some(reads) => {
                let result = self.memoized(reads, runtime, &frame)?;
                self.value_of(result.as_ref(), row, context)
            }
            // Run for this outer row and read at once: no result kept, none shared.
            None => self.value_of(&self.run(runtime, Some(&frame))?, row, context),
        }
    }

    /// What the subquery's result makes of the outer row `row`.
    fn value_of(
        &self,
        result: &SubqueryResult,
        row: &[Value],
        context: &EvalContext<'_>,
    ) -> Result<Value> {
        Ok(match (&self.kind, result) {
            (SubqueryKind::Scalar, SubqueryResult::Scalar(value)) => value.clone(),
            (SubqueryKind::Exists { negated }, SubqueryResult::Exists(found)) => {
                Value::Boolean(*found != *negated)
            }
            (SubqueryKind::In { expr, negated, .. }, SubqueryResult::Set { keys, has_null }) => {
                let value = expr.eval(row, context)?;
                in_result(&value, keys, *has_null, *negated)
            }
            (SubqueryKind::InRow { exprs, negated, .. }, SubqueryResult::Rows(rows)) => {
                let values = exprs
                    .iter()
                    .map(|expr| expr.eval(row, context))
                    .collect::<Result<Vec<_>>>()?;
                rows.test(&values, *negated)
            }
            _ => return Err(crate::err!(Internal, "subquery result of the wrong kind")),
        })
    }

    /// For an uncorrelated `x IN (SELECT ..)`: the set's integer members (each once, in no
    /// particular order), computed once per execution as `eval` computes it; a value `x`
    /// that is an integer is in the set exactly when it is one of them. `None` when there
    /// are more than `most` (the rest are not collected).
    pub fn integer_members(
        &self,
        context: &EvalContext<'_>,
        most: usize,
    ) -> Result<Option<Vec<i64>>> {
        if self.correlated {
            return Err(crate::err!(
                Internal,
                "the members of a correlated subquery were asked for"
            ));
        }
        match self.cached_result(context)?.as_ref() {
            SubqueryResult::Set { keys, .. } => {
                let mut members = Vec::with_capacity(keys.len().min(most));
                for key in keys.iter() {
                    if let KeyValue::Integer(member) = key {
                        if members.len() == most {
                            return Ok(None);
                        }
                        members.push(*member);
                    }
                }
                Ok(Some(members))
            }
            _ => Err(crate::err!(Internal, "subquery result of the wrong kind")),
        }
    }

    /// For an uncorrelated `x [NOT] IN (SELECT ..)`: its set, computed once per execution
    /// as `eval` computes it (then cached), for a compiled predicate to probe per row
    /// (`compile.rs`). `None` for any other subquery, without a runtime, or when running
    /// the subquery fails (the tree then reports the error at the first row it evaluates).
    pub(super) fn in_set(&self, context: &EvalContext<'_>) -> Option<InSet> {
        let SubqueryKind::In { negated, .. } = &self.kind else {
            return None;
        };
        if self.correlated {
            return None;
        }
        let result = self.cached_result(context).ok()?;
        matches!(result.as_ref(), SubqueryResult::Set { .. }).then(|| InSet {
            result,
            negated: *negated,
        })
    }

    /// The result of an uncorrelated subquery: run once per execution, then cached.
    fn cached_result(&self, context: &EvalContext<'_>) -> Result<Arc<SubqueryResult>> {
        debug_assert!(!self.correlated, "a correlated subquery runs per outer row");
        let runtime = runtime_of(context)?;
        let cached = runtime.cache.borrow().get(&self.id).cloned();
        Ok(match cached {
            Some(result) => result,
            None => {
                // Not borrowed while running: the subquery may run subqueries itself.
                let result = Arc::new(self.run(runtime, context.outer)?);
                runtime.cache.borrow_mut().insert(self.id, result.clone());
                result
            }
        })
    }

    /// The result for the outer row `frame`, from the memo when a run with the same outer
    /// values computed it (see `subquery_memo.rs`).
    fn memoized(
        &self,
        reads: &[OuterRead],
        runtime: &SubqueryRuntime<'_>,
        frame: &OuterFrame<'_>,
    ) -> Result<Memoized> {
        if self.id >= MEMOIZED_IDS_MAX {
            return Ok(Memoized::Own(self.run(runtime, Some(frame))?));
        }
        let writes = runtime.txn.savepoint();
        let key = {
            let mut memos = runtime.memos.borrow_mut();
            if memos.len() <= self.id {
                memos.resize_with(self.id + 1, || None);
            }
            let account = runtime.env.bounds.and_then(|bounds| bounds.memory);
            let memo = memos[self.id].get_or_insert_with(|| SubqueryMemo::new(account, writes));
            match memo.in_use().then(|| MemoKey::of(reads, frame)).flatten() {
                Some(key) => match memo.get(&key, writes) {
                    Some(result) => return Ok(Memoized::Shared(result)),
                    None => memo.in_use().then_some(key),
                },
                None => None,
            }
        };
        // Not borrowed while running: the subquery may run memoized subqueries itself.
        let result = self.run(runtime, Some(frame))?;
        let Some(key) = key else {
            // A memo given up (or a key it cannot hold) keeps nothing: no shared copy made.
            return Ok(Memoized::Own(result));
        };
        let result = Arc::new(result);
        let bytes = result.bytes();
        let mut memos = runtime.memos.borrow_mut();
        if let Some(Some(memo)) = memos.get_mut(self.id) {
            memo.insert(key, Arc::clone(&result), bytes, writes)?;
        }
        Ok(Memoized::Shared(result))
    }

    /// A scalar subquery's value for the outer row `frame`, run for it.
    pub(super) fn scalar_run(
        &self,
        runtime: &SubqueryRuntime<'_>,
        frame: &OuterFrame<'_>,
    ) -> Result<Value> {
        match self.run(runtime, Some(frame))? {
            SubqueryResult::Scalar(value) => Ok(value),
            _ => Err(crate::err!(Internal, "a scalar subquery gave no scalar")),
        }
    }

    fn run(
        &self,
        runtime: &SubqueryRuntime<'_>,
        outer: Option<&OuterFrame<'_>>,
    ) -> Result<SubqueryResult> {
        let context = ExecContext {
            txn: runtime.txn,
            eval: EvalContext {
                params: runtime.env.params,
                subqueries: Some(runtime),
                outer,
            },
            rows_max: runtime.env.rows_max,
            buffers: None,
            work: None,
        };
        // Either way without an operator tree, unless the index it reads is gone.
        match self.run {
            SubqueryRun::Tree => {}
            SubqueryRun::FirstRow => {
                debug_assert!(matches!(
                    self.kind,
                    SubqueryKind::Scalar | SubqueryKind::Exists { .. }
                ));
                if let Some(found) = exec::first_row(&self.query.node, &context)? {
                    return Ok(match self.kind {
                        SubqueryKind::Scalar => SubqueryResult::Scalar(
                            found
                                .and_then(|row| row.into_iter().next())
                                .unwrap_or(Value::Null),
                        ),
                        _ => SubqueryResult::Exists(found.is_some()),
                    });
                }
            }
            SubqueryRun::CountRows => {
                debug_assert!(matches!(self.kind, SubqueryKind::Scalar));
                if let Some(rows) = exec::count_rows(&self.query.node, &context)? {
                    let rows = i64::try_from(rows).unwrap_or(i64::MAX);
                    return Ok(SubqueryResult::Scalar(Value::Integer(rows)));
                }
            }
            SubqueryRun::Fold => {
                debug_assert!(matches!(self.kind, SubqueryKind::Scalar));
                if let Some(value) = exec::fold_rows(&self.query.node, &context)? {
                    return Ok(SubqueryResult::Scalar(value));
                }
            }
        }
        if self.correlated && self.id < KEPT_TREE_IDS_MAX {
            let kept = runtime
                .trees
                .borrow_mut()
                .get_mut(self.id)
                .and_then(Option::take);
            let mut tree = kept
                .filter(|tree| tree.is_of(&self.query))
                .and_then(|mut tree| tree.rewind().then_some(tree))
                .unwrap_or_else(|| KeptTree::build(&self.query));
            // Not borrowed while running: the subquery may run subqueries itself. A run
            // that fails leaves its tree out.
            let result = self.collect(tree.operator(), &context)?;
            let mut trees = runtime.trees.borrow_mut();
            if trees.len() <= self.id {
                trees.resize_with(self.id + 1, || None);
            }
            trees[self.id] = Some(tree);
            return Ok(result);
        }
        let mut operator = exec::build(&self.query.node);
        self.collect(operator.as_mut(), &context)
    }

    /// The subquery's result from the rows of `operator`.
    fn collect(
        &self,
        operator: &mut dyn exec::Operator,
        context: &ExecContext<'_>,
    ) -> Result<SubqueryResult> {
        Ok(match &self.kind {
            SubqueryKind::Scalar => SubqueryResult::Scalar(match operator.next(context)? {
                Some(mut row) if !row.is_empty() => {
                    let value = std::mem::replace(&mut row[0], Value::Null);
                    // Handed back: a rewound tree makes its next run's rows in it.
                    operator.recycle(row);
                    value
                }
                _ => Value::Null,
            }),
            SubqueryKind::Exists { .. } => {
                SubqueryResult::Exists(operator.next(context)?.is_some())
            }
            SubqueryKind::In {
                affinity,
                collation,
                ..
            } => {
                let mut keys = HashSet::default();
                let mut has_null = false;
                let mut memory = context.memory_charge("an IN (SELECT ...) set");
                while let Some(row) = operator.next(context)? {
                    memory.add_row(&row)?;
                    let mut value = row.into_iter().next().unwrap_or(Value::Null);
                    if let Some(affinity) = affinity {
                        value = super::apply_affinity(value, *affinity);
                    }
                    let value = collation.key(value);
                    if value.is_null() {
                        has_null = true;
                    } else {
                        context.check_rows(keys.len())?;
                        keys.insert(KeyValue::new(&value));
                    }
                }
                SubqueryResult::Set { keys, has_null }
            }
            SubqueryKind::InRow {
                affinities,
                collations,
                ..
            } => SubqueryResult::Rows(super::row_in::RowSet::collect(
                operator, context, affinities, collations,
            )?),
        })
    }
}

/// `value [NOT] IN set` with SQL's NULL rules: a match is TRUE; no match is FALSE unless
/// the value is NULL or the set holds a NULL, which make it NULL; an empty set is FALSE.
fn in_result(
    value: &Value,
    keys: &HashSet<KeyValue, FastBuildHasher>,
    has_null: bool,
    negated: bool,
) -> Value {
    if keys.is_empty() && !has_null {
        return Value::Boolean(negated);
    }
    if value.is_null() {
        return Value::Null;
    }
    if keys.contains(&KeyValue::new(value)) {
        return Value::Boolean(!negated);
    }
    if has_null {
        Value::Null
    } else {
        Value::Boolean(negated)
    }
}

/// The set of an uncorrelated `x [NOT] IN (SELECT ..)`, shared with the statement's cache:
/// a compiled predicate tests each row's value against it (`InSet::truth`).
#[derive(Clone)]
pub struct InSet {
    result: Arc<SubqueryResult>,
    negated: bool,
}

impl fmt::Debug for InSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = if self.negated { "NOT " } else { "" };
        write!(f, "{not}IN (subquery set)")
    }
}

impl InSet {
    /// `value [NOT] IN set` as `SubqueryExpr::eval` answers it: `None` for NULL.
    #[inline]
    pub fn truth(&self, value: &Value) -> Option<bool> {
        let SubqueryResult::Set { keys, has_null } = self.result.as_ref() else {
            debug_assert!(false, "an InSet holds a set (SubqueryExpr::in_set)");
            return None;
        };
        match in_result(value, keys, *has_null, self.negated) {
            Value::Boolean(truth) => Some(truth),
            _ => None,
        }
    }
}
