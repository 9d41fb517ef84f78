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

/// `text` with every run of more than 10 digits that follows a `.` rounded to 10 digits, and
/// trailing zeros of such runs dropped (the engines print the same REAL with 15 or up to 17
/// significant digits; numbers may be glued together by `||`, so runs are rounded rather than
/// parsed).
fn round_numbers_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let mut after_point = false;
    let flush = |run: &mut String, out: &mut String, after_point: bool| {
        if after_point && run.len() > 10 {
            let mut digits: Vec<u8> = run.bytes().take(10).collect();
            if run.as_bytes()[10] >= b'5' {
                // Round up; a carry out of the first digit is left as all nines.
                if let Some(last) = digits.iter().rposition(|&d| d != b'9') {
                    digits[last] += 1;
                    digits[last + 1..].iter_mut().for_each(|d| *d = b'0');
                }
            }
            let rounded = String::from_utf8(digits).unwrap_or_default();
            out.push_str(rounded.trim_end_matches('0'));
        } else if after_point {
            out.push_str(run.trim_end_matches('0'));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out, after_point);
            after_point = c == '.';
            out.push(c);
        }
    }
    flush(&mut run, &mut out, after_point);
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
        let ours_short: Outcome = Ok(vec![vec![Cell::Text("-1.5bb-3.754".into())]]);
        let theirs_long: Outcome = Ok(vec![vec![Cell::Text("-1.5bb-3.7539999999999996".into())]]);
        assert!(explains("SELECT 1", &ours_short, &theirs_long).is_some());
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
