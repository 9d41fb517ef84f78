//! The query-shape workloads over the tables of `tables.rs`: R1-Q6, whose answers are
//! computed here from the generated data (`expect.rs`), and the shapes checked against
//! SQLite (`SQLITE_CHECKED`: writes, pagination, grouping, LIKE, DISTINCT, a correlated
//! subquery, a join with ORDER BY .. LIMIT), whose answers a private SQLite database holding
//! the same rows gives (`expect::Oracle`). Each runs its statement a number of times with
//! varying parameters; the measured part is one `#[inline(never)]` function per workload
//! named `timed_<id>_...` (callgrind: `--toggle-collect='*timed_<id>_*'`). A workload may
//! have statements around each run (a reload before a DELETE, a DROP INDEX after a CREATE
//! INDEX, a query reading what a write left): they run outside the measured part. Every
//! answer is checked after the timing, so a broken engine cannot post a number.

use std::time::{Duration, Instant};

use crate::engine::{BenchError, BenchResult, Cell, Param, RowSum, Session};
use crate::expect::{self, Fixture};
use crate::sql::Query;
use crate::tables::{mix, Table, SHIPDATE_DAYS};
use crate::workloads::Sizes;

/// Rows of one query's answer.
pub type Answer = Vec<Vec<Cell>>;

/// The measured part of a query-shape workload.
pub type TimedFn = fn(&mut dyn Session, &[Vec<Param>]) -> BenchResult<Vec<Answer>>;

/// How a workload's answers are checked.
#[derive(Clone, Copy)]
pub enum Check {
    /// Against the answer computed from the generated rows; the error says what is wrong.
    Computed(fn(usize, &[Param], &Answer, &Fixture) -> Result<(), String>),
    /// Against SQLite's answer to the same statements on the same rows; `ordered`: the
    /// rows' order is part of the answer (an ORDER BY), else they are compared as a set.
    Sqlite { ordered: bool },
}

/// What the measured statement gives: its rows, the count of rows it changed (as one row
/// of one integer), or nothing (DDL: SQLite's change count is not reset by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gives {
    Rows,
    Changes,
    Nothing,
}

/// Statements run around each run of a workload, outside the measured part.
#[derive(Clone, Copy)]
pub struct Around {
    /// Run before each run (no parameters).
    pub before: &'static [Query],
    /// A query run after each run; its rows are appended to the run's answer.
    pub verify: Option<Query>,
    /// Run after `verify` (no parameters).
    pub after: &'static [Query],
}

impl Around {
    pub const NOTHING: Around = Around {
        before: &[],
        verify: None,
        after: &[],
    };

    fn is_nothing(&self) -> bool {
        self.before.is_empty() && self.verify.is_none() && self.after.is_empty()
    }
}

/// One query-shape workload.
pub struct Workload {
    pub id: &'static str,
    pub label: &'static str,
    pub tables: &'static [Table],
    /// How many times the statement runs (the operations of ops/s).
    pub runs: fn(&Sizes) -> usize,
    /// The parameters of run `i`.
    pub params: fn(usize, &Fixture) -> Vec<Param<'static>>,
    /// The statement measured (S1 reads it through `Session::point_row`).
    pub statement: Query,
    pub gives: Gives,
    /// The measured part: runs the workload's statement with each parameter list. Each
    /// workload has its own function (distinct bodies, so the compiler cannot merge them
    /// into one symbol).
    pub timed: TimedFn,
    pub around: Around,
    pub check: Check,
}

impl Workload {
    /// Runs and checks the workload; returns queries per second.
    pub fn run(&self, session: &mut dyn Session, fixture: &Fixture) -> BenchResult<f64> {
        let runs = (self.runs)(&fixture.sizes);
        let params: Vec<Vec<Param>> = (0..runs).map(|i| (self.params)(i, fixture)).collect();
        let (answers, elapsed) = if self.around.is_nothing() {
            let started = Instant::now();
            let answers = (self.timed)(session, &params)?;
            (answers, started.elapsed())
        } else {
            let mut answers = Vec::with_capacity(runs);
            let mut elapsed = Duration::ZERO;
            for run in params.chunks(1) {
                self.before(session)?;
                let started = Instant::now();
                let answer = (self.timed)(session, run)?;
                elapsed += started.elapsed();
                answers.extend(answer);
                if let Some(answer) = answers.last_mut() {
                    self.after(session, answer)?;
                }
            }
            (answers, elapsed)
        };
        let seconds = elapsed.as_secs_f64().max(1e-9);
        for (i, answer) in answers.iter().enumerate() {
            let checked = match self.check {
                Check::Computed(check) => check(i, &params[i], answer, fixture),
                Check::Sqlite { ordered } => {
                    fixture.check_against_sqlite(self, i, &params[i], answer, ordered)
                }
            };
            checked
                .map_err(|message| BenchError::Failed(format!("{} run {i}: {message}", self.id)))?;
        }
        Ok(runs as f64 / seconds)
    }

