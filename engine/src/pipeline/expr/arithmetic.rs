//! Compiled arithmetic: an expression of `+ - * / %`, unary `-` and `+` over columns,
//! literals and parameters (`l_extendedprice * (1 - l_discount)`), turned once per
//! execution into a flat postfix program over numbers. A row's value is computed by one
//! loop over the program, the top of the stack in a local and the values under it in a
//! buffer kept between rows: no recursion, no `Value` built or dropped per operation, no
//! allocation per row. Constants (literals, parameters) are
//! read once, when the program is compiled.
//!
//! Semantics are the tree walker's exactly, by construction: every operator goes through
//! the same `ops::number_arithmetic` / `ops::negate` that `BinaryOp::apply` and
//! `UnaryOp::apply` use. The program covers INTEGER and REAL operands; NULL anywhere
//! makes the result NULL (every covered operator propagates it, and none can fail), as do
//! division by zero and NaN. A row whose columns hold anything else (text, a blob, a
//! boolean) is given back to the tree walker (`Computed::eval`), and so is a whole
//! expression with another shape, a constant that is not a number, or a stack deeper than
//! `STACK_MAX`.

use std::borrow::Cow;

use ember_storage::Value;

use super::number_fn::NumberFn;
use super::ops::{negate, number_arithmetic, Numeric};
use super::scalar::{Scalar, Written};
use super::{BinaryOp, EvalContext, Expr, UnaryOp};
use crate::error::Result;

/// The deepest operand stack a compiled program may use (deeper expressions keep the tree).
const STACK_MAX: usize = 16;

