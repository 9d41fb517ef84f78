//! Binding scalar function calls and the call-like expressions sqlparser gives their own
//! nodes (`SUBSTR(..)`, `TRIM(..)`, `LIKE`, `GLOB`, `CAST`, `CASE`). Aggregate names are
//! refused here: aggregates are bound by the SELECT binder before expressions reach this.

use sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments, TrimWhereField};

use crate::error::{unsupported, Result};
use crate::expr::{Affinity, BinaryOp, CollatedCall, Collation, Expr, Function, UnaryOp};

use super::scope::Scope;
use super::Binder;

/// Names of aggregate functions (min and max only with one argument).
pub(super) const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "total",
    "group_concat",
    "string_agg",
    "json_group_array",
    "json_group_object",
    "jsonb_group_array",
    "jsonb_group_object",
    "approx_count_distinct",
    "approx_top_k",
    "approx_quantile",
    "hll_sketch",
    "hll_merge",
    "topk_sketch",
    "topk_merge",
    "quantile_sketch",
    "quantile_merge",
];

/// Whether a call of `name` with `arg_count` arguments is an aggregate.
pub fn is_aggregate_call(name: &str, arg_count: usize) -> bool {
    let lower = name.to_ascii_lowercase();
    AGGREGATES.contains(&lower.as_str()) || ((lower == "min" || lower == "max") && arg_count == 1)
}

/// SQLite's error for a call of a function it does not know.
fn no_such_function(name: &str) -> crate::error::Error {
    crate::err!(NotFound, "no such function: {name}")
}

/// The date function a time keyword stands for: `CURRENT_TIMESTAMP` is `datetime('now')`
/// ('YYYY-MM-DD HH:MM:SS', UTC), `CURRENT_DATE` `date('now')`, `CURRENT_TIME` `time('now')`.
fn current_time_keyword(name: &str) -> Option<crate::expr::DateFunction> {
    use crate::expr::DateFunction;
    if name.eq_ignore_ascii_case("current_timestamp") {
        Some(DateFunction::DateTime)
    } else if name.eq_ignore_ascii_case("current_date") {
        Some(DateFunction::Date)
    } else if name.eq_ignore_ascii_case("current_time") {
        Some(DateFunction::Time)
    } else {
        None
    }
}

