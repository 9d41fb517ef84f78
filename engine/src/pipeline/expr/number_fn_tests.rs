//! The closures `number_fn.rs` compiles against what they replace and against the tree
//! walker: nested and simple CASE, iif(), nullif(), coalesce() / ifnull(), abs(), sign(),
//! round(), arithmetic mixing INTEGER and REAL, comparisons of columns with numbers, AND /
//! OR / NOT, BETWEEN and IS NULL of computed numbers, over rows of every storage class
//! (NULL, integer edges that overflow, reals, texts, blobs, booleans).

use super::*;
use crate::expr::ops::{truth, Numeric};
use crate::expr::{ColumnMeta, Computed, EvalContext, Expr, Predicate};

fn column(index: usize) -> Expr {
    Expr::Column {
        index,
        name: format!("c{index}"),
        meta: ColumnMeta::default(),
    }
}

fn literal(value: Value) -> Expr {
    Expr::Literal(value)
}

fn int(i: i64) -> Expr {
    literal(Value::Integer(i))
}

fn real(r: f64) -> Expr {
    literal(Value::Real(r))
}

fn call(function: Function, args: Vec<Expr>) -> Expr {
    Expr::Function { function, args }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary(op, Box::new(left), Box::new(right))
}

fn searched(branches: Vec<(Expr, Expr)>, otherwise: Option<Expr>) -> Expr {
    Expr::Case {
        operand: None,
        branches,
        else_result: otherwise.map(Box::new),
    }
}

fn simple(operand: Expr, branches: Vec<(Expr, Expr)>, otherwise: Option<Expr>) -> Expr {
    Expr::Case {
        operand: Some(Box::new(operand)),
        branches,
        else_result: otherwise.map(Box::new),
    }
}

fn values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(0),
        Value::Integer(1),
        Value::Integer(2),
        Value::Integer(-3),
        Value::Integer(500),
        Value::Integer(i64::MIN),
        Value::Integer(i64::MAX),
        Value::Real(0.0),
        Value::Real(0.5),
        Value::Real(1.0),
        Value::Real(-2.675),
        Value::Real(1e300),
        Value::Real(9.223_372_036_854_776e18),
        Value::Text("12".into()),
        Value::Text("g1".into()),
        Value::Text(String::new()),
        Value::Text("aé½Z".into()),
        Value::Text("é".into()),
        Value::Blob(b"k9".to_vec()),
        Value::Boolean(true),
    ]
}