/// An expression evaluated per row: compiled arithmetic when its shape allows, else a
/// compiled scalar (a function call, CAST, LIKE over compiled operands: `scalar.rs`),
/// else the expression tree.
#[derive(Debug)]
pub enum Computed<'e> {
    /// The program, and the tree it came from (for the rows it does not cover).
    Arithmetic(Arithmetic, &'e Expr),
    /// A compiled scalar computed on numbers when its operands are numbers (abs(), round(),
    /// sign() of arithmetic or columns, CASE of those: `Scalar::number`, run as the
    /// closures `number_fn.rs` compiles it into), else as `Scalar` computes it.
    Number(Scalar, NumberFn),
    /// A compiled scalar, and the text buffer (a `Value::Text`, reused between rows) that
    /// `eval_borrowed` writes the text it makes into.
    Scalar(Scalar, Value),
    Tree(&'e Expr),
}

impl<'e> Computed<'e> {
    /// Compiles `expr` (its constants read in `context`) when it is arithmetic or a
    /// scalar that computes (not a bare column or constant), else keeps the tree.
    pub fn new(expr: &'e Expr, context: &EvalContext<'_>) -> Computed<'e> {
        if let Some(program) = Arithmetic::of(expr, context) {
            return Computed::Arithmetic(program, expr);
        }
        match Scalar::of(expr, context) {
            Some(scalar) if scalar.computes() && scalar.numeric_shape() => {
                let number = NumberFn::of(&scalar);
                Computed::Number(scalar, number)
            }
            Some(scalar) if scalar.computes() => {
                Computed::Scalar(scalar, Value::Text(String::new()))
            }
            _ => Computed::Tree(expr),
        }
    }

    /// The expression's value over `row` (what `Expr::eval` gives). Out of line, the
    /// program's loop inlined here; compiled scalars one call further.
    #[inline(never)]
    pub fn eval(&mut self, row: &[Value], context: &EvalContext<'_>) -> Result<Value> {
        match self {
            Computed::Arithmetic(program, expr) => match program.eval(row) {
                Some(value) => Ok(value),
                None => expr.eval(row, context),
            },
            other => other.eval_compiled_scalar(row, context),
        }
    }

    /// `eval` of anything but a program, out of line (the program's path, the commonest,
    /// stays small enough to inline into the caller's loop).
    #[inline(never)]
    fn eval_compiled_scalar(&mut self, row: &[Value], context: &EvalContext<'_>) -> Result<Value> {
        match self {
            Computed::Arithmetic(program, expr) => match program.eval(row) {
                Some(value) => Ok(value),
                None => expr.eval(row, context),
            },
            Computed::Number(scalar, number) => match number.number(row) {
                Some(Some(Numeric::Integer(i))) => Ok(Value::Integer(i)),
                Some(Some(Numeric::Real(r))) => Ok(Value::Real(r)),
                Some(None) => Ok(Value::Null),
                None => Ok(scalar.eval(row)?.into_owned()),
            },
            Computed::Scalar(scalar, _) => Ok(scalar.eval(row)?.into_owned()),
            Computed::Tree(expr) => expr.eval(row, context),
        }
    }

    /// The value over `row` as `eval` gives it, for a consumer that only reads it (an
    /// aggregate's argument, a group key, a sort key compared before it is kept): a column
    /// or constant comes borrowed, and text a `||` chain or substr() / upper() / lower()
    /// makes is written into this expression's buffer, kept between rows, so such a row
    /// allocates nothing.
    #[inline]
    pub fn eval_borrowed<'a>(
        &'a mut self,
        row: &'a [Value],
        context: &EvalContext<'_>,
    ) -> Result<Cow<'a, Value>> {
        match self {
            Computed::Scalar(scalar, buffer) => {
                let Value::Text(out) = buffer else {
                    debug_assert!(false, "a computed scalar's buffer is text");
                    return scalar.eval(row);
                };
                match scalar.eval_into(row, out)? {
                    Written::Text => Ok(Cow::Borrowed(&*buffer)),
                    Written::Value(value) => Ok(value),
                }
            }
            Computed::Tree(Expr::Column { index, .. }) if *index < row.len() => {
                Ok(Cow::Borrowed(&row[*index]))
            }
            // As `eval` (written out: no second call per row).
            Computed::Arithmetic(program, expr) => Ok(Cow::Owned(match program.eval(row) {
                Some(value) => value,
                None => expr.eval(row, context)?,
            })),
            Computed::Number(scalar, number) => Ok(match number.number(row) {
                Some(Some(Numeric::Integer(i))) => Cow::Owned(Value::Integer(i)),
                Some(Some(Numeric::Real(r))) => Cow::Owned(Value::Real(r)),
                Some(None) => Cow::Owned(Value::Null),
                // Not a number: a value in place (nullif() of a text column) is borrowed.
                None => match scalar.in_place(row) {
                    Some(value) => Cow::Borrowed(value),
                    None => scalar.eval(row)?,
                },
            }),
            Computed::Tree(expr) => Ok(Cow::Owned(expr.eval(row, context)?)),
        }
    }

    /// Whether evaluating may give an error: never for compiled arithmetic (a row it does
    /// not cover goes to the tree, whose arithmetic does not fail either), nor for a plain
    /// column or constant; a compiled scalar says (`Scalar::can_fail`); any other tree
    /// may.
    pub fn can_fail(&self) -> bool {
        match self {
            Computed::Arithmetic(..) => false,
            Computed::Number(scalar, _) | Computed::Scalar(scalar, _) => scalar.can_fail(),
            Computed::Tree(expr) => !matches!(expr, Expr::Column { .. } | Expr::Literal(_)),
        }
    }

    /// Whether a consumer that only reads the value should ask `eval_borrowed`: a scalar
    /// that may make text, and a numeric one, whose rows that are not numbers (nullif()
    /// of a text column, a CASE giving one) then come borrowed instead of cloned.
    pub fn reads_borrowed(&self) -> bool {
        matches!(self, Computed::Scalar(..) | Computed::Number(..))
    }

    pub fn is_compiled(&self) -> bool {
        !matches!(self, Computed::Tree(_))
    }
}