impl Binder<'_> {
    /// Binds a scalar function call. Aggregates are refused with "not supported: aggregate
    /// function NAME here"; unknown names with "no such function: NAME", as SQLite says.
    /// `CURRENT_TIMESTAMP`, `CURRENT_DATE` and `CURRENT_TIME` (no parentheses) are
    /// `datetime('now')`, `date('now')` and `time('now')`.
    pub fn bind_function(
        &mut self,
        function: &ast::Function,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let name = match function.name.0.as_slice() {
            [part] => match part.as_ident() {
                Some(ident) => ident.value.clone(),
                None => return Err(unsupported(format!("function name {}", function.name))),
            },
            _ => return Err(unsupported(format!("qualified function {}", function.name))),
        };
        let list = match &function.args {
            FunctionArguments::List(list) => Some(list),
            FunctionArguments::None => None,
            FunctionArguments::Subquery(_) => {
                return Err(unsupported(format!("subquery as argument of {name}")))
            }
        };
        if name.eq_ignore_ascii_case("raise") {
            return self.bind_raise(list);
        }
        if list.is_none() {
            if let Some(date) = current_time_keyword(&name) {
                return Ok(Expr::Function {
                    function: Function::Date(date),
                    args: vec![Expr::Literal(ember_storage::Value::Text("now".to_string()))],
                });
            }
        }
        // `f(*)` is `f()`, as in SQLite.
        let star = list.is_some_and(|list| {
            matches!(
                list.args.as_slice(),
                [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)]
            )
        });
        let arg_count = match star {
            true => 0,
            false => list.map_or(0, |list| list.args.len()),
        };
        let user = self.user_function(&name, arg_count);
        if let Some(user) = &user {
            if user.is_aggregate() {
                return Err(crate::err!(
                    InvalidInput,
                    "misuse of aggregate function {name}()"
                ));
            }
        } else if is_aggregate_call(&name, arg_count) {
            return Err(unsupported(format!("aggregate function {name} here")));
        }
        if function.over.is_some() {
            return Err(unsupported(format!("window function {name}")));
        }
        if function.filter.is_some() || !function.within_group.is_empty() {
            return Err(unsupported(format!("FILTER or WITHIN GROUP on {name}")));
        }
        if function.null_treatment.is_some() || function.uses_odbc_syntax {
            return Err(unsupported(format!("this form of call to {name}")));
        }
        if !matches!(function.parameters, FunctionArguments::None) {
            return Err(unsupported(format!("parameters of {name}")));
        }
        let resolved = match (&user, Function::from_name(&name)) {
            (Some(_), _) => None,
            (None, Some(resolved)) => Some(self.like_as_set(resolved)),
            (None, None) if name.eq_ignore_ascii_case("likelihood") => None,
            (None, None) if self.catalog.user_functions().has_name(&name) => {
                return Err(crate::err!(
                    InvalidInput,
                    "wrong number of arguments to function {name}()"
                ))
            }
            (None, None) => return Err(no_such_function(&name)),
        };
        let Some(list) = list else {
            return Err(crate::err!(Syntax, "function {name} needs parentheses"));
        };
        if list.duplicate_treatment.is_some() {
            return Err(unsupported(format!(
                "DISTINCT or ALL in scalar function {name}"
            )));
        }
        if list
            .clauses
            .iter()
            .any(|clause| matches!(clause, ast::FunctionArgumentClause::OrderBy(_)))
        {
            return Err(crate::err!(
                InvalidInput,
                "ORDER BY may not be used with non-aggregate {name}()"
            ));
        }
        if !list.clauses.is_empty() {
            return Err(unsupported(format!("clauses inside {name}(...)")));
        }
        let mut args = Vec::with_capacity(list.args.len());
        for arg in list.args.iter().filter(|_| !star) {
            match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => {
                    args.push(self.bind_expr_at(expr, scope, depth)?)
                }
                FunctionArg::Unnamed(_) => {
                    return Err(crate::err!(
                        InvalidInput,
                        "wildcard argument to function {name}()"
                    ))
                }
                FunctionArg::Named { .. } | FunctionArg::ExprNamed { .. } => {
                    return Err(unsupported(format!("named arguments to {name}")))
                }
            }
        }
        match (user, resolved) {
            (Some(function), _) => Ok(Expr::UserFunction { function, args }),
            (None, Some(Function::Iif)) => {
                Function::Iif.check_arity(args.len())?;
                Ok(iif_as_case(args))
            }
            (None, Some(resolved)) => {
                resolved.check_arity(args.len())?;
                let function = match CollatedCall::of(resolved) {
                    Some(call) => match super::compare::function_collation(&args) {
                        Collation::Binary => resolved,
                        collation => Function::Collated(call, collation),
                    },
                    None => resolved,
                };
                Ok(Expr::Function { function, args })
            }
            (None, None) if name.eq_ignore_ascii_case("likelihood") => likelihood(args, list),
            (None, None) => Err(no_such_function(&name)),
        }
    }

    /// The function the application registered as `name` for `arg_count` arguments, if
    /// any (it takes precedence over a built-in of that name, as in SQLite).
    pub(super) fn user_function(
        &self,
        name: &str,
        arg_count: usize,
    ) -> Option<crate::expr::UserFunction> {
        let functions = self.catalog.user_functions();
        if functions.is_empty() {
            return None;
        }
        functions.find(name, arg_count).cloned()
    }

    /// `SUBSTR(x, start[, length])` / `SUBSTRING(x FROM start [FOR length])`.
    pub(super) fn bind_substring(
        &mut self,
        expr: &ast::Expr,
        from: Option<&ast::Expr>,
        length: Option<&ast::Expr>,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let Some(from) = from else {
            return Err(crate::err!(
                InvalidInput,
                "wrong number of arguments to function substr()"
            ));
        };
        let mut args = vec![
            self.bind_expr_at(expr, scope, depth)?,
            self.bind_expr_at(from, scope, depth)?,
        ];
        if let Some(length) = length {
            args.push(self.bind_expr_at(length, scope, depth)?);
        }
        Ok(Expr::Function {
            function: Function::Substr,
            args,
        })
    }

    /// `TRIM(x)`, and the standard `TRIM([BOTH|LEADING|TRAILING] [chars] FROM x)`.
    pub(super) fn bind_trim(
        &mut self,
        where_: Option<&TrimWhereField>,
        what: Option<&ast::Expr>,
        expr: &ast::Expr,
        characters: Option<&Vec<ast::Expr>>,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let function = match where_ {
            None | Some(TrimWhereField::Both) => Function::Trim,
            Some(TrimWhereField::Leading) => Function::LTrim,
            Some(TrimWhereField::Trailing) => Function::RTrim,
        };
        let mut args = vec![self.bind_expr_at(expr, scope, depth)?];
        if let Some(what) = what {
            args.push(self.bind_expr_at(what, scope, depth)?);
        }
        for character_set in characters.into_iter().flatten() {
            args.push(self.bind_expr_at(character_set, scope, depth)?);
        }
        function.check_arity(args.len())?;
        Ok(Expr::Function { function, args })
    }

    /// `x LIKE pattern [ESCAPE e]` as `like(pattern, x[, e])`, or GLOB likewise; the caller
    /// applies NOT (see `negate_if`).
    pub(super) fn bind_pattern_match(
        &mut self,
        function: Function,
        expr: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let mut args = vec![
            self.bind_expr_at(pattern, scope, depth)?,
            self.bind_expr_at(expr, scope, depth)?,
        ];
        if let Some(escape) = escape {
            args.push(self.bind_expr_at(escape, scope, depth)?);
        }
        let function = self.like_as_set(function);
        Ok(Expr::Function { function, args })
    }

    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
    pub(super) fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let operand = match operand {
            Some(operand) => Some(Box::new(self.bind_expr_at(operand, scope, depth)?)),
            None => None,
        };
        let mut branches = Vec::with_capacity(conditions.len());
        for branch in conditions {
            branches.push((
                self.bind_expr_at(&branch.condition, scope, depth)?,
                self.bind_expr_at(&branch.result, scope, depth)?,
            ));
        }
        let else_result = match else_result {
            Some(result) => Some(Box::new(self.bind_expr_at(result, scope, depth)?)),
            None => None,
        };
        let Some(operand) = operand else {
            return Ok(Expr::Case {
                operand: None,
                branches,
                else_result,
            });
        };
        // `CASE x WHEN w` compares `x = w` with comparison affinity. When that would convert
        // `x` itself (a WHEN value has an affinity `x` lacks), each branch gets its own
        // comparison (`CASE WHEN x = w ...`); otherwise only the WHEN values convert.
        let converts_operand = branches.iter().any(|(when, _)| {
            super::compare::comparison((*operand).clone(), when.clone()).0 != *operand
        });
        if converts_operand {
            let branches = branches
                .into_iter()
                .map(|(when, then)| {
                    let (left, right) = super::compare::comparison((*operand).clone(), when);
                    let test = Expr::Binary(BinaryOp::Equal, Box::new(left), Box::new(right));
                    (test, then)
                })
                .collect();
            return Ok(Expr::Case {
                operand: None,
                branches,
                else_result,
            });
        }
        let branches = branches
            .into_iter()
            .map(|(when, then)| (super::compare::case_when(&operand, when), then))
            .collect();
        Ok(Expr::Case {
            operand: Some(operand),
            branches,
            else_result,
        })
    }

    /// `CAST(x AS type)`: the type name picks the affinity by SQLite's rules.
    pub(super) fn bind_cast(
        &mut self,
        kind: &ast::CastKind,
        expr: &ast::Expr,
        data_type: &ast::DataType,
        format: Option<&ast::CastFormat>,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        if format.is_some() {
            return Err(unsupported("CAST ... FORMAT"));
        }
        match kind {
            ast::CastKind::Cast | ast::CastKind::DoubleColon => {}
            other => return Err(unsupported(format!("{other:?}"))),
        }
        Ok(Expr::Cast {
            expr: Box::new(self.bind_expr_at(expr, scope, depth)?),
            affinity: Affinity::from_type_name(&data_type.to_string()),
        })
    }
}

