//! SQLite's comparison affinity: when an operand of `=`, `<`, `IN`, `BETWEEN`, `CASE x WHEN`
//! has an affinity (today: a `CAST(.. AS type)`), the comparison converts the operands first,
//! so `CAST(x AS REAL) >= '-4.5'` compares numbers. Column references carry no affinity here:
//! their values already have the column's type.

use crate::expr::{Affinity, BinaryOp, Expr};

/// The affinity an operand carries into a comparison.
pub(super) fn affinity_of(expr: &Expr) -> Option<Affinity> {
    match expr {
        Expr::Cast { affinity, .. } => Some(*affinity),
        _ => None,
    }
}

fn is_numeric(affinity: Affinity) -> bool {
    matches!(
        affinity,
        Affinity::Integer | Affinity::Real | Affinity::Numeric
    )
}

/// SQLite's sqlite3CompareAffinity: the affinity applied to both operands, if any.
fn comparison_affinity(left: Option<Affinity>, right: Option<Affinity>) -> Option<Affinity> {
    match (left, right) {
        (Some(left), Some(right)) => {
            (is_numeric(left) || is_numeric(right)).then_some(Affinity::Numeric)
        }
        (Some(one), None) | (None, Some(one)) => match one {
            Affinity::Blob => None,
            Affinity::Text => Some(Affinity::Text),
            _ => Some(Affinity::Numeric),
        },
        (None, None) => None,
    }
}

/// `expr` converted by `affinity` where that can change its value (literals fold now).
fn apply(expr: Expr, affinity: Option<Affinity>) -> Expr {
    let Some(affinity) = affinity else {
        return expr;
    };
    let already = match affinity_of(&expr) {
        Some(own) if affinity == Affinity::Text => own == Affinity::Text,
        Some(own) => is_numeric(own),
        None => false,
    };
    match expr {
        _ if already => expr,
        Expr::Literal(value) => Expr::Literal(crate::expr::apply_affinity(value, affinity)),
        other => Expr::Affinity {
            expr: Box::new(other),
            affinity,
        },
    }
}

/// The operands of a comparison, converted as SQLite converts them.
pub(super) fn comparison(left: Expr, right: Expr) -> (Expr, Expr) {
    let affinity = comparison_affinity(affinity_of(&left), affinity_of(&right));
    (apply(left, affinity), apply(right, affinity))
}

/// The items of `lhs IN (items)`: they count as having no affinity, so the left operand's
/// affinity (if any) converts them.
pub(super) fn in_list_items(lhs: &Expr, items: Vec<Expr>) -> Vec<Expr> {
    let affinity = comparison_affinity(affinity_of(lhs), None);
    items
        .into_iter()
        .map(|item| apply(item, affinity))
        .collect()
}

/// The WHEN value of `CASE operand WHEN value`, converted for `operand = value` (the caller
/// handles the case where the operand itself would need converting).
pub(super) fn case_when(operand: &Expr, when: Expr) -> Expr {
    let affinity = comparison_affinity(affinity_of(operand), affinity_of(&when));
    apply(when, affinity)
}

/// Whether `op` compares its operands (and so applies comparison affinity).
pub(super) fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual
            | BinaryOp::IsDistinctFrom
            | BinaryOp::IsNotDistinctFrom
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ember_storage::Value;

    fn cast(affinity: Affinity) -> Expr {
        Expr::Cast {
            expr: Box::new(Expr::Column {
                index: 0,
                name: "x".into(),
            }),
            affinity,
        }
    }

    fn text(s: &str) -> Expr {
        Expr::Literal(Value::Text(s.to_string()))
    }

    #[test]
    fn numeric_cast_converts_the_other_side() {
        let (left, right) = comparison(cast(Affinity::Real), text("-4.5"));
        assert_eq!(left, cast(Affinity::Real));
        assert_eq!(right, Expr::Literal(Value::Real(-4.5)));
        let (_, right) = comparison(cast(Affinity::Integer), text("abc"));
        assert_eq!(right, text("abc"));
    }

    #[test]
    fn text_cast_converts_numbers_and_numeric_wins() {
        let (_, right) = comparison(cast(Affinity::Text), Expr::Literal(Value::Integer(7)));
        assert_eq!(right, text("7"));
        let (left, _) = comparison(cast(Affinity::Text), cast(Affinity::Numeric));
        assert!(matches!(left, Expr::Affinity { .. }));
        let (left, right) = comparison(cast(Affinity::Blob), text("1"));
        assert_eq!((left, right), (cast(Affinity::Blob), text("1")));
        assert_eq!(comparison(text("1"), text("2")), (text("1"), text("2")));
    }

    #[test]
    fn in_list_items_take_the_left_affinity() {
        let items = in_list_items(&cast(Affinity::Numeric), vec![text("2"), text("x")]);
        assert_eq!(items, [Expr::Literal(Value::Integer(2)), text("x")]);
        let items = in_list_items(&text("2"), vec![cast(Affinity::Numeric)]);
        assert_eq!(items, [cast(Affinity::Numeric)]);
    }
}
