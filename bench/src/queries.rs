//! The query-shape workloads (R1, R2, K1, K2, J1, J2, G2, J3, S1, Q1, Q6) over the tables of
//! `tables.rs`. Each runs its statement a number of times with varying parameters; the
//! measured part is one `#[inline(never)]` function per workload named `timed_<id>_...`
//! (callgrind: `--toggle-collect='*timed_<id>_*'`), and every answer is checked afterwards
//! against the one computed here from the generated data (`expect.rs`), so a broken engine
//! cannot post a number.

use std::time::Instant;

use crate::engine::{BenchError, BenchResult, Cell, Param, RowSum, Session};
use crate::expect::{self, Fixture};
use crate::sql::Query;
use crate::tables::{mix, Table, SHIPDATE_DAYS};
use crate::workloads::Sizes;

/// Rows of one query's answer.
pub type Answer = Vec<Vec<Cell>>;

/// The measured part of a query-shape workload.
pub type TimedFn = fn(&mut dyn Session, &[Vec<Param>]) -> BenchResult<Vec<Answer>>;

/// One query-shape workload.
pub struct Workload {
    pub id: &'static str,
    pub label: &'static str,
    pub tables: &'static [Table],
    /// How many times the statement runs (the operations of ops/s).
    pub runs: fn(&Sizes) -> usize,
    /// The parameters of run `i`.
    pub params: fn(usize, &Fixture) -> Vec<Param<'static>>,
    /// The measured part: runs the workload's statement with each parameter list. Each
    /// workload has its own function (distinct bodies, so the compiler cannot merge them
    /// into one symbol).
    pub timed: TimedFn,
    /// Checks run `i`'s answer; the error says what is wrong.
    pub check: fn(usize, &[Param], &Answer, &Fixture) -> Result<(), String>,
}

impl Workload {
    /// Runs and checks the workload; returns queries per second.
    pub fn run(&self, session: &mut dyn Session, fixture: &Fixture) -> BenchResult<f64> {
        let runs = (self.runs)(&fixture.sizes);
        let params: Vec<Vec<Param>> = (0..runs).map(|i| (self.params)(i, fixture)).collect();
        let started = Instant::now();
        let answers = (self.timed)(session, &params)?;
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        for (i, answer) in answers.iter().enumerate() {
            (self.check)(i, &params[i], answer, fixture)
                .map_err(|message| BenchError::Failed(format!("{} run {i}: {message}", self.id)))?;
        }
        Ok(runs as f64 / seconds)
    }
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
pub const WORKLOADS: [Workload; 11] = [
    Workload {
        id: "R1",
        label: "R1 range sum, unindexed col (queries/s)",
        tables: &[Table::U],
        runs: scans,
        params: age_bounds,
        timed: timed_r1_range_unindexed,
        check: expect::range_unindexed,
    },
    Workload {
        id: "R2",
        label: "R2 range via CREATE INDEX, 0.5% (queries/s)",
        tables: &[Table::R],
        runs: ranges,
        params: k_bounds,
        timed: timed_r2_range_indexed,
        check: expect::range_indexed,
    },
    Workload {
        id: "K1",
        label: "K1 ORDER BY score DESC LIMIT 10 (queries/s)",
        tables: &[Table::U],
        runs: scans,
        params: no_params,
        timed: timed_k1_top_k,
        check: expect::top_k,
    },
    Workload {
        id: "K2",
        label: "K2 ORDER BY indexed k DESC LIMIT 10 (q/s)",
        tables: &[Table::R],
        runs: ranges,
        params: no_params,
        timed: timed_k2_top_k_indexed,
        check: expect::top_k_indexed,
    },
    Workload {
        id: "J1",
        label: "J1 join o to u on u's key (queries/s)",
        tables: &[Table::U, Table::O],
        runs: scans,
        params: no_params,
        timed: timed_j1_key_join,
        check: expect::join,
    },
    Workload {
        id: "J2",
        label: "J2 equi-join, unindexed cols (queries/s)",
        tables: &[Table::U, Table::O],
        runs: scans,
        params: no_params,
        timed: timed_j2_equi_join,
        check: expect::join,
    },
    Workload {
        id: "G2",
        label: "G2 GROUP BY TEXT city (queries/s)",
        tables: &[Table::U],
        runs: scans,
        params: no_params,
        timed: timed_g2_group_by_text,
        check: expect::group_by_city,
    },
    Workload {
        id: "J3",
        label: "J3 3-table join + GROUP BY (queries/s)",
        tables: &[Table::U, Table::O, Table::C],
        runs: scans,
        params: no_params,
        timed: timed_j3_star_join,
        check: expect::star_join,
    },
    Workload {
        id: "S1",
        label: "S1 point select via secondary index",
        tables: &[Table::R],
        runs: secondary,
        params: k_key,
        timed: timed_s1_secondary_point,
        check: expect::secondary_point,
    },
    Workload {
        id: "Q1",
        label: "Q1 TPC-H Q1-like (queries/s)",
        tables: &[Table::Lineitem],
        runs: tpch,
        params: q1_cutoff,
        timed: timed_q1_tpch,
        check: expect::tpch_q1,
    },
    Workload {
        id: "Q6",
        label: "Q6 TPC-H Q6-like (queries/s)",
        tables: &[Table::Lineitem],
        runs: tpch,
        params: q6_window,
        timed: timed_q6_tpch,
        check: expect::tpch_q6,
    },
];
