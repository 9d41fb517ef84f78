//! Unit tests of matching a query's conjuncts to the key parts of an index on expressions.

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

fn plus(left: Expr, right: Expr) -> Expr {
    Expr::Binary(BinaryOp::Add, Box::new(left), Box::new(right))
}

fn equal(left: Expr, right: Expr) -> Expr {
    Expr::Binary(BinaryOp::Equal, Box::new(left), Box::new(right))
}

fn pinned(parts: &[Expr], terms: &[Expr], with_in: bool) -> Option<Vec<Vec<Expr>>> {
    let terms: Vec<Expr> = terms.iter().map(without_names).collect();
    let collations = vec![Collation::Binary; parts.len()];
    match pinned_parts(parts, &collations, &terms, with_in)? {
        Pinned::One(values) => Some(vec![values]),
        Pinned::Many(keys) => Some(keys),
    }
}

#[test]
fn an_expression_part_is_pinned_by_the_same_expression_on_either_side() {
    let part = plus(column(1, "b"), int(1));
    let query = plus(column(1, "t.b"), int(1));
    let keys = pinned(
        std::slice::from_ref(&part),
        &[equal(query.clone(), int(5))],
        false,
    );
    assert_eq!(keys, Some(vec![vec![int(5)]]));
    let keys = pinned(std::slice::from_ref(&part), &[equal(int(5), query)], false);
    assert_eq!(keys, Some(vec![vec![int(5)]]));
    // Another expression, another column, or the bare column pins nothing.
    for other in [
        plus(column(1, "b"), int(2)),
        plus(column(2, "c"), int(1)),
        column(1, "b"),
    ] {
        assert_eq!(
            pinned(std::slice::from_ref(&part), &[equal(other, int(5))], false),
            None
        );
    }
}

#[test]
fn mixed_keys_need_every_part_and_at_most_one_in_list() {
    let parts = [plus(column(1, "b"), int(1)), column(0, "a")];
    let in_list = Expr::InList {
        expr: Box::new(plus(column(1, "b"), int(1))),
        list: vec![int(2), int(3)],
        negated: false,
    };
    let a_is_7 = equal(column(0, "a"), int(7));
    assert_eq!(
        pinned(&parts, &[in_list.clone(), a_is_7.clone()], true),
        Some(vec![vec![int(2), int(7)], vec![int(3), int(7)]])
    );
    assert_eq!(
        pinned(&parts, &[in_list.clone(), a_is_7.clone()], false),
        None
    );
    assert_eq!(pinned(&parts, &[in_list], true), None);
    assert_eq!(pinned(&parts, &[a_is_7], false), None);
}