/// Where a step's operand comes from.
#[derive(Debug, Clone, Copy)]
enum Operand {
    /// The value at this index of the row.
    Column(usize),
    Constant(Numeric),
}

/// One step of a postfix program. The value on top of the stack is kept apart (`top`),
/// the ones under it in `Arithmetic::spilled`.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The first step: the operand becomes the top.
    Load(Operand),
    /// The top goes under, the operand becomes the top.
    Push(Operand),
    /// The top `a` becomes `a op operand`.
    Apply(BinaryOp, Operand),
    /// The top `b` becomes `operand op b` (a leaf on the left of an operator whose right
    /// side is computed: `1 - x * y`).
    ApplyReversed(BinaryOp, Operand),
    /// The top `b` and the value under it `a` become `a op b`.
    ApplyStacked(BinaryOp),
    /// The top becomes its negation.
    Negate,
}

/// A compiled arithmetic expression: its postfix steps.
#[derive(Debug, Clone)]
pub struct Arithmetic {
    steps: Box<[Step]>,
    /// The values under the top while a row is computed (kept between rows: no stack is
    /// made per row); at most `STACK_MAX - 1`.
    spilled: Vec<Numeric>,
    /// The deepest the stack gets (the top included).
    depth_max: usize,
}

/// Why a row's computation stops before its last step.
pub(super) enum Halt {
    /// The result is NULL (a NULL operand, division by zero, NaN).
    Null,
    /// An operand the program does not cover: the tree walker computes the row.
    Tree,
}

impl Arithmetic {
    /// The program of `expr`, when it is arithmetic (at least one operator of + - * / % or
    /// unary `-`, over columns and number constants) within `STACK_MAX`; `None` otherwise.
    pub fn of(expr: &Expr, context: &EvalContext<'_>) -> Option<Arithmetic> {
        if !has_operator(expr) {
            return None;
        }
        let mut compiler = Compiler {
            steps: Vec::new(),
            depth: 0,
            depth_max: 0,
            context,
        };
        compiler.emit(expr)?;
        debug_assert_eq!(compiler.depth, 1);
        Some(Arithmetic {
            steps: compiler.steps.into_boxed_slice(),
            spilled: Vec::with_capacity(compiler.depth_max),
            depth_max: compiler.depth_max,
        })
    }

    /// The value over `row`; `None` when a column read holds a value the program does not
    /// cover (text, blob, boolean), for the tree walker to compute. (Always inlined: into
    /// `Computed::eval`, whose per-row call it is.)
    #[inline(always)]
    pub fn eval(&mut self, row: &[Value]) -> Option<Value> {
        match self.run(row) {
            Ok(Numeric::Integer(i)) => Some(Value::Integer(i)),
            Ok(Numeric::Real(r)) => Some(Value::Real(r)),
            Err(Halt::Null) => Some(Value::Null),
            Err(Halt::Tree) => None,
        }
    }

    /// The value over `row` as `eval` computes it, for a program shared by reference (a
    /// compiled filter's): the values under the top are kept on this call's stack.
    #[inline]
    pub fn value(&self, row: &[Value]) -> Option<Value> {
        let result = if self.depth_max <= 1 {
            // Nothing is ever pushed: an empty vector, which does not allocate.
            run(&self.steps, row, &mut Vec::new())
        } else {
            run(&self.steps, row, &mut LocalStack::default())
        };
        match result {
            Ok(Numeric::Integer(i)) => Some(Value::Integer(i)),
            Ok(Numeric::Real(r)) => Some(Value::Real(r)),
            Err(Halt::Null) => Some(Value::Null),
            Err(Halt::Tree) => None,
        }
    }

