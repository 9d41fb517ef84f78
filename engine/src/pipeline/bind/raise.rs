//! Binding of SQLite's `RAISE(IGNORE)` and `RAISE(ABORT | FAIL | ROLLBACK, 'message')`,
//! allowed only in a trigger's WHEN and body. It binds to a call of `Function::Raise`, which
//! fails when evaluated with an error carrying the action (`Error::raised`); the trigger
//! that runs it and the connection act on the action (`exec::write::trigger`, `conflict_clause`).

use ember_storage::Value;
use sqlparser::ast::{self, FunctionArg, FunctionArgExpr};

use crate::error::{RaiseAction, Result};
use crate::expr::{Expr, Function};

use super::Binder;

impl Binder<'_> {
    /// `RAISE(...)` with its arguments (`None`: written without parentheses).
    pub(super) fn bind_raise(&mut self, list: Option<&ast::FunctionArgumentList>) -> Result<Expr> {
        if !self.raise_allowed {
            return Err(crate::err!(
                InvalidInput,
                "RAISE() may only be used within a trigger-program"
            ));
        }
        let syntax_error = || crate::err!(Syntax, "near \"RAISE\": syntax error");
        let args: Vec<&ast::Expr> = list
            .ok_or_else(syntax_error)?
            .args
            .iter()
            .map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Ok(expr),
                _ => Err(syntax_error()),
            })
            .collect::<Result<_>>()?;
        let action = match args.first() {
            Some(ast::Expr::Identifier(word)) if word.quote_style.is_none() => {
                match word.value.to_ascii_lowercase().as_str() {
                    "ignore" => RaiseAction::Ignore,
                    "abort" => RaiseAction::Abort,
                    "fail" => RaiseAction::Fail,
                    "rollback" => RaiseAction::Rollback,
                    _ => return Err(syntax_error()),
                }
            }
            _ => return Err(syntax_error()),
        };
        let args = match (action, &args[1..]) {
            (RaiseAction::Ignore, []) => Vec::new(),
            (RaiseAction::Ignore, _) => return Err(syntax_error()),
            (_, [ast::Expr::Value(value)]) => match &value.value {
                ast::Value::SingleQuotedString(text) => {
                    vec![Expr::Literal(Value::Text(text.clone()))]
                }
                _ => return Err(syntax_error()),
            },
            _ => return Err(syntax_error()),
        };
        Ok(Expr::Function {
            function: Function::Raise(action),
            args,
        })
    }
}
