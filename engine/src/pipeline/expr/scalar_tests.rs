//! Compiled scalar operands and the filters over them against the tree walker: every
//! compiled function, LIKE / GLOB with constant and per-row patterns, CAST, arithmetic
//! and their nestings, over rows of every storage class (integer edges, reals, texts with
//! digits, letters of both cases, non-ASCII and wildcard characters, blobs, booleans,
//! NULL), as values (`Computed`) and as filters (`Predicate`, `Staged`), errors included.

use super::*;
use crate::expr::ops::{truth, BinaryOp, Numeric, UnaryOp};
use crate::expr::{ColumnMeta, Compiled, Computed, DateFunction, Math, Predicate, Staged};

fn column(index: usize) -> Expr {
    Expr::Column {
        index,
        name: format!("c{index}"),
        meta: ColumnMeta::default(),
    }
}

fn int(i: i64) -> Expr {
    Expr::Literal(Value::Integer(i))
}

fn real(r: f64) -> Expr {
    Expr::Literal(Value::Real(r))
}

fn text(s: &str) -> Expr {
    Expr::Literal(Value::Text(s.to_string()))
}

fn call(function: Function, args: Vec<Expr>) -> Expr {
    Expr::Function { function, args }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary(op, Box::new(left), Box::new(right))
}

fn like(pattern: Expr, operand: Expr) -> Expr {
    call(Function::Like, vec![pattern, operand])
}

/// Column values of every class, with the edges the functions turn on.
fn values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(0),
        Value::Integer(2),
        Value::Integer(-3),
        Value::Integer(i64::MIN),
        Value::Integer(i64::MAX),
        Value::Real(0.5),
        Value::Real(-2.675),
        Value::Real(1e300),
        Value::Text(String::new()),
        Value::Text("k5x".into()),
        Value::Text("K1".into()),
        Value::Text("ab99c".into()),
        Value::Text(" 12 ".into()),
        Value::Text("é%_".into()),
        Value::Text("3".into()),
        Value::Text("aé½Z".into()),
        Value::Text("MiXeD".into()),
        Value::Real(2.5),
        Value::Real(-0.125),
        Value::Blob(b"k9".to_vec()),
        Value::Blob(Vec::new()),
        Value::Boolean(true),
        Value::Text("a text well over the inline size of a short string, é".into()),
        Value::Real(-0.0),
        Value::Real(f64::MAX),
        Value::Text("k77".into()),
        Value::Text("-9223372036854775809".into()),
        Value::Text("日本k7".into()),
    ]
}

/// Both results alike: equal values (reals by their bits, so NaN and -0.0 count), or
/// errors with the same message.
fn same(compiled: &Result<Value>, tree: &Result<Value>) -> bool {
    match (compiled, tree) {
        (Ok(Value::Real(a)), Ok(Value::Real(b))) => a.to_bits() == b.to_bits(),
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => a.to_string() == b.to_string(),
        _ => false,
    }
}

