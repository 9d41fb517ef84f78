//! SQLite's comparison affinity and collation. When an operand of `=`, `<`, `IN`, `BETWEEN`,
//! `CASE x WHEN` has an affinity (a column's, decided by its declared type; a `CAST(.. AS
//! type)`'s; a scalar subquery's first column's), the comparison converts the operands first
//! (datatype3.html 4.2), so `int_column = '1'` compares numbers and `text_column = 1` texts.
//! Everything is decided here, at bind time: a literal is converted once, a column whose
//! values already have the affinity is left alone (so `int_column = 5` costs nothing), and
//! only an operand that may need converting is wrapped in `Expr::Affinity`. The collation of
//! a comparison follows SQLite's precedence (an explicit COLLATE on the left, then on the
//! right, then the left column's, then the right column's); a collation other than BINARY
//! wraps both operands in `Expr::CollationKey`.

use crate::expr::{
    Affinity, BinaryOp, Collation, ColumnMeta, Expr, Function, SubqueryKind, UnaryOp,
};
use crate::plan::Node;
use ember_storage::Value;

/// The affinity an operand carries into a comparison.
pub(super) fn affinity_of(expr: &Expr) -> Option<Affinity> {
    match expr {
        Expr::Cast { affinity, .. } => Some(*affinity),
        Expr::Function {
            function: Function::ReadAsReal(affinity),
            ..
        } => *affinity,
        Expr::Column { meta, .. } | Expr::OuterColumn { meta, .. } => meta.affinity,
        Expr::Collate { expr, .. } => affinity_of(expr),
        Expr::Subquery(subquery) if matches!(subquery.kind, SubqueryKind::Scalar) => {
            output_meta(&subquery.query.node, 0).affinity
        }
        _ => None,
    }
}

/// The affinity and collation of output column `index` of a query's operator tree, as a
/// subquery or view column carries them: a column reference keeps its table column's, a
/// CAST its affinity, anything else has none.
pub(super) fn output_meta(node: &Node, index: usize) -> ColumnMeta {
    match node {
        Node::Project { exprs, .. } => {
            exprs
                .get(index)
                .map_or_else(ColumnMeta::default, |expr| ColumnMeta {
                    affinity: affinity_of(expr),
                    collation: collation_of(expr)
                        .map_or(Collation::Binary, |(collation, _)| collation),
                })
        }
        Node::Scan(access) => access
            .table
            .columns
            .get(index)
            .map_or_else(ColumnMeta::default, |column| column.meta()),
        Node::Filter { input, .. }
        | Node::Sort { input, .. }
        | Node::Limit { input, .. }
        | Node::Distinct { input, .. } => output_meta(input, index),
        Node::Aggregate {
            input, input_width, ..
        } if index < *input_width => output_meta(input, index),
        Node::SetOperation { left, .. } => output_meta(left, index),
        // A CTE's columns are its query's (a recursive one's, its initial select's), as in
        // SQLite.
        Node::CteScan(cte) => output_meta(&cte.query.node, index),
        Node::AsOf(as_of) => output_meta(&as_of.input, index),
        Node::RecursiveUnion(union) => output_meta(&union.initial, index),
        _ => ColumnMeta::default(),
    }
}

/// The SELECTs of a compound, left to right (a node that is no compound is its own).
fn arms_of(node: &Node) -> Vec<&Node> {
    match node {
        Node::SetOperation { left, right, .. } => {
            let mut arms = arms_of(left);
            arms.extend(arms_of(right));
            arms
        }
        other => vec![other],
    }
}

