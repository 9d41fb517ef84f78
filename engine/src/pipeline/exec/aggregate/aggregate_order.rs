//! `ORDER BY` inside an aggregate call (`group_concat(x, ';' ORDER BY y)`, as SQLite 3.44+):
//! the group's rows are kept (argument values, then sort keys) and, when the group's value
//! is asked for, sorted by the keys (stable: ties keep their input order) and fed in that
//! order to a fresh accumulator of the call.

use std::cmp::Ordering;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{Collation, UserFunction};
use crate::plan::{AggregateFunction, AggregateOrder};

use super::super::query::compare_key_values;
use super::accumulator::Accumulator;

/// The rows of one group of an ordered aggregate call.
pub(super) struct OrderedRows {
    function: AggregateFunction,
    distinct: bool,
    collation: Collation,
    user: Option<UserFunction>,
    order: Vec<AggregateOrder>,
    /// Each row: the call's arguments followed by one value per `order` key.
    rows: Vec<Vec<Value>>,
    /// Most rows one group may hold (the statement's row cap).
    rows_max: usize,
}

impl OrderedRows {
    pub(super) fn new(
        function: AggregateFunction,
        distinct: bool,
        collation: Collation,
        user: Option<&UserFunction>,
        order: &[AggregateOrder],
    ) -> OrderedRows {
        debug_assert!(!order.is_empty());
        OrderedRows {
            function,
            distinct,
            collation,
            user: user.cloned(),
            order: order.to_vec(),
            rows: Vec::new(),
            rows_max: crate::limits::STATEMENT_ROWS_MAX,
        }
    }

    pub(super) fn set_rows_max(&mut self, rows_max: usize) {
        self.rows_max = rows_max;
    }

    /// Forgets the rows (another group starts).
    pub(super) fn clear(&mut self) {
        self.rows.clear();
    }

    /// Keeps one row's values (arguments and keys).
    pub(super) fn push(&mut self, values: &[Value]) -> Result<()> {
        debug_assert!(values.len() >= self.order.len());
        if self.rows.len() >= self.rows_max {
            return Err(crate::err!(
                Limit,
                "an aggregate with ORDER BY holds more than the limit of {} rows",
                self.rows_max
            ));
        }
        self.rows.push(values.to_vec());
        Ok(())
    }

    /// The aggregate's value over the rows in key order.
    pub(super) fn finish(&self) -> Result<Value> {
        let arguments = self
            .rows
            .first()
            .map_or(0, |row| row.len() - self.order.len());
        let mut sorted: Vec<&Vec<Value>> = self.rows.iter().collect();
        sorted.sort_by(|a, b| self.compare(&a[arguments..], &b[arguments..]));
        let mut accumulator = Accumulator::new(self.function, self.distinct)
            .with_seen_max(self.rows_max)
            .with_collation(self.collation)
            .with_user(self.user.as_ref());
        for row in sorted {
            accumulator.add(&row[..arguments])?;
        }
        accumulator.finish()
    }

    fn compare(&self, a: &[Value], b: &[Value]) -> Ordering {
        for ((a, b), key) in a.iter().zip(b).zip(&self.order) {
            let ordering = compare_key_values(a, b, (key.descending, key.nulls_first), None);
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_fed_in_key_order() {
        let order = [AggregateOrder {
            descending: true,
            nulls_first: false,
        }];
        let mut rows = OrderedRows::new(
            AggregateFunction::GroupConcat,
            false,
            Collation::Binary,
            None,
            &order,
        );
        for (text, key) in [
            ("a", Value::Integer(1)),
            ("b", Value::Null),
            ("c", Value::Integer(3)),
        ] {
            rows.push(&[Value::Text(text.into()), Value::Text(";".into()), key])
                .unwrap();
        }
        assert_eq!(rows.finish().unwrap(), Value::Text("c;a;b".into()));
        rows.clear();
        assert_eq!(rows.finish().unwrap(), Value::Null);
    }

    #[test]
    fn the_row_cap_holds() {
        let order = [AggregateOrder {
            descending: false,
            nulls_first: true,
        }];
        let mut rows = OrderedRows::new(
            AggregateFunction::GroupConcat,
            false,
            Collation::Binary,
            None,
            &order,
        );
        rows.set_rows_max(1);
        rows.push(&[Value::Integer(1), Value::Integer(1)]).unwrap();
        assert!(rows.push(&[Value::Integer(2), Value::Integer(2)]).is_err());
    }
}
