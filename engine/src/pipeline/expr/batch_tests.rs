//! Batch nodes against the row evaluator and the tree walker: over a batch of rows holding
//! every storage class (NULL, integer edges that overflow, reals, texts, blobs, booleans),
//! every row a batch node covers has the answer `Compiled::truth` and `Expr::eval` give,
//! and each shape covers the rows of its common classes.

use ember_storage::row::{encode_into, ColumnBatch, RowDecoder};
use ember_storage::{DataType, Value};

use super::*;
use crate::expr::ops::{truth as value_truth, BinaryOp, UnaryOp};
use crate::expr::{ColumnMeta, EvalContext, Expr, Function, Predicate, Scalar};

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

fn text(t: &str) -> Expr {
    literal(Value::Text(t.into()))
}

fn call(function: Function, args: Vec<Expr>) -> Expr {
    Expr::Function { function, args }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary(op, Box::new(left), Box::new(right))
}

fn values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(0),
        Value::Integer(1),
        Value::Integer(7),
        Value::Integer(-3),
        Value::Integer(500),
        Value::Integer(i64::MIN),
        Value::Integer(i64::MAX),
        Value::Real(0.0),
        Value::Real(0.5),
        Value::Real(7.0),
        Value::Real(-2.675),
        Value::Real(1e300),
        Value::Real(f64::INFINITY),
        Value::Real(9.223_372_036_854_776e18),
        Value::Text("12".into()),
        Value::Text("g7".into()),
        Value::Text(String::new()),
        Value::Text("aé½Z".into()),
        Value::Text("k99".into()),
        Value::Text("a\u{0}b9".into()),
        Value::Blob(b"k9".to_vec()),
        Value::Boolean(true),
    ]
}

/// Rows of three untyped columns: every pair of values in columns 0 and 1, column 2
/// cycling through them too.
fn rows() -> Vec<Vec<Value>> {
    let values = values();
    let n = values.len();
    (0..n * n)
        .map(|i| {
            vec![
                values[i % n].clone(),
                values[i / n].clone(),
                values[(i * 7 + 3) % n].clone(),
            ]
        })
        .collect()
}

/// `rows` (of one width) decoded into a column batch of untyped columns, as a scan
/// decodes them.
pub(crate) fn batch_of(rows: &[Vec<Value>]) -> ColumnBatch {
    let types = vec![DataType::Any; rows.first().map_or(0, Vec::len)];
    let payloads: Vec<Vec<u8>> = rows
        .iter()
        .map(|row| {
            let mut out = Vec::new();
            encode_into(&types, row, &mut out).unwrap();
            out
        })
        .collect();
    let with_ids: Vec<(u64, &[u8])> = payloads
        .iter()
        .enumerate()
        .map(|(id, payload)| (id as u64, payload.as_slice()))
        .collect();
    let mut batch = ColumnBatch::new();
    RowDecoder::new(&types, None)
        .decode_batch(&with_ids, &mut batch)
        .unwrap();
    batch
}

