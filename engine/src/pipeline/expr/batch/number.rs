//! Number nodes: a compiled scalar's `Scalar::number` for every row of a column batch
//! (columns, constants, arithmetic, unary minus, abs(), length() of a column, nullif(),
//! coalesce() / ifnull(), CAST to INTEGER or REAL, searched CASE), each row a number, NULL
//! or not covered (`Lane::Other`), as `Scalar::number` answers it.

use ember_storage::row::{ColumnBatch, Kind};
use ember_storage::Value;

use super::super::arithmetic::{apply, is_arithmetic, Halt};
use super::super::cast::Affinity;
use super::super::function::Function;
use super::super::ops::{negate, BinaryOp, Numeric, UnaryOp};
use super::super::scalar::Scalar;
use super::super::scalar_number::{abs_number, cast_numeric, nullif_numbers, number_of_value};
use super::super::text::instr_of_texts;
use super::super::text_view::char_count;
use super::super::Expr;
use super::truth::Node as TruthNode;
use super::{lane_of, number_of, BatchPool, Lane, Numbers, Truth};

/// A compiled scalar's numbers over column batches (see the module comment).
#[derive(Debug, Clone)]
pub struct BatchNumber(Node);

impl BatchNumber {
    /// `scalar` as batch nodes (a shape without one: every row not covered).
    pub fn of(scalar: &Scalar) -> BatchNumber {
        BatchNumber(Node::of(scalar))
    }

    /// Whether some row can be covered (the root is not a node that covers none).
    pub fn covers_any(&self) -> bool {
        !matches!(self.0, Node::Uncovered)
    }

    /// The numbers of `batch`'s rows into `out`.
    pub fn eval(&self, batch: &ColumnBatch, pool: &mut BatchPool, out: &mut Numbers) {
        self.0.eval(batch, pool, out);
    }
}

/// One node (see the module comment).
#[derive(Debug, Clone)]
pub(super) enum Node {
    Column(usize),
    Constant(Lane, u64),
    Arithmetic(BinaryOp, Box<Node>, Box<Node>),
    Negate(Box<Node>),
    Abs(Box<Node>),
    /// length() (`chars`) or octet_length() of a column.
    Length {
        column: usize,
        chars: bool,
    },
    /// instr() of a column and a constant text.
    Instr {
        column: usize,
        needle: String,
    },
    NullIf(Box<Node>, Box<Node>),
    Coalesce(Box<[Node]>),
    /// CAST to INTEGER or REAL.
    Cast(Box<Node>, Affinity),
    /// A searched CASE whose WHENs are compiled predicates.
    Case {
        whens: Box<[TruthNode]>,
        thens: Box<[Node]>,
        otherwise: Option<Box<Node>>,
    },
    /// No row covered.
    Uncovered,
}

impl Node {
    pub(super) fn of(scalar: &Scalar) -> Node {
        match scalar {
            Scalar::Column(index) => Node::Column(*index),
            Scalar::Constant(value) => constant(value),
            Scalar::Arithmetic(_, tree) => Node::of_tree(tree),
            Scalar::Binary { op, left, right } if is_arithmetic(*op) => {
                Node::Arithmetic(*op, Box::new(Node::of(left)), Box::new(Node::of(right)))
            }
            Scalar::Call { function, args } => Node::of_call(*function, args),
            Scalar::Cast { operand, affinity }
                if matches!(affinity, Affinity::Integer | Affinity::Real) =>
            {
                Node::Cast(Box::new(Node::of(operand)), *affinity)
            }
            Scalar::Case {
                operand: None,
                branches,
                otherwise,
            } => {
                let whens: Option<Box<[TruthNode]>> = branches
                    .iter()
                    .map(|(when, _)| match when {
                        Scalar::Predicate(compiled) => Some(TruthNode::of(compiled)),
                        _ => None,
                    })
                    .collect();
                match whens {
                    Some(whens) => Node::Case {
                        whens,
                        thens: branches.iter().map(|(_, then)| Node::of(then)).collect(),
                        otherwise: otherwise.as_deref().map(|other| Box::new(Node::of(other))),
                    },
                    None => Node::Uncovered,
                }
            }
            _ => Node::Uncovered,
        }
    }

