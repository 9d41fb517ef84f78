//! A compiled scan filter split into stages by the last column each term reads, for a
//! decode that checks a row while it decodes it (`RowDecoder::decode_checked`): the terms
//! of a top-level AND run as soon as their columns are decoded, so a row an early term
//! rejects is never decoded past it. Only TRUE passes a scan filter, and compiled terms
//! neither fail nor have effects, so the row passes exactly when every term is TRUE, in
//! any order: the staged filter passes the rows `Compiled::truth` passes, no others.
//!
//! Terms that compare an INTEGER or REAL column with constants, or test a TEXT column's
//! text (an equality with a text, a LIKE or GLOB pattern), can leave the stages for checks
//! on the payload's bytes, run before anything is decoded (`with_raw_checks`, `raw.rs`):
//! a row they reject builds no value at all.

use ember_storage::row::{RawChecks, RowDecoder};
use ember_storage::Value;

use super::compile::Compiled;
use super::ops::BinaryOp;

mod raw;

/// The stages of a filter: `stages[i]` runs once column `stops[i]` is decoded.
#[derive(Debug)]
pub struct Staged {
    stops: Vec<usize>,
    stages: Vec<Vec<Compiled>>,
    /// The terms checked on the payload's bytes (`raw`), kept for `matches`.
    raw_terms: Vec<Compiled>,
    raw: Option<RawChecks>,
}

impl Staged {
    /// Splits `filter` (a top-level AND into its terms, anything else one term) by the
    /// last column each term reads; `None` when a term reads a column `decoded` says is
    /// not decoded, or no term reads a column (nothing to stage on). A term that reads no
    /// column joins the first stage: every stop is a column some term reads, so a decoded
    /// one (`RowDecoder::decode_checked` checks stages only at decoded columns).
    pub fn of(filter: &Compiled, decoded: impl Fn(usize) -> bool) -> Option<Staged> {
        let terms = match filter {
            Compiled::Junction {
                decisive: false,
                terms,
            } => terms.as_slice(),
            term => std::slice::from_ref(term),
        };
        let mut reads_a_column = false;
        for term in terms {
            let mut all_decoded = true;
            term.for_each_column(&mut |column| {
                reads_a_column = true;
                all_decoded &= decoded(column);
            });
            if !all_decoded {
                return None;
            }
        }
        reads_a_column.then(|| Staged::in_stages(terms.iter().cloned(), 0))
    }

    /// `terms` staged by the last column each reads, no raw checks. A term that reads no
    /// column joins the first stage, or stage `fallback` (a decoded column) when no term
    /// reads one.
    fn in_stages(terms: impl Iterator<Item = Compiled>, fallback: usize) -> Staged {
        let mut keyed: Vec<(Option<usize>, Compiled)> = terms
            .map(|term| {
                let mut last = None;
                term.for_each_column(&mut |column| {
                    last = Some(last.map_or(column, |last: usize| last.max(column)))
                });
                (last, term)
            })
            .collect();
        let first = keyed
            .iter()
            .filter_map(|(last, _)| *last)
            .min()
            .unwrap_or(fallback);
        // Stable: terms of one stage keep their written order.
        keyed.sort_by_key(|(last, _)| last.unwrap_or(first));
        let mut staged = Staged {
            stops: Vec::new(),
            stages: Vec::new(),
            raw_terms: Vec::new(),
            raw: None,
        };
        for (last, term) in keyed {
            let last = last.unwrap_or(first);
            match (staged.stops.last(), staged.stages.last_mut()) {
                (Some(&stop), Some(stage)) if stop == last => stage.push(term),
                _ => {
                    staged.stops.push(last);
                    staged.stages.push(vec![term]);
                }
            }
        }
        staged
    }

