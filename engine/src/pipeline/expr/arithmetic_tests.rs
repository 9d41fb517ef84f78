//! Compiled arithmetic against the tree walker: every operator over every pair of value
//! types (integer edges, reals that overflow to infinity and make NaN, NULL, text
//! numbers, blobs, booleans), in every compiled shape.

use super::*;
use crate::expr::ColumnMeta;

fn column(index: usize) -> Box<Expr> {
    Box::new(Expr::Column {
        index,
        name: format!("c{index}"),
        meta: ColumnMeta::default(),
    })
}

fn literal(value: Value) -> Box<Expr> {
    Box::new(Expr::Literal(value))
}

fn binary(op: BinaryOp, left: Box<Expr>, right: Box<Expr>) -> Box<Expr> {
    Box::new(Expr::Binary(op, left, right))
}

const OPS: [BinaryOp; 5] = [
    BinaryOp::Add,
    BinaryOp::Subtract,
    BinaryOp::Multiply,
    BinaryOp::Divide,
    BinaryOp::Modulo,
];

/// Values of every type, with the edges where SQLite's rules turn: i64::MIN / MAX (overflow
/// to REAL, MIN / -1, MIN % -1, -MIN), zero of both kinds (division by zero), infinities
/// (inf - inf and inf * 0 are NaN, hence NULL), fractions for %, text numbers.
fn values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(0),
        Value::Integer(1),
        Value::Integer(-1),
        Value::Integer(7),
        Value::Integer(-3),
        Value::Integer(i64::MAX),
        Value::Integer(i64::MIN),
        Value::Integer(i64::MAX / 2 + 1),
        Value::Integer(1 << 53),
        Value::Real(0.0),
        Value::Real(-0.0),
        Value::Real(2.5),
        Value::Real(-7.75),
        Value::Real(1e300),
        Value::Real(f64::INFINITY),
        Value::Real(f64::NEG_INFINITY),
        Value::Real(9.3e18),
        Value::Real(-9.223_372_036_854_776e18),
        Value::Text("3".into()),
        Value::Text(" 1e2x".into()),
        Value::Text("abc".into()),
        Value::Text("-0".into()),
        Value::Blob(b"12".to_vec()),
        Value::Boolean(true),
    ]
}

/// Both values, compared so that NaN equals NaN and 0.0 differs from -0.0 (the bits).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Shapes over columns 0 and 1 and number constants that must all compile.
fn compiled_shapes() -> Vec<Expr> {
    let constants = [
        Value::Integer(2),
        Value::Integer(0),
        Value::Integer(i64::MIN),
        Value::Integer(-1),
        Value::Real(0.5),
        Value::Real(0.0),
    ];
    let mut shapes = Vec::new();
    for op in OPS {
        shapes.push(*binary(op, column(0), column(1)));
        shapes.push(*binary(op, column(1), column(0)));
        for constant in &constants {
            shapes.push(*binary(op, column(0), literal(constant.clone())));
            shapes.push(*binary(op, literal(constant.clone()), column(1)));
        }
        for inner in OPS {
            // A computed right side under a leaf (reversed), a computed left side, and
            // both sides computed (the stack).
            shapes.push(*binary(
                op,
                literal(Value::Integer(1)),
                binary(inner, column(0), column(1)),
            ));
            shapes.push(*binary(op, binary(inner, column(1), column(0)), column(0)));
            shapes.push(*binary(
                op,
                binary(inner, column(0), literal(Value::Integer(3))),
                binary(op, column(1), column(0)),
            ));
        }
        shapes.push(Expr::Unary(
            UnaryOp::Negate,
            binary(op, column(0), column(1)),
        ));
        shapes.push(*binary(
            op,
            Box::new(Expr::Unary(UnaryOp::Negate, column(0))),
            Box::new(Expr::Unary(UnaryOp::Plus, column(1))),
        ));
        shapes.push(*binary(op, column(0), Box::new(Expr::Parameter(0))));
    }
    shapes.push(Expr::Unary(UnaryOp::Negate, column(0)));
    shapes.push(Expr::Unary(
        UnaryOp::Negate,
        Box::new(Expr::Unary(UnaryOp::Negate, column(1))),
    ));
    // TPC-H Q1's: c0 * (1 - c1) * (1 + c0).
    shapes.push(*binary(
        BinaryOp::Multiply,
        binary(
            BinaryOp::Multiply,
            column(0),
            binary(BinaryOp::Subtract, literal(Value::Integer(1)), column(1)),
        ),
        binary(BinaryOp::Add, literal(Value::Integer(1)), column(0)),
    ));
    shapes
}