    /// The value over `row` as `value` computes it, as a number: `Some(None)` for NULL,
    /// `None` for a row the program does not cover (the tree computes it).
    #[inline]
    pub(crate) fn number(&self, row: &[Value]) -> Option<Option<Numeric>> {
        let result = if self.depth_max <= 1 {
            run(&self.steps, row, &mut Vec::new())
        } else {
            run(&self.steps, row, &mut LocalStack::default())
        };
        match result {
            Ok(number) => Some(Some(number)),
            Err(Halt::Null) => Some(None),
            Err(Halt::Tree) => None,
        }
    }

    /// Calls `visit` with every column the program reads.
    pub fn for_each_column(&self, visit: &mut impl FnMut(usize)) {
        for step in self.steps.iter() {
            if let Step::Load(Operand::Column(index))
            | Step::Push(Operand::Column(index))
            | Step::Apply(_, Operand::Column(index))
            | Step::ApplyReversed(_, Operand::Column(index)) = *step
            {
                visit(index);
            }
        }
    }

    #[inline(always)]
    fn run(&mut self, row: &[Value]) -> Result<Numeric, Halt> {
        self.spilled.clear();
        run(&self.steps, row, &mut self.spilled)
    }
}

/// Where the values under the top of the stack wait.
trait Spill {
    fn push(&mut self, number: Numeric);
    fn pop(&mut self) -> Option<Numeric>;
}

impl Spill for Vec<Numeric> {
    #[inline(always)]
    fn push(&mut self, number: Numeric) {
        Vec::push(self, number);
    }

    #[inline(always)]
    fn pop(&mut self) -> Option<Numeric> {
        Vec::pop(self)
    }
}

/// A stack of at most `STACK_MAX` values in place (the compiler bounds a program's depth).
struct LocalStack {
    numbers: [Numeric; STACK_MAX],
    len: usize,
}

impl Default for LocalStack {
    fn default() -> LocalStack {
        LocalStack {
            numbers: [Numeric::Integer(0); STACK_MAX],
            len: 0,
        }
    }
}

impl Spill for LocalStack {
    #[inline(always)]
    fn push(&mut self, number: Numeric) {
        debug_assert!(self.len < STACK_MAX);
        if let Some(slot) = self.numbers.get_mut(self.len) {
            *slot = number;
            self.len += 1;
        }
    }

    #[inline(always)]
    fn pop(&mut self) -> Option<Numeric> {
        self.len = self.len.checked_sub(1)?;
        Some(self.numbers[self.len])
    }
}

/// Runs `steps` over `row`, `spilled` holding the values under the top (empty at the
/// start).
#[inline(always)]
fn run(steps: &[Step], row: &[Value], spilled: &mut impl Spill) -> Result<Numeric, Halt> {
    let mut top = Numeric::Integer(0);
    for step in steps {
        top = match *step {
            Step::Load(operand) => operand_number(operand, row)?,
            Step::Push(operand) => {
                spilled.push(top);
                operand_number(operand, row)?
            }
            Step::Apply(op, operand) => apply(op, top, operand_number(operand, row)?)?,
            Step::ApplyReversed(op, operand) => apply(op, operand_number(operand, row)?, top)?,
            Step::ApplyStacked(op) => {
                let Some(left) = spilled.pop() else {
                    debug_assert!(false, "a stacked operator with one value");
                    return Err(Halt::Tree);
                };
                apply(op, left, top)?
            }
            Step::Negate => negate(top),
        };
    }
    Ok(top)
}

/// An operand's number: a constant, or a column's INTEGER or REAL value.
#[inline(always)]
fn operand_number(operand: Operand, row: &[Value]) -> Result<Numeric, Halt> {
    match operand {
        Operand::Constant(number) => Ok(number),
        Operand::Column(index) => match &row[index] {
            Value::Real(r) => Ok(Numeric::Real(*r)),
            Value::Integer(i) => Ok(Numeric::Integer(*i)),
            Value::Null => Err(Halt::Null),
            _ => Err(Halt::Tree),
        },
    }
}