    /// This filter with every term that compares an INTEGER or REAL column (of the rows
    /// `decoder` reads) with non-NULL constants moved out of the stages into checks on the
    /// payload's bytes (`RawChecks`), run before the row is decoded; unchanged when no term
    /// can be.
    pub fn with_raw_checks(self, decoder: &RowDecoder) -> Staged {
        if self.raw.is_some() {
            return self;
        }
        // Where a term that reads no column is checked if every column-reading term goes
        // raw: the first column the decoder decodes.
        let fallback = (0..decoder.width()).find(|&column| decoder.decodes(column));
        let Some(fallback) = fallback else {
            return self;
        };
        let mut checks = Vec::new();
        let mut texts = Vec::new();
        let mut raw_terms = Vec::new();
        let mut rest = Vec::new();
        for term in self.stages.into_iter().flatten() {
            let check = match &term {
                Compiled::Compare { column, .. } | Compiled::Between { column, .. } => decoder
                    .raw_class(*column)
                    .and_then(|class| raw::raw_check(&term, class)),
                _ => None,
            };
            if let Some(check) = check {
                checks.push(check);
                raw_terms.push(term);
            } else if let Some(text) = raw::text_check(&term, decoder) {
                texts.push(text);
                raw_terms.push(term);
            } else {
                rest.push(term);
            }
        }
        let raw = decoder.raw_checks_with_texts(checks, texts);
        if raw.is_none() {
            rest.append(&mut raw_terms);
        }
        let mut staged = Staged::in_stages(rest.into_iter(), fallback);
        staged.raw_terms = raw_terms;
        staged.raw = raw;
        staged
    }

    /// Whether a raw-checked term is likely to reject most rows (SQLite's planner guesses
    /// alike): an equality, a BETWEEN, a LIKE or GLOB, or a column bounded from both sides. A lone
    /// one-sided range or `<>` likely passes most rows, each then walked twice (checked,
    /// then decoded).
    pub fn raw_is_selective(&self) -> bool {
        if self.raw.is_none() {
            return false;
        }
        let mut lower = Vec::new();
        let mut upper = Vec::new();
        for term in &self.raw_terms {
            match term {
                Compiled::Compare {
                    op: BinaryOp::Equal,
                    ..
                }
                | Compiled::Between { negated: false, .. } => return true,
                // A pattern a text must match (not its negation).
                Compiled::Truth(_) => return true,
                // An instr() test: a substring search, as a LIKE '%x%' is. (A length
                // compared with a number often passes most rows: `length(s) = 5`.)
                Compiled::CompareScalars { left, right, .. }
                    if [left, right].into_iter().any(is_instr_call) =>
                {
                    return true
                }
                Compiled::Compare {
                    column,
                    op,
                    constant_first,
                    ..
                } => {
                    let below = matches!(op, BinaryOp::Less | BinaryOp::LessOrEqual);
                    let above = matches!(op, BinaryOp::Greater | BinaryOp::GreaterOrEqual);
                    // `c < v` bounds `v` from below.
                    if below != *constant_first && (below || above) {
                        upper.push(*column);
                    } else if above != *constant_first && (below || above) {
                        lower.push(*column);
                    }
                }
                _ => {}
            }
        }
        lower.iter().any(|column| upper.contains(column))
    }

    /// This filter with its raw-checked terms back in the stages.
    pub fn without_raw_checks(self) -> Staged {
        if self.raw.is_none() {
            return self;
        }
        // The terms came from `of`: one reads a column, so the fallback is never used.
        Staged::in_stages(self.stages.into_iter().flatten().chain(self.raw_terms), 0)
    }

    /// The checks run on each row's payload bytes before the stages, if any.
    pub fn raw(&self) -> Option<&RawChecks> {
        self.raw.as_ref()
    }

    /// Takes the checks on the payload's bytes out (the raw-checked terms stay for
    /// `matches`): for a reader that runs them itself, then the stages on the rows that
    /// pass.
    pub fn take_raw(&mut self) -> Option<RawChecks> {
        self.raw.take()
    }

    /// The columns the stages' terms read (not the raw-checked ones), ascending, each once.
    pub fn stage_columns(&self) -> Vec<usize> {
        let mut columns = Vec::new();
        for term in self.stages.iter().flatten() {
            term.for_each_column(&mut |column| columns.push(column));
        }
        columns.sort_unstable();
        columns.dedup();
        columns
    }

    /// The stages' terms (not the raw-checked ones), stage by stage.
    pub fn stage_terms(&self) -> impl Iterator<Item = &Compiled> {
        self.stages.iter().flatten()
    }

    /// The column after which each stage runs, ascending.
    pub fn stops(&self) -> &[usize] {
        &self.stops
    }

    /// Whether every term of stage `stage` is TRUE over `row` (decoded up to its stop).
    #[inline]
    pub fn check(&self, stage: usize, row: &[Value]) -> bool {
        self.stages[stage].iter().all(|term| term.passes(row))
    }