#[test]
fn compiled_arithmetic_agrees_with_the_tree_walker() {
    let params = [Value::Integer(-1)];
    let context = EvalContext::with_params(&params);
    let values = values();
    let mut covered = 0;
    for expr in compiled_shapes() {
        let mut computed = Computed::new(&expr, &context);
        assert!(computed.is_compiled(), "{expr} is not compiled");
        for a in &values {
            for b in &values {
                let row = [a.clone(), b.clone()];
                let tree = expr.eval(&row, &context).unwrap();
                let compiled = computed.eval(&row, &context).unwrap();
                let Computed::Arithmetic(program, _) = &mut computed else {
                    unreachable!("compiled above");
                };
                assert!(
                    same(&compiled, &tree),
                    "{expr} over {row:?}: {compiled:?} vs {tree:?}"
                );
                let numbers = row
                    .iter()
                    .all(|v| matches!(v, Value::Integer(_) | Value::Real(_) | Value::Null));
                let shared = program.value(&row);
                match program.eval(&row) {
                    Some(value) => {
                        assert!(
                            shared.as_ref().is_some_and(|shared| same(shared, &value)),
                            "{expr} over {row:?}: shared {shared:?} vs {value:?}"
                        );
                        assert!(same(&value, &tree), "{expr} over {row:?}");
                        covered += 1;
                    }
                    // Only rows with a value the program does not take go to the tree.
                    None => {
                        assert!(shared.is_none(), "{expr} over {row:?}");
                        assert!(!numbers, "{expr} over {row:?} was not computed");
                    }
                }
            }
        }
    }
    assert!(covered > 10_000, "the program computed {covered} rows");
}

/// The edges the tree's own tests pin, computed by the program (not handed back).
#[test]
fn compiled_edges_follow_sqlite() {
    let context = EvalContext::with_params(&[]);
    let eval = |op, a: Value, b: Value| {
        let expr = binary(op, column(0), column(1));
        Arithmetic::of(&expr, &context)
            .expect("compiled")
            .eval(&[a, b])
            .expect("covered")
    };
    let int = Value::Integer;
    let big = Value::Real(9.223_372_036_854_776e18);
    assert_eq!(eval(BinaryOp::Add, int(i64::MAX), int(1)), big);
    assert_eq!(eval(BinaryOp::Multiply, int(i64::MIN), int(-1)), big);
    assert_eq!(eval(BinaryOp::Divide, int(i64::MIN), int(-1)), big);
    assert_eq!(eval(BinaryOp::Modulo, int(i64::MIN), int(-1)), int(0));
    assert_eq!(eval(BinaryOp::Divide, int(-7), int(2)), int(-3));
    assert_eq!(eval(BinaryOp::Divide, int(1), int(0)), Value::Null);
    assert_eq!(
        eval(BinaryOp::Divide, Value::Real(1.0), Value::Real(-0.0)),
        Value::Null
    );
    assert_eq!(
        eval(BinaryOp::Modulo, Value::Real(5.5), Value::Real(0.5)),
        Value::Null
    );
    assert_eq!(
        eval(BinaryOp::Modulo, Value::Real(-7.5), int(2)),
        Value::Real(-1.0)
    );
    let infinity = Value::Real(f64::INFINITY);
    assert_eq!(
        eval(BinaryOp::Subtract, infinity.clone(), infinity.clone()),
        Value::Null
    );
    assert_eq!(eval(BinaryOp::Multiply, infinity, int(0)), Value::Null);
    assert_eq!(eval(BinaryOp::Add, Value::Null, int(1)), Value::Null);
    let negated = Expr::Unary(UnaryOp::Negate, column(0));
    let mut program = Arithmetic::of(&negated, &context).expect("compiled");
    assert_eq!(program.eval(&[int(i64::MIN)]), Some(big));
    let zero = program.eval(&[Value::Real(0.0)]).expect("covered");
    assert!(
        matches!(zero, Value::Real(r) if r.to_bits() == 0),
        "{zero:?}"
    );
}

