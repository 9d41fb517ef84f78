//! Binding of CREATE TABLE's CHECK and FOREIGN KEY constraints (column and table level)
//! into `catalog::TableConstraints`. CHECK expressions are bound over the table's columns and
//! restricted as SQLite restricts them (no subqueries, no parameters, no aggregates); a
//! foreign key's parent is kept by name and resolved when the key is enforced
//! (`exec::write::foreign_key`), since SQLite lets a child table be created before its parent.

use sqlparser::ast::{self, ReferentialAction};

use crate::catalog::{CheckDef, ColumnDef, ForeignKeyAction, ForeignKeyDef, TableConstraints};
use crate::error::{unsupported, Result};
use crate::expr::Expr;

use super::{object_name, Binder, Scope};

/// CHECK and FOREIGN KEY clauses met while reading a CREATE TABLE statement, bound once
/// every column is known (a column's CHECK may read a later column).
#[derive(Default)]
pub(super) struct PendingConstraints<'a> {
    /// A constraint name given with `CONSTRAINT name` before a column's CHECK, and the check.
    checks: Vec<(Option<&'a ast::Ident>, &'a ast::CheckConstraint)>,
    /// The child column (column level) or None (table level: the constraint names them).
    foreign_keys: Vec<(Option<usize>, &'a ast::ForeignKeyConstraint)>,
}

impl<'a> PendingConstraints<'a> {
    /// Takes a column option if it is a CHECK or REFERENCES; false for any other option.
    pub(super) fn column_option(
        &mut self,
        position: usize,
        option: &'a ast::ColumnOptionDef,
    ) -> bool {
        match &option.option {
            ast::ColumnOption::Check(check) => self.checks.push((option.name.as_ref(), check)),
            ast::ColumnOption::ForeignKey(key) => self.foreign_keys.push((Some(position), key)),
            _ => return false,
        }
        true
    }

    /// Takes a table constraint if it is a CHECK or FOREIGN KEY; false for any other.
    pub(super) fn table_constraint(&mut self, constraint: &'a ast::TableConstraint) -> bool {
        match constraint {
            ast::TableConstraint::Check(check) => self.checks.push((None, check)),
            ast::TableConstraint::ForeignKey(key) => self.foreign_keys.push((None, key)),
            _ => return false,
        }
        true
    }
}

impl Binder<'_> {
    /// Binds the constraints `pending` collected for table `table` with `columns`.
    pub(super) fn bind_constraints(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        pending: PendingConstraints<'_>,
    ) -> Result<TableConstraints> {
        let mut constraints = TableConstraints::default();
        let scope = Scope::for_definition(table, columns);
        for (column_name, check) in pending.checks {
            if check.enforced == Some(false) || check.no_inherit {
                return Err(unsupported("CHECK ... NOT ENFORCED / NO INHERIT"));
            }
            reject_in_syntax(&check.expr, "CHECK constraints")?;
            let expr = self.bind_expr(&check.expr, &scope)?;
            reject_in_definition(&expr, "CHECK constraints", false)?;
            let name = check.name.as_ref().or(column_name);
            constraints.checks.push(CheckDef {
                name: name.map(|ident| ident.value.clone()),
                expr,
                text: check.expr.to_string(),
            });
        }
        for (column, key) in pending.foreign_keys {
            constraints
                .foreign_keys
                .push(bind_foreign_key(columns, column, key)?);
        }
        Ok(constraints)
    }
}

/// SQLite's restrictions on a CHECK (or generated column) expression as written, in its
/// words: no subqueries, no aggregate or window functions. `place` names where the
/// expression is (`CHECK constraints`).
pub(super) fn reject_in_syntax(expr: &ast::Expr, place: &str) -> Result<()> {
    let mut problem = None;
    let _ = crate::ast_visit::exprs(expr, |node| {
        problem = match node {
            ast::Expr::Subquery(_) | ast::Expr::Exists { .. } | ast::Expr::InSubquery { .. } => {
                Some(format!("subqueries prohibited in {place}"))
            }
            ast::Expr::Function(function) => {
                let name = function.name.to_string();
                let args = match &function.args {
                    ast::FunctionArguments::List(list) => list.args.len(),
                    _ => 0,
                };
                if function.over.is_some() {
                    Some(format!("misuse of window function {name}()"))
                } else if super::is_aggregate_call(&name, args) {
                    Some(format!("misuse of aggregate function {name}()"))
                } else {
                    None
                }
            }
            _ => None,
        };
        match problem {
            Some(_) => std::ops::ControlFlow::Break(()),
            None => std::ops::ControlFlow::Continue(()),
        }
    });
    match problem {
        Some(message) => Err(crate::err!(InvalidInput, "{message}")),
        None => Ok(()),
    }
}

/// SQLite's restrictions on a bound CHECK or generated-column expression (`place`, as the
/// message names it): no subqueries, no parameters, no application function that is not
/// deterministic, and (`builtins`) no non-deterministic built-in function either.
pub(super) fn reject_in_definition(expr: &Expr, place: &str, builtins: bool) -> Result<()> {
    let mut problem = None;
    expr.walk(&mut |node| match node {
        Expr::Subquery(_) => problem = Some("subqueries"),
        Expr::Parameter(_) => problem = problem.or(Some("parameters")),
        Expr::Function { function, .. } if builtins && !function.is_deterministic() => {
            problem = problem.or(Some("non-deterministic functions"))
        }
        Expr::UserFunction { function, .. } if !function.is_deterministic() => {
            problem = problem.or(Some("non-deterministic functions"))
        }
        _ => {}
    });
    match problem {
        Some(what) => Err(crate::err!(InvalidInput, "{what} prohibited in {place}")),
        None => Ok(()),
    }
}

