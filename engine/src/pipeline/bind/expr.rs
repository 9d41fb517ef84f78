//! AST expressions to bound `Expr`s: names resolved through the `Scope`, literals typed,
//! parameters numbered, depth bounded. Constructs not handled here are reported by name.

use sqlparser::ast::{self, BinaryOperator, UnaryOperator};

use ember_storage::Value;

use crate::error::{unsupported, Result};
use crate::expr::{BinaryOp, Expr, Function, Math, SubqueryKind, UnaryOp};
use crate::limits::{EXPR_DEPTH_MAX, IN_LIST_ITEMS_MAX};

use super::compare;
use super::function::negate_if;
use super::scope::Scope;
use super::Binder;

impl Binder<'_> {
    /// Binds an expression against `scope`.
    pub fn bind_expr(&mut self, expr: &ast::Expr, scope: &Scope) -> Result<Expr> {
        self.bind_expr_at(expr, scope, 0)
    }

    pub(super) fn bind_expr_at(
        &mut self,
        expr: &ast::Expr,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        if depth + self.enclosing_expr_depth > EXPR_DEPTH_MAX {
            return Err(crate::err!(
                Limit,
                "expression nests deeper than the limit of {EXPR_DEPTH_MAX}"
            ));
        }
        let depth = depth + 1;
        Ok(match expr {
            ast::Expr::Identifier(ident) => {
                match self.resolve_column(None, &ident.value, ident.value.clone(), scope) {
                    // SQLite's double-quoted string: a "name" that names no column is text.
                    Err(error)
                        if ident.quote_style == Some('"')
                            && error.kind() == crate::ErrorKind::NotFound =>
                    {
                        Expr::Literal(Value::Text(ident.value.clone()))
                    }
                    bound => bound?,
                }
            }
            ast::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [table, column] => self.resolve_column(
                    Some(&table.value),
                    &column.value,
                    format!("{}.{}", table.value, column.value),
                    scope,
                )?,
                _ => return Err(unsupported(format!("qualified name {expr}"))),
            },
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::Placeholder(name),
                span,
            }) => self.bind_placeholder(name, (span.start.line, span.start.column))?,
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::HexStringLiteral(digits),
                span,
            }) if is_hex_integer(digits, span) => Expr::Literal(hex_integer(digits)?),
            ast::Expr::Value(value) => self.bind_literal(&value.value)?,
            ast::Expr::Nested(inner) => self.bind_expr_at(inner, scope, depth)?,
            ast::Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: operand,
            } if negative_integer_literal(operand).is_some() => {
                Expr::Literal(negative_integer_literal(operand).unwrap_or(Value::Null))
            }
            ast::Expr::UnaryOp { op, expr: operand } => {
                let op = match op {
                    UnaryOperator::Minus => UnaryOp::Negate,
                    UnaryOperator::Plus => UnaryOp::Plus,
                    UnaryOperator::Not => UnaryOp::Not,
                    UnaryOperator::BitwiseNot => UnaryOp::BitNot,
                    other => return Err(unsupported(format!("unary operator {other}"))),
                };
                Expr::Unary(op, Box::new(self.bind_expr_at(operand, scope, depth)?))
            }
            ast::Expr::BinaryOp {
                left,
                op: BinaryOperator::Glob,
                right,
            } => self.bind_pattern_match(Function::Glob, left, right, None, scope, depth)?,
            ast::Expr::BinaryOp {
                left,
                op: op @ (BinaryOperator::Arrow | BinaryOperator::LongArrow),
                right,
            } => {
                let function = match op {
                    BinaryOperator::Arrow => crate::expr::JsonFunction::Arrow,
                    _ => crate::expr::JsonFunction::LongArrow,
                };
                Expr::Function {
                    function: Function::Json(function),
                    args: vec![
                        self.bind_expr_at(left, scope, depth)?,
                        self.bind_expr_at(right, scope, depth)?,
                    ],
                }
            }
            ast::Expr::BinaryOp { left, op, right }
                if super::row_value::is_row_comparison(op)
                    && (super::row_value::is_row(left) || super::row_value::is_row(right)) =>
            {
                let op = bind_binary_operator(op)?;
                self.bind_row_comparison(left, op, right, scope, depth)?
            }
            ast::Expr::BinaryOp { left, op, right } => {
                let op = bind_binary_operator(op)?;
                let left = self.bind_expr_at(left, scope, depth)?;
                let right = self.bind_expr_at(right, scope, depth)?;
                binary(op, left, right)
            }
            ast::Expr::IsNull(inner) => Expr::IsNull {
                expr: Box::new(self.bind_expr_at(inner, scope, depth)?),
                negated: false,
            },
            ast::Expr::IsNotNull(inner) => Expr::IsNull {
                expr: Box::new(self.bind_expr_at(inner, scope, depth)?),
                negated: true,
            },
            ast::Expr::Function(function) => match self.bind_aggregate(function, scope)? {
                Some(aggregate) => aggregate,
                None => {
                    let call = self.bind_function(function, scope, depth)?;
                    self.note_call(&call);
                    call
                }
            },
            ast::Expr::Subquery(query) => {
                self.bind_subquery(query, scope, SubqueryKind::Scalar, depth)?
            }
            ast::Expr::Exists { subquery, negated } => self.bind_subquery(
                subquery,
                scope,
                SubqueryKind::Exists { negated: *negated },
                depth,
            )?,
            ast::Expr::InSubquery {
                expr: operand,
                subquery,
                negated,
            } if super::row_value::is_row(operand) => {
                self.bind_row_in_subquery(operand, subquery, *negated, scope, depth)?
            }
            ast::Expr::InSubquery {
                expr: operand,
                subquery,
                negated,
            } => {
                let operand = self.bind_expr_at(operand, scope, depth)?;
                self.bind_subquery(
                    subquery,
                    scope,
                    SubqueryKind::In {
                        expr: Box::new(operand),
                        negated: *negated,
                        affinity: None,
                        collation: crate::expr::Collation::Binary,
                    },
                    depth,
                )?
            }
            ast::Expr::IsDistinctFrom(left, right) | ast::Expr::IsNotDistinctFrom(left, right)
                if super::row_value::is_row(left) || super::row_value::is_row(right) =>
            {
                let op = if matches!(expr, ast::Expr::IsDistinctFrom(..)) {
                    BinaryOp::IsDistinctFrom
                } else {
                    BinaryOp::IsNotDistinctFrom
                };
                self.bind_row_comparison(left, op, right, scope, depth)?
            }
            ast::Expr::IsDistinctFrom(left, right) | ast::Expr::IsNotDistinctFrom(left, right) => {
                let op = if matches!(expr, ast::Expr::IsDistinctFrom(..)) {
                    BinaryOp::IsDistinctFrom
                } else {
                    BinaryOp::IsNotDistinctFrom
                };
                let left = self.bind_expr_at(left, scope, depth)?;
                let right = self.bind_expr_at(right, scope, depth)?;
                binary(op, left, right)
            }
            ast::Expr::IsTrue(operand)
            | ast::Expr::IsNotTrue(operand)
            | ast::Expr::IsFalse(operand)
            | ast::Expr::IsNotFalse(operand) => {
                let operand = self.bind_expr_at(operand, scope, depth)?;
                truth_test(expr, operand)
            }
            ast::Expr::Between {
                expr: operand,
                negated,
                low,
                high,
            } if super::row_value::is_row(operand) => {
                self.bind_row_between(operand, low, high, *negated, scope, depth)?
            }
            ast::Expr::Between {
                expr: operand,
                negated,
                low,
                high,
            } => between(
                self.bind_expr_at(operand, scope, depth)?,
                self.bind_expr_at(low, scope, depth)?,
                self.bind_expr_at(high, scope, depth)?,
                *negated,
            ),
            ast::Expr::InList {
                expr: operand,
                list,
                negated,
            } if list.len() > IN_LIST_ITEMS_MAX => {
                return Err(crate::err!(
                    Limit,
                    "IN list of {} items exceeds the limit of {IN_LIST_ITEMS_MAX}",
                    list.len()
                ))
            }
            ast::Expr::InList {
                expr: operand,
                list,
                negated,
            } if super::row_value::is_row(operand) => {
                self.bind_row_in_list(operand, list, *negated, scope, depth)?
            }
            ast::Expr::InList {
                expr: operand,
                list,
                negated,
            } => {
                let operand = self.bind_expr_at(operand, scope, depth)?;
                let list = list
                    .iter()
                    .map(|item| self.bind_expr_at(item, scope, depth))
                    .collect::<Result<_>>()?;
                let (operand, list) = compare::in_list(operand, list);
                Expr::InList {
                    list,
                    expr: Box::new(operand),
                    negated: *negated,
                }
            }
            ast::Expr::Like {
                negated,
                any: false,
                expr: operand,
                pattern,
                escape_char,
            } => negate_if(
                *negated,
                self.bind_pattern_match(
                    Function::Like,
                    operand,
                    pattern,
                    escape_char.as_deref(),
                    scope,
                    depth,
                )?,
            ),
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.bind_case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                scope,
                depth,
            )?,
            ast::Expr::Cast {
                kind,
                expr: operand,
                data_type,
                format,
            } => self.bind_cast(kind, operand, data_type, format.as_ref(), scope, depth)?,
            ast::Expr::Ceil {
                expr: operand,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            }
            | ast::Expr::Floor {
                expr: operand,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            } => {
                let math = if matches!(expr, ast::Expr::Ceil { .. }) {
                    Math::Ceil
                } else {
                    Math::Floor
                };
                Expr::Function {
                    function: Function::Math(math),
                    args: vec![self.bind_expr_at(operand, scope, depth)?],
                }
            }
            ast::Expr::Substring {
                expr: operand,
                substring_from,
                substring_for,
                ..
            } => self.bind_substring(
                operand,
                substring_from.as_deref(),
                substring_for.as_deref(),
                scope,
                depth,
            )?,
            ast::Expr::Trim {
                expr: operand,
                trim_where,
                trim_what,
                trim_characters,
            } => self.bind_trim(
                trim_where.as_ref(),
                trim_what.as_deref(),
                operand,
                trim_characters.as_ref(),
                scope,
                depth,
            )?,
            ast::Expr::Collate {
                expr: operand,
                collation,
            } => Expr::Collate {
                expr: Box::new(self.bind_expr_at(operand, scope, depth)?),
                collation: self.collation_named(
                    &super::object_name(collation)?,
                    "an expression (only `ORDER BY expr COLLATE name` uses one)",
                )?,
            },
            ast::Expr::Tuple(_) => return Err(super::row_value::misused()),
            other => return Err(unsupported(format!("expression {other}"))),
        })
    }

    /// Binds a literal or a parameter placeholder.
    pub fn bind_literal(&mut self, value: &ast::Value) -> Result<Expr> {
        Ok(Expr::Literal(match value {
            ast::Value::Number(text, _) => parse_number(text)?,
            ast::Value::SingleQuotedString(text) => Value::Text(text.clone()),
            ast::Value::Boolean(b) => Value::Boolean(*b),
            ast::Value::Null => Value::Null,
            ast::Value::HexStringLiteral(hex) => Value::Blob(parse_hex(hex)?),
            ast::Value::Placeholder(name) => return self.bind_placeholder(name, (0, 0)),
            other => return Err(unsupported(format!("literal {other}"))),
        }))
    }

    /// Binds the placeholder `name` found at `location` (line, column) in the text.
    fn bind_placeholder(&mut self, name: &str, location: (u64, u64)) -> Result<Expr> {
        if let Some(map) = &self.parameters {
            if let Some(slot) = map.slot(location) {
                return Ok(Expr::Parameter(slot));
            }
        }
        let index = if name == "?" {
            self.next_anonymous_parameter += 1;
            self.next_anonymous_parameter - 1
        } else {
            let digits = name.strip_prefix('$').or_else(|| name.strip_prefix('?'));
            match digits.and_then(|d| d.parse::<usize>().ok()) {
                Some(n) if (1..=crate::limits::PARAMETERS_MAX).contains(&n) => n - 1,
                Some(n) if n > crate::limits::PARAMETERS_MAX => {
                    return Err(crate::err!(
                        Limit,
                        "parameter {name} is past the limit of {} parameters",
                        crate::limits::PARAMETERS_MAX
                    ))
                }
                _ => return Err(unsupported(format!("parameter {name} (use ?, ?N or $N)"))),
            }
        };
        if index >= crate::limits::PARAMETERS_MAX {
            return Err(crate::err!(
                Limit,
                "more than {} parameters in one statement",
                crate::limits::PARAMETERS_MAX
            ));
        }
        self.parameter_count = self.parameter_count.max(index + 1);
        Ok(Expr::Parameter(index))
    }
}