    /// A compiled program's tree (columns, number literals, `+ - * / %`, unary `-` / `+`).
    fn of_tree(expr: &Expr) -> Node {
        match expr {
            Expr::Column { index, .. } => Node::Column(*index),
            Expr::Literal(value) => constant(value),
            Expr::Unary(UnaryOp::Negate, operand) => Node::Negate(Box::new(Node::of_tree(operand))),
            Expr::Unary(UnaryOp::Plus, operand) => Node::of_tree(operand),
            Expr::Binary(op, left, right) if is_arithmetic(*op) => Node::Arithmetic(
                *op,
                Box::new(Node::of_tree(left)),
                Box::new(Node::of_tree(right)),
            ),
            _ => Node::Uncovered,
        }
    }

    fn of_call(function: Function, args: &[Scalar]) -> Node {
        match (function, args) {
            (Function::Abs, [x]) => Node::Abs(Box::new(Node::of(x))),
            (Function::Length | Function::OctetLength, [Scalar::Column(column)]) => Node::Length {
                column: *column,
                chars: function == Function::Length,
            },
            (Function::Instr, [Scalar::Column(column), Scalar::Constant(Value::Text(needle))]) => {
                Node::Instr {
                    column: *column,
                    needle: needle.clone(),
                }
            }
            (Function::NullIf, [x, y]) => {
                Node::NullIf(Box::new(Node::of(x)), Box::new(Node::of(y)))
            }
            (Function::Coalesce | Function::IfNull, args) => {
                Node::Coalesce(args.iter().map(Node::of).collect())
            }
            _ => Node::Uncovered,
        }
    }

    pub(super) fn eval(&self, batch: &ColumnBatch, pool: &mut BatchPool, out: &mut Numbers) {
        let rows = batch.len();
        out.size(rows);
        match self {
            Node::Column(column) => match batch.column(*column) {
                Some(vector) => {
                    for (at, (&kind, &word)) in
                        vector.kinds().iter().zip(vector.words()).enumerate()
                    {
                        out.lanes[at] = kind_lane(kind);
                        out.words[at] = word;
                    }
                }
                None => out.lanes.fill(Lane::Other),
            },
            Node::Constant(lane, word) => {
                out.lanes.fill(*lane);
                out.words.fill(*word);
            }
            Node::Arithmetic(op, left, right) => match (left.as_ref(), right.as_ref()) {
                // A constant on the left (`1 - disc`): the right side computed into `out`,
                // then each row is `constant op out[r]`.
                (Node::Constant(lane, word), right) if !matches!(right, Node::Constant(..)) => {
                    right.eval(batch, pool, out);
                    arithmetic_rows(*op, out, std::iter::repeat((*lane, *word)), true);
                }
                (left, Node::Constant(lane, word)) => {
                    left.eval(batch, pool, out);
                    arithmetic_rows(*op, out, std::iter::repeat((*lane, *word)), false);
                }
                // A column on the right is read where it lies.
                (left, Node::Column(column)) => {
                    left.eval(batch, pool, out);
                    match batch.column(*column) {
                        Some(vector) => {
                            let lanes = vector.kinds().iter().map(|&kind| kind_lane(kind));
                            let operands = lanes.zip(vector.words().iter().copied());
                            arithmetic_rows(*op, out, operands, false);
                        }
                        None => out.lanes.fill(Lane::Other),
                    }
                }
                (left, right) => {
                    left.eval(batch, pool, out);
                    let mut operand = pool.take_numbers();
                    right.eval(batch, pool, &mut operand);
                    let operands = operand.lanes.iter().copied();
                    let operands = operands.zip(operand.words.iter().copied());
                    arithmetic_rows(*op, out, operands, false);
                    pool.give_numbers(operand);
                }
            },
            Node::Negate(operand) => {
                operand.eval(batch, pool, out);
                map_numbers(out, |number| Some(Some(negate(number))));
            }
            Node::Abs(operand) => {
                operand.eval(batch, pool, out);
                // abs() of the smallest integer fails: not covered (the row path says so).
                map_numbers(out, |number| Some(Some(abs_number(number)?)));
            }
            Node::Cast(operand, affinity) => {
                operand.eval(batch, pool, out);
                let affinity = *affinity;
                map_numbers(out, |number| Some(Some(cast_numeric(number, affinity))));
            }
            Node::Length { column, chars } => length(batch, *column, *chars, out),
            Node::Instr { column, needle } => instr(batch, *column, needle, out),
            Node::NullIf(x, y) => {
                x.eval(batch, pool, out);
                let mut other = pool.take_numbers();
                y.eval(batch, pool, &mut other);
                for at in 0..rows {
                    let answer = match (out.number(at), other.number(at)) {
                        (Some(x), Some(y)) => Some(nullif_numbers(x, y)),
                        _ => None,
                    };
                    (out.lanes[at], out.words[at]) = lane_of(answer);
                }
                pool.give_numbers(other);
            }
            Node::Coalesce(args) => coalesce(args, batch, pool, out),
            Node::Case {
                whens,
                thens,
                otherwise,
            } => case((whens, thens, otherwise.as_deref()), batch, pool, out),
            Node::Uncovered => out.lanes.fill(Lane::Other),
        }
    }
}

