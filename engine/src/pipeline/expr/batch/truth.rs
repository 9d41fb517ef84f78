//! Truth nodes: a compiled predicate's `Compiled::truth` for every row of a column batch
//! (a column compared with or BETWEEN constants, IS NULL, numeric comparisons, BETWEEN and
//! IS NULL over number nodes, IN of numbers, LIKE / GLOB of a text column, a number's
//! truth, AND / OR / NOT), each row TRUE, FALSE, NULL or not covered
//! (`Truth::Uncovered`), as `Compiled::truth` answers it.

use std::cmp::Ordering;

use ember_storage::row::{ColumnBatch, Kind};
use ember_storage::Value;

use super::super::compile::{compared, Compiled};
use super::super::in_constants::InConstants;
use super::super::like::Pattern;
use super::super::number_fn::{between_numbers, between_truth};
use super::super::ops::{compare_numbers, BinaryOp, Numeric};
use super::super::scalar::Scalar;
use super::number::Node as NumberNode;
use super::{order_against, BatchPool, Constant, Lane, Numbers, Truth};

/// A compiled predicate's answers over column batches (see the module comment).
#[derive(Debug, Clone)]
pub struct BatchTruth(Node);

impl BatchTruth {
    /// `compiled` as batch nodes (a shape without one: every row not covered).
    pub fn of(compiled: &Compiled) -> BatchTruth {
        BatchTruth(Node::of(compiled))
    }

    /// Every term of `terms` TRUE (their AND), as batch nodes.
    pub fn all_of<'c>(terms: impl IntoIterator<Item = &'c Compiled>) -> BatchTruth {
        BatchTruth(Node::Junction {
            decisive: false,
            terms: terms.into_iter().map(Node::of).collect(),
        })
    }

    /// Whether some row can be covered: false when every node covers none.
    pub fn covers_any(&self) -> bool {
        self.0.covers_any()
    }

    /// The answers for `batch`'s rows into `out`.
    pub fn eval(&self, batch: &ColumnBatch, pool: &mut BatchPool, out: &mut Vec<Truth>) {
        self.0.eval(batch, pool, out);
    }
}

/// One node (see the module comment).
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// `column <op> constant`, or `constant <op> column` with `constant_first`.
    Compare {
        column: usize,
        op: BinaryOp,
        constant: Constant,
        constant_first: bool,
    },
    Between {
        column: usize,
        low: Constant,
        high: Constant,
        negated: bool,
    },
    IsNull {
        column: usize,
        negated: bool,
    },
    CompareNumbers {
        op: BinaryOp,
        left: NumberNode,
        right: NumberNode,
    },
    BetweenNumbers {
        operands: Box<[NumberNode; 3]>,
        negated: bool,
    },
    IsNullNumber {
        operand: NumberNode,
        negated: bool,
    },
    /// `operand [NOT] IN (constants)` of a number node.
    InList {
        operand: NumberNode,
        constants: Box<InConstants>,
    },
    /// `column LIKE / GLOB pattern`.
    Match {
        column: usize,
        pattern: Pattern,
    },
    /// A number's truth (non-zero).
    Number(NumberNode),
    /// AND (`decisive` false) or OR (`decisive` true) of the terms.
    Junction {
        decisive: bool,
        terms: Box<[Node]>,
    },
    Not(Box<Node>),
    Uncovered,
}

impl Node {
    pub(super) fn of(compiled: &Compiled) -> Node {
        match compiled {
            Compiled::Compare {
                column,
                op,
                constant,
                constant_first,
            } => Node::Compare {
                column: *column,
                op: *op,
                constant: Constant::of(constant),
                constant_first: *constant_first,
            },
            Compiled::Between {
                column,
                low,
                high,
                negated,
            } => Node::Between {
                column: *column,
                low: Constant::of(low),
                high: Constant::of(high),
                negated: *negated,
            },
            Compiled::IsNull { column, negated } => Node::IsNull {
                column: *column,
                negated: *negated,
            },
            Compiled::CompareScalars {
                op, left, right, ..
            } => Node::CompareNumbers {
                op: *op,
                left: NumberNode::of(left),
                right: NumberNode::of(right),
            },
            Compiled::BetweenScalars {
                operand,
                low,
                high,
                negated,
                ..
            } => Node::BetweenNumbers {
                operands: Box::new([
                    NumberNode::of(operand),
                    NumberNode::of(low),
                    NumberNode::of(high),
                ]),
                negated: *negated,
            },
            Compiled::IsNullScalar {
                operand, negated, ..
            } => Node::IsNullNumber {
                operand: NumberNode::of(operand),
                negated: *negated,
            },
            Compiled::InList { operand, constants } => Node::InList {
                operand: NumberNode::of(operand),
                constants: constants.clone(),
            },
            Compiled::Truth(scalar) => Node::of_truth(scalar),
            Compiled::Junction { decisive, terms } => Node::Junction {
                decisive: *decisive,
                terms: terms.iter().map(Node::of).collect(),
            },
            Compiled::Not(operand) => Node::Not(Box::new(Node::of(operand))),
            Compiled::InSet { .. } => Node::Uncovered,
        }
    }