/// A binary operation; comparisons convert their operands by SQLite's comparison affinity.
pub(super) fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let (left, right) = if compare::is_comparison(op) {
        compare::comparison(left, right)
    } else {
        (left, right)
    };
    Expr::Binary(op, Box::new(left), Box::new(right))
}

/// `x [NOT] BETWEEN low AND high`. When affinity would convert `x` itself (a bound has an
/// affinity `x` lacks), it becomes `x >= low AND x <= high` so each comparison converts on
/// its own; otherwise only the bounds are converted.
fn between(operand: Expr, low: Expr, high: Expr, negated: bool) -> Expr {
    let (converted_for_low, low) = compare::comparison(operand.clone(), low);
    let (converted_for_high, high) = compare::comparison(operand.clone(), high);
    if converted_for_low == operand && converted_for_high == operand {
        return Expr::Between {
            expr: Box::new(operand),
            low: Box::new(low),
            high: Box::new(high),
            negated,
        };
    }
    let range = Expr::Binary(
        BinaryOp::And,
        Box::new(Expr::Binary(
            BinaryOp::GreaterOrEqual,
            Box::new(converted_for_low),
            Box::new(low),
        )),
        Box::new(Expr::Binary(
            BinaryOp::LessOrEqual,
            Box::new(converted_for_high),
            Box::new(high),
        )),
    );
    negate_if(negated, range)
}

