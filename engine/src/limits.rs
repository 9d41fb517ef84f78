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

/// Deepest nesting of queries inside one statement (subqueries in expressions, subqueries in
/// FROM, compound SELECT operands). Each level may hold expressions up to `EXPR_DEPTH_MAX`
/// deep, so the binder's and evaluator's recursion is bounded by the product.
pub const QUERY_DEPTH_MAX: usize = 32;

const _: () = assert!(QUERY_DEPTH_MAX <= EXPR_DEPTH_MAX);

/// Most SELECTs one compound query may combine with UNION / INTERSECT / EXCEPT (SQLite's
/// default is the same). The binder and the executor recurse once per term.
pub const COMPOUND_SELECT_TERMS_MAX: usize = 500;

/// Most items in one `x IN (a, b, ...)` list.
pub const IN_LIST_ITEMS_MAX: usize = 100_000;

/// Most rows one statement may hold in memory at any one materialization point: a query's
/// result set, a sort's input, the groups of an aggregation, a hash join's build side, the
/// rows a DISTINCT or a set operation remembers, an `IN (SELECT ...)` set, and the rows an
/// INSERT, UPDATE or DELETE collects before writing. A per-statement memory bound by row
/// count; `Options::statement_rows_max` can lower it per database, never raise it.
pub const STATEMENT_ROWS_MAX: usize = 50_000_000;

/// Most helper threads `PRAGMA threads` gives a connection's scans (SQLite's
/// `SQLITE_MAX_WORKER_THREADS` default).
pub const WORKER_THREADS_MAX: usize = 8;

/// Most parameters (`?`, `$N`) one statement may use.
pub const PARAMETERS_MAX: usize = 32_766;

/// Most prepared plans one connection keeps in its statement cache.
pub const PLAN_CACHE_ENTRIES_MAX: usize = 256;

/// Longest SQL text (bytes) the per-connection plan cache keeps; longer statements are
/// planned every time instead of pinning large keys in memory.
pub const PLAN_CACHE_SQL_BYTES_MAX: usize = 16 * 1024;

/// Most parameters a connection's parameter list (`Connection::with_params`) keeps between
/// statements, and the largest text or blob buffer (bytes) it keeps in one of them.
pub const PARAMS_KEPT_MAX: usize = 64;
pub const PARAM_KEPT_BYTES_MAX: usize = 4 << 10;

/// Most attempts `Connection::transact` makes before returning a serialization conflict.
pub const TRANSACT_ATTEMPTS_MAX: usize = 100;

/// Largest TEXT or BLOB value an expression or aggregate may build, in bytes (what a row
/// can store).
pub const TEXT_BYTES_MAX: usize = ember_storage::limits::VALUE_BYTES_MAX;

/// Most bytes of TEXT and BLOB an index's derived key holds (its expressions' values, all
/// parts together): what a row can store, so an ordered entry stays within storage's
/// key bound. A written row whose key would pass it fails the write
/// (`catalog/index_keys.rs`).
pub const INDEX_KEY_BYTES_MAX: usize = ember_storage::limits::ROW_BYTES_MAX;

/// Most tables (and subqueries) one FROM clause may join.
pub const JOIN_RELATIONS_MAX: usize = 64;
/// Longest LIKE or GLOB pattern accepted, in bytes (SQLite's default is the same).
pub const LIKE_PATTERN_BYTES_MAX: usize = 50_000;

/// Longest text or blob a scalar function may build (`replace`, `hex`, `quote`, `char`;
/// `||` is bounded by `TEXT_BYTES_MAX`), in bytes.
pub const FUNCTION_RESULT_BYTES_MAX: usize = 1 << 28;

/// Deepest nesting of arrays and objects a JSON text may have (SQLite's JSON functions use
/// the same bound); deeper input is `malformed JSON`.
pub const JSON_DEPTH_MAX: usize = 1000;

