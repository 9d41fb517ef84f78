//! Binding of window function calls (`f(..) [FILTER (WHERE ..)] OVER (..)`) and a SELECT's
//! `WINDOW name AS (..)` clause. While a SELECT's projection and ORDER BY are bound, a
//! `WindowCollector` is active: each call's window is resolved (named windows, chaining as
//! SQLite allows), its arguments, PARTITION BY and ORDER BY are bound against the rows the
//! Window node reads, and the call is replaced by a column reference at
//! `WINDOW_SLOT_BASE + slot`, which `remap_window_columns` moves to the Window node's
//! output (`window input width + slot`) once the width is known. Elsewhere a window call is
//! SQLite's "misuse of window function" error.

use sqlparser::ast::{self, NamedWindowExpr, WindowFrameBound, WindowFrameUnits, WindowType};

use crate::error::Result;
use crate::expr::{Expr, Function};
use crate::plan::{
    AggregateFunction, Frame, FrameBound, FrameExclude, FrameUnits, Node, SortKey, Window,
    WindowCall, WindowFunction, WindowPass,
};

use super::{Binder, Scope};

/// Column positions from here up stand for window values until `remap_window_columns`.
const WINDOW_SLOT_BASE: usize = usize::MAX / 4;

/// The quoted identifier prefix `parse/exclude.rs` leaves as the last ORDER BY term of a
/// window whose frame had an EXCLUDE clause (sqlparser does not parse EXCLUDE).
use crate::parse::FRAME_EXCLUDE_MARKER as EXCLUDE_MARKER;

/// Window calls found while binding one SELECT.
pub(super) struct WindowCollector {
    /// The SELECT's named windows, chains resolved.
    named: Vec<(String, Spec)>,
    /// Each distinct bound (PARTITION BY, ORDER BY): one pass of the Window node.
    specs: Vec<(Vec<Expr>, Vec<SortKey>)>,
    /// The calls with the spec each belongs to; a call's slot is its position here.
    calls: Vec<(usize, WindowCall)>,
    /// Set while binding a window call's parts (window calls do not nest).
    inside_call: bool,
    /// Cleared while binding HAVING (window calls are not allowed there).
    allowed: bool,
}

/// A window specification with names resolved, not yet bound.
#[derive(Clone)]
struct Spec {
    partition_by: Vec<ast::Expr>,
    order_by: Vec<ast::OrderByExpr>,
    frame: Option<ast::WindowFrame>,
    exclude: FrameExclude,
}

impl WindowCollector {
    /// A collector for a SELECT with the `WINDOW` clause `definitions`.
    pub fn new(definitions: &[ast::NamedWindowDefinition]) -> Result<WindowCollector> {
        let mut named: Vec<(String, Spec)> = Vec::new();
        for ast::NamedWindowDefinition(name, expr) in definitions {
            let spec = match expr {
                NamedWindowExpr::WindowSpec(spec) => resolve_spec(spec, &named)?,
                NamedWindowExpr::NamedWindow(base) => find_named(&named, &base.value)?.clone(),
            };
            named.push((name.value.clone(), spec));
        }
        Ok(WindowCollector {
            named,
            specs: Vec::new(),
            calls: Vec::new(),
            inside_call: false,
            allowed: true,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The Window node computing the collected calls over `input` (rows `input_width`
    /// wide): one pass per distinct (PARTITION BY, ORDER BY).
    pub fn into_node(self, input: Node, input_width: usize) -> Node {
        let call_count = self.calls.len();
        let mut passes: Vec<WindowPass> = self
            .specs
            .into_iter()
            .map(|(partition_by, order_by)| WindowPass {
                partition_by,
                order_by,
                calls: Vec::new(),
            })
            .collect();
        for (spec, call) in self.calls {
            passes[spec].calls.push(call);
        }
        Node::Window(Box::new(Window {
            input,
            input_width,
            passes,
            call_count,
            top_n: None,
        }))
    }
}

/// `expr` with window value references moved to the Window node's output, whose input
/// rows are `input_width` wide.
pub(super) fn remap_window_columns(expr: &Expr, input_width: usize) -> Expr {
    expr.map_columns(&|index| {
        if index >= WINDOW_SLOT_BASE {
            input_width + (index - WINDOW_SLOT_BASE)
        } else {
            index
        }
    })
}

/// Whether `expr` reads a window value (before `remap_window_columns`).
pub(super) fn reads_window(expr: &Expr) -> bool {
    expr.columns_read()
        .iter()
        .any(|&index| index >= WINDOW_SLOT_BASE)
}

/// The name of an unaliased result column holding `expr`: its SQL text, with any frame
/// EXCLUDE clause put back where `parse/exclude.rs` took it from.
pub(super) fn column_name(expr: &ast::Expr) -> String {
    let mut text = expr.to_string();
    let quoted = format!("\"{EXCLUDE_MARKER}");
    while let Some(at) = text.find(&quoted) {
        let Some(length) = text[at + 1..].find('"').map(|end| end + 2) else {
            break;
        };
        let kind = text[at + quoted.len()..at + length - 1].to_ascii_uppercase();
        // `, "marker"` goes; `ORDER BY "marker" ` goes with its trailing space.
        let (start, end) = if text[..at].ends_with(", ") {
            (at - 2, at + length)
        } else if text[..at].ends_with("ORDER BY ") {
            (at - "ORDER BY ".len(), at + length + 1)
        } else {
            (at, at + length)
        };
        let end = end.min(text.len());
        text.replace_range(start..end, "");
        // The window's closing parenthesis follows the frame.
        let mut depth = 0usize;
        let close = text[start..]
            .char_indices()
            .find_map(|(offset, c)| match c {
                '(' => {
                    depth += 1;
                    None
                }
                ')' if depth == 0 => Some(start + offset),
                ')' => {
                    depth -= 1;
                    None
                }
                _ => None,
            });
        let close = close.unwrap_or(text.len());
        let close = text[..close].trim_end().len();
        text.insert_str(close, &format!(" EXCLUDE {kind}"));
    }
    text
}

fn find_named<'s>(named: &'s [(String, Spec)], name: &str) -> Result<&'s Spec> {
    named
        .iter()
        .rev()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, spec)| spec)
        .ok_or_else(|| crate::err!(InvalidInput, "no such window: {name}"))
}

