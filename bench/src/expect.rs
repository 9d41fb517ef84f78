//! The answers the workloads must give and the checks that compare an engine's answer with
//! them: computed in plain Rust from the generated rows of `tables.rs` (`Fixture`), or, for
//! the workloads checked against SQLite, SQLite's answer on a private `:memory:` database
//! loaded with the same rows (`Oracle`), each asked once and kept. Numbers are compared
//! with a relative tolerance of 1e-9 (sums of arbitrary doubles depend on their order).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::engine::{BenchResult, Cell, Param, RowSum, Session};
use crate::queries::{Answer, Workload};
use crate::tables::{
    city_name, r_note, r_value, region_name, LineRow, ORow, Permutation, Table, URow, CITIES,
    REGIONS,
};
use crate::workloads::Sizes;

/// The sizes and the precomputed answers of one run of the bench.
pub struct Fixture {
    pub sizes: Sizes,
    /// `(count, sum(score))` of `u` by age.
    by_age: Vec<(i64, f64)>,
    /// The ten highest scores of `u`, highest first.
    top_scores: Vec<f64>,
    /// G2's answer, by city.
    by_city: Vec<Vec<Cell>>,
    /// J1's and J2's answer (each order matches exactly one row of `u`).
    join: Vec<Cell>,
    /// J3's answer, by region.
    by_region: Vec<Vec<Cell>>,
    /// The id of `r` of each `k` (`r_ids[k - 1]`).
    r_ids: Vec<u32>,
    lines: Vec<LineRow>,
    /// SQLite holding the tables of the workloads checked against it, or why it could not
    /// be loaded.
    oracle: Result<Mutex<Oracle>, String>,
}

/// A private SQLite database with the same rows, and the answers it gave, by workload id
/// and run.
pub struct Oracle {
    session: Box<dyn Session>,
    answers: HashMap<(&'static str, usize), Answer>,
}

impl Oracle {
    fn load(sizes: &Sizes, tables: &[Table]) -> BenchResult<Oracle> {
        let mut session = crate::sqlite_engine::private_session()?;
        for table in tables {
            crate::tables::load(
                session.as_mut(),
                *table,
                sizes.rows,
                sizes.orders,
                sizes.lineitems,
            )?;
        }
        Ok(Oracle {
            session,
            answers: HashMap::new(),
        })
    }
}

impl Fixture {
    /// The answers for the workloads over `tables`; `oracle_tables` are loaded into SQLite
    /// for the workloads checked against it.
    pub fn new(sizes: Sizes, tables: &[Table], oracle_tables: &[Table]) -> Fixture {
        let oracle = Oracle::load(&sizes, oracle_tables)
            .map(Mutex::new)
            .map_err(|error| format!("SQLite could not load the tables: {error}"));
        let mut fixture = Fixture {
            sizes,
            by_age: Vec::new(),
            top_scores: Vec::new(),
            by_city: Vec::new(),
            join: Vec::new(),
            by_region: Vec::new(),
            r_ids: Vec::new(),
            lines: Vec::new(),
            oracle,
        };
        if tables.contains(&Table::U) {
            fixture.compute_u();
        }
        if tables.contains(&Table::O) {
            fixture.compute_joins();
        }
        if tables.contains(&Table::R) {
            fixture.r_ids = Permutation::new(sizes.rows).inverse();
        }
        if tables.contains(&Table::Lineitem) {
            fixture.lines = (1..=sizes.lineitems as i64).map(LineRow::new).collect();
        }
        fixture
    }

