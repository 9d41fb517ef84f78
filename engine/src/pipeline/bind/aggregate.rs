//! Binding of function calls that are aggregates. While a SELECT's projection, HAVING and
//! ORDER BY are bound, an `AggregateCollector` is active: each aggregate call is bound (its
//! arguments against the input scope), recorded once, and replaced by a column reference
//! to its slot after the input row (`input_width + k`), which is where the Aggregate node
//! puts its value. Elsewhere (WHERE, GROUP BY, nested inside another aggregate) an
//! aggregate call is a misuse error, as in SQLite.

use sqlparser::ast::{self, DuplicateTreatment, FunctionArg, FunctionArgExpr, FunctionArguments};

use crate::error::{unsupported, Result};
use crate::expr::{Expr, Function, JsonFunction};
use crate::plan::{AggregateCall, AggregateFunction, AggregateOrder, SortKey};

use super::{Binder, Scope};

/// Aggregate calls found while binding one SELECT.
pub(super) struct AggregateCollector {
    /// Width of the input rows; aggregate k is read at `input_width + k`.
    pub input_width: usize,
    pub calls: Vec<AggregateCall>,
    /// Set while binding an aggregate's arguments (aggregates do not nest).
    inside_call: bool,
}

impl AggregateCollector {
    pub fn new(input_width: usize) -> AggregateCollector {
        AggregateCollector {
            input_width,
            calls: Vec::new(),
            inside_call: false,
        }
    }

    /// Whether an aggregate's arguments or FILTER are being bound.
    pub fn inside_call(&self) -> bool {
        self.inside_call
    }
}

/// Refuses `select`'s HAVING, once its result columns are bound (their aggregates in
/// `collected`), when the query is no aggregate: SQLite's rule makes a query one by its
/// GROUP BY or an aggregate call among its result columns, not one in HAVING alone.
pub(super) fn check_having(
    collected: Option<&AggregateCollector>,
    select: &ast::Select,
) -> Result<()> {
    let aggregated = collected.is_some_and(|collector| !collector.calls.is_empty());
    if select.having.is_some() && !aggregated && !has_group_by(select) {
        return Err(crate::err!(
            InvalidInput,
            "HAVING clause on a non-aggregate query"
        ));
    }
    Ok(())
}

/// Whether `select` has a GROUP BY clause (`GROUP BY ALL` included).
pub(super) fn has_group_by(select: &ast::Select) -> bool {
    !matches!(&select.group_by, ast::GroupByExpr::Expressions(terms, _) if terms.is_empty())
}

/// A function call's arguments: plain expressions, or `*` (COUNT(*)).
enum Arguments<'a> {
    Star,
    List(Vec<&'a ast::Expr>),
}

/// A call's arguments, whether DISTINCT, and the terms of an `ORDER BY` inside it.
type CallArguments<'a> = (Arguments<'a>, bool, &'a [ast::OrderByExpr]);

fn arguments(function: &ast::Function) -> Result<CallArguments<'_>> {
    let list = match &function.args {
        FunctionArguments::None => return Ok((Arguments::List(Vec::new()), false, &[])),
        FunctionArguments::Subquery(_) => {
            return Err(unsupported(format!(
                "subquery as the argument of {}",
                function.name
            )))
        }
        FunctionArguments::List(list) => list,
    };
    let mut order: &[ast::OrderByExpr] = &[];
    for clause in &list.clauses {
        match clause {
            ast::FunctionArgumentClause::OrderBy(terms) if order.is_empty() => order = terms,
            _ => {
                return Err(unsupported(format!(
                    "clauses in the arguments of {}",
                    function.name
                )))
            }
        }
    }
    let distinct = matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
    let mut exprs = Vec::with_capacity(list.args.len());
    for arg in &list.args {
        match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => exprs.push(expr),
            FunctionArg::Unnamed(FunctionArgExpr::Wildcard) if list.args.len() == 1 => {
                return Ok((Arguments::Star, distinct, order));
            }
            other => return Err(unsupported(format!("function argument {other}"))),
        }
    }
    Ok((Arguments::List(exprs), distinct, order))
}