/// `spec` with its base window (`OVER (base ORDER BY ..)`) merged in, as SQLite allows: the
/// new window may add an ORDER BY (when the base has none) and a frame (when the base has
/// none), never a PARTITION BY.
fn resolve_spec(spec: &ast::WindowSpec, named: &[(String, Spec)]) -> Result<Spec> {
    let mut order_by = spec.order_by.clone();
    let mut exclude = FrameExclude::NoOthers;
    if let Some(last) = order_by.last() {
        if let ast::Expr::Identifier(ident) = &last.expr {
            if let Some(kind) = ident.value.strip_prefix(EXCLUDE_MARKER) {
                exclude = match kind {
                    "current row" => FrameExclude::CurrentRow,
                    "group" => FrameExclude::Group,
                    "ties" => FrameExclude::Ties,
                    _ => FrameExclude::NoOthers,
                };
                order_by.pop();
            }
        }
    }
    let Some(base_name) = &spec.window_name else {
        return Ok(Spec {
            partition_by: spec.partition_by.clone(),
            order_by,
            frame: spec.window_frame.clone(),
            exclude,
        });
    };
    let base = find_named(named, &base_name.value)?;
    let overridden = if !spec.partition_by.is_empty() {
        Some("PARTITION clause")
    } else if !base.order_by.is_empty() && !order_by.is_empty() {
        Some("ORDER BY clause")
    } else if base.frame.is_some() {
        Some("frame specification")
    } else {
        None
    };
    if let Some(what) = overridden {
        return Err(crate::err!(
            InvalidInput,
            "cannot override {what} of window: {}",
            base_name.value
        ));
    }
    Ok(Spec {
        partition_by: base.partition_by.clone(),
        order_by: if order_by.is_empty() {
            base.order_by.clone()
        } else {
            order_by
        },
        frame: spec.window_frame.clone(),
        exclude,
    })
}

fn misuse(name: &str) -> crate::error::Error {
    crate::err!(InvalidInput, "misuse of window function {name}()")
}

/// What a window call computes, from its name and argument count.
fn window_function(name: &str, arg_count: usize, star: bool) -> Result<WindowFunction> {
    if star {
        return match name {
            "count" => Ok(WindowFunction::Aggregate(AggregateFunction::CountStar)),
            _ => Err(crate::err!(InvalidInput, "wrong use of * in {name}()")),
        };
    }
    if let Some(aggregate) = AggregateFunction::by_name(name, arg_count) {
        return Ok(WindowFunction::Aggregate(aggregate));
    }
    match WindowFunction::by_name(name, arg_count) {
        Some(Ok(function)) => Ok(function),
        Some(Err(())) => Err(crate::err!(
            InvalidInput,
            "wrong number of arguments to function {name}()"
        )),
        None if super::function::AGGREGATES.contains(&name) || name == "min" || name == "max" => {
            Err(crate::err!(
                InvalidInput,
                "wrong number of arguments to function {name}()"
            ))
        }
        None => Err(crate::err!(
            InvalidInput,
            "{name}() may not be used as a window function"
        )),
    }
}

/// Whether `name` is a window-only function (misused without OVER).
pub(super) fn is_window_only(name: &str) -> bool {
    WindowFunction::by_name(name, 0).is_some()
}