    fn compute_u(&mut self) {
        self.by_age = vec![(0, 0.0); 100];
        let mut by_city = vec![(0i64, 0.0f64); CITIES as usize];
        let mut scores = Vec::with_capacity(self.sizes.rows);
        for id in 1..=self.sizes.rows as i64 {
            let (age, score, city) = (
                crate::data::Person::age_of(id),
                URow::score_of(id),
                URow::city_of(id),
            );
            self.by_age[age as usize].0 += 1;
            self.by_age[age as usize].1 += score;
            by_city[city as usize].0 += 1;
            by_city[city as usize].1 += score;
            scores.push(score);
        }
        scores.sort_by(|a, b| b.total_cmp(a));
        scores.truncate(10);
        self.top_scores = scores;
        self.by_city = by_city
            .into_iter()
            .enumerate()
            .filter(|(_, (count, _))| *count > 0)
            .map(|(city, (count, sum))| {
                vec![
                    Cell::Text(city_name(city as i64)),
                    Cell::Int(count),
                    Cell::Real(sum),
                ]
            })
            .collect();
    }

    fn compute_joins(&mut self) {
        let mut sum = 0.0;
        let mut by_region = vec![(0i64, 0i64); REGIONS as usize];
        for id in 1..=self.sizes.orders as i64 {
            let order = ORow::new(id, self.sizes.rows);
            sum += URow::score_of(order.tid);
            let region = (URow::city_of(order.tid) % REGIONS) as usize;
            by_region[region].0 += 1;
            by_region[region].1 += order.qty;
        }
        self.join = vec![Cell::Int(self.sizes.orders as i64), Cell::Real(sum)];
        self.by_region = by_region
            .into_iter()
            .enumerate()
            .filter(|(_, (count, _))| *count > 0)
            .map(|(region, (count, qty))| {
                vec![
                    Cell::Text(region_name(region as i64)),
                    Cell::Int(count),
                    Cell::Int(qty),
                ]
            })
            .collect();
    }
}

impl Fixture {
    /// Compares run `run` of `workload` (parameters `params`) with SQLite's answer to the
    /// same statements on the same rows; `ordered`: row order matters.
    pub fn check_against_sqlite(
        &self,
        workload: &Workload,
        run: usize,
        params: &[Param],
        answer: &Answer,
        ordered: bool,
    ) -> Result<(), String> {
        let oracle = self.oracle.as_ref().map_err(String::clone)?;
        let mut oracle = oracle.lock().unwrap_or_else(|poison| poison.into_inner());
        let key = (workload.id, run);
        if !oracle.answers.contains_key(&key) {
            let want = workload
                .answer(oracle.session.as_mut(), params)
                .map_err(|error| format!("SQLite's answer: {error}"))?;
            oracle.answers.insert(key, want);
        }
        let want = &oracle.answers[&key];
        if ordered {
            compare(answer, want)
        } else {
            compare_unordered(answer, want)
        }
    }
}

/// Whether two cells agree: numbers by value (an integer-valued REAL equals the INTEGER;
/// within a relative 1e-9), everything else exactly.
fn same(got: &Cell, want: &Cell) -> bool {
    match (got.number(), want.number()) {
        (Some(got), Some(want)) => (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        _ => got == want,
    }
}

fn compare(got: &[Vec<Cell>], want: &[Vec<Cell>]) -> Result<(), String> {
    let equal = got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| g.len() == w.len() && g.iter().zip(w).all(|(a, b)| same(a, b)));
    if equal {
        Ok(())
    } else {
        let shown = |rows: &[Vec<Cell>]| format!("{:?}", rows.iter().take(3).collect::<Vec<_>>());
        Err(format!(
            "{} rows {}, want {} rows {}",
            got.len(),
            shown(got),
            want.len(),
            shown(want)
        ))
    }
}

/// A total order of cells: NULL, numbers (by value), texts, blobs.
fn cell_order(a: &Cell, b: &Cell) -> std::cmp::Ordering {
    let rank = |cell: &Cell| match cell {
        Cell::Null => 0,
        Cell::Int(_) | Cell::Real(_) => 1,
        Cell::Text(_) => 2,
        Cell::Blob(_) => 3,
    };
    match (a, b) {
        (Cell::Text(a), Cell::Text(b)) => a.cmp(b),
        (Cell::Blob(a), Cell::Blob(b)) => a.cmp(b),
        _ => match (a.number(), b.number()) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

/// `rows` in the order of their cells (for answers whose row order is not defined).
fn sorted(rows: &[Vec<Cell>]) -> Vec<Vec<Cell>> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(a, b)| cell_order(a, b))
            .find(|order| order.is_ne())
            .unwrap_or(a.len().cmp(&b.len()))
    });
    rows
}