    /// The statements before a run.
    fn before(&self, session: &mut dyn Session) -> BenchResult<()> {
        for query in self.around.before {
            session.execute(*query, &[])?;
        }
        Ok(())
    }

    /// The verifying query (its rows appended to `answer`) and the statements after a run.
    fn after(&self, session: &mut dyn Session, answer: &mut Answer) -> BenchResult<()> {
        if let Some(query) = self.around.verify {
            answer.extend(session.query(query, &[])?);
        }
        for query in self.around.after {
            session.execute(*query, &[])?;
        }
        Ok(())
    }

    /// One run with the statements around it, untimed: what the SQLite oracle answers.
    pub fn answer(&self, session: &mut dyn Session, params: &[Param]) -> BenchResult<Answer> {
        self.before(session)?;
        let mut answer = match self.gives {
            Gives::Rows => session.query(self.statement, params)?,
            Gives::Changes => changes(session.execute(self.statement, params)?),
            Gives::Nothing => {
                session.execute(self.statement, params)?;
                Vec::new()
            }
        };
        self.after(session, &mut answer)?;
        Ok(answer)
    }
}

/// The answer of a statement that changed `count` rows.
fn changes(count: usize) -> Answer {
    vec![vec![Cell::Int(count as i64)]]
}

/// Runs `query` once per parameter list (the body of every `timed_*` function).
#[inline(always)]
fn run_all(
    session: &mut dyn Session,
    query: Query,
    params: &[Vec<Param>],
) -> BenchResult<Vec<Answer>> {
    params
        .iter()
        .map(|params| session.query(query, params))
        .collect()
}

macro_rules! timed {
    ($name:ident, $query:expr) => {
        #[inline(never)]
        fn $name(session: &mut dyn Session, params: &[Vec<Param>]) -> BenchResult<Vec<Answer>> {
            run_all(session, $query, params)
        }
    };
}

/// A measured function that runs a write once per parameter list; each answer is the count
/// of rows it changed.
macro_rules! timed_write {
    ($name:ident, $query:expr) => {
        #[inline(never)]
        fn $name(session: &mut dyn Session, params: &[Vec<Param>]) -> BenchResult<Vec<Answer>> {
            params
                .iter()
                .map(|params| Ok(changes(session.execute($query, params)?)))
                .collect()
        }
    };
}

timed!(timed_r1_range_unindexed, Query::RangeUnindexed);
timed!(timed_r2_range_indexed, Query::RangeIndexed);
timed!(timed_k1_top_k, Query::TopK);
timed!(timed_k2_top_k_indexed, Query::TopKIndexed);
timed!(timed_j1_key_join, Query::KeyJoin);
timed!(timed_j2_equi_join, Query::EquiJoin);
timed!(timed_g2_group_by_text, Query::GroupByText);
timed!(timed_j3_star_join, Query::StarJoin);
timed!(timed_q1_tpch, Query::TpchQ1);
timed!(timed_q6_tpch, Query::TpchQ6);
timed_write!(timed_d1_delete_all, Query::DeleteP2);
timed_write!(timed_i1_insert_select, Query::CopyP);
/// I2's measured part: the CREATE INDEX, once per parameter list (no answer of its own).
#[inline(never)]
fn timed_i2_create_index(
    session: &mut dyn Session,
    params: &[Vec<Param>],
) -> BenchResult<Vec<Answer>> {
    params
        .iter()
        .map(|params| {
            session.execute(Query::CreateIndexName, params)?;
            Ok(Vec::new())
        })
        .collect()
}
timed!(timed_p1_page_indexed, Query::PageIndexed);
timed!(timed_p2_page_unindexed, Query::PageUnindexed);
timed!(timed_g3_group_two_having, Query::GroupByTwo);
timed!(timed_l1_like_infix, Query::LikeInfix);
timed!(timed_d2_count_distinct, Query::CountDistinct);
timed!(timed_c1_correlated, Query::Correlated);
timed!(timed_c2_correlated_every_row, Query::CorrelatedEveryRow);
timed!(timed_j4_join_top_k, Query::JoinTopK);