/// Scalar shapes over columns 0 and 1 that must compile (some may fail per row).
fn scalar_shapes() -> Vec<Expr> {
    let (c0, c1) = (column(0), column(1));
    let mut shapes = Vec::new();
    for function in [
        Function::Length,
        Function::OctetLength,
        Function::Lower,
        Function::Upper,
        Function::Trim,
        Function::LTrim,
        Function::RTrim,
        Function::Unicode,
        Function::Round,
        Function::Sign,
        Function::TypeOf,
        Function::Likely,
        Function::Unlikely,
        Function::Abs,
        Function::Hex,
        Function::Math(Math::Sqrt),
        Function::Math(Math::Ceil),
        Function::Math(Math::Ln),
    ] {
        shapes.push(call(function, vec![c0.clone()]));
    }
    shapes.extend([
        call(Function::Substr, vec![c0.clone(), c1.clone()]),
        call(Function::Substr, vec![c0.clone(), int(1), int(2)]),
        call(Function::Substr, vec![c0.clone(), c1.clone(), int(-1)]),
        call(Function::Instr, vec![c0.clone(), c1.clone()]),
        call(Function::Round, vec![c0.clone(), c1.clone()]),
        call(Function::Round, vec![c0.clone(), int(2)]),
        call(Function::Coalesce, vec![c0.clone(), c1.clone()]),
        call(Function::IfNull, vec![c0.clone(), text("x")]),
        call(Function::NullIf, vec![c0.clone(), c1.clone()]),
        call(Function::Min, vec![c0.clone(), c1.clone(), int(3)]),
        call(Function::Max, vec![c0.clone(), c1.clone()]),
        call(Function::Replace, vec![c0.clone(), text("5"), c1.clone()]),
        call(Function::Replace, vec![c0.clone(), c1.clone(), text("<>")]),
        call(
            Function::Replace,
            vec![call(Function::Upper, vec![c0.clone()]), text("K"), text("")],
        ),
        call(Function::Concat, vec![c0.clone(), c1.clone()]),
        call(
            Function::ConcatWs,
            vec![text(","), c0.clone(), c1.clone(), c0.clone()],
        ),
        call(Function::Trim, vec![c0.clone(), c1.clone()]),
        call(Function::Math(Math::Pow), vec![c0.clone(), c1.clone()]),
        // Nestings, arithmetic inside calls, lazy COALESCE over a call that can fail.
        call(
            Function::Upper,
            vec![call(Function::Substr, vec![c0.clone(), int(1), int(2)])],
        ),
        call(
            Function::Length,
            vec![call(Function::Lower, vec![c1.clone()])],
        ),
        call(
            Function::Abs,
            vec![binary(BinaryOp::Subtract, c0.clone(), real(0.5))],
        ),
        call(
            Function::Round,
            vec![binary(BinaryOp::Multiply, c0.clone(), int(2)), int(1)],
        ),
        call(
            Function::Coalesce,
            vec![c1.clone(), call(Function::Abs, vec![c0.clone()])],
        ),
        Expr::Cast {
            expr: Box::new(c0.clone()),
            affinity: Affinity::Integer,
        },
        Expr::Cast {
            expr: Box::new(call(Function::Length, vec![c0.clone()])),
            affinity: Affinity::Text,
        },
        binary(
            BinaryOp::Add,
            binary(BinaryOp::Modulo, c0.clone(), int(7)),
            Expr::Parameter(0),
        ),
        // Patterns: constant (prepared), per-row, numeric, NULL, with ESCAPE.
        like(text("k1%"), c0.clone()),
        like(text("%99%"), c0.clone()),
        like(text("K5X"), c0.clone()),
        like(text("%c"), c0.clone()),
        like(text("_b%"), c0.clone()),
        like(text("é%"), c0.clone()),
        like(text(""), c0.clone()),
        like(int(3), c0.clone()),
        like(Expr::Literal(Value::Null), c0.clone()),
        like(c1.clone(), c0.clone()),
        like(Expr::Parameter(1), c0.clone()),
        call(Function::Like, vec![text("%\\%%"), c0.clone(), text("\\")]),
        call(Function::Like, vec![text("%x_%"), c0.clone(), text("x")]),
        call(Function::Like, vec![text("a"), c0.clone(), c1.clone()]),
        call(Function::Like, vec![text("a"), c0.clone(), text("xy")]),
        call(Function::Glob, vec![text("k*"), c0.clone()]),
        call(Function::Glob, vec![text("*[0-9]?"), c0.clone()]),
        call(Function::Glob, vec![text("[a"), c0.clone()]),
        call(Function::Glob, vec![c1.clone(), c0.clone()]),
        like(
            text("K%"),
            call(
                Function::Upper,
                vec![call(Function::Trim, vec![c0.clone()])],
            ),
        ),
        // Text views (substr/upper/lower read in place) in every nesting and consumer.
        call(
            Function::Upper,
            vec![call(Function::Lower, vec![c0.clone()])],
        ),
        call(
            Function::Substr,
            vec![call(Function::Upper, vec![c0.clone()]), c1.clone()],
        ),
        call(
            Function::Lower,
            vec![call(Function::Substr, vec![c0.clone(), int(-2)])],
        ),
        call(
            Function::Substr,
            vec![
                call(Function::Substr, vec![c0.clone(), int(2)]),
                int(1),
                c1.clone(),
            ],
        ),
        call(
            Function::Length,
            vec![call(Function::Substr, vec![c0.clone(), int(2)])],
        ),
        call(
            Function::OctetLength,
            vec![call(Function::Upper, vec![c0.clone()])],
        ),
        call(
            Function::Hex,
            vec![call(Function::Substr, vec![c0.clone(), int(1), int(1)])],
        ),
        like(
            text("k%"),
            call(Function::Substr, vec![c0.clone(), int(1), int(3)]),
        ),
        like(
            text("%X%"),
            call(
                Function::Lower,
                vec![call(Function::Substr, vec![c0.clone(), int(2)])],
            ),
        ),
        // Operators arithmetic does not cover, predicates as values, CASE.
        binary(BinaryOp::Concat, c0.clone(), c1.clone()),
        binary(
            BinaryOp::Concat,
            binary(BinaryOp::Concat, c0.clone(), text("-")),
            c1.clone(),
        ),
        // || chains (flattened on the left spine), of views, numbers, a right nesting.
        binary(
            BinaryOp::Concat,
            binary(
                BinaryOp::Concat,
                binary(BinaryOp::Concat, c1.clone(), c0.clone()),
                real(2.5),
            ),
            call(Function::Upper, vec![c0.clone()]),
        ),
        binary(
            BinaryOp::Concat,
            call(Function::Substr, vec![c0.clone(), int(2)]),
            binary(BinaryOp::Concat, c1.clone(), int(-7)),
        ),
        binary(
            BinaryOp::Concat,
            binary(BinaryOp::Concat, text(""), c0.clone()),
            Expr::Literal(Value::Null),
        ),
        call(
            Function::Length,
            vec![binary(BinaryOp::Concat, c0.clone(), c1.clone())],
        ),
        call(
            Function::Length,
            vec![call(Function::Coalesce, vec![c0.clone(), c1.clone()])],
        ),
        call(
            Function::OctetLength,
            vec![call(Function::Coalesce, vec![c1.clone(), text("é")])],
        ),
        binary(BinaryOp::BitAnd, c0.clone(), c1.clone()),
        binary(BinaryOp::IsDistinctFrom, c0.clone(), c1.clone()),
        call(
            Function::Length,
            vec![Expr::Unary(UnaryOp::Not, Box::new(c0.clone()))],
        ),
        binary(BinaryOp::Less, c0.clone(), c1.clone()),
        binary(
            BinaryOp::Or,
            binary(BinaryOp::Equal, c0.clone(), int(2)),
            Expr::IsNull {
                expr: Box::new(c1.clone()),
                negated: false,
            },
        ),
        Expr::Case {
            operand: None,
            branches: vec![
                (binary(BinaryOp::Less, c0.clone(), real(0.25)), text("low")),
                (binary(BinaryOp::Less, c0.clone(), c1.clone()), c1.clone()),
                (c1.clone(), binary(BinaryOp::Subtract, int(1), c0.clone())),
            ],
            else_result: Some(Box::new(c0.clone())),
        },
        Expr::Case {
            operand: Some(Box::new(c0.clone())),
            branches: vec![
                (text("k5x"), int(1)),
                (int(2), call(Function::Upper, vec![c1.clone()])),
                (c1.clone(), real(0.5)),
            ],
            else_result: None,
        },
        Expr::Case {
            operand: None,
            branches: vec![(
                binary(BinaryOp::Greater, c0.clone(), real(0.5)),
                call(Function::Abs, vec![c1.clone()]),
            )],
            else_result: Some(Box::new(int(0))),
        },
        // iif as bound (a searched CASE), numeric CASEs (computed on numbers), a simple
        // CASE over every class.
        Expr::Case {
            operand: None,
            branches: vec![(c0.clone(), c1.clone())],
            else_result: Some(Box::new(int(7))),
        },
        Expr::Case {
            operand: None,
            branches: vec![(binary(BinaryOp::Greater, c0.clone(), int(1)), c1.clone())],
            else_result: Some(Box::new(call(Function::Abs, vec![c0.clone()]))),
        },
        Expr::Case {
            operand: Some(Box::new(c0.clone())),
            branches: vec![
                (text("k5x"), int(1)),
                (int(2), c1.clone()),
                (real(0.5), binary(BinaryOp::Add, c1.clone(), int(1))),
                (Expr::Literal(Value::Blob(b"k9".to_vec())), int(4)),
                (text(""), real(5.5)),
                (Expr::Literal(Value::Null), int(6)),
            ],
            else_result: Some(Box::new(int(0))),
        },
        Expr::Case {
            operand: Some(Box::new(binary(BinaryOp::Modulo, c0.clone(), int(3)))),
            branches: vec![(int(0), c0.clone()), (c1.clone(), int(-1))],
            else_result: None,
        },
        Expr::Case {
            operand: None,
            branches: vec![
                (c0.clone(), call(Function::Length, vec![c1.clone()])),
                (binary(BinaryOp::Less, c1.clone(), int(1)), c1.clone()),
            ],
            else_result: Some(Box::new(call(Function::Abs, vec![c0.clone()]))),
        },
        // Numeric functions computed on numbers.
        call(
            Function::NullIf,
            vec![binary(BinaryOp::Modulo, c0.clone(), int(3)), int(0)],
        ),
        call(Function::NullIf, vec![c0.clone(), real(2.0)]),
        call(Function::NullIf, vec![c0.clone(), c1.clone()]),
        call(Function::Abs, vec![c0.clone()]),
        call(
            Function::Sign,
            vec![binary(BinaryOp::Subtract, c0.clone(), int(1))],
        ),
        call(Function::Round, vec![c0.clone()]),
        call(
            Function::Round,
            vec![call(Function::Abs, vec![c0.clone()]), real(1.7)],
        ),
        call(
            Function::Abs,
            vec![call(Function::Round, vec![c0.clone(), int(2)])],
        ),
        call(
            Function::Sign,
            vec![call(Function::Round, vec![c0.clone(), Expr::Parameter(1)])],
        ),
    ]);
    shapes.extend(text_in_place_shapes());
    shapes.extend(text_call_shapes());
    shapes
}

