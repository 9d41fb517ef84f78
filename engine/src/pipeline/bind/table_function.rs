//! Table-valued functions in FROM (`json_each(json[, path])`, `json_tree(json[, path])`,
//! the catalog PRAGMAs' `pragma_table_info(table[, schema])` and the like,
//! `pragma_database_list` (with or without parentheses: the rows `PRAGMA database_list`
//! gives, for the database file the session gave the binder),
//! `generate_series([start[, stop[, step]]])`):
//! binding the call, and joining it laterally when its arguments read columns of the
//! relations to its left (`FROM t, json_each(t.doc) AS j`): those relations are planned
//! first (with the WHERE terms that read only them) and become the input the function's
//! arguments are evaluated over, row by row.

use sqlparser::ast::{FunctionArg, FunctionArgExpr, TableFactor};

use crate::error::{unsupported, Result};
use crate::exec::schema::catalog_pragma::{database_list_rows, CatalogPragma};
use crate::expr::TableFunction;
use crate::plan::{Node, TableFunctionKind, TableFunctionScan};

use super::{object_name, Binder, Scope};
use crate::plan::RelationSource;

impl Binder<'_> {
    /// Binds `factor` if it is a table-valued function call; `left` is the scope of the
    /// relations before it, which its arguments may read.
    pub(super) fn bind_table_function(
        &mut self,
        factor: &TableFactor,
        left: &Scope,
    ) -> Result<Option<(RelationSource, Scope)>> {
        let TableFactor::Table {
            name, alias, args, ..
        } = factor
        else {
            return Ok(None);
        };
        let args = match args {
            Some(args) => {
                if args.settings.is_some() {
                    return Err(unsupported(format!("SETTINGS in {name}()")));
                }
                &args.args[..]
            }
            // `FROM pragma_database_list` (or `pragma_table_list`), as SQLite's eponymous tables.
            None if self.names_argumentless_pragma(name) => &[],
            None => return Ok(None),
        };
        let function_name = object_name(name)?;
        if let Some(value) = header_pragma(&function_name) {
            if !args.is_empty() {
                return Err(crate::err!(
                    InvalidInput,
                    "too many arguments on {function_name}() - max 0"
                ));
            }
            return self.bind_header_pragma(value, alias.as_ref()).map(Some);
        }
        if function_name.eq_ignore_ascii_case("pragma_foreign_key_check") {
            return self.bind_foreign_key_check(args, alias.as_ref()).map(Some);
        }
        let function = match TableFunction::from_name(&function_name) {
            Some(function) => TableFunctionKind::Json(function),
            None if function_name.eq_ignore_ascii_case("generate_series") => {
                TableFunctionKind::Series
            }
            None if function_name.eq_ignore_ascii_case("pragma_database_list") => {
                let has_temp = self.catalog.temp().is_some();
                TableFunctionKind::DatabaseList(database_list_rows(&self.database_file, has_temp))
            }
            None => match CatalogPragma::by_function_name(&function_name) {
                Some(pragma) => {
                    TableFunctionKind::Pragma(pragma, std::sync::Arc::new(self.catalog.clone()))
                }
                None => {
                    return Err(unsupported(format!(
                        "table-valued function {function_name}"
                    )))
                }
            },
        };
        // generate_series takes up to its three hidden columns, each optional;
        // pragma_database_list none.
        let (fewest, most) = match function {
            TableFunctionKind::Series => (0, 3),
            TableFunctionKind::DatabaseList(_) => (0, 0),
            TableFunctionKind::Pragma(CatalogPragma::TableList, _) => (0, 2),
            _ => (1, 2),
        };
        if args.len() < fewest || args.len() > most {
            return Err(crate::err!(
                InvalidInput,
                "wrong number of arguments to table-valued function {function}()"
            ));
        }
        let mut bound = Vec::with_capacity(args.len());
        for arg in args {
            match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => {
                    bound.push(self.bind_expr(expr, left)?)
                }
                other => return Err(unsupported(format!("argument {other} of {function}()"))),
            }
        }
        let qualifier = match alias {
            Some(alias) if alias.columns.is_empty() => alias.name.value.clone(),
            Some(_) => return Err(unsupported("column aliases on a table-valued function")),
            None => function.to_string(),
        };
        let lateral = bound.iter().any(|arg| !arg.columns_read().is_empty());
        let mut scope = Scope::for_table(
            &qualifier,
            function.column_names().iter().map(|name| name.to_string()),
        );
        for column in &mut scope.columns[function.visible_columns()..] {
            column.hidden = true;
        }
        let node = Node::TableFunction(Box::new(TableFunctionScan {
            function,
            args: bound,
            input: None,
            left: false,
            condition: None,
            lateral,
        }));
        Ok(Some((RelationSource::Node(node), scope)))
    }
}

impl Binder<'_> {
    /// Whether the bare name `name` in FROM is `pragma_database_list`, `pragma_table_list`,
    /// `pragma_foreign_key_check` or a header value's function, the PRAGMA functions that
    /// need no argument (no table, view or CTE of the name shadows it).
    fn names_argumentless_pragma(&self, name: &sqlparser::ast::ObjectName) -> bool {
        let [part] = name.0.as_slice() else {
            return false;
        };
        let Some(ident) = part.as_ident() else {
            return false;
        };
        let plain = &ident.value;
        (plain.eq_ignore_ascii_case("pragma_database_list")
            || plain.eq_ignore_ascii_case("pragma_table_list")
            || plain.eq_ignore_ascii_case("pragma_foreign_key_check")
            || header_pragma(plain).is_some())
            && self.catalog.table(plain).is_none()
            && self.catalog.view(plain).is_none()
            && self.find_cte(plain).is_none()
    }
}