/// S1's measured part: point selects through the secondary index, each row folded.
#[inline(never)]
fn timed_s1_secondary_point(
    session: &mut dyn Session,
    params: &[Vec<Param>],
) -> BenchResult<Vec<Answer>> {
    let mut rows: Vec<Option<RowSum>> = Vec::with_capacity(params.len());
    for params in params {
        let Some(&Param::Int(key)) = params.first() else {
            return Err(BenchError::Failed("S1 takes one integer key".into()));
        };
        rows.push(session.point_row(Query::SecondaryPoint, key)?);
    }
    // Outside the loop: the answers in the common shape for the checks.
    Ok(rows.into_iter().map(expect::row_sum_answer).collect())
}

fn scans(sizes: &Sizes) -> usize {
    sizes.scan_runs
}

fn ranges(sizes: &Sizes) -> usize {
    sizes.range_runs
}

fn tpch(sizes: &Sizes) -> usize {
    sizes.tpch_runs
}

fn secondary(sizes: &Sizes) -> usize {
    sizes.secondary_selects
}

/// Runs of each write (D1, I1, I2): each copies, empties or indexes a whole table.
fn writes(sizes: &Sizes) -> usize {
    (sizes.scan_runs / 4).max(2)
}

/// Runs of each pagination (P1, P2).
fn pages(sizes: &Sizes) -> usize {
    sizes.scan_runs * 10
}

/// G3's HAVING bound: the mean group size (rows over 50 cities x 60 ages), so about half
/// the groups pass.
fn having_bound(_: usize, fixture: &Fixture) -> Vec<Param<'static>> {
    vec![Param::Int((fixture.sizes.rows / 3_000) as i64)]
}

/// D2's lowest age: 18 to 53.
fn age_floor(i: usize, _: &Fixture) -> Vec<Param<'static>> {
    vec![Param::Int(18 + (i as i64 * 5) % 36)]
}

/// C1's outer rows: 1% of `u`'s keys, from a scattered start.
fn outer_keys(i: usize, fixture: &Fixture) -> Vec<Param<'static>> {
    let rows = fixture.sizes.rows as u64;
    let width = (rows / 100).max(1) as i64;
    let low = 1 + (mix(i as u64 ^ 0xC1) % rows) as i64;
    vec![Param::Int(low), Param::Int(low + width - 1)]
}

/// J4's lowest order quantity: 3 to 7 (of 1 to 10).
fn qty_floor(i: usize, _: &Fixture) -> Vec<Param<'static>> {
    vec![Param::Int(3 + i as i64 % 5)]
}

fn no_params(_: usize, _: &Fixture) -> Vec<Param<'static>> {
    Vec::new()
}

fn age_bounds(i: usize, _: &Fixture) -> Vec<Param<'static>> {
    let low = 18 + (i as i64 * 7) % 50;
    vec![Param::Int(low), Param::Int(low + 10)]
}

fn k_bounds(i: usize, fixture: &Fixture) -> Vec<Param<'static>> {
    let rows = fixture.sizes.rows as u64;
    let width = (rows / 200).max(1) as i64;
    let low = 1 + (mix(i as u64 ^ 0x4A4B) % rows) as i64;
    vec![Param::Int(low), Param::Int(low + width - 1)]
}

fn k_key(i: usize, fixture: &Fixture) -> Vec<Param<'static>> {
    let rows = fixture.sizes.rows as u64;
    vec![Param::Int(1 + (mix(i as u64 ^ 0x51) % rows) as i64)]
}

fn q1_cutoff(i: usize, _: &Fixture) -> Vec<Param<'static>> {
    vec![Param::Int(SHIPDATE_DAYS - 90 - (i as i64 % 10))]
}

fn q6_window(i: usize, _: &Fixture) -> Vec<Param<'static>> {
    let low = 365 * (i as i64 % 6);
    let discount = (4 + (i as i64 % 5)) as f64 / 100.0;
    vec![
        Param::Int(low),
        Param::Int(low + 365),
        Param::Real(discount - 0.01),
        Param::Real(discount + 0.01),
        Param::Real(24.0),
    ]
}