/// `NOT expr` when `negated`.
pub(super) fn negate_if(negated: bool, expr: Expr) -> Expr {
    if negated {
        Expr::Unary(UnaryOp::Not, Box::new(expr))
    } else {
        expr
    }
}

/// `iif(c1, v1, c2, v2, ..[, otherwise])` (also `if`), as SQLite evaluates it: `CASE WHEN c1
/// THEN v1 WHEN c2 THEN v2 .. [ELSE otherwise] END`, so every evaluator runs it as a CASE
/// (lazily, a JSON argument's flag passed on).
fn iif_as_case(args: Vec<Expr>) -> Expr {
    let mut args = args.into_iter();
    let mut branches = Vec::with_capacity(args.len() / 2);
    let mut else_result = None;
    while let Some(condition) = args.next() {
        match args.next() {
            Some(value) => branches.push((condition, value)),
            None => else_result = Some(Box::new(condition)),
        }
    }
    Expr::Case {
        operand: None,
        branches,
        else_result,
    }
}

/// `likelihood(x, p)`: `x`, as `likely(x)` (a hint to SQLite's planner), once `p` is what
/// SQLite requires: a floating point literal from 0.0 to 1.0.
fn likelihood(mut args: Vec<Expr>, list: &ast::FunctionArgumentList) -> Result<Expr> {
    if args.len() != 2 {
        return Err(crate::err!(
            InvalidInput,
            "wrong number of arguments to function likelihood()"
        ));
    }
    let probability = match &list.args[1] {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Value(value))) => {
            match &value.value {
                ast::Value::Number(text, _) if text.contains(['.', 'e', 'E']) => {
                    text.parse::<f64>().ok()
                }
                _ => None,
            }
        }
        _ => None,
    };
    if !probability.is_some_and(|p| (0.0..=1.0).contains(&p)) {
        return Err(crate::err!(
            InvalidInput,
            "second argument to likelihood() must be a constant between 0.0 and 1.0"
        ));
    }
    args.truncate(1);
    Ok(Expr::Function {
        function: Function::Likely,
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_names_are_recognised() {
        assert!(is_aggregate_call("COUNT", 1));
        assert!(is_aggregate_call("max", 1));
        assert!(!is_aggregate_call("max", 2));
        assert!(is_aggregate_call("group_concat", 2));
        assert!(!is_aggregate_call("abs", 1));
    }
}