/// A constant's lane: a number or NULL; any other value covers no row (as
/// `number_of_value` answers).
fn constant(value: &Value) -> Node {
    match lane_of(number_of_value(value)) {
        (Lane::Other, _) => Node::Uncovered,
        (lane, word) => Node::Constant(lane, word),
    }
}

/// A column value's lane: its number, NULL, or not covered (a boolean, text, blob).
#[inline(always)]
fn kind_lane(kind: Kind) -> Lane {
    match kind {
        Kind::Null => Lane::Null,
        Kind::Integer => Lane::Integer,
        Kind::Real => Lane::Real,
        Kind::Boolean | Kind::Text | Kind::Blob => Lane::Other,
    }
}

/// `out[r] op other[r]` for each row `r` (`other[r] op out[r]` when `reversed`), into
/// `out`: the operator matched once, each row by `arithmetic` specialized to it.
fn arithmetic_rows(
    op: BinaryOp,
    out: &mut Numbers,
    other: impl Iterator<Item = (Lane, u64)>,
    reversed: bool,
) {
    match op {
        BinaryOp::Add => arithmetic_rows_of::<ADD>(out, other, reversed),
        BinaryOp::Subtract => arithmetic_rows_of::<SUBTRACT>(out, other, reversed),
        BinaryOp::Multiply => arithmetic_rows_of::<MULTIPLY>(out, other, reversed),
        BinaryOp::Divide => arithmetic_rows_of::<DIVIDE>(out, other, reversed),
        _ => arithmetic_rows_of::<MODULO>(out, other, reversed),
    }
}

/// `arithmetic_rows` of the operator `OP`.
fn arithmetic_rows_of<const OP: u8>(
    out: &mut Numbers,
    other: impl Iterator<Item = (Lane, u64)>,
    reversed: bool,
) {
    let rows = out.lanes.iter_mut().zip(out.words.iter_mut()).zip(other);
    if reversed {
        rows.for_each(|((lane, word), other)| {
            (*lane, *word) = arithmetic::<OP>(other, (*lane, *word))
        });
    } else {
        rows.for_each(|((lane, word), other)| {
            (*lane, *word) = arithmetic::<OP>((*lane, *word), other)
        });
    }
}

/// The arithmetic operators as `arithmetic`'s constant parameter.
const ADD: u8 = 0;
const SUBTRACT: u8 = 1;
const MULTIPLY: u8 = 2;
const DIVIDE: u8 = 3;
const MODULO: u8 = 4;