    /// A compiled operand's truth (`scalar_truth`'s).
    fn of_truth(scalar: &Scalar) -> Node {
        match scalar {
            Scalar::Predicate(compiled) => Node::of(compiled),
            Scalar::Match { text, pattern } => match text.as_ref() {
                Scalar::Column(column) => Node::Match {
                    column: *column,
                    pattern: pattern.clone(),
                },
                _ => Node::Uncovered,
            },
            scalar => match NumberNode::of(scalar) {
                NumberNode::Uncovered => Node::Uncovered,
                number => Node::Number(number),
            },
        }
    }

    fn covers_any(&self) -> bool {
        match self {
            Node::Uncovered => false,
            Node::Junction { terms, .. } => terms.iter().any(Node::covers_any),
            Node::Not(operand) => operand.covers_any(),
            Node::CompareNumbers { left, right, .. } => {
                !matches!(left, NumberNode::Uncovered) && !matches!(right, NumberNode::Uncovered)
            }
            Node::IsNullNumber { operand, .. }
            | Node::InList { operand, .. }
            | Node::Number(operand) => !matches!(operand, NumberNode::Uncovered),
            Node::BetweenNumbers { operands, .. } => operands
                .iter()
                .all(|operand| !matches!(operand, NumberNode::Uncovered)),
            _ => true,
        }
    }