/// `-N` for an integer literal N (possibly parenthesized) whose negation fits in i64: SQLite
/// reads `-9223372036854775808` as the smallest INTEGER although `9223372036854775808` alone
/// is a REAL.
fn negative_integer_literal(operand: &ast::Expr) -> Option<Value> {
    match operand {
        ast::Expr::Nested(inner) => negative_integer_literal(inner),
        ast::Expr::Value(value) => match &value.value {
            ast::Value::Number(text, _) if text.bytes().all(|b| b.is_ascii_digit()) => {
                format!("-{text}").parse::<i64>().ok().map(Value::Integer)
            }
            _ => None,
        },
        _ => None,
    }
}

/// `x IS [NOT] TRUE|FALSE` as a CASE that is never NULL: `x IS TRUE` is
/// `CASE WHEN x THEN TRUE ELSE FALSE END`, `x IS FALSE` tests `NOT x` likewise.
fn truth_test(test: &ast::Expr, operand: Expr) -> Expr {
    let (tests_false, negated) = match test {
        ast::Expr::IsTrue(_) => (false, false),
        ast::Expr::IsNotTrue(_) => (false, true),
        ast::Expr::IsFalse(_) => (true, false),
        _ => (true, true),
    };
    let condition = if tests_false {
        Expr::Unary(UnaryOp::Not, Box::new(operand))
    } else {
        operand
    };
    Expr::Case {
        operand: None,
        branches: vec![(condition, Expr::Literal(Value::Boolean(!negated)))],
        else_result: Some(Box::new(Expr::Literal(Value::Boolean(negated)))),
    }
}

