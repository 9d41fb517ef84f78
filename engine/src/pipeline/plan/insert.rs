//! INSERT plans (`Insert`), and the plain form of an INSERT whose `VALUES` rows hold only
//! literals and parameters (the prepared `INSERT INTO t VALUES (?, ...)`): each row as one
//! `RowValue` per table column, omitted columns already holding their literal defaults. The
//! executor reads a row's values straight from it (borrowed from the plan and the parameter
//! list), with no expression to match and no default to look up per row (`exec::write::insert`).
//! `InsertWrite` says whether rows are written one at a time or in batches.

use std::sync::Arc;

use ember_storage::Value;

use crate::catalog::TableDef;
use crate::expr::{Expr, SessionFunction};

use super::{Node, OnConflict, Returning, Sequence, Upsert};

/// INSERT, bound: the rows `source` produces go into `columns` of `table` (an empty list
/// with `DEFAULT VALUES`: every column takes its default).
pub struct Insert {
    pub table: Arc<TableDef>,
    pub columns: Vec<usize>,
    pub source: Node,
    pub on_conflict: OnConflict,
    /// `source` in plain form, when it is `VALUES` of literals and parameters (see
    /// `PlainRows::build`) and the statement has no clause below.
    pub plain_rows: Option<PlainRows>,
    /// `ON CONFLICT ...`.
    pub upsert: Option<Box<Upsert>>,
    pub returning: Option<Box<Returning>>,
    /// For an AUTOINCREMENT table.
    pub sequence: Option<Box<Sequence>>,
    /// How the rows are written (`optimize::batch_insert` chooses).
    pub write: InsertWrite,
}

/// How an INSERT writes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertWrite {
    /// Each row alone, under the statement's clauses (conflict policy, upsert, triggers,
    /// RETURNING, constraints): `exec::write::insert`, `exec::write::upsert`.
    RowByRow,
    /// The source query's rows in batches, each written at once (`Transaction::insert_batch`):
    /// `exec::write::insert_batch`.
    Batched,
    /// `RowByRow` with each source row projected just before it goes in
    /// (`Insert::projection_each_row`): the projection reads `last_insert_rowid()`, which
    /// then sees the row before it, as SQLite's does. `exec::write::upsert`.
    EachRowProjected,
    /// `Batched` with the rows of the source, every column of one table in order
    /// (`Insert::copied_scan`), copied as they are encoded (`BatchInsert::copies`): no row is
    /// decoded into values but for its key and indexed columns. `exec::write::insert_copy`.
    CopyRows,
}

impl Insert {
    /// The scan a row copy reads (`InsertWrite::CopyRows`): the source when it is one
    /// table's scan giving every column of the table in order, into every column of the
    /// target in order (`INSERT INTO t2 SELECT * FROM t`); `None` for any other source.
    pub fn copied_scan(&self) -> Option<&Node> {
        let (scan, access) = match &self.source {
            Node::Project { input, exprs } => match &**input {
                Node::Scan(access) if every_column_in_order(exprs) => (&**input, access),
                _ => return None,
            },
            scan @ Node::Scan(access) => (scan, access),
            _ => return None,
        };
        let width = access.table.columns.len();
        if matches!(&self.source, Node::Project { exprs, .. } if exprs.len() != width) {
            return None;
        }
        let every_target_column = self.columns.len() == self.table.columns.len()
            && self.columns.iter().enumerate().all(|(i, &c)| i == c);
        (every_target_column && width == self.columns.len()).then_some(scan)
    }

    /// The source's projection, its input and the LIMIT over it, when the projection reads
    /// `last_insert_rowid()` and SQLite hands the source's rows to the insert as they are
    /// made, so each row's projection sees the row before it go in: the input reads rows
    /// as they come (scans, filters, joins, LIMIT, literal rows, table functions: no sort,
    /// grouping, DISTINCT, window or compound, which SQLite runs to the end first), never
    /// the target table, and holds no subquery (SQLite runs a source that may read the
    /// target to the end first too). A LIMIT / OFFSET over the projection keeps it so, as
    /// SQLite's counts the rows it hands on. `None` for any other source: its rows are all
    /// made first.
    pub fn projection_each_row(&self) -> Option<ProjectedSource<'_>> {
        let projected = self.projected_source()?;
        let (input, exprs) = (projected.input, projected.exprs);
        let mut reads_last_rowid = false;
        let mut subquery = false;
        let mut visit = |expr: &Expr| {
            expr.walk(&mut |expr| match expr {
                Expr::Function {
                    function: crate::expr::Function::Session(SessionFunction::LastInsertRowid),
                    ..
                } => reads_last_rowid = true,
                Expr::Subquery(_) => subquery = true,
                _ => {}
            })
        };
        exprs.iter().for_each(&mut visit);
        let mut streams = true;
        input.for_each_node(&mut |node| {
            node.for_each_expr(&mut visit);
            streams &= match node {
                Node::Scan(access) => !Arc::ptr_eq(&access.table.storage, &self.table.storage),
                Node::Filter { .. }
                | Node::Join(_)
                | Node::Limit { .. }
                | Node::Values { .. }
                | Node::TableFunction(_)
                | Node::Project { .. } => true,
                _ => false,
            };
        });
        (reads_last_rowid && streams && !subquery).then_some(projected)
    }

    /// The source's projection list, its input and the LIMIT / OFFSET over it, when the
    /// source is a projection (under a LIMIT or not).
    pub fn projected_source(&self) -> Option<ProjectedSource<'_>> {
        let (projection, limit, offset) = match &self.source {
            Node::Limit {
                input,
                limit,
                offset,
            } => (&**input, limit.as_ref(), offset.as_ref()),
            source => (source, None, None),
        };
        match projection {
            Node::Project { input, exprs } => Some(ProjectedSource {
                input,
                exprs,
                limit,
                offset,
            }),
            _ => None,
        }
    }
}

