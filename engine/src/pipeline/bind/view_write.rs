//! INSERT, UPDATE and DELETE on a view, which its INSTEAD OF triggers carry out (as in
//! SQLite): the statement binds to the rows the triggers fire for, each the OLD values then
//! the NEW values of the view's columns (`plan::ViewWrite`). DELETE's rows are the view's
//! rows its WHERE keeps (NEW all NULL); UPDATE's the same rows, NEW with the assignments
//! applied; INSERT's the source rows (OLD all NULL, NEW the given columns, NULL for the
//! others). The view's rows are read with a SELECT over the view built from the statement's
//! own clauses, so parameters keep their slots.

use sqlparser::ast::{self, SelectItem, SetExpr, Statement};

use ember_storage::Value;

use crate::catalog::TriggerEventKind;
use crate::error::{unsupported, Result};
use crate::expr::Expr;
use crate::plan::{Node, Plan, ViewWrite};

use super::{object_name, Binder};

impl Binder<'_> {
    /// The names of `view`'s columns.
    fn view_column_names(&mut self, view: &str) -> Result<Vec<String>> {
        let Some(definition) = self.catalog.view(view).cloned() else {
            return Err(crate::err!(NotFound, "no such table: {view}"));
        };
        let columns = self.view_columns(&definition)?;
        Ok(columns.into_iter().map(|(name, _)| name).collect())
    }

    /// `INSERT INTO view ...`.
    pub(super) fn bind_view_insert(&mut self, insert: &ast::Insert, view: &str) -> Result<Plan> {
        if insert.on.is_some() || insert.returning.is_some() || insert.or.is_some() {
            return Err(unsupported(
                "ON CONFLICT, RETURNING or OR in an INSERT into a view",
            ));
        }
        let columns = self.view_column_names(view)?;
        let given: Vec<usize> = if insert.columns.is_empty() {
            (0..columns.len()).collect()
        } else {
            let mut positions = Vec::with_capacity(insert.columns.len());
            for column in &insert.columns {
                let name = object_name(column)?;
                let position = position_in(&columns, &name).ok_or_else(|| {
                    crate::err!(NotFound, "table {view} has no column named {name}")
                })?;
                positions.push(position);
            }
            positions
        };
        let (source, width) = match &insert.source {
            None => (
                Node::Values {
                    rows: vec![Vec::new()],
                },
                0,
            ),
            Some(query) => {
                let bound = self.bind_query(query)?;
                let width = bound.columns.len();
                (bound.node, width)
            }
        };
        let expected = if insert.source.is_none() {
            0
        } else {
            given.len()
        };
        if width != expected {
            return Err(crate::err!(
                InvalidInput,
                "table {view} has {} columns but {width} values were supplied",
                given.len()
            ));
        }
        let null = || Expr::Literal(Value::Null);
        let mut exprs: Vec<Expr> = (0..columns.len()).map(|_| null()).collect();
        for (position, name) in columns.iter().enumerate() {
            let value = match given.iter().position(|&p| p == position) {
                Some(at) if at < width => column(at, name),
                _ => null(),
            };
            exprs.push(value);
        }
        Ok(view_write(
            view,
            columns,
            TriggerEventKind::Insert,
            Vec::new(),
            project(source, exprs),
        ))
    }

    /// `UPDATE view SET ... [WHERE ...]`.
    pub(super) fn bind_view_update(&mut self, update: &ast::Update, view: &str) -> Result<Plan> {
        if update.returning.is_some() || update.from.is_some() || update.or.is_some() {
            return Err(unsupported("FROM, RETURNING or OR in an UPDATE of a view"));
        }
        let columns = self.view_column_names(view)?;
        let mut targets = Vec::with_capacity(update.assignments.len());
        let mut values = Vec::with_capacity(update.assignments.len());
        for assignment in &update.assignments {
            let ast::AssignmentTarget::ColumnName(name) = &assignment.target else {
                return Err(unsupported("a row value assignment in an UPDATE of a view"));
            };
            let name = match name.0.last().and_then(|part| part.as_ident()) {
                Some(ident) => ident.value.clone(),
                None => return Err(unsupported(format!("assignment target {name}"))),
            };
            let position = position_in(&columns, &name)
                .ok_or_else(|| crate::err!(NotFound, "no such column: {name}"))?;
            targets.push(position);
            values.push(assignment.value.clone());
        }
        let query = view_rows_query(&update.table, &values, update.selection.as_ref())?;
        let bound = self.bind_query(&query)?;
        let width = columns.len();
        let mut exprs: Vec<Expr> = old_values(&columns);
        for (position, name) in columns.iter().enumerate() {
            // The last assignment of a column wins.
            let value = match targets.iter().rposition(|&p| p == position) {
                Some(at) => column(width + at, name),
                None => column(position, name),
            };
            exprs.push(value);
        }
        let assigned = targets.iter().map(|&p| columns[p].clone()).collect();
        Ok(view_write(
            view,
            columns,
            TriggerEventKind::Update,
            assigned,
            project(bound.node, exprs),
        ))
    }

    /// `DELETE FROM view [WHERE ...]`.
    pub(super) fn bind_view_delete(
        &mut self,
        delete: &ast::Delete,
        target: &ast::TableWithJoins,
        view: &str,
    ) -> Result<Plan> {
        if delete.returning.is_some() {
            return Err(unsupported("RETURNING in a DELETE from a view"));
        }
        let columns = self.view_column_names(view)?;
        let query = view_rows_query(target, &[], delete.selection.as_ref())?;
        let bound = self.bind_query(&query)?;
        let width = columns.len();
        let mut exprs: Vec<Expr> = old_values(&columns);
        exprs.extend((0..width).map(|_| Expr::Literal(Value::Null)));
        Ok(view_write(
            view,
            columns,
            TriggerEventKind::Delete,
            Vec::new(),
            project(bound.node, exprs),
        ))
    }
}

