//! Every bound the SQL layer enforces, named once. Passing one gives an `ErrorKind::Limit`
//! error, never a panic or an unbounded allocation.

/// Largest SQL text accepted by one call, in bytes.
pub const SQL_BYTES_MAX: usize = 16 << 20;

/// Deepest expression or query nesting accepted, in the parser and in our own recursion
/// (binder, planner, evaluator).
pub const EXPR_DEPTH_MAX: usize = 200;

/// Most columns a table may declare.
pub const COLUMNS_MAX: usize = ember_storage::limits::COLUMNS_MAX;

/// Most rows one multi-row `VALUES` list may have.
pub const VALUES_ROWS_MAX: usize = 1_000_000;

const _: () = assert!(EXPR_DEPTH_MAX >= 64);

/// Most parameters (`?`, `$N`) one statement may use.
pub const PARAMETERS_MAX: usize = 32_766;

/// Most rows one statement may hold in memory at one materialization point (a sort's input,
/// a query's result set, the rows an INSERT ... SELECT / UPDATE / DELETE collects first).
/// A per-statement memory cap by row count; `Options::statement_rows_max` can lower it.
pub const STATEMENT_ROWS_MAX: usize = 50_000_000;

/// Most items in one `IN (...)` list (enforced by the binder once `IN` lists are bound).
pub const IN_LIST_ITEMS_MAX: usize = 100_000;