/// An INSERT source that is a projection (`Insert::projected_source`): the projection's
/// `input` rows, past the first `offset` and at most `limit` of them (each expression
/// evaluated once, as a query's LIMIT and OFFSET are), each projected by `exprs`.
#[derive(Clone, Copy)]
pub struct ProjectedSource<'p> {
    pub input: &'p Node,
    pub exprs: &'p [Expr],
    pub limit: Option<&'p Expr>,
    pub offset: Option<&'p Expr>,
}

/// Whether `exprs` are the columns of their input row, each once, in order.
fn every_column_in_order(exprs: &[Expr]) -> bool {
    exprs
        .iter()
        .enumerate()
        .all(|(position, expr)| matches!(expr, Expr::Column { index, .. } if *index == position))
}

/// Widest table an INSERT gets plain rows for: the executor builds each row as a stack
/// array of this many borrowed values.
pub const PLAIN_ROW_COLUMNS_MAX: usize = 8;

/// Where one column of a plain row takes its value from.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValue {
    /// A literal: given in the statement, an omitted column's literal default, or NULL.
    Value(Value),
    /// The 0-based positional parameter.
    Parameter(usize),
}

/// The rows of an INSERT source in plain form, in source order, each with one `RowValue`
/// per table column in table order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainRows {
    pub rows: Vec<Vec<RowValue>>,
}

impl PlainRows {
    /// The plain form of inserting `source` into `columns` of `table`: None unless the
    /// source is `VALUES` of literals and parameters, the table has at most
    /// `PLAIN_ROW_COLUMNS_MAX` columns, none generated, and every column not in `columns`
    /// has a literal default or none (a computed default is evaluated per row by the
    /// general path).
    pub fn build(table: &TableDef, columns: &[usize], source: &Node) -> Option<PlainRows> {
        let Node::Values { rows } = source else {
            return None;
        };
        if table.columns.len() > PLAIN_ROW_COLUMNS_MAX || table.has_generated() {
            return None;
        }
        let mut template = Vec::with_capacity(table.columns.len());
        for (position, column) in table.columns.iter().enumerate() {
            template.push(match &column.default {
                _ if columns.contains(&position) => RowValue::Value(Value::Null),
                Some(Expr::Literal(value)) => RowValue::Value(value.clone()),
                Some(_) => return None,
                None => RowValue::Value(Value::Null),
            });
        }
        let mut plain = Vec::with_capacity(rows.len());
        for exprs in rows {
            debug_assert_eq!(exprs.len(), columns.len(), "the binder checks row widths");
            let mut row = template.clone();
            for (expr, &position) in exprs.iter().zip(columns) {
                row[position] = match expr {
                    Expr::Literal(value) => RowValue::Value(value.clone()),
                    Expr::Parameter(index) => RowValue::Parameter(*index),
                    _ => return None,
                };
            }
            plain.push(row);
        }
        Some(PlainRows { rows: plain })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    fn plain(create: &str, columns: &[usize], rows: Vec<Vec<Expr>>) -> Option<PlainRows> {
        let db = Database::in_memory();
        db.connect().execute(create, ()).unwrap();
        let catalog = db.catalog();
        let table = catalog.table("t").unwrap();
        PlainRows::build(table, columns, &Node::Values { rows })
    }

    #[test]
    fn omitted_columns_take_literal_defaults_and_computed_ones_refuse() {
        // `a` keys the table, so the columns are the three declared (no implicit rowid).
        let create = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT DEFAULT 'x', c REAL)";
        let rows = vec![
            vec![Expr::Parameter(0), Expr::Literal(Value::Real(1.5))],
            vec![Expr::Literal(Value::Integer(7)), Expr::Parameter(1)],
        ];
        let built = plain(create, &[0, 2], rows.clone()).unwrap();
        let text = RowValue::Value(Value::Text("x".into()));
        assert_eq!(
            built.rows,
            [
                vec![
                    RowValue::Parameter(0),
                    text.clone(),
                    RowValue::Value(Value::Real(1.5))
                ],
                vec![
                    RowValue::Value(Value::Integer(7)),
                    text,
                    RowValue::Parameter(1)
                ],
            ]
        );
        let computed = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT DEFAULT (upper('x')), c REAL)";
        assert_eq!(plain(computed, &[0, 2], rows.clone()), None);
        // Given, a computed default does not matter.
        let given = vec![vec![
            Expr::Parameter(0),
            Expr::Parameter(1),
            Expr::Parameter(2),
        ]];
        assert!(plain(computed, &[2, 1, 0], given).is_some());
    }

    #[test]
    fn computed_values_and_wide_tables_refuse() {
        let create = "CREATE TABLE t(a INT)";
        let negated = Expr::Unary(
            crate::expr::UnaryOp::Negate,
            Box::new(Expr::Literal(Value::Integer(1))),
        );
        assert_eq!(plain(create, &[0], vec![vec![negated]]), None);
        let columns: Vec<String> = (0..=PLAIN_ROW_COLUMNS_MAX)
            .map(|i| format!("c{i} INT"))
            .collect();
        let wide = format!("CREATE TABLE t({})", columns.join(", "));
        assert_eq!(plain(&wide, &[0], vec![vec![Expr::Parameter(0)]]), None);
    }
}