/// `left op right` as `BinaryOp::apply` computes it for two numbers.
#[inline(always)]
pub(super) fn apply(op: BinaryOp, left: Numeric, right: Numeric) -> Result<Numeric, Halt> {
    number_arithmetic(op, left, right, || (truncated(left), truncated(right))).ok_or(Halt::Null)
}

/// The integer value `%` reads of a number (as `ops::integer_value`: reals truncate).
#[inline(always)]
fn truncated(number: Numeric) -> i64 {
    match number {
        Numeric::Integer(i) => i,
        Numeric::Real(r) => super::cast::real_to_integer(r),
    }
}

pub(super) fn is_arithmetic(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Add
            | BinaryOp::Subtract
            | BinaryOp::Multiply
            | BinaryOp::Divide
            | BinaryOp::Modulo
    )
}

/// Whether `expr` applies an arithmetic operator or a negation (a bare column, constant or
/// `+x` is cheap in the tree already).
fn has_operator(expr: &Expr) -> bool {
    match expr {
        Expr::Binary(op, ..) => is_arithmetic(*op),
        Expr::Unary(UnaryOp::Negate, _) => true,
        Expr::Unary(UnaryOp::Plus, operand) => has_operator(operand),
        _ => false,
    }
}

struct Compiler<'c, 'a> {
    steps: Vec<Step>,
    /// The stack depth (the top included) after the steps so far.
    depth: usize,
    /// The deepest it has been.
    depth_max: usize,
    context: &'c EvalContext<'a>,
}

impl Compiler<'_, '_> {
    /// Appends the steps that leave `expr`'s value on top of the stack; `None` when `expr`
    /// is not compiled.
    fn emit(&mut self, expr: &Expr) -> Option<()> {
        if let Some(leaf) = self.leaf(expr)? {
            self.steps.push(if self.depth == 0 {
                Step::Load(leaf)
            } else {
                Step::Push(leaf)
            });
            return self.grow();
        }
        match expr {
            Expr::Binary(op, left, right) if is_arithmetic(*op) => {
                match (self.leaf(left)?, self.leaf(right)?) {
                    (_, Some(right)) => {
                        self.emit(left)?;
                        self.steps.push(Step::Apply(*op, right));
                    }
                    (Some(left), None) => {
                        self.emit(right)?;
                        self.steps.push(Step::ApplyReversed(*op, left));
                    }
                    (None, None) => {
                        self.emit(left)?;
                        self.emit(right)?;
                        self.steps.push(Step::ApplyStacked(*op));
                        self.depth -= 1;
                    }
                }
                Some(())
            }
            Expr::Unary(UnaryOp::Negate, operand) => {
                self.emit(operand)?;
                self.steps.push(Step::Negate);
                Some(())
            }
            // `+x` is `x` (the program only carries numbers, which `+` leaves as they are).
            Expr::Unary(UnaryOp::Plus, operand) => self.emit(operand),
            _ => None,
        }
    }

    /// One more value on the stack, within `STACK_MAX`.
    fn grow(&mut self) -> Option<()> {
        self.depth += 1;
        self.depth_max = self.depth_max.max(self.depth);
        (self.depth <= STACK_MAX).then_some(())
    }

    /// `Some(Some(operand))` for a column or number constant, `Some(None)` for an
    /// expression to compile, `None` for a leaf the program does not cover (a constant that
    /// is not a number, a parameter without a value).
    fn leaf(&self, expr: &Expr) -> Option<Option<Operand>> {
        let constant = match expr {
            Expr::Column { index, .. } => return Some(Some(Operand::Column(*index))),
            Expr::Literal(value) => value.clone(),
            Expr::Parameter(index) => self.context.params.get(*index)?.clone(),
            _ => return Some(None),
        };
        match constant {
            Value::Integer(i) => Some(Some(Operand::Constant(Numeric::Integer(i)))),
            Value::Real(r) => Some(Some(Operand::Constant(Numeric::Real(r)))),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "arithmetic_tests.rs"]
mod tests;