/// The value `pragma_user_version`, `pragma_application_id` and `pragma_schema_version`
/// read (`user_version`, ..), or `None` for another name.
fn header_pragma(function_name: &str) -> Option<&'static str> {
    ["user_version", "application_id", "schema_version"]
        .into_iter()
        .find(|value| {
            function_name.len() == "pragma_".len() + value.len()
                && function_name[.."pragma_".len()].eq_ignore_ascii_case("pragma_")
                && function_name["pragma_".len()..].eq_ignore_ascii_case(value)
        })
}

impl Binder<'_> {
    /// `pragma_user_version` and the like: one row, one column of the value `PRAGMA
    /// user_version` reads (`session/catalog_pragmas.rs`): a header value from the header
    /// table (0 when never set), the schema version from the catalog the statement binds
    /// against.
    fn bind_header_pragma(
        &mut self,
        value: &str,
        alias: Option<&sqlparser::ast::TableAlias>,
    ) -> Result<(RelationSource, Scope)> {
        let header = crate::catalog::HEADER_TABLE;
        let sql = match value {
            "schema_version" => format!("SELECT {} AS {value}", self.catalog.version()),
            _ if self.catalog.table(header).is_some() => format!(
                "SELECT coalesce((SELECT value FROM {header} WHERE name = '{value}'), 0) \
                 AS {value}"
            ),
            _ => format!("SELECT 0 AS {value}"),
        };
        let query = self.bind_made_query(&sql, "a header PRAGMA")?;
        let qualifier = super::from::table_alias(alias, &format!("pragma_{value}"))?;
        let scope = Scope::for_table(&qualifier, query.columns);
        Ok((RelationSource::Node(query.node), scope))
    }
}

impl Binder<'_> {
    /// Binds `sql`, a query the binder wrote itself for a table-valued function (`made_by`
    /// names it should the text not be one query).
    fn bind_made_query(&mut self, sql: &str, made_by: &str) -> Result<crate::plan::Query> {
        let parsed = crate::parse::parse_statements(sql)?;
        let [sqlparser::ast::Statement::Query(query)] = &parsed[..] else {
            return Err(crate::err!(Internal, "{made_by} made bad text: {sql}"));
        };
        self.bind_query(query)
    }

    /// `pragma_foreign_key_check[(table[, schema])]`: the rows `PRAGMA foreign_key_check`
    /// gives, with the hidden columns `arg` and `schema`, read by a query over the tables
    /// made when the statement is bound (`catalog::check_query`; a schema change binds the
    /// statement again). The arguments are text literals.
    fn bind_foreign_key_check(
        &mut self,
        args: &[FunctionArg],
        alias: Option<&sqlparser::ast::TableAlias>,
    ) -> Result<(RelationSource, Scope)> {
        let mut texts = Vec::with_capacity(args.len());
        for arg in args {
            let FunctionArg::Unnamed(FunctionArgExpr::Expr(sqlparser::ast::Expr::Value(value))) =
                arg
            else {
                return Err(unsupported(format!(
                    "argument {arg} of pragma_foreign_key_check() (only text literals)"
                )));
            };
            match &value.value {
                sqlparser::ast::Value::SingleQuotedString(text) => texts.push(text.clone()),
                other => {
                    return Err(unsupported(format!(
                        "argument {other} of pragma_foreign_key_check() (only text literals)"
                    )))
                }
            }
        }
        let (table, schema) = match texts.as_slice() {
            [] => (None, None),
            [table] => (Some(table.as_str()), None),
            [table, schema] => (Some(table.as_str()), Some(schema.as_str())),
            _ => {
                return Err(crate::err!(
                    InvalidInput,
                    "too many arguments on pragma_foreign_key_check() - max 2"
                ))
            }
        };
        let catalog = match schema {
            None => self.catalog,
            Some(schema) if schema.eq_ignore_ascii_case("main") => self.catalog.main_schema(),
            Some(schema) if schema.eq_ignore_ascii_case("temp") => self.catalog.temp_schema(),
            Some(schema) => return Err(crate::err!(NotFound, "unknown database {schema}")),
        };
        let tables = match table {
            Some(name) => match catalog.table(name) {
                Some(table) => vec![table.as_ref()],
                None => return Err(crate::err!(NotFound, "no such table: {name}")),
            },
            None => catalog
                .tables()
                .into_iter()
                .map(|table| table.as_ref())
                .collect(),
        };
        let sql = crate::catalog::check_query(catalog, schema, &tables, table)?;
        let query = self.bind_made_query(&sql, "pragma_foreign_key_check")?;
        let qualifier = super::from::table_alias(alias, "pragma_foreign_key_check")?;
        let mut scope = Scope::for_table(&qualifier, query.columns);
        let visible = crate::catalog::FOREIGN_KEY_CHECK_COLUMNS.len();
        for column in &mut scope.columns[visible..] {
            column.hidden = true;
        }
        Ok((RelationSource::Node(query.node), scope))
    }
}
