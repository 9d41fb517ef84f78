//! The plan of window functions (`f(..) OVER (PARTITION BY .. ORDER BY .. frame)`): a
//! `Window` node computes every window call of one SELECT over its input rows, one pass per
//! distinct (PARTITION BY, ORDER BY) specification, and appends one value per call to each
//! row (call k at `input_width + k`).

use crate::expr::Expr;

use super::{AggregateFunction, Node, SortKey};

/// The Window operator's plan (boxed in `Node::Window`).
pub struct Window {
    pub input: Node,
    pub input_width: usize,
    /// The passes, each sorting the rows once; every call belongs to exactly one pass.
    pub passes: Vec<WindowPass>,
    /// Number of window calls (the values appended to each row).
    pub call_count: usize,
    /// Set by `optimize::window_top_n` when the query above keeps only rows whose ranking
    /// call is at most a bound: each partition then keeps only its first rows.
    pub top_n: Option<WindowTopN>,
}

/// Only the rows whose value of call `slot` (row_number, rank or dense_rank of the single
/// pass) is at most `limit` are read above the Window; the other rows may be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowTopN {
    pub slot: usize,
    pub function: WindowFunction,
    pub limit: u64,
}

/// The window calls sharing one (PARTITION BY, ORDER BY), computed from one sort.
pub struct WindowPass {
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    pub calls: Vec<WindowCall>,
}

/// One window function call.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    pub function: WindowFunction,
    pub args: Vec<Expr>,
    /// `FILTER (WHERE ..)` of an aggregate: rows where it is not true are left out.
    pub filter: Option<Expr>,
    pub frame: Frame,
    /// Where the value goes: `input_width + slot`.
    pub slot: usize,
    /// The registered aggregate when `function` is `Aggregate(AggregateFunction::User)`.
    pub user: Option<crate::expr::UserFunction>,
}

/// What a window call computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFunction {
    /// An aggregate over the frame.
    Aggregate(AggregateFunction),
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
}

impl WindowFunction {
    /// The built-in window function (not an aggregate) `name` with `arg_count` arguments;
    /// `Err(())` when the name is one but the argument count is wrong.
    pub fn by_name(name: &str, arg_count: usize) -> Option<Result<WindowFunction, ()>> {
        let (function, counts): (WindowFunction, std::ops::RangeInclusive<usize>) = match name {
            "row_number" => (WindowFunction::RowNumber, 0..=0),
            "rank" => (WindowFunction::Rank, 0..=0),
            "dense_rank" => (WindowFunction::DenseRank, 0..=0),
            "percent_rank" => (WindowFunction::PercentRank, 0..=0),
            "cume_dist" => (WindowFunction::CumeDist, 0..=0),
            "ntile" => (WindowFunction::Ntile, 1..=1),
            "lag" => (WindowFunction::Lag, 1..=3),
            "lead" => (WindowFunction::Lead, 1..=3),
            "first_value" => (WindowFunction::FirstValue, 1..=1),
            "last_value" => (WindowFunction::LastValue, 1..=1),
            "nth_value" => (WindowFunction::NthValue, 2..=2),
            _ => return None,
        };
        Some(if counts.contains(&arg_count) {
            Ok(function)
        } else {
            Err(())
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            WindowFunction::Aggregate(aggregate) => aggregate.name(),
            WindowFunction::RowNumber => "row_number",
            WindowFunction::Rank => "rank",
            WindowFunction::DenseRank => "dense_rank",
            WindowFunction::PercentRank => "percent_rank",
            WindowFunction::CumeDist => "cume_dist",
            WindowFunction::Ntile => "ntile",
            WindowFunction::Lag => "lag",
            WindowFunction::Lead => "lead",
            WindowFunction::FirstValue => "first_value",
            WindowFunction::LastValue => "last_value",
            WindowFunction::NthValue => "nth_value",
        }
    }

    /// Whether the function reads its frame (the others see the whole partition).
    pub fn uses_frame(self) -> bool {
        matches!(
            self,
            WindowFunction::Aggregate(_)
                | WindowFunction::FirstValue
                | WindowFunction::LastValue
                | WindowFunction::NthValue
        )
    }
}

/// A window frame: which rows of the partition an aggregate (or first/last/nth_value) sees
/// for the current row.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
    pub exclude: FrameExclude,
}

impl Frame {
    /// SQLite's default frame: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (with no
    /// ORDER BY every row is a peer, so this is the whole partition).
    pub fn default_frame() -> Frame {
        Frame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
            exclude: FrameExclude::NoOthers,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    Range,
    Groups,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    /// `expr PRECEDING` (expr is constant: no column of the row).
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameExclude {
    NoOthers,
    CurrentRow,
    Group,
    Ties,
}

/// EXPLAIN's text of a pass: `[calls] partition by .. order by ..`.
impl std::fmt::Display for WindowPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let calls: Vec<String> = self.calls.iter().map(ToString::to_string).collect();
        f.write_str(&calls.join(", "))?;
        if !self.partition_by.is_empty() {
            let terms: Vec<String> = self.partition_by.iter().map(ToString::to_string).collect();
            write!(f, " partition by {}", terms.join(", "))?;
        }
        if !self.order_by.is_empty() {
            let terms: Vec<String> = self
                .order_by
                .iter()
                .map(|key| {
                    let direction = if key.descending { "DESC" } else { "ASC" };
                    format!("{} {direction}", key.expr)
                })
                .collect();
            write!(f, " order by {}", terms.join(", "))?;
        }
        Ok(())
    }
}

impl std::fmt::Display for WindowCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.function == WindowFunction::Aggregate(AggregateFunction::CountStar) {
            f.write_str("count(*)")?;
        } else {
            let args: Vec<String> = self.args.iter().map(ToString::to_string).collect();
            let name = match &self.user {
                Some(user) => user.name(),
                None => self.function.name(),
            };
            write!(f, "{name}({})", args.join(", "))?;
        }
        if let Some(filter) = &self.filter {
            write!(f, " FILTER (WHERE {filter})")?;
        }
        if self.function.uses_frame() {
            write!(f, " {}", self.frame)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let units = match self.units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        };
        write!(f, "{units} BETWEEN {} AND {}", self.start, self.end)?;
        match self.exclude {
            FrameExclude::NoOthers => Ok(()),
            FrameExclude::CurrentRow => f.write_str(" EXCLUDE CURRENT ROW"),
            FrameExclude::Group => f.write_str(" EXCLUDE GROUP"),
            FrameExclude::Ties => f.write_str(" EXCLUDE TIES"),
        }
    }
}

impl std::fmt::Display for FrameBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameBound::UnboundedPreceding => f.write_str("UNBOUNDED PRECEDING"),
            FrameBound::Preceding(offset) => write!(f, "{offset} PRECEDING"),
            FrameBound::CurrentRow => f.write_str("CURRENT ROW"),
            FrameBound::Following(offset) => write!(f, "{offset} FOLLOWING"),
            FrameBound::UnboundedFollowing => f.write_str("UNBOUNDED FOLLOWING"),
        }
    }
}