fn bind_foreign_key(
    columns: &[ColumnDef],
    column: Option<usize>,
    key: &ast::ForeignKeyConstraint,
) -> Result<ForeignKeyDef> {
    let child_columns = match column {
        Some(position) => vec![position],
        None => key
            .columns
            .iter()
            .map(|ident| {
                columns
                    .iter()
                    .position(|c| !c.hidden && c.name.eq_ignore_ascii_case(&ident.value))
                    .ok_or_else(|| {
                        crate::err!(
                            NotFound,
                            "unknown column \"{}\" in foreign key definition",
                            ident.value
                        )
                    })
            })
            .collect::<Result<Vec<usize>>>()?,
    };
    let parent_columns: Vec<String> = key
        .referred_columns
        .iter()
        .map(|ident| ident.value.clone())
        .collect();
    if !parent_columns.is_empty() && parent_columns.len() != child_columns.len() {
        return Err(crate::err!(
            InvalidInput,
            "number of columns in foreign key does not match the number of columns in the \
             referenced table"
        ));
    }
    let characteristics = key.characteristics.unwrap_or_default();
    if characteristics.enforced == Some(false) {
        return Err(unsupported("FOREIGN KEY ... NOT ENFORCED"));
    }
    let deferred = characteristics.deferrable == Some(true)
        && characteristics.initially == Some(ast::DeferrableInitial::Deferred);
    Ok(ForeignKeyDef {
        columns: child_columns,
        parent: object_name(&key.foreign_table)?,
        parent_columns,
        on_delete: action(key.on_delete),
        on_update: action(key.on_update),
        deferred,
    })
}

fn action(action: Option<ReferentialAction>) -> ForeignKeyAction {
    match action {
        None | Some(ReferentialAction::NoAction) => ForeignKeyAction::NoAction,
        Some(ReferentialAction::Restrict) => ForeignKeyAction::Restrict,
        Some(ReferentialAction::Cascade) => ForeignKeyAction::Cascade,
        Some(ReferentialAction::SetNull) => ForeignKeyAction::SetNull,
        Some(ReferentialAction::SetDefault) => ForeignKeyAction::SetDefault,
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::ForeignKeyAction;
    use crate::Database;

    #[test]
    fn constraints_bind_with_names_texts_columns_and_actions() {
        let db = Database::in_memory();
        db.connect()
            .execute_batch(
                "CREATE TABLE p(id INT PRIMARY KEY, a INT, b INT, UNIQUE (a, b)); \
                 CREATE TABLE c(x INT CONSTRAINT xpos CHECK (x > 0) REFERENCES p ON DELETE \
                 CASCADE, y INT, z INT, CHECK (y < z), FOREIGN KEY (z, y) REFERENCES p(b, a) \
                 ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED)",
            )
            .unwrap();
        let catalog = db.catalog();
        let c = &catalog.table("c").unwrap().constraints;
        let labels: Vec<&str> = c.checks.iter().map(|check| check.label()).collect();
        assert_eq!(labels, ["xpos", "y < z"]);
        let [column, table] = &c.foreign_keys[..] else {
            panic!("two foreign keys");
        };
        // Column positions of `c` count its implicit rowid, the first.
        assert_eq!(
            (column.columns.as_slice(), column.parent.as_str()),
            (&[1][..], "p")
        );
        assert!(column.parent_columns.is_empty());
        assert_eq!(column.on_delete, ForeignKeyAction::Cascade);
        assert_eq!(column.on_update, ForeignKeyAction::NoAction);
        assert!(!column.deferred);
        assert_eq!(table.columns, [3, 2]);
        assert_eq!(table.parent_columns, ["b", "a"]);
        assert_eq!(table.on_update, ForeignKeyAction::SetNull);
        assert!(table.deferred);
    }

    #[test]
    fn check_expressions_are_restricted_as_in_sqlite() {
        let conn = Database::in_memory().connect();
        let error = |sql: &str| conn.execute(sql, ()).unwrap_err().message().to_string();
        assert_eq!(
            error("CREATE TABLE t(a INT CHECK (a IN (SELECT 1)))"),
            "subqueries prohibited in CHECK constraints"
        );
        assert_eq!(
            error("CREATE TABLE t(a INT CHECK (EXISTS (SELECT 1)))"),
            "subqueries prohibited in CHECK constraints"
        );
        assert_eq!(
            error("CREATE TABLE t(a INT CHECK (max(a) > 0))"),
            "misuse of aggregate function max()"
        );
        assert_eq!(
            error("CREATE TABLE t(a INT CHECK (a > $1))"),
            "parameters prohibited in CHECK constraints"
        );
        assert_eq!(
            error("CREATE TABLE t(a INT, FOREIGN KEY (b) REFERENCES p)"),
            "unknown column \"b\" in foreign key definition"
        );
        // Scalar min/max of two arguments are no aggregates.
        conn.execute("CREATE TABLE t(a INT CHECK (max(a, 0) = a))", ())
            .unwrap();
        assert!(conn.execute("INSERT INTO t VALUES (-1)", ()).is_err());
    }
}