/// `got` against `want` as sets of rows (GROUP BY without ORDER BY).
pub fn compare_unordered(got: &[Vec<Cell>], want: &[Vec<Cell>]) -> Result<(), String> {
    compare(&sorted(got), &sorted(want))
}

/// W4's answer over `t`: `(age, count, avg(score))` per age, after W3's updates when
/// `updated` (W3 and W3H set the same scores).
pub fn group_by_age(sizes: &Sizes, updated: bool) -> Vec<Vec<Cell>> {
    let mut scores: Vec<f64> = (0..=sizes.rows as i64)
        .map(crate::data::Person::score_of)
        .collect();
    if updated {
        let mut rng = crate::data::Rng::new(crate::workloads::W3_SEED);
        for _ in 0..sizes.updates {
            let (id, score) = crate::workloads::w3_next(&mut rng, sizes.rows);
            scores[id as usize] = score;
        }
    }
    let mut groups = vec![(0i64, 0.0f64); 100];
    for id in 1..=sizes.rows as i64 {
        let group = &mut groups[crate::data::Person::age_of(id) as usize];
        group.0 += 1;
        group.1 += scores[id as usize];
    }
    groups
        .into_iter()
        .enumerate()
        .filter(|(_, (count, _))| *count > 0)
        .map(|(age, (count, sum))| {
            vec![
                Cell::Int(age as i64),
                Cell::Int(count),
                Cell::Real(sum / count as f64),
            ]
        })
        .collect()
}

fn int(params: &[Param], index: usize) -> i64 {
    match params.get(index) {
        Some(Param::Int(value)) => *value,
        other => panic!("parameter {index} is {other:?}, not an integer"),
    }
}

fn real(params: &[Param], index: usize) -> f64 {
    match params.get(index) {
        Some(Param::Real(value)) => *value,
        other => panic!("parameter {index} is {other:?}, not a real"),
    }
}

pub fn range_unindexed(
    _: usize,
    params: &[Param],
    answer: &Answer,
    fx: &Fixture,
) -> Result<(), String> {
    let (low, high) = (int(params, 0), int(params, 1));
    let (count, sum) = fx.by_age[low as usize..=high as usize]
        .iter()
        .fold((0, 0.0), |(c, s), (count, sum)| (c + count, s + sum));
    let sum = if count == 0 {
        Cell::Null
    } else {
        Cell::Real(sum)
    };
    compare(answer, &[vec![Cell::Int(count), sum]])
}

pub fn range_indexed(
    _: usize,
    params: &[Param],
    answer: &Answer,
    fx: &Fixture,
) -> Result<(), String> {
    let (low, high) = (int(params, 0), int(params, 1).min(fx.r_ids.len() as i64));
    let (mut count, mut sum) = (0i64, 0.0);
    for k in low..=high {
        count += 1;
        sum += r_value(i64::from(fx.r_ids[k as usize - 1]));
    }
    let sum = if count == 0 {
        Cell::Null
    } else {
        Cell::Real(sum)
    };
    compare(answer, &[vec![Cell::Int(count), sum]])
}

/// K1: the ten highest scores in order, each on its own row of `u` (ties may pick any row).
pub fn top_k(_: usize, _: &[Param], answer: &Answer, fx: &Fixture) -> Result<(), String> {
    let mut scores = Vec::new();
    for row in answer {
        let Some(Cell::Int(id)) = row.first() else {
            return Err(format!("row {row:?} has no integer id"));
        };
        let want = URow::new(*id);
        let want_row = vec![
            Cell::Int(want.id),
            Cell::Text(want.name),
            Cell::Text(city_name(want.city)),
            Cell::Int(want.age),
            Cell::Real(want.score),
            Cell::Int(want.code),
        ];
        compare(std::slice::from_ref(row), &[want_row])?;
        scores.push(want.score);
    }
    if scores != fx.top_scores {
        return Err(format!("scores {scores:?}, want {:?}", fx.top_scores));
    }
    Ok(())
}

