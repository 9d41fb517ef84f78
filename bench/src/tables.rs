//! The tables of the R/K/J/G/S/Q workloads, generated deterministically from their keys,
//! and their loading. Each is separate from W1-W7's `t`, so an index here does not change
//! W1/W3's cost and W3/W7's updates do not change the answers checked here.
//!
//! - `u(id INTEGER PRIMARY KEY, name, city, age, score, code)`: `t`'s shape with a TEXT
//!   column of 50 city names (`city`), arbitrary doubles (`score`) and an unindexed unique
//!   integer `code`. `Sizes::rows` rows.
//! - `o(id INTEGER PRIMARY KEY, tid, code, qty)` with `CREATE INDEX o_tid ON o(tid)` (the
//!   index a program keeps on a foreign key it looks rows up by): `Sizes::orders` rows, each
//!   naming a row of `u` by key (`tid`) and by `code`.
//! - `c(id INTEGER PRIMARY KEY, name, region)`: the 50 cities of `u`, in 5 regions.
//! - `p(id INTEGER PRIMARY KEY, name, email, city, age, zip, score)` with `CREATE INDEX
//!   p_email ON p(email)`: people with unique names and e-mail addresses. `Sizes::rows`
//!   rows. `p2` has `p`'s columns and an index on `email` (`p2_email`) and starts empty: the
//!   write workloads copy `p` into it and empty it.
//! - `r(id INTEGER PRIMARY KEY, k, v, note)` with `CREATE INDEX r_k ON r(k)`: `k` is a
//!   permutation of `1..=rows`, so index order is not key order. `Sizes::rows` rows.
//! - `lineitem`: TPC-H's columns for Q1 and Q6, `l_shipdate` in days (0..2526).
//!   `Sizes::lineitems` rows.

use crate::data::Person;
use crate::engine::{BenchResult, Param, Session};
use crate::sql::Query;

/// The tables a workload can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    U,
    O,
    C,
    R,
    Lineitem,
    P,
    P2,
}

pub const CITIES: i64 = crate::names::CITIES.len() as i64;
pub const REGIONS: i64 = crate::names::REGIONS.len() as i64;
/// Rows per loading transaction.
const LOAD_TXN_ROWS: i64 = 1_000;

/// SplitMix64's finalizer: a bijective scramble of `x`.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn city_name(city: i64) -> String {
    crate::names::CITIES[city.rem_euclid(CITIES) as usize].to_string()
}

pub fn region_name(city: i64) -> String {
    crate::names::REGIONS[city.rem_euclid(REGIONS) as usize].to_string()
}

/// One row of `u`.
#[derive(Debug, Clone, PartialEq)]
pub struct URow {
    pub id: i64,
    pub name: String,
    pub city: i64,
    pub age: i64,
    pub score: f64,
    pub code: i64,
}

impl URow {
    pub fn new(id: i64) -> URow {
        URow {
            id,
            name: crate::names::person_name(id),
            city: URow::city_of(id),
            age: Person::age_of(id),
            score: URow::score_of(id),
            code: URow::code_of(id),
        }
    }

    pub fn city_of(id: i64) -> i64 {
        (id * 13) % CITIES
    }

    /// An arbitrary double in [0, 1000) (every mantissa bit drawn from a hash of the key).
    pub fn score_of(id: i64) -> f64 {
        crate::data::unit_double(mix(id as u64)) * 1000.0
    }

    /// A unique 32-bit code (an odd multiplier is a bijection modulo 2^32).
    pub fn code_of(id: i64) -> i64 {
        ((id as u64).wrapping_mul(2_654_435_761) & 0xFFFF_FFFF) as i64
    }
}

/// One row of `o`: the order `id` names the row `tid` of a `u` of `u_rows` rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ORow {
    pub id: i64,
    pub tid: i64,
    pub code: i64,
    pub qty: i64,
}

impl ORow {
    pub fn new(id: i64, u_rows: usize) -> ORow {
        let tid = 1 + (mix(id as u64 ^ 0x5EED) % u_rows.max(1) as u64) as i64;
        ORow {
            id,
            tid,
            code: URow::code_of(tid),
            qty: 1 + id % 10,
        }
    }
}

