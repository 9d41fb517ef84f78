//! Unit tests of the implication test that gates partial indexes.

use ember_storage::Value;

use super::*;
use crate::expr::ColumnMeta;

fn column(index: usize, name: &str) -> Expr {
    Expr::Column {
        index,
        name: name.to_string(),
        meta: ColumnMeta::default(),
    }
}

fn int(value: i64) -> Expr {
    Expr::Literal(Value::Integer(value))
}

fn compare(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary(op, Box::new(left), Box::new(right))
}

fn not_null(expr: Expr) -> Expr {
    Expr::IsNull {
        expr: Box::new(expr),
        negated: true,
    }
}

fn implies(terms: &[Expr], conjunct: &Expr) -> bool {
    let terms: Vec<Expr> = terms.iter().map(without_names).collect();
    implied(&without_names(conjunct), &terms)
}

#[test]
fn a_conjunct_is_implied_by_itself_whatever_the_columns_are_called() {
    let predicate = compare(BinaryOp::Greater, column(1, "b"), int(5));
    let query = compare(BinaryOp::Greater, column(1, "t.b"), int(5));
    assert!(implies(&[query], &predicate));
    let other = compare(BinaryOp::Greater, column(1, "b"), int(6));
    assert!(!implies(&[other], &predicate));
    let other_column = compare(BinaryOp::Greater, column(2, "b"), int(5));
    assert!(!implies(&[other_column], &predicate));
}

#[test]
fn not_null_is_implied_by_comparisons_no_null_passes() {
    let predicate = not_null(column(0, "a"));
    for op in [BinaryOp::Equal, BinaryOp::Less, BinaryOp::GreaterOrEqual] {
        assert!(implies(&[compare(op, column(0, "a"), int(1))], &predicate));
        assert!(implies(&[compare(op, int(1), column(0, "a"))], &predicate));
    }
    let between = Expr::Between {
        expr: Box::new(column(0, "a")),
        low: Box::new(int(1)),
        high: Box::new(int(2)),
        negated: false,
    };
    assert!(implies(&[between], &predicate));
    let in_list = Expr::InList {
        expr: Box::new(column(0, "a")),
        list: vec![int(1)],
        negated: false,
    };
    assert!(implies(&[in_list], &predicate));
    // IS NULL, a comparison of another column, and IS (which NULL passes) imply nothing.
    let is_null = Expr::IsNull {
        expr: Box::new(column(0, "a")),
        negated: false,
    };
    assert!(!implies(&[is_null], &predicate));
    assert!(!implies(
        &[compare(BinaryOp::Equal, column(1, "b"), int(1))],
        &predicate
    ));
    let is = compare(BinaryOp::IsNotDistinctFrom, column(0, "a"), int(1));
    assert!(!implies(&[is], &predicate));
}