fn r_row(fx: &Fixture, k: i64) -> Vec<Cell> {
    let id = i64::from(fx.r_ids[k as usize - 1]);
    vec![
        Cell::Int(id),
        Cell::Int(k),
        Cell::Real(r_value(id)),
        Cell::Text(r_note(id)),
    ]
}

pub fn top_k_indexed(_: usize, _: &[Param], answer: &Answer, fx: &Fixture) -> Result<(), String> {
    let n = fx.r_ids.len() as i64;
    let want: Vec<Vec<Cell>> = (0..10.min(n)).map(|i| r_row(fx, n - i)).collect();
    compare(answer, &want)
}

pub fn join(_: usize, _: &[Param], answer: &Answer, fx: &Fixture) -> Result<(), String> {
    compare(answer, std::slice::from_ref(&fx.join))
}

pub fn group_by_city(_: usize, _: &[Param], answer: &Answer, fx: &Fixture) -> Result<(), String> {
    compare_unordered(answer, &fx.by_city)
}

pub fn star_join(_: usize, _: &[Param], answer: &Answer, fx: &Fixture) -> Result<(), String> {
    compare_unordered(answer, &fx.by_region)
}

/// S1's point rows as the checks see them: one row `[columns, ints, reals, text bytes]`,
/// no row when the select found none.
pub fn row_sum_answer(row: Option<RowSum>) -> Answer {
    row.map(|sum| {
        vec![
            Cell::Int(sum.columns as i64),
            Cell::Int(sum.ints),
            Cell::Real(sum.reals),
            Cell::Int(sum.text_bytes as i64),
        ]
    })
    .into_iter()
    .collect()
}

pub fn secondary_point(
    _: usize,
    params: &[Param],
    answer: &Answer,
    fx: &Fixture,
) -> Result<(), String> {
    let k = int(params, 0);
    let id = i64::from(fx.r_ids[k as usize - 1]);
    let want = RowSum {
        columns: 4,
        ints: id + k,
        reals: r_value(id),
        text_bytes: r_note(id).len(),
    };
    compare(answer, &row_sum_answer(Some(want)))
}