/// `left OP right` of two lanes, as `Scalar::number`'s arithmetic: not covered when either
/// is not, NULL when either is NULL, else `arithmetic::apply`'s answer, computed inline
/// for + - * of two integers that do not overflow and + - * / of numbers not both
/// integers (as doubles, NaN and division by zero NULL: `ops::number_arithmetic`'s REAL
/// arm).
#[inline(always)]
fn arithmetic<const OP: u8>(left: (Lane, u64), right: (Lane, u64)) -> (Lane, u64) {
    let op = match OP {
        ADD => BinaryOp::Add,
        SUBTRACT => BinaryOp::Subtract,
        MULTIPLY => BinaryOp::Multiply,
        DIVIDE => BinaryOp::Divide,
        _ => BinaryOp::Modulo,
    };
    let (x, y) = match (left.0, right.0) {
        (Lane::Integer, Lane::Integer) => {
            let (a, b) = (left.1 as i64, right.1 as i64);
            let exact = match OP {
                ADD => a.checked_add(b),
                SUBTRACT => a.checked_sub(b),
                MULTIPLY => a.checked_mul(b),
                _ => None,
            };
            return match exact {
                Some(result) => (Lane::Integer, result as u64),
                None => applied(op, Numeric::Integer(a), Numeric::Integer(b)),
            };
        }
        (Lane::Other, _) | (_, Lane::Other) => return (Lane::Other, 0),
        (Lane::Null, _) | (_, Lane::Null) => return (Lane::Null, 0),
        (Lane::Real, Lane::Real) => (f64::from_bits(left.1), f64::from_bits(right.1)),
        (Lane::Real, _) => (f64::from_bits(left.1), right.1 as i64 as f64),
        (_, Lane::Real) => (left.1 as i64 as f64, f64::from_bits(right.1)),
    };
    let result = match OP {
        ADD => x + y,
        SUBTRACT => x - y,
        MULTIPLY => x * y,
        DIVIDE if y == 0.0 => return (Lane::Null, 0),
        DIVIDE => x / y,
        _ => {
            return match (number_of(left.0, left.1), number_of(right.0, right.1)) {
                (Some(Some(a)), Some(Some(b))) => applied(op, a, b),
                _ => (Lane::Other, 0),
            }
        }
    };
    if result.is_nan() {
        (Lane::Null, 0)
    } else {
        (Lane::Real, result.to_bits())
    }
}

/// `arithmetic::apply` as a lane.
#[inline(always)]
fn applied(op: BinaryOp, a: Numeric, b: Numeric) -> (Lane, u64) {
    match apply(op, a, b) {
        Ok(number) => lane_of(Some(Some(number))),
        Err(Halt::Null) => (Lane::Null, 0),
        Err(Halt::Tree) => (Lane::Other, 0),
    }
}

/// Replaces each number of `out` by `f` of it (NULL and not covered stay).
#[inline(always)]
fn map_numbers(out: &mut Numbers, f: impl Fn(Numeric) -> Option<Option<Numeric>>) {
    for (lane, word) in out.lanes.iter_mut().zip(out.words.iter_mut()) {
        if let Some(Some(number)) = number_of(*lane, *word) {
            (*lane, *word) = lane_of(f(number));
        }
    }
}

/// length() / octet_length() of a column: of text, counted where it lies (a text of a
/// batch whose bytes are all ASCII and free of NUL has as many characters as bytes); of
/// NULL, NULL; a number or a blob is not covered (the row path formats or measures it).
fn length(batch: &ColumnBatch, column: usize, chars: bool, out: &mut Numbers) {
    let Some(vector) = batch.column(column) else {
        out.lanes.fill(Lane::Other);
        return;
    };
    let bytes_are_chars = !chars || plain_ascii(vector.all_bytes());
    for at in 0..batch.len() {
        (out.lanes[at], out.words[at]) = match vector.kinds()[at] {
            Kind::Null => (Lane::Null, 0),
            Kind::Text if bytes_are_chars => (Lane::Integer, vector.span_bytes(at).len() as u64),
            Kind::Text => match vector.get(at) {
                ember_storage::row::Scalar::Text(text) => (Lane::Integer, char_count(text) as u64),
                _ => (Lane::Other, 0),
            },
            _ => (Lane::Other, 0),
        };
    }
}