#[test]
fn other_shapes_keep_the_tree() {
    let context = EvalContext::with_params(&[]);
    let shapes = [
        // No operator: the tree's leaves are cheap already.
        *column(0),
        Expr::Unary(UnaryOp::Plus, column(0)),
        *literal(Value::Integer(1)),
        // Constants that are not numbers.
        *binary(BinaryOp::Add, column(0), literal(Value::Text("1".into()))),
        *binary(BinaryOp::Add, column(0), literal(Value::Null)),
        // A parameter without a value: the tree reports it at the first row.
        *binary(BinaryOp::Add, column(0), Box::new(Expr::Parameter(0))),
        // Arithmetic over a comparison or a CAST (compiled scalars: scalar_tests.rs).
        *binary(
            BinaryOp::Add,
            column(0),
            binary(BinaryOp::Less, column(0), column(1)),
        ),
        *binary(
            BinaryOp::Add,
            column(0),
            Box::new(Expr::Cast {
                expr: column(1),
                affinity: crate::expr::Affinity::Integer,
            }),
        ),
    ];
    // No program: the tree, or a compiled scalar (`Scalar::Binary`, arithmetic over
    // operands a program does not cover) that answers as the tree does.
    let row = [Value::Integer(4), Value::Text("7x".into())];
    for expr in &shapes {
        let mut computed = Computed::new(expr, &context);
        assert!(!matches!(computed, Computed::Arithmetic(..)), "{expr}");
        assert_eq!(
            computed.eval(&row, &context).map_err(|e| e.to_string()),
            expr.eval(&row, &context).map_err(|e| e.to_string()),
            "{expr}"
        );
    }
    let missing = binary(BinaryOp::Add, column(0), Box::new(Expr::Parameter(0)));
    assert!(Computed::new(&missing, &context)
        .eval(&[Value::Integer(1)], &context)
        .is_err());
}

/// A stack deeper than `STACK_MAX` is no program (its operators compile as scalars over
/// smaller programs); one within it is.
#[test]
fn deep_stacks_keep_the_tree() {
    let context = EvalContext::with_params(&[]);
    // c0 + (c0 + (c0 + ...)) with computed right sides: one stack slot per level.
    let nested = |levels: usize| {
        let mut expr = binary(BinaryOp::Add, column(0), column(0));
        for _ in 0..levels {
            expr = binary(
                BinaryOp::Add,
                binary(BinaryOp::Multiply, column(0), column(0)),
                expr,
            );
        }
        expr
    };
    let shallow = nested(STACK_MAX - 2);
    let mut computed = Computed::new(&shallow, &context);
    assert!(computed.is_compiled());
    let row = [Value::Integer(3)];
    assert_eq!(
        computed.eval(&row, &context).unwrap(),
        shallow.eval(&row, &context).unwrap()
    );
    let deep = nested(STACK_MAX + 2);
    let mut computed = Computed::new(&deep, &context);
    assert!(!matches!(computed, Computed::Arithmetic(..)));
    assert_eq!(
        computed.eval(&row, &context).unwrap(),
        deep.eval(&row, &context).unwrap()
    );
}