fn predicates() -> Vec<Expr> {
    let (c0, c1, c2) = (column(0), column(1), column(2));
    let not = |e: Expr| Expr::Unary(UnaryOp::Not, Box::new(e));
    let between = |e: Expr, low: Expr, high: Expr, negated: bool| Expr::Between {
        expr: Box::new(e),
        low: Box::new(low),
        high: Box::new(high),
        negated,
    };
    let arithmetic = binary(
        BinaryOp::Add,
        binary(BinaryOp::Multiply, c0.clone(), int(2)),
        int(1),
    );
    vec![
        binary(BinaryOp::Equal, c0.clone(), int(7)),
        binary(BinaryOp::Less, real(0.5), c0.clone()),
        binary(BinaryOp::GreaterOrEqual, c0.clone(), text("g")),
        binary(BinaryOp::NotEqual, c1.clone(), text("g7")),
        binary(BinaryOp::Equal, c0.clone(), literal(Value::Null)),
        between(c0.clone(), int(0), real(7.0), false),
        between(c1.clone(), text("1"), text("h"), true),
        Expr::IsNull {
            expr: Box::new(c2.clone()),
            negated: true,
        },
        binary(
            BinaryOp::Greater,
            arithmetic.clone(),
            binary(BinaryOp::Divide, c1.clone(), int(40)),
        ),
        binary(
            BinaryOp::Or,
            binary(BinaryOp::Equal, c0.clone(), int(7)),
            binary(BinaryOp::Equal, c1.clone(), text("g7")),
        ),
        binary(
            BinaryOp::And,
            not(binary(BinaryOp::Less, c0.clone(), c1.clone())),
            binary(BinaryOp::LessOrEqual, c2.clone(), real(500.0)),
        ),
        binary(
            BinaryOp::Equal,
            call(Function::Length, vec![c2.clone()]),
            int(3),
        ),
        between(
            binary(BinaryOp::Modulo, c0.clone(), int(4)),
            c1.clone(),
            int(3),
            false,
        ),
        Expr::IsNull {
            expr: Box::new(binary(BinaryOp::Subtract, c0.clone(), c1.clone())),
            negated: false,
        },
        Expr::InList {
            expr: Box::new(binary(BinaryOp::Multiply, c0.clone(), int(1))),
            list: vec![int(1), real(7.0), literal(Value::Null)],
            negated: true,
        },
        call(Function::Like, vec![text("%9%"), c2.clone()]),
        not(call(Function::Glob, vec![text("g*"), c1.clone()])),
        call(
            Function::Coalesce,
            vec![c0.clone(), binary(BinaryOp::Add, c1.clone(), int(1))],
        ),
    ]
}

fn numbers() -> Vec<Expr> {
    let (c0, c1, c2) = (column(0), column(1), column(2));
    vec![
        binary(
            BinaryOp::Add,
            call(Function::Coalesce, vec![c0.clone(), int(0)]),
            call(Function::IfNull, vec![c1.clone(), real(0.5)]),
        ),
        binary(
            BinaryOp::Subtract,
            binary(BinaryOp::Multiply, c0.clone(), c1.clone()),
            Expr::Unary(UnaryOp::Negate, Box::new(c1.clone())),
        ),
        binary(BinaryOp::Modulo, c0.clone(), c1.clone()),
        binary(BinaryOp::Subtract, int(1), c0.clone()),
        binary(
            BinaryOp::Multiply,
            binary(BinaryOp::Divide, real(2.5), c1.clone()),
            binary(BinaryOp::Modulo, int(7), c0.clone()),
        ),
        binary(
            BinaryOp::Subtract,
            binary(BinaryOp::Multiply, c0.clone(), real(0.0)),
            binary(BinaryOp::Add, c1.clone(), c0.clone()),
        ),
        binary(BinaryOp::Divide, c1.clone(), c0.clone()),
        call(Function::Abs, vec![c0.clone()]),
        call(Function::Length, vec![c2.clone()]),
        call(Function::OctetLength, vec![c2.clone()]),
        call(Function::Instr, vec![c2.clone(), text("9")]),
        call(Function::Instr, vec![c1.clone(), text("é")]),
        call(Function::NullIf, vec![c0.clone(), int(0)]),
        Expr::Cast {
            expr: Box::new(c0.clone()),
            affinity: crate::expr::Affinity::Real,
        },
        Expr::Cast {
            expr: Box::new(binary(BinaryOp::Multiply, c1.clone(), real(100.0))),
            affinity: crate::expr::Affinity::Integer,
        },
        Expr::Case {
            operand: None,
            branches: vec![
                (
                    Expr::IsNull {
                        expr: Box::new(c0.clone()),
                        negated: false,
                    },
                    int(1),
                ),
                (binary(BinaryOp::Greater, c1.clone(), int(5)), c1.clone()),
            ],
            else_result: Some(Box::new(int(0))),
        },
    ]
}