/// SQLite's `sqlite3ExprDataType`: the storage classes an expression may give (1 numeric, 2
/// text, 4 blob; 0 for NULL).
fn data_types(expr: &Expr) -> u8 {
    match expr {
        Expr::Collate { expr, .. } | Expr::Unary(UnaryOp::Plus, expr) => data_types(expr),
        Expr::Literal(Value::Null) => 0,
        Expr::Literal(Value::Text(_)) => 0x02,
        Expr::Literal(Value::Blob(_)) => 0x04,
        Expr::Binary(BinaryOp::Concat, ..) => 0x06,
        Expr::Parameter(_) | Expr::Function { .. } if !is_store_as(expr) => 0x07,
        Expr::Function {
            function: Function::ReadAsReal(_),
            ..
        }
        | Expr::Column { .. }
        | Expr::OuterColumn { .. }
        | Expr::Cast { .. }
        | Expr::Subquery(_) => match affinity_of(expr) {
            Some(Affinity::Integer | Affinity::Real | Affinity::Numeric) => 0x05,
            Some(Affinity::Text) => 0x06,
            _ => 0x07,
        },
        Expr::Case {
            branches,
            else_result,
            ..
        } => branches
            .iter()
            .map(|(_, then)| then)
            .chain(else_result.as_deref())
            .fold(0, |types, result| types | data_types(result)),
        _ => 0x01,
    }
}

fn is_store_as(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Function {
            function: Function::ReadAsReal(_),
            ..
        }
    )
}

/// Column `index` of one SELECT of a compound: its affinity, the storage classes it may
/// give, whether it is a CAST. A SELECT that is not a projection is taken as any class.
fn arm_column(arm: &Node, index: usize) -> (Option<Affinity>, u8, bool) {
    match arm {
        Node::Project { exprs, .. } => match exprs.get(index) {
            Some(expr) => (
                affinity_of(expr),
                data_types(expr),
                matches!(expr, Expr::Cast { .. }),
            ),
            None => (None, 0x07, false),
        },
        Node::Distinct { input, .. } | Node::Sort { input, .. } | Node::Limit { input, .. } => {
            arm_column(input, index)
        }
        other => (output_meta(other, index).affinity, 0x07, false),
    }
}

/// The affinity of column `index` of a compound read as a table (a subquery, a CTE), as
/// SQLite 3.54's `sqlite3SubqueryColumnTypes` decides it: the first SELECT's column's, or if
/// it has none the first later SELECT's that has one; dropped to BLOB (none) when another
/// SELECT may give text for a numeric column or a number for a TEXT one. The flag says
/// whether rows are converted by it: not under BLOB, nor when the first SELECT's column is
/// a CAST to a numeric type (SQLite's FLEXNUM, which converts nothing numeric).
pub(super) fn compound_affinity(arms: &[&Node], index: usize) -> (Option<Affinity>, bool) {
    let columns: Vec<(Option<Affinity>, u8, bool)> =
        arms.iter().map(|arm| arm_column(arm, index)).collect();
    let Some(&(first, _, first_is_cast)) = columns.first() else {
        return (None, false);
    };
    let (mut seen, mut at, mut affinity) = (0u8, 0, first);
    while affinity.is_none() && at + 1 < columns.len() {
        seen |= columns[at].1;
        at += 1;
        affinity = columns[at].0;
    }
    let Some(affinity) = affinity else {
        return (None, false);
    };
    if affinity == Affinity::Blob {
        return (Some(affinity), false);
    }
    if at + 1 < columns.len() || at != 0 {
        seen |= columns[at + 1..]
            .iter()
            .fold(0, |types, column| types | column.1);
        if affinity == Affinity::Text && seen & 0x01 != 0
            || is_numeric(affinity) && seen & 0x02 != 0
        {
            return (Some(Affinity::Blob), false);
        }
        if is_numeric(affinity) && first_is_cast {
            return (Some(Affinity::Numeric), false);
        }
    }
    (Some(affinity), true)
}

/// The projection converting `input`'s rows as the columns of a compound whose SELECTs are
/// `arms` are read (`None` when none converts): SQLite reads a column of REAL affinity of a
/// subquery, CTE or recursive queue with its INTEGERs as REALs, and converts nothing else
/// (a compound's comparisons keep the first SELECT's affinity: SQLite pushes them into each
/// SELECT).
fn conversions(arms: &[&Node], input: &Node, width: usize) -> Option<Vec<Expr>> {
    let real: Vec<bool> = (0..width)
        .map(|index| compound_affinity(arms, index) == (Some(Affinity::Real), true))
        .collect();
    if !real.contains(&true) {
        return None;
    }
    let exprs = real
        .into_iter()
        .enumerate()
        .map(|(index, real)| {
            let meta = output_meta(input, index);
            let column = Expr::Column {
                index,
                name: String::new(),
                meta,
            };
            match real {
                true => Expr::Function {
                    function: Function::ReadAsReal(meta.affinity),
                    args: vec![column],
                },
                false => column,
            }
        })
        .collect();
    Some(exprs)
}