impl Binder<'_> {
    /// Binds `function` if it is an aggregate call; `None` for any other function.
    pub(super) fn bind_aggregate(
        &mut self,
        function: &ast::Function,
        scope: &Scope,
    ) -> Result<Option<Expr>> {
        let name = match function.name.0.as_slice() {
            [part] => match part.as_ident() {
                Some(ident) => ident.value.to_ascii_lowercase(),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        let (args, distinct, order) = arguments(function)?;
        let user = match &args {
            Arguments::List(exprs) => self.user_function(&name, exprs.len()),
            Arguments::Star => None,
        };
        match &user {
            // A user scalar function of this name replaces a built-in aggregate.
            Some(user) if !user.is_aggregate() => return Ok(None),
            _ => {}
        }
        if function.over.is_some() && !order.is_empty() {
            // SQLite's words: a call with OVER is not an aggregate call.
            return Err(crate::err!(
                InvalidInput,
                "ORDER BY may not be used with non-aggregate {name}()"
            ));
        }
        if function.over.is_some() {
            let list = match &args {
                Arguments::Star => None,
                Arguments::List(exprs) => Some(exprs.as_slice()),
            };
            return self
                .bind_window_call(function, &name, list, distinct, user, scope)
                .map(Some);
        }
        if super::window::is_window_only(&name) {
            return Err(crate::err!(
                InvalidInput,
                "misuse of window function {name}()"
            ));
        }
        if user.as_ref().is_some_and(|user| !user.is_deterministic()) {
            self.note_impure_call();
        }
        let aggregate = match &args {
            _ if user.is_some() => Some(AggregateFunction::User),
            Arguments::Star if name == "count" => Some(AggregateFunction::CountStar),
            // `f(*)` is `f()` in SQLite: no aggregate but count takes no argument; another
            // function binds as a scalar call without one.
            Arguments::Star if super::function::AGGREGATES.contains(&name.as_str()) => {
                return Err(crate::err!(
                    InvalidInput,
                    "wrong number of arguments to function {name}()"
                ));
            }
            Arguments::Star => return Ok(None),
            Arguments::List(exprs) => AggregateFunction::by_name(&name, exprs.len()),
        };
        let Some(aggregate) = aggregate else {
            if super::function::AGGREGATES.contains(&name.as_str()) {
                return Err(crate::err!(
                    InvalidInput,
                    "wrong number of arguments to function {name}()"
                ));
            }
            return Ok(None);
        };
        if !function.within_group.is_empty() {
            return Err(unsupported(format!("WITHIN GROUP on {name}()")));
        }
        if function.null_treatment.is_some() {
            return Err(unsupported(format!("IGNORE/RESPECT NULLS on {name}()")));
        }
        let mut aggregate = aggregate;
        let distinct = super::sketch::check_distinct(&name, aggregate, distinct)?;
        if distinct && aggregate == AggregateFunction::CountStar {
            return Err(crate::err!(Syntax, "DISTINCT is not allowed in count(*)"));
        }
        if distinct && matches!(&args, Arguments::List(exprs) if exprs.len() != 1) {
            return Err(crate::err!(
                InvalidInput,
                "DISTINCT aggregates must have exactly one argument"
            ));
        }
        match &self.aggregates {
            Some(collector) if !collector.inside_call => {}
            _ => {
                return Err(crate::err!(
                    InvalidInput,
                    "misuse of aggregate function {name}()"
                ))
            }
        }
        let mut bound_args = Vec::new();
        if let Arguments::List(exprs) = &args {
            if let Some(collector) = &mut self.aggregates {
                collector.inside_call = true;
            }
            let result: Result<Vec<Expr>> = exprs
                .iter()
                .map(|expr| self.bind_expr(expr, scope))
                .collect();
            if let Some(collector) = &mut self.aggregates {
                collector.inside_call = false;
            }
            bound_args = result?;
        }
        let reader = super::sketch::read_parameter(&name, &mut aggregate, &mut bound_args)?;
        let order = self.bind_aggregate_order(aggregate, order, &mut bound_args, scope)?;
        let json_result = quote_json_aggregate_value(aggregate, &mut bound_args);
        let filter = match &function.filter {
            Some(filter) => {
                if let Some(collector) = &mut self.aggregates {
                    collector.inside_call = true;
                }
                let bound = self.bind_expr(filter, scope);
                if let Some(collector) = &mut self.aggregates {
                    collector.inside_call = false;
                }
                Some(bound?)
            }
            None => None,
        };
        let call = AggregateCall {
            function: aggregate,
            collation: bound_args
                .first()
                .map_or(Default::default(), super::compare::sort_collation),
            args: bound_args,
            distinct,
            filter,
            user,
            order,
        };
        let display = call.to_string();
        let collector = self
            .aggregates
            .as_mut()
            .ok_or_else(|| crate::err!(Internal, "aggregate collector vanished"))?;
        let slot = match collector
            .calls
            .iter()
            .position(|existing| *existing == call)
        {
            Some(slot) => slot,
            None => {
                collector.calls.push(call);
                collector.calls.len() - 1
            }
        };
        let column = Expr::Column {
            index: collector.input_width + slot,
            name: display,
            meta: Default::default(),
        };
        if let Some(reader) = reader {
            return Ok(Some(reader.wrap(column)));
        }
        if json_result {
            // The result is JSON for the JSON functions it is an argument of, or JSONB.
            return Ok(Some(Expr::Function {
                function: Function::Json(json_aggregate_form(&name)),
                args: vec![column],
            }));
        }
        Ok(Some(column))
    }
}

impl Binder<'_> {
    /// The `ORDER BY` inside an aggregate call: its keys bound (as arguments are: an
    /// aggregate inside is a misuse) and, for a call whose value depends on the order of
    /// its rows (group_concat, string_agg, the JSON aggregates, user aggregates), appended
    /// to `args`. SQLite accepts and ignores it on the others (count, sum, min, ...).
    fn bind_aggregate_order(
        &mut self,
        aggregate: AggregateFunction,
        terms: &[ast::OrderByExpr],
        args: &mut Vec<Expr>,
        scope: &Scope,
    ) -> Result<Vec<AggregateOrder>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(collector) = &mut self.aggregates {
            collector.inside_call = true;
        }
        let bound: Result<Vec<SortKey>> = terms
            .iter()
            .map(|term| {
                let expr = self.bind_expr(&term.expr, scope)?;
                super::select::sort_key(term, expr, None)
            })
            .collect();
        if let Some(collector) = &mut self.aggregates {
            collector.inside_call = false;
        }
        let keys = bound?;
        let ordered = matches!(
            aggregate,
            AggregateFunction::GroupConcat
                | AggregateFunction::JsonGroupArray
                | AggregateFunction::JsonGroupObject
                | AggregateFunction::User
        );
        if !ordered {
            return Ok(Vec::new());
        }
        let mut order = Vec::with_capacity(keys.len());
        for key in keys {
            args.push(key.expr);
            order.push(AggregateOrder {
                descending: key.descending,
                nulls_first: key.nulls_first,
            });
        }
        Ok(order)
    }
}

/// What a JSON aggregate's JSON text is given as: `jsonb(..)` for jsonb_group_array /
/// jsonb_group_object, else `json(..)` (which gives the text its JSON flag).
pub(super) fn json_aggregate_form(name: &str) -> JsonFunction {
    if name.starts_with("jsonb_") {
        JsonFunction::Jsonb
    } else {
        JsonFunction::Json
    }
}

/// For json_group_array / json_group_object: binds the value argument as `json_quote(x)`
/// (so a JSON argument nests and anything else is quoted) and returns `true`.
pub(super) fn quote_json_aggregate_value(aggregate: AggregateFunction, args: &mut [Expr]) -> bool {
    let value = match aggregate {
        AggregateFunction::JsonGroupArray => args.first_mut(),
        AggregateFunction::JsonGroupObject => args.get_mut(1),
        _ => return false,
    };
    if let Some(value) = value {
        let inner = std::mem::replace(value, Expr::Literal(ember_storage::Value::Null));
        *value = Expr::Function {
            function: Function::Json(JsonFunction::Quote),
            args: vec![inner],
        };
    }
    true
}