/// instr() of a column and a constant text: of text, the needle's 1-based character
/// position (`text::instr_of_texts`); of NULL, NULL; a number or a blob is not covered.
fn instr(batch: &ColumnBatch, column: usize, needle: &str, out: &mut Numbers) {
    let Some(vector) = batch.column(column) else {
        out.lanes.fill(Lane::Other);
        return;
    };
    for at in 0..batch.len() {
        (out.lanes[at], out.words[at]) = match vector.get(at) {
            ember_storage::row::Scalar::Null => (Lane::Null, 0),
            ember_storage::row::Scalar::Text(text) => {
                (Lane::Integer, instr_of_texts(text, needle) as u64)
            }
            _ => (Lane::Other, 0),
        };
    }
}

/// Whether every byte of `bytes` is ASCII and none is NUL (where length() stops), eight
/// bytes at a time: then a text among them has as many characters as bytes.
pub(super) fn plain_ascii(bytes: &[u8]) -> bool {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (words, rest) = bytes.as_chunks::<8>();
    // A byte is zero exactly when `(w - LOW) & !w & HIGH` marks it (no false marks once
    // no byte has its high bit set, which `w & HIGH` checks beside it).
    let marked = words.iter().fold(0u64, |marked, word| {
        let word = u64::from_le_bytes(*word);
        marked | (word & HIGH) | (word.wrapping_sub(LOW) & !word & HIGH)
    });
    marked == 0 && rest.iter().all(|&byte| byte != 0 && byte < 0x80)
}

/// coalesce() / ifnull(): per row the first argument that is not NULL; not covered at the
/// first argument that is not (as `Scalar::number` stops there).
fn coalesce(args: &[Node], batch: &ColumnBatch, pool: &mut BatchPool, out: &mut Numbers) {
    let rows = batch.len();
    let Some((first, rest)) = args.split_first() else {
        out.lanes.fill(Lane::Null);
        return;
    };
    first.eval(batch, pool, out);
    let mut next = pool.take_numbers();
    for arg in rest {
        if !out.lanes.contains(&Lane::Null) {
            break;
        }
        arg.eval(batch, pool, &mut next);
        for at in 0..rows {
            if out.lanes[at] == Lane::Null {
                (out.lanes[at], out.words[at]) = (next.lanes[at], next.words[at]);
            }
        }
    }
    pool.give_numbers(next);
}

/// A searched CASE: per row the THEN of the first WHEN that is TRUE, else the ELSE (NULL
/// without one); not covered where a WHEN before the taken one is not.
fn case(
    (whens, thens, otherwise): (&[TruthNode], &[Node], Option<&Node>),
    batch: &ColumnBatch,
    pool: &mut BatchPool,
    out: &mut Numbers,
) {
    const UNDECIDED: u64 = u64::MAX;
    const UNCOVERED: u64 = u64::MAX - 1;
    let rows = batch.len();
    // Each row's branch (`whens.len()`: the ELSE), in the words of a pooled vector.
    let mut taken = pool.take_numbers();
    taken.size(rows);
    taken.words.fill(UNDECIDED);
    let mut truths = pool.take_truths();
    for (branch, when) in whens.iter().enumerate() {
        when.eval(batch, pool, &mut truths);
        for (chosen, &truth) in taken.words.iter_mut().zip(truths.iter()) {
            if *chosen == UNDECIDED {
                match truth {
                    Truth::True => *chosen = branch as u64,
                    Truth::Uncovered => *chosen = UNCOVERED,
                    Truth::False | Truth::Null => {}
                }
            }
        }
    }
    pool.give_truths(truths);
    let otherwise_branch = whens.len() as u64;
    for chosen in taken.words.iter_mut() {
        if *chosen == UNDECIDED {
            *chosen = otherwise_branch;
        }
    }
    out.size(rows);
    out.lanes.fill(Lane::Other);
    let mut values = pool.take_numbers();
    for (branch, then) in thens.iter().map(Some).chain([otherwise]).enumerate() {
        let branch = branch as u64;
        if !taken.words.contains(&branch) {
            continue;
        }
        match then {
            Some(then) => then.eval(batch, pool, &mut values),
            None => {
                values.size(rows);
                values.lanes.fill(Lane::Null);
            }
        }
        for (at, &chosen) in taken.words.iter().enumerate() {
            if chosen == branch {
                (out.lanes[at], out.words[at]) = (values.lanes[at], values.words[at]);
            }
        }
    }
    pool.give_numbers(values);
    pool.give_numbers(taken);
}