/// The permutation of `1..=n` that gives `r.k`: `k = 1 + ((id - 1) * step) mod n` with
/// `step` prime to `n`.
#[derive(Debug, Clone, Copy)]
pub struct Permutation {
    n: u64,
    step: u64,
}

impl Permutation {
    pub fn new(n: usize) -> Permutation {
        let n = n.max(1) as u64;
        let step = [1_000_003u64, 999_983, 15_485_863]
            .into_iter()
            .find(|prime| n % prime != 0)
            .expect("n is not a multiple of three primes over 999,000 at once");
        Permutation { n, step: step % n }
    }

    pub fn k_of(&self, id: i64) -> i64 {
        let product = u128::from(id as u64 - 1) * u128::from(self.step);
        1 + (product % u128::from(self.n)) as i64
    }

    /// Every id by its k (`ids[k - 1]`).
    pub fn inverse(&self) -> Vec<u32> {
        let mut ids = vec![0u32; self.n as usize];
        for id in 1..=self.n as i64 {
            ids[(self.k_of(id) - 1) as usize] = id as u32;
        }
        ids
    }
}

/// One row of `p`.
#[derive(Debug, Clone, PartialEq)]
pub struct PRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub city: String,
    pub age: i64,
    pub zip: i64,
    pub score: f64,
}

impl PRow {
    pub fn new(id: i64) -> PRow {
        let h = mix(id as u64 ^ 0x0B0E);
        PRow {
            id,
            name: crate::names::person_name(id),
            email: crate::names::email(id),
            city: city_name((h % CITIES as u64) as i64),
            age: crate::data::Person::age_of(id),
            // About 40,000 distinct five-digit codes.
            zip: 10_000 + ((h >> 8) % 40_000) as i64,
            score: crate::data::unit_double(mix(h)) * 1000.0,
        }
    }
}

/// `r.v` and `r.note` of row `id`.
pub fn r_value(id: i64) -> f64 {
    (id % 1000) as f64 * 0.25
}

pub fn r_note(id: i64) -> String {
    format!("note{id}")
}

/// One row of `lineitem`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineRow {
    pub id: i64,
    pub orderkey: i64,
    pub quantity: f64,
    pub extendedprice: f64,
    pub discount: f64,
    pub tax: f64,
    pub returnflag: &'static str,
    pub linestatus: &'static str,
    pub shipdate: i64,
}

/// The last ship date (days since 1992-01-01, as in TPC-H's 7 years).
pub const SHIPDATE_DAYS: i64 = 2526;

impl LineRow {
    pub fn new(id: i64) -> LineRow {
        let h = mix(id as u64 ^ 0x11E1_7E35);
        let quantity = (1 + h % 50) as f64;
        // A price in cents, as TPC-H's (100.00 to 1,099.99).
        let price = (10_000 + (h >> 8) % 100_000) as f64 / 100.0;
        let shipdate = ((h >> 36) % SHIPDATE_DAYS as u64) as i64;
        let linestatus = if shipdate <= 1280 { "F" } else { "O" };
        let returnflag = match (shipdate <= 1250, (h >> 50) & 1) {
            (true, 0) => "A",
            (true, _) => "R",
            (false, _) => "N",
        };
        LineRow {
            id,
            orderkey: 1 + (id - 1) / 4,
            quantity,
            extendedprice: quantity * price,
            discount: ((h >> 20) % 11) as f64 / 100.0,
            tax: ((h >> 28) % 9) as f64 / 100.0,
            returnflag,
            linestatus,
            shipdate,
        }
    }
}

/// Inserts `rows` rows made by `insert_one(id)` in transactions of 1,000.
fn load_rows(
    session: &mut dyn Session,
    rows: usize,
    mut insert_one: impl FnMut(&mut dyn Session, i64) -> BenchResult<()>,
) -> BenchResult<()> {
    let mut id = 1;
    while id <= rows as i64 {
        session.begin()?;
        let stop = (id + LOAD_TXN_ROWS).min(rows as i64 + 1);
        while id < stop {
            insert_one(session, id)?;
            id += 1;
        }
        session.commit()?;
    }
    Ok(())
}