/// Every query-shape workload, in the order they run and print.
pub const WORKLOADS: [Workload; 22] = [
    Workload {
        id: "R1",
        label: "R1 range sum, unindexed col (queries/s)",
        tables: &[Table::U],
        runs: scans,
        params: age_bounds,
        statement: Query::RangeUnindexed,
        gives: Gives::Rows,
        timed: timed_r1_range_unindexed,
        around: Around::NOTHING,
        check: Check::Computed(expect::range_unindexed),
    },
    Workload {
        id: "R2",
        label: "R2 range via CREATE INDEX, 0.5% (queries/s)",
        tables: &[Table::R],
        runs: ranges,
        params: k_bounds,
        statement: Query::RangeIndexed,
        gives: Gives::Rows,
        timed: timed_r2_range_indexed,
        around: Around::NOTHING,
        check: Check::Computed(expect::range_indexed),
    },
    Workload {
        id: "K1",
        label: "K1 ORDER BY score DESC LIMIT 10 (queries/s)",
        tables: &[Table::U],
        runs: scans,
        params: no_params,
        statement: Query::TopK,
        gives: Gives::Rows,
        timed: timed_k1_top_k,
        around: Around::NOTHING,
        check: Check::Computed(expect::top_k),
    },
    Workload {
        id: "K2",
        label: "K2 ORDER BY indexed k DESC LIMIT 10 (q/s)",
        tables: &[Table::R],
        runs: ranges,
        params: no_params,
        statement: Query::TopKIndexed,
        gives: Gives::Rows,
        timed: timed_k2_top_k_indexed,
        around: Around::NOTHING,
        check: Check::Computed(expect::top_k_indexed),
    },
    Workload {
        id: "J1",
        label: "J1 join o to u on u's key (queries/s)",
        tables: &[Table::U, Table::O],
        runs: scans,
        params: no_params,
        statement: Query::KeyJoin,
        gives: Gives::Rows,
        timed: timed_j1_key_join,
        around: Around::NOTHING,
        check: Check::Computed(expect::join),
    },
    Workload {
        id: "J2",
        label: "J2 equi-join, unindexed cols (queries/s)",
        tables: &[Table::U, Table::O],
        runs: scans,
        params: no_params,
        statement: Query::EquiJoin,
        gives: Gives::Rows,
        timed: timed_j2_equi_join,
        around: Around::NOTHING,
        check: Check::Computed(expect::join),
    },
    Workload {
        id: "G2",
        label: "G2 GROUP BY TEXT city (queries/s)",
        tables: &[Table::U],
        runs: scans,
        params: no_params,
        statement: Query::GroupByText,
        gives: Gives::Rows,
        timed: timed_g2_group_by_text,
        around: Around::NOTHING,
        check: Check::Computed(expect::group_by_city),
    },
    Workload {
        id: "J3",
        label: "J3 3-table join + GROUP BY (queries/s)",
        tables: &[Table::U, Table::O, Table::C],
        runs: scans,
        params: no_params,
        statement: Query::StarJoin,
        gives: Gives::Rows,
        timed: timed_j3_star_join,
        around: Around::NOTHING,
        check: Check::Computed(expect::star_join),
    },
    Workload {
        id: "S1",
        label: "S1 point select via secondary index",
        tables: &[Table::R],
        runs: secondary,
        params: k_key,
        statement: Query::SecondaryPoint,
        gives: Gives::Rows,
        timed: timed_s1_secondary_point,
        around: Around::NOTHING,
        check: Check::Computed(expect::secondary_point),
    },
    Workload {
        id: "Q1",
        label: "Q1 TPC-H Q1-like (queries/s)",
        tables: &[Table::Lineitem],
        runs: tpch,
        params: q1_cutoff,
        statement: Query::TpchQ1,
        gives: Gives::Rows,
        timed: timed_q1_tpch,
        around: Around::NOTHING,
        check: Check::Computed(expect::tpch_q1),
    },
    Workload {
        id: "Q6",
        label: "Q6 TPC-H Q6-like (queries/s)",
        tables: &[Table::Lineitem],
        runs: tpch,
        params: q6_window,
        statement: Query::TpchQ6,
        gives: Gives::Rows,
        timed: timed_q6_tpch,
        around: Around::NOTHING,
        check: Check::Computed(expect::tpch_q6),
    },
    Workload {
        id: "D1",
        label: "D1 DELETE FROM p2, no WHERE (stmts/s)",
        tables: &[Table::P, Table::P2],
        runs: writes,
        params: no_params,
        statement: Query::DeleteP2,
        gives: Gives::Changes,
        timed: timed_d1_delete_all,
        around: Around {
            before: &[Query::DeleteP2, Query::CopyP],
            verify: Some(Query::SumP2),
            after: &[],
        },
        check: Check::Sqlite { ordered: false },
    },
    Workload {
        id: "I1",
        label: "I1 INSERT INTO p2 SELECT * FROM p (stmts/s)",
        tables: &[Table::P, Table::P2],
        runs: writes,
        params: no_params,
        statement: Query::CopyP,
        gives: Gives::Changes,
        timed: timed_i1_insert_select,
        around: Around {
            before: &[Query::DeleteP2],
            verify: Some(Query::SumP2),
            after: &[],
        },
        check: Check::Sqlite { ordered: false },
    },
    Workload {
        id: "I2",
        label: "I2 CREATE INDEX on TEXT name (stmts/s)",
        tables: &[Table::P],
        runs: writes,
        params: no_params,
        statement: Query::CreateIndexName,
        gives: Gives::Nothing,
        timed: timed_i2_create_index,
        around: Around {
            before: &[],
            verify: Some(Query::NameRange),
            after: &[Query::DropIndexName],
        },
        check: Check::Sqlite { ordered: false },
    },
    Workload {
        id: "P1",
        label: "P1 ORDER BY indexed LIMIT 20 OFFSET 10k (q/s)",
        tables: &[Table::P],
        runs: pages,
        params: no_params,
        statement: Query::PageIndexed,
        gives: Gives::Rows,
        timed: timed_p1_page_indexed,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: true },
    },
    Workload {
        id: "P2",
        label: "P2 ORDER BY unindexed LIMIT 20 OFFSET 10k (q/s)",
        tables: &[Table::P],
        runs: pages,
        params: no_params,
        statement: Query::PageUnindexed,
        gives: Gives::Rows,
        timed: timed_p2_page_unindexed,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: true },
    },
    Workload {
        id: "G3",
        label: "G3 GROUP BY two cols HAVING (queries/s)",
        tables: &[Table::P],
        runs: scans,
        params: having_bound,
        statement: Query::GroupByTwo,
        gives: Gives::Rows,
        timed: timed_g3_group_two_having,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: false },
    },
    Workload {
        id: "L1",
        label: "L1 LIKE '%son%' count (queries/s)",
        tables: &[Table::P],
        runs: scans,
        params: no_params,
        statement: Query::LikeInfix,
        gives: Gives::Rows,
        timed: timed_l1_like_infix,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: false },
    },
    Workload {
        id: "D2",
        label: "D2 COUNT(DISTINCT zip) (queries/s)",
        tables: &[Table::P],
        runs: scans,
        params: age_floor,
        statement: Query::CountDistinct,
        gives: Gives::Rows,
        timed: timed_d2_count_distinct,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: false },
    },
    Workload {
        id: "C1",
        label: "C1 correlated scalar subquery (queries/s)",
        tables: &[Table::U, Table::O],
        runs: scans,
        params: outer_keys,
        statement: Query::Correlated,
        gives: Gives::Rows,
        timed: timed_c1_correlated,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: true },
    },
    Workload {
        id: "C2",
        label: "C2 correlated subquery on every row (queries/s)",
        tables: &[Table::U, Table::O],
        runs: writes,
        params: no_params,
        statement: Query::CorrelatedEveryRow,
        gives: Gives::Rows,
        timed: timed_c2_correlated_every_row,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: false },
    },
    Workload {
        id: "J4",
        label: "J4 3-table join, filter, ORDER BY, LIMIT (q/s)",
        tables: &[Table::U, Table::O, Table::C],
        runs: scans,
        params: qty_floor,
        statement: Query::JoinTopK,
        gives: Gives::Rows,
        timed: timed_j4_join_top_k,
        around: Around::NOTHING,
        check: Check::Sqlite { ordered: true },
    },
];