/// Every truth the batch covers is the row evaluator's and the tree's; the common classes
/// (integers, reals, NULL) are covered.
#[test]
fn batch_predicates_answer_as_the_row_evaluator() {
    let rows = rows();
    let batch = batch_of(&rows);
    let context = EvalContext::default();
    let mut pool = BatchPool::default();
    let mut answers = Vec::new();
    for expr in predicates() {
        let Predicate::Compiled(compiled) = Predicate::new(&expr, &context) else {
            panic!("{expr} compiles");
        };
        let node = BatchTruth::of(&compiled);
        assert!(node.covers_any(), "{expr} has batch nodes");
        node.eval(&batch, &mut pool, &mut answers);
        assert_eq!(answers.len(), rows.len());
        let mut covered = 0;
        for (row, &answer) in rows.iter().zip(&answers) {
            if answer == Truth::Uncovered {
                continue;
            }
            covered += 1;
            let expected = Truth::of(compiled.truth(row));
            assert_eq!(answer, expected, "{expr} over {row:?}");
            let tree = Truth::of(value_truth(&expr.eval(row, &context).unwrap()));
            assert_eq!(answer, tree, "{expr} over {row:?} (tree)");
        }
        assert!(covered * 4 >= rows.len(), "{expr} covers {covered} rows");
    }
}

/// `rows()` without the texts that are not plain ASCII (a batch whose bytes are).
fn plain_rows() -> Vec<Vec<Value>> {
    let plain = |value: &Value| match value {
        Value::Text(text) => text.bytes().all(|byte| byte != 0 && byte < 0x80),
        Value::Blob(_) => false,
        _ => true,
    };
    rows()
        .into_iter()
        .filter(|row| row.iter().all(plain))
        .collect()
}

/// Every number the batch covers is the tree's value, over batches with texts of every
/// kind and with plain ASCII texts only; the common classes are covered.
#[test]
fn batch_numbers_compute_as_the_tree() {
    for rows in [rows(), plain_rows()] {
        numbers_compute_as_the_tree(&rows);
    }
}

fn numbers_compute_as_the_tree(rows: &[Vec<Value>]) {
    let batch = batch_of(rows);
    let context = EvalContext::default();
    let mut pool = BatchPool::default();
    let mut out = Numbers::default();
    for expr in numbers() {
        let scalar = Scalar::of(&expr, &context).expect("compiles");
        let node = BatchNumber::of(&scalar);
        assert!(node.covers_any(), "{expr} has batch nodes");
        node.eval(&batch, &mut pool, &mut out);
        let mut covered = 0;
        for (at, row) in rows.iter().enumerate() {
            let Some(number) = out.number(at) else {
                continue;
            };
            covered += 1;
            let value = match number {
                Some(crate::expr::ops::Numeric::Integer(i)) => Value::Integer(i),
                Some(crate::expr::ops::Numeric::Real(r)) => Value::Real(r),
                None => Value::Null,
            };
            let tree = expr.eval(row, &context).unwrap();
            let same = match (&value, &tree) {
                (Value::Real(a), Value::Real(b)) => a.to_bits() == b.to_bits(),
                (a, b) => a == b,
            };
            assert!(same, "{expr} over {row:?}: batch {value:?}, tree {tree:?}");
        }
        assert!(covered * 4 >= rows.len(), "{expr} covers {covered} rows");
    }
}

/// A shape without batch nodes covers no row, and says so.
#[test]
fn shapes_without_nodes_cover_nothing() {
    let context = EvalContext::default();
    let expr = call(Function::Upper, vec![column(0)]);
    let scalar = Scalar::of(&expr, &context).expect("compiles");
    let node = BatchNumber::of(&scalar);
    assert!(!node.covers_any());
    let rows = rows();
    let batch = batch_of(&rows);
    let mut out = Numbers::default();
    node.eval(&batch, &mut BatchPool::default(), &mut out);
    assert!(out.lanes.iter().all(|&lane| lane == Lane::Other));
}

/// The all-bytes test holds exactly when no byte is NUL or above 0x7f, at every position
/// of every length up to 40.
#[test]
fn plain_ascii_finds_every_nul_and_high_byte() {
    for len in 0..40 {
        let plain = vec![b'k'; len];
        assert!(number::plain_ascii(&plain));
        for at in 0..len {
            for byte in [0u8, 0x80, 0xc3, 0xff] {
                let mut bytes = plain.clone();
                bytes[at] = byte;
                assert!(!number::plain_ascii(&bytes), "{byte} at {at} of {len}");
            }
        }
    }
}