    /// Whether `row` (decoded whole) passes every term (the raw-checked ones too).
    pub fn matches(&self, row: &[Value]) -> bool {
        self.raw_terms.iter().all(|term| term.passes(row))
            && (0..self.stages.len()).all(|stage| self.check(stage, row))
    }
}

/// Whether `scalar` is an instr() call.
fn is_instr_call(scalar: &crate::expr::scalar::Scalar) -> bool {
    matches!(
        scalar,
        crate::expr::scalar::Scalar::Call {
            function: crate::expr::function::Function::Instr,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::ops::BinaryOp;
    use crate::expr::{ColumnMeta, EvalContext, Expr, Predicate};

    fn column(index: usize) -> Box<Expr> {
        Box::new(Expr::Column {
            index,
            name: format!("c{index}"),
            meta: ColumnMeta::default(),
        })
    }

    fn compare(op: BinaryOp, index: usize, value: i64) -> Expr {
        Expr::Binary(
            op,
            column(index),
            Box::new(Expr::Literal(Value::Integer(value))),
        )
    }

    fn and(left: Expr, right: Expr) -> Expr {
        Expr::Binary(BinaryOp::And, Box::new(left), Box::new(right))
    }

    fn compiled(expr: &Expr) -> Compiled {
        match Predicate::new(expr, &EvalContext::with_params(&[])) {
            Predicate::Compiled(compiled) => compiled,
            Predicate::Checked { .. } | Predicate::Tree(_) => panic!("{expr} does not compile"),
        }
    }

    /// Terms are staged by their last column, and the staged filter passes exactly the
    /// rows the compiled one passes (NULLs included).
    #[test]
    fn stages_follow_columns_and_agree_with_the_compiled_filter() {
        let or = Expr::Binary(
            BinaryOp::Or,
            Box::new(compare(BinaryOp::Less, 0, 2)),
            Box::new(compare(BinaryOp::Greater, 3, 5)),
        );
        let expr = and(
            and(compare(BinaryOp::Less, 2, 4), or),
            and(
                compare(BinaryOp::GreaterOrEqual, 0, 1),
                compare(BinaryOp::NotEqual, 2, 3),
            ),
        );
        let staged = Staged::of(&compiled(&expr), |_| true).unwrap();
        assert_eq!(staged.stops(), &[0, 2, 3]);
        let whole = compiled(&expr);
        let choices = [
            Value::Null,
            Value::Integer(0),
            Value::Integer(3),
            Value::Integer(9),
        ];
        for a in &choices {
            for b in &choices {
                for c in &choices {
                    let row = [a.clone(), Value::Null, b.clone(), c.clone()];
                    assert_eq!(
                        staged.matches(&row),
                        whole.truth(&row) == Some(true),
                        "{row:?}"
                    );
                }
            }
        }
        assert!(Staged::of(&compiled(&expr), |column| column != 3).is_none());
    }

    /// A term that reads no column (a comparison of constants) is checked with the first
    /// column-reading stage, so every stop is a decoded column (here column 0 is not
    /// decoded); a filter of such terms alone is not staged.
    #[test]
    fn terms_of_no_column_join_the_first_stage() {
        let constant = |op, left, right| {
            Expr::Binary(
                op,
                Box::new(Expr::Literal(Value::Integer(left))),
                Box::new(Expr::Literal(Value::Integer(right))),
            )
        };
        let never = constant(BinaryOp::LessOrEqual, -1, -7);
        let expr = and(never.clone(), compare(BinaryOp::NotEqual, 2, 3));
        let staged = Staged::of(&compiled(&expr), |column| column == 2).unwrap();
        assert_eq!(staged.stops(), &[2]);
        let row = [Value::Null, Value::Null, Value::Integer(5)];
        assert!(!staged.matches(&row));
        let always = constant(BinaryOp::Less, -7, -1);
        let expr = and(always.clone(), compare(BinaryOp::NotEqual, 2, 3));
        let staged = Staged::of(&compiled(&expr), |column| column == 2).unwrap();
        assert_eq!(staged.stops(), &[2]);
        assert!(staged.matches(&row));
        assert!(Staged::of(&compiled(&and(never, always)), |_| true).is_none());
    }
}