impl Binder<'_> {
    /// Allows or refuses window calls in what is bound next (refused in HAVING).
    pub(super) fn allow_windows(&mut self, allowed: bool) {
        if let Some(collector) = &mut self.windows {
            collector.allowed = allowed;
        }
    }

    /// Binds a call with an OVER clause: `name` lowercased, `args` its arguments (`None`:
    /// `*`); `user` is the registered aggregate `name` denotes, if any.
    pub(super) fn bind_window_call(
        &mut self,
        function: &ast::Function,
        name: &str,
        args: Option<&[&ast::Expr]>,
        distinct: bool,
        user: Option<crate::expr::UserFunction>,
        scope: &Scope,
    ) -> Result<Expr> {
        let Some(over) = &function.over else {
            return Err(misuse(name));
        };
        if user.as_ref().is_some_and(|user| !user.is_deterministic()) {
            self.note_impure_call();
        }
        let window = match &user {
            Some(_) => WindowFunction::Aggregate(AggregateFunction::User),
            None => window_function(name, args.map_or(0, <[_]>::len), args.is_none())?,
        };
        let inside_aggregate = self
            .aggregates
            .as_ref()
            .is_some_and(|collector| collector.inside_call());
        match &self.windows {
            Some(collector) if collector.allowed && !collector.inside_call && !inside_aggregate => {
            }
            _ => return Err(misuse(name)),
        }
        if distinct {
            return Err(crate::err!(
                InvalidInput,
                "DISTINCT is not supported for window functions"
            ));
        }
        if function.filter.is_some() && !matches!(window, WindowFunction::Aggregate(_)) {
            return Err(crate::err!(
                InvalidInput,
                "FILTER clause may only be used with aggregate window functions"
            ));
        }
        if function.null_treatment.is_some() || !function.within_group.is_empty() {
            return Err(crate::error::unsupported(format!(
                "IGNORE/RESPECT NULLS or WITHIN GROUP on {name}()"
            )));
        }
        let spec = {
            let collector = self.windows.as_ref().ok_or_else(|| misuse(name))?;
            match over {
                WindowType::NamedWindow(ident) => {
                    find_named(&collector.named, &ident.value)?.clone()
                }
                WindowType::WindowSpec(spec) => resolve_spec(spec, &collector.named)?,
            }
        };
        self.set_inside_window_call(true);
        let bound = self
            .bind_window_parts(&spec, args.unwrap_or(&[]), function, scope)
            .and_then(|parts| Ok((self.bind_frame(&spec, parts.3.len())?, parts)));
        self.set_inside_window_call(false);
        let (frame, (mut args, filter, partition_by, order_by)) = bound?;
        let mut window = window;
        let mut reader = None;
        let mut json_result = false;
        if let WindowFunction::Aggregate(aggregate) = &mut window {
            reader = super::sketch::read_parameter(name, aggregate, &mut args)?;
            json_result = super::aggregate::quote_json_aggregate_value(*aggregate, &mut args);
        }
        let mut call = WindowCall {
            function: window,
            args,
            filter,
            frame,
            slot: 0,
            user,
        };
        let display = call.to_string();
        let collector = self.windows.as_mut().ok_or_else(|| misuse(name))?;
        let spec_index = match collector.specs.iter().position(|(partition, order)| {
            *partition == partition_by && same_sort_keys(order, &order_by)
        }) {
            Some(index) => index,
            None => {
                collector.specs.push((partition_by, order_by));
                collector.specs.len() - 1
            }
        };
        let existing = collector.calls.iter().position(|(spec, existing)| {
            *spec == spec_index
                && existing.function == call.function
                && existing.args == call.args
                && existing.filter == call.filter
                && existing.frame == call.frame
        });
        let slot = match existing {
            Some(slot) => slot,
            None => {
                call.slot = collector.calls.len();
                collector.calls.push((spec_index, call));
                collector.calls.len() - 1
            }
        };
        let column = Expr::Column {
            index: WINDOW_SLOT_BASE + slot,
            name: display,
            meta: Default::default(),
        };
        Ok(match reader {
            Some(reader) => reader.wrap(column),
            // The JSON aggregates: their text is JSON (or JSONB), as in the aggregate form.
            None if json_result => Expr::Function {
                function: Function::Json(super::aggregate::json_aggregate_form(name)),
                args: vec![column],
            },
            None => column,
        })
    }

    fn set_inside_window_call(&mut self, inside: bool) {
        if let Some(collector) = &mut self.windows {
            collector.inside_call = inside;
        }
    }

    /// Binds a window call's arguments, FILTER, PARTITION BY and ORDER BY.
    #[allow(clippy::type_complexity)]
    fn bind_window_parts(
        &mut self,
        spec: &Spec,
        args: &[&ast::Expr],
        function: &ast::Function,
        scope: &Scope,
    ) -> Result<(Vec<Expr>, Option<Expr>, Vec<Expr>, Vec<SortKey>)> {
        let args = args
            .iter()
            .map(|expr| self.bind_expr(expr, scope))
            .collect::<Result<Vec<_>>>()?;
        let filter = function
            .filter
            .as_ref()
            .map(|filter| self.bind_expr(filter, scope))
            .transpose()?;
        let partition_by = spec
            .partition_by
            .iter()
            .map(|expr| {
                // Rows whose values compare equal under the term's collation share a
                // partition ('a' and 'A' under NOCASE), as in SQLite.
                let bound = self.bind_expr(expr, scope)?;
                let collation = super::compare::sort_collation(&bound);
                Ok(super::compare::collation_key(bound, collation))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut order_by = Vec::with_capacity(spec.order_by.len());
        for term in &spec.order_by {
            let expr = self.bind_expr(&term.expr, scope)?;
            order_by.push(super::select::sort_key(term, expr, None)?);
        }
        Ok((args, filter, partition_by, order_by))
    }

    /// The frame of `spec` (SQLite's default without one), its bounds checked.
    fn bind_frame(&mut self, spec: &Spec, order_terms: usize) -> Result<Frame> {
        let Some(frame) = &spec.frame else {
            return Ok(Frame::default_frame());
        };
        let units = match frame.units {
            WindowFrameUnits::Rows => FrameUnits::Rows,
            WindowFrameUnits::Range => FrameUnits::Range,
            WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        let start = self.bind_frame_bound(&frame.start_bound)?;
        let end = match &frame.end_bound {
            Some(bound) => self.bind_frame_bound(bound)?,
            None => FrameBound::CurrentRow,
        };
        let rank = |bound: &FrameBound| match bound {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::Preceding(_) => 1,
            FrameBound::CurrentRow => 2,
            FrameBound::Following(_) => 3,
            FrameBound::UnboundedFollowing => 4,
        };
        if matches!(start, FrameBound::UnboundedFollowing) {
            return Err(crate::err!(Syntax, "near \"FOLLOWING\": syntax error"));
        }
        if matches!(end, FrameBound::UnboundedPreceding) {
            return Err(crate::err!(Syntax, "near \"PRECEDING\": syntax error"));
        }
        if (rank(&start) == 2 && rank(&end) == 1) || (rank(&start) == 3 && rank(&end) <= 2) {
            return Err(crate::err!(InvalidInput, "unsupported frame specification"));
        }
        let has_offset = [&start, &end]
            .iter()
            .any(|bound| matches!(bound, FrameBound::Preceding(_) | FrameBound::Following(_)));
        if units == FrameUnits::Range && has_offset && order_terms != 1 {
            return Err(crate::err!(
                InvalidInput,
                "RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression"
            ));
        }
        Ok(Frame {
            units,
            start,
            end,
            exclude: spec.exclude,
        })
    }

    fn bind_frame_bound(&mut self, bound: &WindowFrameBound) -> Result<FrameBound> {
        let empty = Scope::default();
        // sqlparser reads `'1' PRECEDING` as an interval: the offset is the bare value.
        let plain = |expr: &ast::Expr| match expr {
            ast::Expr::Interval(interval)
                if interval.leading_field.is_none()
                    && interval.last_field.is_none()
                    && interval.leading_precision.is_none()
                    && interval.fractional_seconds_precision.is_none() =>
            {
                interval.value.as_ref().clone()
            }
            other => other.clone(),
        };
        Ok(match bound {
            WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            WindowFrameBound::Preceding(Some(offset)) => {
                FrameBound::Preceding(self.bind_expr(&plain(offset), &empty)?)
            }
            WindowFrameBound::Following(Some(offset)) => {
                FrameBound::Following(self.bind_expr(&plain(offset), &empty)?)
            }
        })
    }
}

fn same_sort_keys(left: &[SortKey], right: &[SortKey]) -> bool {
    left.len() == right.len()
        && left.iter().zip(right).all(|(a, b)| {
            a.expr == b.expr && a.descending == b.descending && a.nulls_first == b.nulls_first
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_show_exclude_again() {
        let sql = "SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW \
                   EXCLUDE TIES), count(*) OVER (GROUPS CURRENT ROW EXCLUDE GROUP) FROM t";
        let parsed = crate::parse::parse_statements(sql).unwrap();
        let ast::Statement::Query(query) = &parsed[0] else {
            panic!("a query");
        };
        let ast::SetExpr::Select(select) = query.body.as_ref() else {
            panic!("a select");
        };
        let names: Vec<String> = select
            .projection
            .iter()
            .map(|item| match item {
                ast::SelectItem::UnnamedExpr(expr) => column_name(expr),
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES)",
                "count(*) OVER (GROUPS CURRENT ROW EXCLUDE GROUP)"
            ]
        );
    }
}