/// `node` under the projection `exprs` (itself when `None`).
fn project(node: Node, exprs: Option<Vec<Expr>>) -> Node {
    match exprs {
        Some(exprs) => Node::Project {
            input: Box::new(node),
            exprs,
        },
        None => node,
    }
}

/// A query read as a table (a FROM subquery, a view, a CTE): when it is a compound whose
/// column has REAL affinity, INTEGERs read as REALs (SQLite 3.54: `SELECT 2 UNION ALL
/// SELECT CAST(x AS REAL)` read as a subquery gives 2.0).
pub(super) fn convert_compound_query(node: Node, width: usize) -> Node {
    let mut compound = &node;
    while let Node::Sort { input, .. } | Node::Limit { input, .. } = compound {
        compound = input;
    }
    if !matches!(compound, Node::SetOperation { .. }) {
        return node;
    }
    let exprs = conversions(&arms_of(compound), &node, width);
    project(node, exprs)
}

/// The SELECTs of a recursive CTE (`initial`'s, then the recursive terms) converted so their
/// rows are read from the queue as SQLite reads its queue table (INTEGERs of a REAL column
/// as REALs): the recursive terms see them so.
pub(super) fn convert_recursive_arms(
    initial: Node,
    recursive: Vec<Node>,
    width: usize,
) -> (Node, Vec<Node>) {
    let (initial_exprs, recursive_exprs) = {
        let mut arms = arms_of(&initial);
        arms.extend(recursive.iter());
        let own: Vec<Option<Vec<Expr>>> = recursive
            .iter()
            .map(|node| conversions(&arms, node, width))
            .collect();
        (conversions(&arms, &initial, width), own)
    };
    if initial_exprs.is_none() {
        return (initial, recursive);
    }
    let recursive = recursive
        .into_iter()
        .zip(recursive_exprs)
        .map(|(node, exprs)| project(node, exprs))
        .collect();
    (project(initial, initial_exprs), recursive)
}

/// Gives the columns of `scope` (a view's or a FROM subquery's) the affinity and collation
/// of the query's output columns.
pub(super) fn take_output_meta(scope: &mut super::Scope, node: &Node) {
    for (index, column) in scope.columns.iter_mut().enumerate() {
        column.meta = output_meta(node, index);
    }
}

/// The collations a compound of `left` and `right` compares its columns by (empty: all
/// BINARY): for each column, that of the leftmost SELECT whose column has one (a column's
/// own, BINARY by default, or an explicit COLLATE), as SQLite's `multiSelectCollSeq`.
pub(super) fn compound_collations(left: &Node, right: &Node, width: usize) -> Vec<Collation> {
    let mut arms = arms_of(left);
    arms.extend(arms_of(right));
    let collations: Vec<Collation> = (0..width)
        .map(|index| {
            arms.iter()
                .find_map(|arm| arm_collation(arm, index))
                .unwrap_or(Collation::Binary)
        })
        .collect();
    if collations.iter().all(|c| *c == Collation::Binary) {
        Vec::new()
    } else {
        collations
    }
}

/// Gives the compounds down `node`'s left spine the collations of the whole compound (SQLite
/// compares every step of a compound by the whole compound's collations).
pub(super) fn set_compound_collations(node: &mut Node, collations: &[Collation]) {
    if let Node::SetOperation {
        left,
        collations: own,
        ..
    } = node
    {
        *own = collations.to_vec();
        set_compound_collations(left, collations);
    }
}

/// The collation one SELECT of a compound gives its output column `index`, if any.
fn arm_collation(arm: &Node, index: usize) -> Option<Collation> {
    match arm {
        Node::Project { exprs, .. } => {
            collation_of(exprs.get(index)?).map(|(collation, _)| collation)
        }
        Node::Filter { input, .. }
        | Node::Sort { input, .. }
        | Node::Limit { input, .. }
        | Node::Distinct { input, .. } => arm_collation(input, index),
        Node::Scan(_) | Node::CteScan(_) | Node::RecursiveUnion(_) | Node::AsOf(_) => {
            Some(output_meta(arm, index).collation)
        }
        _ => None,
    }
}

