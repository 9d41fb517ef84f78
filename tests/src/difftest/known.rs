//! The one list of known, documented dialect differences between EmberDB and SQLite that the
//! differential tester accepts, each with the reason it is intended. Anything else is a
//! mismatch. Normalizations applied before comparing (not skips) are:
//! - BOOLEAN: EmberDB's comparisons yield `Value::Boolean`; SQLite yields INTEGER 1 / 0. The
//!   tester maps TRUE / FALSE to 1 / 0 (`Cell::from_ember`).
//! - REAL: compared at 12 significant digits, -0.0 as 0.0: both engines compute in f64 but
//!   may order the operations of an aggregate differently.
//!
//! Not generated at all (documented in docs/sql.md, so the generator keeps away from them):
//! comparisons between a number and text (EmberDB applies no column affinity in comparisons,
//! so `int_column = '1'` is FALSE where SQLite converts the text), and SQLite's `a IS b` for
//! non-NULL `b` (sqlparser does not parse it; `IS [NOT] DISTINCT FROM` is generated instead).

use super::{Cell, Outcome};

/// A documented difference: a name, why it is intended, and how to recognize it.
pub struct KnownDifference {
    pub name: &'static str,
    pub reason: &'static str,
    matches: fn(&str, &Outcome, &Outcome) -> bool,
}

/// Every accepted difference.
pub const KNOWN_DIFFERENCES: &[KnownDifference] = &[
    KnownDifference {
        name: "equal numbers of different types collapse to either one",
        reason: "UNION, INTERSECT, EXCEPT, DISTINCT and GROUP BY treat 2 and 2.0 as one value; \
                 which of the two survives is unspecified (EmberDB keeps the first it sees, \
                 SQLite the one its temporary index holds last).",
        matches: |sql, ours, theirs| {
            let deduplicating = ["UNION", "INTERSECT", "EXCEPT", "DISTINCT", "GROUP BY"];
            deduplicating.iter().any(|word| sql.contains(word))
                && same_after(ours, theirs, |cell| match cell {
                    Cell::Integer(i) => super::real_cell(*i as f64),
                    other => other.clone(),
                })
        },
    },
    KnownDifference {
        name: "REAL to TEXT keeps 15 significant digits",
        reason: "EmberDB converts a REAL to text with 15 significant digits (`%.15g`, as the \
                 SQLite that produced the sqllogictest corpus did); the bundled SQLite prints \
                 the shortest text that round-trips (up to 17 digits).",
        matches: |_, ours, theirs| {
            same_after(ours, theirs, |cell| match cell {
                Cell::Text(text) => Cell::Text(round_numbers_in(text)),
                other => other.clone(),
            })
        },
    },
];

/// Whether both outcomes are rows that agree once every cell is mapped by `normalize`.
fn same_after(ours: &Outcome, theirs: &Outcome, normalize: impl Fn(&Cell) -> Cell) -> bool {
    let (Ok(ours), Ok(theirs)) = (ours, theirs) else {
        return false;
    };
    let map = |rows: &Vec<Vec<Cell>>| {
        super::sorted(
            rows.iter()
                .map(|row| row.iter().map(&normalize).collect())
                .collect(),
        )
    };
    map(ours) == map(theirs)
}

/// `text` with every run of more than 12 digits that follows a `.` cut to 12 digits (the
/// engines print the same REAL with 15 or up to 17 significant digits; numbers may be glued
/// together by `||`, so runs are cut rather than parsed).
fn round_numbers_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_point = false;
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if after_point && run > 12 {
                continue;
            }
        } else {
            after_point = c == '.';
            run = 0;
        }
        out.push(c);
    }
    out
}

/// The known difference explaining a disagreement, if any.
pub fn explains(sql: &str, ours: &Outcome, theirs: &Outcome) -> Option<&'static KnownDifference> {
    if ours == theirs {
        return None;
    }
    KNOWN_DIFFERENCES
        .iter()
        .find(|known| (known.matches)(sql, ours, theirs))
}

#[cfg(test)]
mod tests {
    use super::super::Cell;
    use super::*;

    #[test]
    fn every_known_difference_has_a_reason_and_agreement_is_never_explained() {
        for known in KNOWN_DIFFERENCES {
            assert!(
                known.name.len() > 3 && known.reason.len() > 40,
                "{}",
                known.name
            );
        }
        let agree: Outcome = Ok(vec![vec![Cell::Null]]);
        assert!(explains("SELECT NULL", &agree, &agree).is_none());
    }

    #[test]
    fn real_text_digits_are_recognized_and_other_text_is_not() {
        let ours: Outcome = Ok(vec![vec![Cell::Text("01.77777777777778".into())]]);
        let theirs: Outcome = Ok(vec![vec![Cell::Text("01.7777777777777777".into())]]);
        let known = explains("SELECT 1", &ours, &theirs).expect("explained");
        assert_eq!(known.name, "REAL to TEXT keeps 15 significant digits");
        let other: Outcome = Ok(vec![vec![Cell::Text("01.8".into())]]);
        assert!(explains("SELECT 1", &ours, &other).is_none());
    }

    #[test]
    fn integer_and_real_representatives_only_count_where_values_are_deduplicated() {
        let ours: Outcome = Ok(vec![vec![Cell::Integer(-8)]]);
        let theirs: Outcome = Ok(vec![vec![super::super::real_cell(-8.0)]]);
        assert!(explains("SELECT 1 UNION SELECT 2", &ours, &theirs).is_some());
        assert!(explains("SELECT 1", &ours, &theirs).is_none());
    }
}