/// Numeric expressions over columns 0 and 1 of the shapes the closures specialize.
fn number_shapes() -> Vec<Expr> {
    let (c0, c1) = (column(0), column(1));
    let less = |a: Expr, b: Expr| binary(BinaryOp::Less, a, b);
    let nullif = |a: Expr, b: Expr| call(Function::NullIf, vec![a, b]);
    let modulo = |a: Expr, b: Expr| binary(BinaryOp::Modulo, a, b);
    vec![
        // Nested searched CASE, a missing ELSE, a comparison with a REAL and an INTEGER.
        searched(
            vec![
                (
                    less(c0.clone(), int(300)),
                    searched(
                        vec![(less(c1.clone(), real(0.5)), c0.clone())],
                        Some(c1.clone()),
                    ),
                ),
                (
                    binary(BinaryOp::Greater, int(700), c0.clone()),
                    binary(BinaryOp::Subtract, c0.clone(), c1.clone()),
                ),
            ],
            None,
        ),
        // A WHEN that is AND / OR / NOT of comparisons, and one over arithmetic.
        searched(
            vec![
                (
                    binary(
                        BinaryOp::And,
                        binary(BinaryOp::GreaterOrEqual, c0.clone(), int(0)),
                        Expr::Unary(
                            crate::expr::ops::UnaryOp::Not,
                            Box::new(binary(BinaryOp::Equal, c1.clone(), real(1.0))),
                        ),
                    ),
                    binary(BinaryOp::Multiply, c0.clone(), real(1.5)),
                ),
                (
                    binary(
                        BinaryOp::Or,
                        binary(BinaryOp::NotEqual, modulo(c0.clone(), int(3)), int(0)),
                        less(c1.clone(), c0.clone()),
                    ),
                    binary(BinaryOp::Add, c1.clone(), c0.clone()),
                ),
            ],
            Some(real(-1.0)),
        ),
        // Simple CASE of arithmetic against INTEGER and REAL WHENs.
        simple(
            modulo(c0.clone(), int(4)),
            vec![
                (int(0), c1.clone()),
                (
                    real(1.0),
                    Expr::Unary(crate::expr::ops::UnaryOp::Negate, Box::new(c1.clone())),
                ),
                (int(2), binary(BinaryOp::Divide, c1.clone(), c0.clone())),
            ],
            None,
        ),
        simple(
            c0.clone(),
            vec![(int(1), c1.clone()), (real(0.5), int(9))],
            Some(int(-1)),
        ),
        searched(
            vec![(binary(BinaryOp::Greater, c0.clone(), int(500)), c1.clone())],
            Some(int(0)),
        ),
        nullif(modulo(c0.clone(), int(3)), int(0)),
        nullif(c0.clone(), c1.clone()),
        binary(
            BinaryOp::Multiply,
            call(
                Function::IfNull,
                vec![nullif(modulo(c0.clone(), int(5)), int(0)), int(-1)],
            ),
            int(2),
        ),
        call(
            Function::Coalesce,
            vec![nullif(c0.clone(), int(1)), c1.clone(), real(0.25)],
        ),
        binary(
            BinaryOp::Divide,
            c0.clone(),
            nullif(modulo(c1.clone(), int(4)), int(0)),
        ),
        call(
            Function::Abs,
            vec![binary(BinaryOp::Subtract, c0.clone(), real(0.5))],
        ),
        call(
            Function::Sign,
            vec![binary(BinaryOp::Subtract, c0.clone(), c1.clone())],
        ),
        call(
            Function::Round,
            vec![binary(BinaryOp::Multiply, c0.clone(), c1.clone())],
        ),
        binary(
            BinaryOp::Subtract,
            binary(BinaryOp::Multiply, modulo(c0.clone(), int(13)), c1.clone()),
            c0.clone(),
        ),
        // Overflow to REAL, division by zero to NULL.
        binary(
            BinaryOp::Add,
            binary(BinaryOp::Multiply, c0.clone(), c0.clone()),
            c1.clone(),
        ),
        binary(BinaryOp::Divide, c1.clone(), modulo(c0.clone(), int(2))),
        // length() / octet_length() of a column, instr() of a column with a column or a
        // constant: read in place (a number's text, a blob's bytes left to the call).
        call(Function::Length, vec![c0.clone()]),
        call(Function::OctetLength, vec![c1.clone()]),
        binary(
            BinaryOp::Multiply,
            call(Function::Length, vec![c1.clone()]),
            int(2),
        ),
        call(Function::Instr, vec![c0.clone(), c1.clone()]),
        call(
            Function::Instr,
            vec![c1.clone(), literal(Value::Text("é".into()))],
        ),
        call(Function::Instr, vec![c0.clone(), literal(Value::Null)]),
    ]
}

/// Filters over the same shapes: comparisons, BETWEEN and IS [NOT] NULL of them.
fn truth_shapes() -> Vec<Expr> {
    let mut shapes = Vec::new();
    for shape in number_shapes() {
        shapes.push(binary(BinaryOp::Greater, shape.clone(), real(0.7)));
        shapes.push(binary(BinaryOp::Equal, int(2), shape.clone()));
        shapes.push(Expr::Between {
            expr: Box::new(shape.clone()),
            low: Box::new(real(0.3)),
            high: Box::new(int(3)),
            negated: false,
        });
        shapes.push(Expr::Between {
            expr: Box::new(shape.clone()),
            low: Box::new(literal(Value::Null)),
            high: Box::new(column(1)),
            negated: true,
        });
        for negated in [false, true] {
            shapes.push(Expr::IsNull {
                expr: Box::new(shape.clone()),
                negated,
            });
        }
    }
    shapes
}

fn number_value(number: Option<Numeric>) -> Value {
    match number {
        None => Value::Null,
        Some(Numeric::Integer(i)) => Value::Integer(i),
        Some(Numeric::Real(r)) => Value::Real(r),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Real(a), Value::Real(b)) => a.to_bits() == b.to_bits(),
        (a, b) => a == b,
    }
}