/// Date functions and printf() over columns and `||` chains (their chain arguments lent
/// spare buffers: `spare_text.rs`).
fn text_call_shapes() -> Vec<Expr> {
    let (c0, c1) = (column(0), column(1));
    let concat = |left: Expr, right: Expr| binary(BinaryOp::Concat, left, right);
    let days = concat(
        concat(text("+"), binary(BinaryOp::Modulo, c0.clone(), int(30))),
        text(" days"),
    );
    let date = |function: DateFunction, args: Vec<Expr>| call(Function::Date(function), args);
    vec![
        date(DateFunction::Date, vec![c0.clone()]),
        date(DateFunction::Date, vec![text("2024-01-01"), days.clone()]),
        date(DateFunction::DateTime, vec![c0.clone(), c1.clone()]),
        date(DateFunction::Time, vec![concat(text("12:"), c0.clone())]),
        date(DateFunction::JulianDay, vec![c0.clone()]),
        date(
            DateFunction::UnixEpoch,
            vec![text("2000-01-01"), days.clone()],
        ),
        date(DateFunction::Strftime, vec![c0.clone(), text("2024-03-01")]),
        date(
            DateFunction::Strftime,
            vec![
                text("%Y-%j %H"),
                text("2024-03-01"),
                days.clone(),
                c1.clone(),
            ],
        ),
        days,
        call(
            Function::Printf,
            vec![text("%08d-%s"), c0.clone(), c1.clone()],
        ),
        call(Function::Printf, vec![c0.clone(), c1.clone()]),
        call(
            Function::Printf,
            vec![
                text("%s|%5.2f|%-4d|%q"),
                concat(c0.clone(), c1.clone()),
                c0.clone(),
            ],
        ),
    ]
}