/// The collation an operand brings, and whether it is explicit (a COLLATE operator, also
/// inside the operand) rather than a column's.
fn collation_of(expr: &Expr) -> Option<(Collation, bool)> {
    match expr {
        Expr::Collate { collation, .. } => Some((*collation, true)),
        Expr::Column { meta, .. } | Expr::OuterColumn { meta, .. } => Some((meta.collation, false)),
        Expr::Cast { expr, .. }
        | Expr::Affinity { expr, .. }
        | Expr::Unary(UnaryOp::Plus, expr) => collation_of(expr),
        Expr::Unary(_, operand) => explicit_collation(operand),
        Expr::Binary(_, left, right) => {
            explicit_collation(left).or_else(|| explicit_collation(right))
        }
        Expr::Function { args, .. } => args.iter().find_map(explicit_collation),
        _ => None,
    }
}

fn explicit_collation(expr: &Expr) -> Option<(Collation, bool)> {
    collation_of(expr).filter(|(_, explicit)| *explicit)
}

/// The collation comparing `left` with `right` (SQLite's sqlite3BinaryCompareCollSeq).
pub(super) fn comparison_collation(left: &Expr, right: &Expr) -> Collation {
    explicit_collation(left)
        .or_else(|| explicit_collation(right))
        .or_else(|| collation_of(left))
        .or_else(|| collation_of(right))
        .map_or(Collation::Binary, |(collation, _)| collation)
}

/// The collation scalar `min`, `max` and `nullif` compare their arguments under: that of
/// the first argument with one (a column's, BINARY unless declared, or a COLLATE), as
/// SQLite takes each argument's in turn; BINARY when none has one.
pub(super) fn function_collation(args: &[Expr]) -> Collation {
    args.iter()
        .find_map(collation_of)
        .map_or(Collation::Binary, |(collation, _)| collation)
}

/// The collation an expression sorts and groups by (ORDER BY, GROUP BY, DISTINCT, MIN/MAX).
pub(super) fn sort_collation(expr: &Expr) -> Collation {
    collation_of(expr).map_or(Collation::Binary, |(collation, _)| collation)
}

/// What ORDER BY and GROUP BY compare for `expr`: its collation key (`expr` itself under
/// BINARY, so the usual plan is unchanged).
pub(super) fn sort_key_of(expr: Expr) -> Expr {
    let collation = sort_collation(&expr);
    collation_key(expr, collation)
}

/// The collation of each output column for DISTINCT; empty when all are BINARY.
pub(super) fn distinct_collations(exprs: &[Expr]) -> Vec<Collation> {
    let collations: Vec<Collation> = exprs.iter().map(sort_collation).collect();
    if collations.iter().all(|&c| c == Collation::Binary) {
        return Vec::new();
    }
    collations
}