/// Every closure gives what `Scalar::number` gives, and the value `Computed` gives through
/// it is the tree walker's.
#[test]
fn number_closures_agree_with_number_and_the_tree_walker() {
    let context = EvalContext::default();
    let values = values();
    let mut numbers = 0;
    for expr in number_shapes() {
        let scalar = Scalar::of(&expr, &context).unwrap_or_else(|| panic!("{expr}"));
        assert!(scalar.numeric_shape(), "{expr}");
        let closure = NumberFn::of(&scalar);
        let mut computed = Computed::new(&expr, &context);
        for a in &values {
            for b in &values {
                let row = [a.clone(), b.clone()];
                let tree = expr
                    .eval(&row, &context)
                    .expect("numeric shapes do not fail");
                let number = closure.number(&row);
                assert_eq!(number, scalar.number(&row), "{expr} over {row:?}");
                if let Some(number) = number {
                    numbers += 1;
                    let value = number_value(number);
                    assert!(
                        same(&value, &tree),
                        "{expr} over {row:?}: {value:?} vs {tree:?}"
                    );
                }
                let owned = computed.eval(&row, &context).expect("no error");
                assert!(
                    same(&owned, &tree),
                    "{expr} over {row:?}: {owned:?} vs {tree:?}"
                );
                let borrowed = computed.eval_borrowed(&row, &context).expect("no error");
                assert!(same(&borrowed, &tree), "{expr} borrowed over {row:?}");
            }
        }
    }
    assert!(numbers > 3_000, "{numbers}");
}

/// Every filter over the shapes compiles, and its truth (direct and as a closure) is the
/// tree walker's.
#[test]
fn truth_closures_agree_with_the_tree_walker() {
    let context = EvalContext::default();
    let values = values();
    for expr in truth_shapes() {
        let Predicate::Compiled(compiled) = Predicate::new(&expr, &context) else {
            panic!("{expr} does not compile");
        };
        let closure = TruthFn::of(&compiled);
        for a in &values {
            for b in &values {
                let row = [a.clone(), b.clone()];
                let tree = truth(&expr.eval(&row, &context).expect("no error"));
                assert_eq!(compiled.truth(&row), tree, "{expr} over {row:?}");
                assert_eq!(closure.truth(&row), tree, "{expr} closure over {row:?}");
            }
        }
    }
}

/// The closures are made for the shapes that take them: a numeric comparison, BETWEEN
/// and IS NULL hold their operands' closures, coalesce() of a computed number is numeric.
#[test]
fn numeric_filters_hold_closures() {
    let context = EvalContext::default();
    let shapes = truth_shapes();
    for expr in &shapes {
        let Predicate::Compiled(compiled) = Predicate::new(expr, &context) else {
            panic!("{expr} does not compile");
        };
        let held = match &compiled {
            Compiled::CompareScalars { numbers, .. } => numbers.is_some(),
            Compiled::BetweenScalars { numbers, .. } => numbers.is_some(),
            Compiled::IsNullScalar { number, .. } => number.is_some(),
            _ => true,
        };
        assert!(held, "{expr}: {compiled:?}");
    }
    let text_columns = call(Function::Coalesce, vec![column(0), column(1)]);
    let scalar = Scalar::of(&text_columns, &context).expect("compiles");
    assert!(
        !scalar.numeric_shape(),
        "coalesce() of bare columns keeps eval"
    );
    let text_nullif = call(
        Function::Coalesce,
        vec![
            call(
                Function::NullIf,
                vec![column(0), literal(Value::Text("g1".into()))],
            ),
            column(1),
        ],
    );
    let scalar = Scalar::of(&text_nullif, &context).expect("compiles");
    assert!(
        !scalar.numeric_shape(),
        "coalesce() of nullif() of a column keeps eval"
    );
    let numeric = call(Function::IfNull, vec![column(0), int(-1)]);
    let scalar = Scalar::of(&numeric, &context).expect("compiles");
    assert!(scalar.numeric_shape(), "ifnull() with a number is numeric");
}