#[path = "scalar_in_place_tests.rs"]
mod in_place_shapes;
use in_place_shapes::text_in_place_shapes;

const PARAMS: [Value; 2] = [Value::Integer(-1), Value::Null];

/// Every scalar shape compiles, and its value (or error) over every row is the tree's.
#[test]
fn compiled_scalars_agree_with_the_tree_walker() {
    let params = PARAMS;
    let context = EvalContext::with_params(&params);
    let values = values();
    let mut errors = 0;
    for expr in scalar_shapes() {
        let scalar = Scalar::of(&expr, &context).unwrap_or_else(|| panic!("{expr}"));
        let mut computed = Computed::new(&expr, &context);
        assert!(computed.is_compiled(), "{expr}");
        for a in &values {
            for b in &values {
                let row = [a.clone(), b.clone()];
                let tree = expr.eval(&row, &context);
                let compiled = scalar.eval(&row).map(|value| value.into_owned());
                assert!(
                    same(&compiled, &tree),
                    "{expr} over {row:?}: {compiled:?} vs {tree:?}"
                );
                let owned = computed.eval(&row, &context);
                assert!(same(&owned, &tree), "{expr} over {row:?}");
                // Borrowed (text written into the reused buffer) and as a number.
                let borrowed = computed
                    .eval_borrowed(&row, &context)
                    .map(|value| value.into_owned());
                assert!(same(&borrowed, &tree), "{expr} borrowed over {row:?}");
                if scalar.numeric_shape() {
                    if let Some(number) = scalar.number(&row) {
                        let number = Ok(match number {
                            None => Value::Null,
                            Some(Numeric::Integer(i)) => Value::Integer(i),
                            Some(Numeric::Real(r)) => Value::Real(r),
                        });
                        assert!(same(&number, &tree), "{expr} as a number over {row:?}");
                    }
                }
                if tree.is_err() {
                    errors += 1;
                    assert!(scalar.can_fail(), "{expr} failed over {row:?}");
                }
            }
        }
    }
    // abs(i64::MIN), the ESCAPE of two characters: the errors are the tree's.
    assert!(errors > 0);
}