/// Creates and fills `table` (`u_rows`: the size of `u` and `r`).
pub fn load(
    session: &mut dyn Session,
    table: Table,
    u_rows: usize,
    orders: usize,
    lineitems: usize,
) -> BenchResult<()> {
    match table {
        Table::U => {
            session.execute(Query::CreateU, &[])?;
            load_rows(session, u_rows, |session, id| {
                let row = URow::new(id);
                let city = city_name(row.city);
                session.execute(
                    Query::InsertU,
                    &[
                        Param::Int(id),
                        Param::Text(&row.name),
                        Param::Text(&city),
                        Param::Int(row.age),
                        Param::Real(row.score),
                        Param::Int(row.code),
                    ],
                )?;
                Ok(())
            })
        }
        Table::O => {
            session.execute(Query::CreateO, &[])?;
            session.execute(Query::IndexO, &[])?;
            load_rows(session, orders, |session, id| {
                let row = ORow::new(id, u_rows);
                let params = [row.id, row.tid, row.code, row.qty].map(Param::Int);
                session.execute(Query::InsertO, &params)?;
                Ok(())
            })
        }
        Table::C => {
            session.execute(Query::CreateC, &[])?;
            load_rows(session, CITIES as usize, |session, id| {
                let (name, region) = (city_name(id - 1), region_name(id - 1));
                let params = [Param::Int(id), Param::Text(&name), Param::Text(&region)];
                session.execute(Query::InsertC, &params)?;
                Ok(())
            })
        }
        Table::R => {
            session.execute(Query::CreateR, &[])?;
            session.execute(Query::IndexR, &[])?;
            let permutation = Permutation::new(u_rows);
            load_rows(session, u_rows, |session, id| {
                let note = r_note(id);
                let params = [
                    Param::Int(id),
                    Param::Int(permutation.k_of(id)),
                    Param::Real(r_value(id)),
                    Param::Text(&note),
                ];
                session.execute(Query::InsertR, &params)?;
                Ok(())
            })
        }
        Table::P => {
            session.execute(Query::CreateP, &[])?;
            session.execute(Query::IndexP, &[])?;
            load_rows(session, u_rows, |session, id| {
                let row = PRow::new(id);
                let params = [
                    Param::Int(id),
                    Param::Text(&row.name),
                    Param::Text(&row.email),
                    Param::Text(&row.city),
                    Param::Int(row.age),
                    Param::Int(row.zip),
                    Param::Real(row.score),
                ];
                session.execute(Query::InsertP, &params)?;
                Ok(())
            })
        }
        Table::P2 => {
            session.execute(Query::CreateP2, &[])?;
            session.execute(Query::IndexP2, &[])?;
            Ok(())
        }
        Table::Lineitem => {
            session.execute(Query::CreateLineitem, &[])?;
            load_rows(session, lineitems, |session, id| {
                let row = LineRow::new(id);
                let params = [
                    Param::Int(row.id),
                    Param::Int(row.orderkey),
                    Param::Real(row.quantity),
                    Param::Real(row.extendedprice),
                    Param::Real(row.discount),
                    Param::Real(row.tax),
                    Param::Text(row.returnflag),
                    Param::Text(row.linestatus),
                    Param::Int(row.shipdate),
                ];
                session.execute(Query::InsertLineitem, &params)?;
                Ok(())
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permutation_covers_every_key_once() {
        for n in [1usize, 7, 1000, 1_000_003] {
            let ids = Permutation::new(n).inverse();
            let mut seen = vec![false; n];
            for id in ids {
                assert!(id >= 1 && !seen[id as usize - 1], "n {n}: id {id} twice");
                seen[id as usize - 1] = true;
            }
        }
    }

    #[test]
    fn codes_are_unique_and_lineitems_in_range() {
        let mut codes: Vec<i64> = (1..5000).map(URow::code_of).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 4999);
        for id in 1..2000 {
            let row = LineRow::new(id);
            assert!((0..SHIPDATE_DAYS).contains(&row.shipdate));
            assert!((0.0..=0.10).contains(&row.discount));
        }
    }
}