fn bind_binary_operator(op: &BinaryOperator) -> Result<BinaryOp> {
    Ok(match op {
        BinaryOperator::Plus => BinaryOp::Add,
        BinaryOperator::Minus => BinaryOp::Subtract,
        BinaryOperator::Multiply => BinaryOp::Multiply,
        BinaryOperator::Divide => BinaryOp::Divide,
        BinaryOperator::Modulo => BinaryOp::Modulo,
        BinaryOperator::Eq => BinaryOp::Equal,
        BinaryOperator::NotEq => BinaryOp::NotEqual,
        BinaryOperator::Lt => BinaryOp::Less,
        BinaryOperator::LtEq => BinaryOp::LessOrEqual,
        BinaryOperator::Gt => BinaryOp::Greater,
        BinaryOperator::GtEq => BinaryOp::GreaterOrEqual,
        BinaryOperator::And => BinaryOp::And,
        BinaryOperator::Or => BinaryOp::Or,
        BinaryOperator::StringConcat => BinaryOp::Concat,
        BinaryOperator::BitwiseAnd => BinaryOp::BitAnd,
        BinaryOperator::BitwiseOr => BinaryOp::BitOr,
        BinaryOperator::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
        BinaryOperator::PGBitwiseShiftRight => BinaryOp::ShiftRight,
        other => return Err(unsupported(format!("operator {other}"))),
    })
}

/// Parses a numeric literal: an integer when it fits in i64 and has no fraction or
/// exponent, a REAL otherwise.
pub fn parse_number(text: &str) -> Result<Value> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Integer(i));
        }
    }
    text.parse::<f64>()
        .map(Value::Real)
        .map_err(|_| crate::err!(Syntax, "invalid number literal {text}"))
}

/// Whether the hex digits `digits` were written `0x..` (an integer), not `x'..'` (a blob):
/// the parser gives both the same token, and only its width in the text tells them apart.
fn is_hex_integer(digits: &str, span: &sqlparser::tokenizer::Span) -> bool {
    let (start, end) = (span.start, span.end);
    start.line > 0
        && start.line == end.line
        && end.column.checked_sub(start.column) == Some(digits.chars().count() as u64 + 2)
}

/// A hexadecimal integer literal's value: its up to 16 digits as a 64-bit two's complement
/// number, as SQLite reads `0x..` (`0xFFFFFFFFFFFFFFFF` is -1; leading zeros are free).
fn hex_integer(digits: &str) -> Result<Value> {
    if digits.is_empty() {
        return Err(crate::err!(Syntax, "unrecognized token: \"0x\""));
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 16 {
        return Err(crate::err!(Syntax, "hex literal too big: 0x{digits}"));
    }
    if significant.is_empty() {
        return Ok(Value::Integer(0));
    }
    let value = u64::from_str_radix(significant, 16)
        .map_err(|_| crate::err!(Syntax, "unrecognized token: \"0x{digits}\""))?;
    Ok(Value::Integer(value as i64))
}

fn parse_hex(hex: &str) -> Result<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return Err(crate::err!(
            Syntax,
            "blob literal X'{hex}' has an odd number of digits"
        ));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16)
                .map_err(|_| crate::err!(Syntax, "invalid blob literal X'{hex}'"))
        })
        .collect()
}