/// A prepared pattern is what compiles for a constant one; a per-row pattern is a call.
#[test]
fn constant_patterns_are_prepared() {
    let context = EvalContext::with_params(&[]);
    let prepared = Scalar::of(&like(text("%a%"), column(0)), &context).unwrap();
    assert!(matches!(prepared, Scalar::Match { .. }), "{prepared:?}");
    assert!(!prepared.can_fail());
    let per_row = Scalar::of(&like(column(1), column(0)), &context).unwrap();
    assert!(matches!(per_row, Scalar::Call { .. }), "{per_row:?}");
    assert!(per_row.can_fail());
    let too_long = "%".repeat(crate::limits::LIKE_PATTERN_BYTES_MAX + 1);
    let refused = Scalar::of(&like(text(&too_long), column(0)), &context).unwrap();
    assert!(matches!(refused, Scalar::Call { .. }), "{refused:?}");
    assert!(refused.eval(&[Value::Text("a".into())]).is_err());
}

#[test]
fn other_shapes_do_not_compile() {
    let context = EvalContext::with_params(&[]);
    let shapes = [
        call(Function::Random, vec![]),
        call(Function::Quote, vec![column(0)]),
        call(Function::Length, vec![Expr::Parameter(0)]),
        // Wrong arity: the tree reports it per row.
        call(Function::Length, vec![column(0), column(1)]),
    ];
    for expr in &shapes {
        assert!(Scalar::of(expr, &context).is_none(), "{expr}");
        assert!(!Predicate::new(expr, &context).is_compiled(), "{expr}");
    }
}