    pub(super) fn eval(&self, batch: &ColumnBatch, pool: &mut BatchPool, out: &mut Vec<Truth>) {
        let rows = batch.len();
        out.clear();
        out.resize(rows, Truth::Uncovered);
        match self {
            Node::Compare {
                column,
                op,
                constant,
                constant_first,
            } => {
                let Some(vector) = batch.column(*column) else {
                    return;
                };
                let answers = Answers::of(*op);
                for (at, slot) in out.iter_mut().enumerate() {
                    *slot = match order_against(vector, at, constant) {
                        Some(Some(ordering)) => {
                            let ordering = if *constant_first {
                                ordering.reverse()
                            } else {
                                ordering
                            };
                            answers.of_order(ordering)
                        }
                        Some(None) => Truth::Null,
                        None => Truth::Uncovered,
                    };
                }
            }
            Node::Between {
                column,
                low,
                high,
                negated,
            } => {
                let Some(vector) = batch.column(*column) else {
                    return;
                };
                for (at, slot) in out.iter_mut().enumerate() {
                    let (Some(low), Some(high)) = (
                        order_against(vector, at, low),
                        order_against(vector, at, high),
                    ) else {
                        continue;
                    };
                    let above_low = low.map(|ordering| ordering != Ordering::Less);
                    let below_high = high.map(|ordering| ordering != Ordering::Greater);
                    *slot = Truth::of(between_truth(above_low, below_high, *negated));
                }
            }
            Node::IsNull { column, negated } => {
                let Some(vector) = batch.column(*column) else {
                    return;
                };
                for (slot, &kind) in out.iter_mut().zip(vector.kinds()) {
                    *slot = Truth::of(Some((kind == Kind::Null) != *negated));
                }
            }
            Node::CompareNumbers { op, left, right } => {
                let (mut a, mut b) = (pool.take_numbers(), pool.take_numbers());
                left.eval(batch, pool, &mut a);
                right.eval(batch, pool, &mut b);
                let answers = Answers::of(*op);
                for (at, slot) in out.iter_mut().enumerate() {
                    *slot = match (a.lanes[at], b.lanes[at]) {
                        // Two integers: ordered in place (`compare_numbers`' first arm).
                        (Lane::Integer, Lane::Integer) => {
                            answers.of_order((a.words[at] as i64).cmp(&(b.words[at] as i64)))
                        }
                        _ => match (a.number(at), b.number(at)) {
                            (Some(Some(x)), Some(Some(y))) => {
                                answers.of_order(compare_numbers(x, y))
                            }
                            (Some(_), Some(_)) => Truth::Null,
                            _ => Truth::Uncovered,
                        },
                    };
                }
                pool.give_numbers(a);
                pool.give_numbers(b);
            }
            Node::BetweenNumbers { operands, negated } => {
                let mut values: [Numbers; 3] = [
                    pool.take_numbers(),
                    pool.take_numbers(),
                    pool.take_numbers(),
                ];
                for (operand, numbers) in operands.iter().zip(values.iter_mut()) {
                    operand.eval(batch, pool, numbers);
                }
                let [value, low, high] = &values;
                for (at, slot) in out.iter_mut().enumerate() {
                    let (Some(value), Some(low), Some(high)) =
                        (value.number(at), low.number(at), high.number(at))
                    else {
                        continue;
                    };
                    *slot = Truth::of(between_numbers(value, low, high, *negated));
                }
                for numbers in values {
                    pool.give_numbers(numbers);
                }
            }
            Node::IsNullNumber { operand, negated } => {
                let mut numbers = pool.take_numbers();
                operand.eval(batch, pool, &mut numbers);
                for (slot, &lane) in out.iter_mut().zip(&numbers.lanes) {
                    if lane != Lane::Other {
                        *slot = Truth::of(Some((lane == Lane::Null) != *negated));
                    }
                }
                pool.give_numbers(numbers);
            }
            Node::InList { operand, constants } => {
                let mut numbers = pool.take_numbers();
                operand.eval(batch, pool, &mut numbers);
                for (at, slot) in out.iter_mut().enumerate() {
                    let value = match numbers.number(at) {
                        Some(Some(Numeric::Integer(i))) => Value::Integer(i),
                        Some(Some(Numeric::Real(r))) => Value::Real(r),
                        Some(None) => Value::Null,
                        None => continue,
                    };
                    *slot = Truth::of(constants.truth(&value));
                }
                pool.give_numbers(numbers);
            }
            Node::Match { column, pattern } => {
                let Some(vector) = batch.column(*column) else {
                    return;
                };
                for (at, slot) in out.iter_mut().enumerate() {
                    *slot = match vector.get(at) {
                        ember_storage::row::Scalar::Text(text) => {
                            Truth::of(Some(pattern.matches(text)))
                        }
                        ember_storage::row::Scalar::Null => Truth::Null,
                        _ => Truth::Uncovered,
                    };
                }
            }
            Node::Number(operand) => {
                let mut numbers = pool.take_numbers();
                operand.eval(batch, pool, &mut numbers);
                for (at, slot) in out.iter_mut().enumerate() {
                    *slot = match numbers.number(at) {
                        Some(Some(Numeric::Integer(i))) => Truth::of(Some(i != 0)),
                        Some(Some(Numeric::Real(r))) => Truth::of(Some(r != 0.0)),
                        Some(None) => Truth::Null,
                        None => Truth::Uncovered,
                    };
                }
                pool.give_numbers(numbers);
            }
            Node::Junction { decisive, terms } => junction(*decisive, terms, batch, pool, out),
            Node::Not(operand) => {
                operand.eval(batch, pool, out);
                for slot in out.iter_mut() {
                    *slot = match *slot {
                        Truth::True => Truth::False,
                        Truth::False => Truth::True,
                        other => other,
                    };
                }
            }
            Node::Uncovered => {}
        }
    }
}

/// A comparison operator's answer for each order of its operands (`compared`'s), looked
/// up per row instead of matched.
struct Answers([Truth; 3]);

impl Answers {
    fn of(op: BinaryOp) -> Answers {
        let answer = |ordering| Truth::of(Some(compared(op, ordering)));
        Answers([
            answer(Ordering::Less),
            answer(Ordering::Equal),
            answer(Ordering::Greater),
        ])
    }

    #[inline(always)]
    fn of_order(&self, ordering: Ordering) -> Truth {
        self.0[(ordering as i8 + 1) as usize]
    }
}

/// AND / OR of `terms`: per row the `decisive` truth if any term has it, else not covered
/// if any term is not, else NULL if any is NULL, else the other truth. Compiled terms
/// neither fail nor have effects, so their order does not change the answer.
fn junction(
    decisive: bool,
    terms: &[Node],
    batch: &ColumnBatch,
    pool: &mut BatchPool,
    out: &mut [Truth],
) {
    let decided = Truth::of(Some(decisive));
    let other = Truth::of(Some(!decisive));
    out.fill(other);
    let mut answers = pool.take_truths();
    for term in terms {
        term.eval(batch, pool, &mut answers);
        for (slot, &answer) in out.iter_mut().zip(answers.iter()) {
            *slot = match (*slot, answer) {
                (current, _) if current == decided => current,
                (_, answer) if answer == decided => decided,
                (Truth::Uncovered, _) | (_, Truth::Uncovered) => Truth::Uncovered,
                (Truth::Null, _) | (_, Truth::Null) => Truth::Null,
                _ => other,
            };
        }
    }
    pool.give_truths(answers);
}