/// The name of the view `relation` names, when it names a view of `catalog`.
pub(super) fn named_view(
    catalog: &crate::catalog::Catalog,
    relation: &ast::TableFactor,
) -> Option<String> {
    let ast::TableFactor::Table { name, .. } = relation else {
        return None;
    };
    let plain = object_name(name).ok()?;
    let schema = match super::schema_name(name) {
        super::SchemaName::Any => catalog,
        super::SchemaName::Main => catalog.main_schema(),
        super::SchemaName::Temp => catalog.temp_schema(),
    };
    schema.view(&plain).map(|view| view.name.clone())
}

/// `SELECT *, extra.. FROM target [WHERE selection]`: the statement's own clauses (with
/// their places in the text, which number its parameters) in a SELECT.
fn view_rows_query(
    target: &ast::TableWithJoins,
    extra: &[ast::Expr],
    selection: Option<&ast::Expr>,
) -> Result<ast::Query> {
    let parsed = crate::parse::parse_statements("SELECT * FROM v")?;
    let Some(Statement::Query(query)) = parsed.first() else {
        return Err(crate::err!(Internal, "a SELECT template did not parse"));
    };
    let mut query = query.as_ref().clone();
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Err(crate::err!(Internal, "a SELECT template is no SELECT"));
    };
    select.from = vec![target.clone()];
    select
        .projection
        .extend(extra.iter().cloned().map(SelectItem::UnnamedExpr));
    select.selection = selection.cloned();
    Ok(query)
}

fn position_in(columns: &[String], name: &str) -> Option<usize> {
    columns
        .iter()
        .position(|column| column.eq_ignore_ascii_case(name))
}

fn column(index: usize, name: &str) -> Expr {
    Expr::Column {
        index,
        name: name.to_string(),
        meta: Default::default(),
    }
}

/// The view's row read as OLD: column `i` of the query over the view.
fn old_values(columns: &[String]) -> Vec<Expr> {
    columns
        .iter()
        .enumerate()
        .map(|(index, name)| column(index, name))
        .collect()
}

fn project(input: Node, exprs: Vec<Expr>) -> Node {
    Node::Project {
        input: Box::new(input),
        exprs,
    }
}

fn view_write(
    view: &str,
    columns: Vec<String>,
    event: TriggerEventKind,
    assigned: Vec<String>,
    source: Node,
) -> Plan {
    Plan::ViewWrite(Box::new(ViewWrite {
        view: view.to_string(),
        columns,
        event,
        assigned,
        source,
    }))
}