/// Filter shapes over compiled operands that must compile.
fn predicate_shapes() -> Vec<Expr> {
    let ops = [
        BinaryOp::Equal,
        BinaryOp::NotEqual,
        BinaryOp::Less,
        BinaryOp::GreaterOrEqual,
    ];
    let operands = [
        int(3),
        real(0.5),
        text("K5"),
        Expr::Literal(Value::Null),
        column(1),
    ];
    let mut shapes = Vec::new();
    for expr in scalar_shapes() {
        let Some(scalar) = Scalar::of(&expr, &EvalContext::with_params(&PARAMS)) else {
            continue;
        };
        if scalar.can_fail() {
            continue;
        }
        shapes.push(expr.clone());
        shapes.push(Expr::Unary(UnaryOp::Not, Box::new(expr.clone())));
        for op in ops {
            for operand in &operands {
                shapes.push(binary(op, expr.clone(), operand.clone()));
            }
        }
        shapes.push(binary(BinaryOp::Greater, int(2), expr.clone()));
        shapes.push(Expr::IsNull {
            expr: Box::new(expr.clone()),
            negated: false,
        });
        shapes.push(Expr::Between {
            expr: Box::new(expr.clone()),
            low: Box::new(int(1)),
            high: Box::new(column(1)),
            negated: true,
        });
    }
    let (c0, c1) = (column(0), column(1));
    shapes.extend([
        // Two text views, a view and a column, two numeric calls.
        binary(
            BinaryOp::Equal,
            call(Function::Upper, vec![c0.clone()]),
            call(Function::Upper, vec![c1.clone()]),
        ),
        binary(
            BinaryOp::Less,
            call(Function::Substr, vec![c0.clone(), int(2)]),
            call(Function::Lower, vec![c1.clone()]),
        ),
        binary(
            BinaryOp::GreaterOrEqual,
            c1.clone(),
            call(
                Function::Lower,
                vec![call(Function::Substr, vec![c0.clone(), int(1), int(2)])],
            ),
        ),
        binary(
            BinaryOp::Less,
            call(Function::Round, vec![c0.clone()]),
            call(Function::Round, vec![c1.clone(), int(1)]),
        ),
        binary(
            BinaryOp::NotEqual,
            binary(BinaryOp::Modulo, c0.clone(), int(7)),
            call(Function::Sign, vec![c1.clone()]),
        ),
        binary(
            BinaryOp::And,
            binary(
                BinaryOp::Less,
                call(
                    Function::Abs,
                    vec![binary(BinaryOp::Subtract, c0.clone(), real(0.5))],
                ),
                real(0.1),
            ),
            binary(
                BinaryOp::Equal,
                call(Function::Lower, vec![c1.clone()]),
                text("k5x"),
            ),
        ),
        binary(BinaryOp::Equal, column(0), column(1)),
        column(0),
        Expr::IsNull {
            expr: Box::new(binary(BinaryOp::Modulo, column(0), int(7))),
            negated: true,
        },
        Expr::Between {
            expr: Box::new(binary(BinaryOp::Modulo, column(0), int(7))),
            low: Box::new(int(2)),
            high: Box::new(int(4)),
            negated: false,
        },
    ]);
    let base = shapes.len();
    for i in (0..base).step_by(7) {
        let other = shapes[(i * 13 + 5) % base].clone();
        for op in [BinaryOp::And, BinaryOp::Or] {
            shapes.push(binary(op, shapes[i].clone(), other.clone()));
        }
    }
    shapes
}