pub fn tpch_q1(_: usize, params: &[Param], answer: &Answer, fx: &Fixture) -> Result<(), String> {
    let cutoff = int(params, 0);
    // (flag, status) -> qty, price, disc_price, charge, discount, count
    let mut groups: Vec<((&str, &str), [f64; 5], i64)> = Vec::new();
    for line in fx.lines.iter().filter(|line| line.shipdate <= cutoff) {
        let key = (line.returnflag, line.linestatus);
        let position = match groups.iter().position(|(k, _, _)| *k == key) {
            Some(position) => position,
            None => {
                groups.push((key, [0.0; 5], 0));
                groups.len() - 1
            }
        };
        let (_, sums, count) = &mut groups[position];
        let disc_price = line.extendedprice * (1.0 - line.discount);
        sums[0] += line.quantity;
        sums[1] += line.extendedprice;
        sums[2] += disc_price;
        sums[3] += disc_price * (1.0 + line.tax);
        sums[4] += line.discount;
        *count += 1;
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<Vec<Cell>> = groups
        .into_iter()
        .map(|((flag, status), sums, count)| {
            let n = count as f64;
            vec![
                Cell::Text(flag.to_string()),
                Cell::Text(status.to_string()),
                Cell::Real(sums[0]),
                Cell::Real(sums[1]),
                Cell::Real(sums[2]),
                Cell::Real(sums[3]),
                Cell::Real(sums[0] / n),
                Cell::Real(sums[1] / n),
                Cell::Real(sums[4] / n),
                Cell::Int(count),
            ]
        })
        .collect();
    compare(answer, &want)
}

pub fn tpch_q6(_: usize, params: &[Param], answer: &Answer, fx: &Fixture) -> Result<(), String> {
    let (low, high) = (int(params, 0), int(params, 1));
    let (discount_low, discount_high, quantity) =
        (real(params, 2), real(params, 3), real(params, 4));
    let mut matched = false;
    let mut sum = 0.0;
    for line in &fx.lines {
        if line.shipdate >= low
            && line.shipdate < high
            && line.discount >= discount_low
            && line.discount <= discount_high
            && line.quantity < quantity
        {
            matched = true;
            sum += line.extendedprice * line.discount;
        }
    }
    let sum = if matched { Cell::Real(sum) } else { Cell::Null };
    compare(answer, &[vec![sum]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checks reject a wrong answer, so a broken engine cannot post a number.
    #[test]
    fn a_wrong_answer_fails_its_check() {
        let sizes = Sizes::scaled(0.001);
        let fixture = Fixture::new(sizes, &[Table::U, Table::O, Table::R], &[]);
        let bounds = [Param::Int(20), Param::Int(30)];
        let (count, sum) = fixture.by_age[20..=30]
            .iter()
            .fold((0, 0.0), |(c, s), (count, sum)| (c + count, s + sum));
        let right = vec![vec![Cell::Int(count), Cell::Real(sum)]];
        assert_eq!(range_unindexed(0, &bounds, &right, &fixture), Ok(()));
        let wrong = vec![vec![Cell::Int(count + 1), Cell::Real(sum)]];
        assert!(range_unindexed(0, &bounds, &wrong, &fixture).is_err());
        assert!(join(0, &[], &Vec::new(), &fixture).is_err());
        let n = sizes.rows as i64;
        let top: Answer = (0..10).map(|i| r_row(&fixture, n - i)).collect();
        assert_eq!(top_k_indexed(0, &[], &top, &fixture), Ok(()));
        assert!(top_k_indexed(0, &[], &top[1..].to_vec(), &fixture).is_err());
    }

    /// A workload checked against SQLite passes with SQLite's own answer and fails with a
    /// changed one, in row order when the order is defined.
    #[test]
    fn an_answer_unlike_sqlites_fails_its_check() {
        // 12,000 rows: P2 pages past its first 10,000.
        let sizes = Sizes::scaled(0.06);
        let fixture = Fixture::new(sizes, &[Table::P], &[Table::P]);
        let workload = |id: &str| {
            crate::queries::WORKLOADS
                .iter()
                .find(|w| w.id == id)
                .expect("a workload of this id")
        };
        let mut session = crate::sqlite_engine::private_session().expect("SQLite opens");
        let rows = sizes.rows;
        crate::tables::load(session.as_mut(), Table::P, rows, 0, 0).expect("p loads");
        let groups = workload("G3");
        let params = [Param::Int(0)];
        let right = groups.answer(session.as_mut(), &params).expect("G3 runs");
        assert!(right.len() > 10, "{} groups", right.len());
        let mut reversed = right.clone();
        reversed.reverse();
        assert_eq!(
            fixture.check_against_sqlite(groups, 0, &params, &reversed, false),
            Ok(())
        );
        let mut wrong = right.clone();
        wrong[3][2] = Cell::Int(0);
        assert!(fixture
            .check_against_sqlite(groups, 0, &params, &wrong, false)
            .is_err());
        let page = workload("P2");
        let right = page.answer(session.as_mut(), &[]).expect("P2 runs");
        assert_eq!(right.len(), 20);
        let mut swapped = right.clone();
        swapped.swap(0, 1);
        assert_eq!(
            fixture.check_against_sqlite(page, 0, &[], &right, true),
            Ok(())
        );
        assert!(fixture
            .check_against_sqlite(page, 0, &[], &swapped, true)
            .is_err());
    }
}
