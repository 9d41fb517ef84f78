//! View definitions: a named, stored query. A view keeps its parsed query, so using it in
//! FROM binds that query again against the current catalog (a view always sees the tables
//! as they are now), and its CREATE VIEW text for the WAL, checkpoints and `.schema`.

use sqlparser::ast;

/// A view: `CREATE VIEW name [(columns)] AS query`.
#[derive(Clone)]
pub struct ViewDef {
    pub name: String,
    /// Column names given in the definition; empty to use the query's own names.
    pub columns: Vec<String>,
    pub query: ast::Query,
    /// The CREATE VIEW statement, normalized.
    pub sql: String,
    /// Catalog version that created it: views are recreated in this order on recovery,
    /// so a view over another view comes after it.
    pub created: u64,
}