/// Every filter over compiled operands compiles, never fails, and passes exactly the
/// rows the tree walker passes, with the same truth (NULL included); staged, too.
#[test]
fn compiled_filters_over_scalars_agree_with_the_tree_walker() {
    let params = PARAMS;
    let context = EvalContext::with_params(&params);
    let values = values();
    let mut checked = 0;
    for expr in predicate_shapes() {
        let Predicate::Compiled(compiled) = Predicate::new(&expr, &context) else {
            panic!("{expr} does not compile");
        };
        let staged = Staged::of(&compiled, |_| true).expect("every column decoded");
        for a in &values {
            for b in &values {
                let row = [a.clone(), b.clone()];
                let tree = expr.eval(&row, &context);
                let Ok(tree) = tree else {
                    panic!("{expr} failed over {row:?}: a compiled filter cannot");
                };
                assert_eq!(compiled.truth(&row), truth(&tree), "{expr} over {row:?}");
                let passes = truth(&tree) == Some(true);
                assert_eq!(compiled.passes(&row), passes, "{expr} over {row:?}");
                assert_eq!(staged.matches(&row), passes, "{expr} over {row:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
}

/// Operands that can fail keep the tree in a filter (the tree reports the error in the
/// row's order), though they compile as values.
#[test]
fn fallible_operands_keep_the_tree_in_filters() {
    let context = EvalContext::with_params(&[]);
    let shapes = [
        binary(
            BinaryOp::Greater,
            call(Function::Abs, vec![column(0)]),
            int(1),
        ),
        call(Function::Like, vec![column(1), column(0)]),
        binary(
            BinaryOp::And,
            binary(BinaryOp::Equal, column(1), int(1)),
            call(Function::Hex, vec![column(0)]),
        ),
    ];
    for expr in &shapes {
        assert!(!Predicate::new(expr, &context).is_compiled(), "{expr}");
    }
    // A `||` chain of constants and numbers cannot pass the size limit; one with a
    // column's text can.
    let chain = |part: Expr| {
        let days = binary(BinaryOp::Concat, text("+"), part);
        let date = call(
            Function::Date(DateFunction::Date),
            vec![text("2024-01-01"), days],
        );
        binary(BinaryOp::Greater, date, text("2024-01-15"))
    };
    let bounded = chain(binary(BinaryOp::Modulo, column(0), int(30)));
    assert!(
        Predicate::new(&bounded, &context).is_compiled(),
        "{bounded}"
    );
    let unbounded = chain(column(0));
    assert!(
        !Predicate::new(&unbounded, &context).is_compiled(),
        "{unbounded}"
    );
    let overflow = binary(
        BinaryOp::Greater,
        call(Function::Abs, vec![column(0)]),
        int(1),
    );
    let predicate = Predicate::new(&overflow, &context);
    assert!(predicate
        .matches(&[Value::Integer(i64::MIN)], &context)
        .is_err());
}

/// abs() of an operand that is never an INTEGER cannot fail, so its filter compiles; of
/// one that may be (a column, integer arithmetic, a REAL on the inner side only) it keeps
/// the tree.
#[test]
fn abs_of_reals_compiles_in_filters() {
    let context = EvalContext::with_params(&[]);
    let abs = |operand: Expr| {
        binary(
            BinaryOp::Less,
            call(Function::Abs, vec![operand]),
            real(0.1),
        )
    };
    let never_integer = [
        binary(BinaryOp::Subtract, column(0), real(0.5)),
        binary(
            BinaryOp::Multiply,
            real(2.0),
            binary(BinaryOp::Add, column(0), int(1)),
        ),
        call(Function::Round, vec![column(0), int(2)]),
        call(
            Function::Abs,
            vec![binary(BinaryOp::Divide, column(0), real(3.0))],
        ),
    ];
    for operand in never_integer {
        let expr = abs(operand);
        assert!(Predicate::new(&expr, &context).is_compiled(), "{expr}");
    }
    let maybe_integer = [
        column(0),
        binary(BinaryOp::Subtract, column(0), int(1)),
        binary(
            BinaryOp::Add,
            binary(BinaryOp::Multiply, column(0), real(0.5)),
            column(1),
        ),
    ];
    for operand in maybe_integer {
        let expr = abs(operand);
        assert!(!Predicate::new(&expr, &context).is_compiled(), "{expr}");
    }
}

/// Staging orders terms over compiled operands by the last column they read.
#[test]
fn scalar_terms_stage_by_their_last_column() {
    let context = EvalContext::with_params(&[]);
    let expr = binary(
        BinaryOp::And,
        like(text("%9%"), column(3)),
        binary(
            BinaryOp::Equal,
            binary(BinaryOp::Modulo, column(1), int(7)),
            int(3),
        ),
    );
    let Predicate::Compiled(compiled) = Predicate::new(&expr, &context) else {
        panic!("{expr} does not compile");
    };
    let mut columns = Vec::new();
    compiled.for_each_column(&mut |column| columns.push(column));
    assert_eq!(columns, [3, 1]);
    let staged = Staged::of(&compiled, |_| true).unwrap();
    assert_eq!(staged.stops(), &[1, 3]);
    assert!(Staged::of(&compiled, |column| column != 3).is_none());
    assert!(matches!(compiled, Compiled::Junction { .. }));
}