/// Longest JSON text a JSON function parses or builds, in bytes.
pub const JSON_TEXT_BYTES_MAX: usize = FUNCTION_RESULT_BYTES_MAX;
/// Deepest chain of FOREIGN KEY actions one statement may run: a delete or key update that
/// cascades (or sets NULL / a default) into a child table whose rows are themselves parents,
/// and so on. Deeper fails the statement (changing nothing). SQLite bounds the same chains
/// by its trigger depth (1000); each level here is a native stack frame or three.
pub const FOREIGN_KEY_CASCADE_DEPTH_MAX: usize = 100;

/// Deepest nesting of triggers: a trigger's statement firing another trigger, whose
/// statement fires another, and so on (a trigger never fires while it is running, as with
/// SQLite's default `recursive_triggers = OFF`). Deeper fails the statement (changing
/// nothing). SQLite's bound is 1000 (`SQLITE_MAX_TRIGGER_DEPTH`); each level here runs a
/// statement on the native stack, so the bound is lower.
pub const TRIGGER_DEPTH_MAX: usize = 100;

/// Most rows one `generate_series()` call produces (its rows are produced as they are
/// read, never held: the bound is on the statement's time). The default span, 0 to
/// 4294967295, fits.
pub const GENERATE_SERIES_ROWS_MAX: u64 = 1 << 32;

/// Most foreign-key checks one transaction keeps for its COMMIT (deferred keys that did
/// not hold at the end of their statements).
pub const FOREIGN_KEY_DEFERRED_CHECKS_MAX: usize = 1_000_000;

/// Most checkpoint snapshots `PRAGMA keep_snapshots` / `Options::keep_snapshots` may keep.
pub const KEEP_SNAPSHOTS_MAX: u64 = 10_000;

/// Shortest `Options::recovery_target` accepted (an open's fixed cost alone is about this).
pub const RECOVERY_TARGET_MIN: std::time::Duration = std::time::Duration::from_millis(10);

/// Longest `Options::recovery_target` accepted (one day).
pub const RECOVERY_TARGET_MAX: std::time::Duration = std::time::Duration::from_secs(86_400);

/// Most result rows a query's row list is sized for ahead of running it (from its LIMIT):
/// a larger LIMIT starts at this and grows as rows come, so a huge LIMIT over few rows
/// reserves no more than this.
pub const RESULT_ROWS_PRESIZED_MAX: usize = 1024;

/// Most target rows a DML statement's target list is sized for ahead of its walk (from a
/// key range's width or a key list's length): a wider range over few live rows reserves
/// no more than this, and a larger one grows from it.
pub const TARGETS_PRESIZED_MAX: usize = 65_536;

/// Most schema changes (DDL statements, counting the indexes a CREATE TABLE makes for its
/// UNIQUE constraints once) one explicit transaction may stage before its COMMIT.
pub const TRANSACTION_SCHEMA_CHANGES_MAX: usize = 10_000;

/// Most results one correlated subquery keeps memoized in one statement execution
/// (`expr/subquery_memo.rs`); past it, further outer values run the subquery unmemoized.
pub const SUBQUERY_MEMO_ENTRIES_MAX: usize = 100_000;

/// Most bytes a hash join's runtime bloom filter may take (`exec/join/bloom.rs`); a build
/// side needing more runs its join without one.
pub const JOIN_BLOOM_BYTES_MAX: u64 = 32 << 20;

/// Bits of a hash join's runtime bloom filter per distinct build key (one-word blocks,
/// `expr/sketch/word_bloom.rs`: about 0.4% of absent keys test present).
pub const JOIN_BLOOM_BITS_PER_KEY: u64 = 16;

/// Most build-side rows (by estimate) the optimizer gives a runtime bloom filter: those
/// `JOIN_BLOOM_BYTES_MAX` holds.
pub const JOIN_BLOOM_KEYS_MAX: u64 = JOIN_BLOOM_BYTES_MAX * 8 / JOIN_BLOOM_BITS_PER_KEY;

/// Most bytes one `bloom_filter(x, capacity, rate)` value may take (`expr/sketch/
/// bloom_value.rs`): a call sized past it fails naming this limit.
pub const BLOOM_FILTER_BYTES_MAX: u64 = 64 << 20;