/// `expr`'s collation key under `collation` (a literal folds now); `expr` under BINARY.
pub(super) fn collation_key(expr: Expr, collation: Collation) -> Expr {
    match expr {
        _ if collation == Collation::Binary => expr,
        Expr::Literal(value) => Expr::Literal(collation.key(value)),
        other => Expr::CollationKey {
            expr: Box::new(other),
            collation,
        },
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

/// The operands of a comparison, converted as SQLite converts them (affinity, then
/// collation).
pub(super) fn comparison(left: Expr, right: Expr) -> (Expr, Expr) {
    let affinity = comparison_affinity(affinity_of(&left), affinity_of(&right));
    let collation = comparison_collation(&left, &right);
    (
        collation_key(apply(left, affinity), collation),
        collation_key(apply(right, affinity), collation),
    )
}

/// The operand and items of `lhs IN (items)`: the items count as having no affinity, so the
/// left operand's affinity (if any) converts them; the collation is the one comparing the
/// operand with the first item.
pub(super) fn in_list(lhs: Expr, items: Vec<Expr>) -> (Expr, Vec<Expr>) {
    let affinity = comparison_affinity(affinity_of(&lhs), None);
    let collation = items
        .first()
        .map_or(Collation::Binary, |first| comparison_collation(&lhs, first));
    let items = items
        .into_iter()
        .map(|item| collation_key(apply(item, affinity), collation))
        .collect();
    (collation_key(lhs, collation), items)
}

/// For `lhs IN (SELECT column ...)`: the affinity both sides are converted by (SQLite's
/// comparison affinity of the operand and the subquery's column), the collation, and the
/// operand converted by them (the subquery's values are converted as the set is built).
pub(super) fn in_subquery(lhs: Expr, query: &Node) -> (Expr, Option<Affinity>, Collation) {
    in_subquery_column(lhs, query, 0)
}

/// `in_subquery` for the subquery's column `index` (a row value `(a, b) IN (SELECT ..)`
/// compares each operand value with its column).
pub(super) fn in_subquery_column(
    lhs: Expr,
    query: &Node,
    index: usize,
) -> (Expr, Option<Affinity>, Collation) {
    let column = output_meta(query, index);
    let affinity = comparison_affinity(affinity_of(&lhs), column.affinity);
    let collation = collation_of(&lhs).map_or(column.collation, |(collation, _)| collation);
    (
        collation_key(apply(lhs, affinity), collation),
        affinity,
        collation,
    )
}

/// The WHEN value of `CASE operand WHEN value`, converted for `operand = value` (the caller
/// handles the case where the operand itself would need converting).
pub(super) fn case_when(operand: &Expr, when: Expr) -> Expr {
    comparison(operand.clone(), when).1
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
                meta: ColumnMeta::default(),
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
        let (_, items) = in_list(cast(Affinity::Numeric), vec![text("2"), text("x")]);
        assert_eq!(items, [Expr::Literal(Value::Integer(2)), text("x")]);
        let (_, items) = in_list(text("2"), vec![cast(Affinity::Numeric)]);
        assert_eq!(items, [cast(Affinity::Numeric)]);
    }

    fn column(affinity: Affinity, collation: Collation) -> Expr {
        Expr::Column {
            index: 0,
            name: "c".into(),
            meta: ColumnMeta {
                affinity: Some(affinity),
                collation,
            },
        }
    }

    #[test]
    fn columns_carry_their_affinity() {
        let int = column(Affinity::Integer, Collation::Binary);
        // `int_column = 5`: nothing to convert, no wrapper (the hot path stays as it was).
        let five = Expr::Literal(Value::Integer(5));
        assert_eq!(
            comparison(int.clone(), five.clone()),
            (int.clone(), five.clone())
        );
        let (_, right) = comparison(int.clone(), text("5"));
        assert_eq!(right, five);
        let txt = column(Affinity::Text, Collation::Binary);
        assert_eq!(comparison(txt.clone(), five).1, text("5"));
        // INTEGER column against TEXT column: the text side converts to a number.
        let (left, right) = comparison(int.clone(), txt.clone());
        assert_eq!(left, int);
        assert!(matches!(
            right,
            Expr::Affinity {
                affinity: Affinity::Numeric,
                ..
            }
        ));
        // A BLOB (untyped) column converts nothing.
        let untyped = column(Affinity::Blob, Collation::Binary);
        assert_eq!(comparison(untyped.clone(), text("1")).1, text("1"));
    }

    #[test]
    fn collation_precedence_is_sqlites() {
        let nocase = column(Affinity::Text, Collation::NoCase);
        let binary = column(Affinity::Text, Collation::Binary);
        assert_eq!(comparison_collation(&nocase, &binary), Collation::NoCase);
        assert_eq!(comparison_collation(&binary, &nocase), Collation::Binary);
        let explicit = Expr::Collate {
            expr: Box::new(text("x")),
            collation: Collation::RTrim,
        };
        assert_eq!(comparison_collation(&binary, &explicit), Collation::RTrim);
        assert_eq!(comparison_collation(&text("a"), &nocase), Collation::NoCase);
        let (left, right) = comparison(nocase, text("AB"));
        assert!(matches!(left, Expr::CollationKey { .. }));
        assert_eq!(right, text("ab"));
    }
}
