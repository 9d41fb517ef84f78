//! The binder: sqlparser AST -> `Plan`, against one catalog snapshot. It resolves names,
//! types literals, checks what it can before execution, and rejects every construct it does
//! not implement with an `Unsupported` error that names it (never a panic, never silence).

mod aggregate;
mod alter;
mod as_of;
mod column_origin;
mod compare;
mod conflict_target;
mod constraint;
mod ctas;
mod cte;
mod ddl;
mod dml;
mod drop_column;
mod expr;
mod from;
mod function;
mod generated;
mod min_max_row;
mod outer_join;
pub mod parameters;
mod query_grammar;
mod raise;
mod rename_column;
mod row_value;
mod scope;
mod select;
mod sketch;
mod strict;
mod subquery;
mod system;
mod table_function;
mod transaction_modes;
mod trigger;
mod update_from;
mod upsert;
mod view;
mod view_write;
mod whole_count;
mod window;

use sqlparser::ast::{self, Statement};

use crate::catalog::Catalog;
use crate::error::{unsupported, Result};
use crate::expr::Function;
use crate::plan::{Plan, SavepointOp};

pub use column_origin::{column_origins, ColumnOrigin};
pub use expr::parse_number;
pub use function::is_aggregate_call;
pub use scope::{Scope, ScopeColumn};

/// Binds statements against one catalog snapshot.
pub struct Binder<'c> {
    pub catalog: &'c Catalog,
    /// Number of parameter slots the bound statement uses.
    pub parameter_count: usize,
    next_anonymous_parameter: usize,
    /// The slot of each placeholder by its place in the text, once `number_parameters` ran
    /// (else `?` slots are counted as bound and `?N`/`$N` take slot N).
    parameters: Option<parameters::ParameterMap>,
    /// Scopes of the queries enclosing the one being bound (innermost last), for
    /// correlated subqueries; `correlated[i]` holds the enclosing-row columns the subquery
    /// bound inside `outer_scopes[i]` reads, as levels out of that subquery.
    outer_scopes: Vec<Scope>,
    correlated: Vec<Vec<crate::expr::OuterRead>>,
    /// Calls bound so far whose results are not functions of their arguments (see
    /// `note_call`): a subquery binding any is not memoized.
    impure_calls: usize,
    /// Collects aggregate calls while binding a SELECT's projection, HAVING and ORDER BY.
    aggregates: Option<aggregate::AggregateCollector>,
    /// Collects window calls while binding a SELECT's projection and ORDER BY.
    windows: Option<window::WindowCollector>,
    next_subquery_id: usize,
    /// Nesting depth of queries being bound (subqueries, FROM subqueries, compounds).
    query_depth: usize,
    /// Expression depth of the expressions enclosing the subquery being bound (plus a cost
    /// per subquery level): evaluating a subquery recurses from inside its enclosing
    /// expression, so `EXPR_DEPTH_MAX` bounds the sum over all levels.
    enclosing_expr_depth: usize,
    /// Terms of the compound SELECT being bound, counted down its (left-deep) tree.
    compound_terms: usize,
    /// Output aliases (`expr AS name`) a name may fall back to when it names no input
    /// column: set while binding GROUP BY, HAVING and ORDER BY, as SQLite allows.
    output_aliases: Vec<(String, crate::expr::Expr)>,
    /// The aliased result columns of the SELECT whose WHERE is being bound, unbound: a
    /// name no column has may name one, as SQLite allows (`subquery.rs`).
    where_aliases: Vec<(String, ast::Expr)>,
    /// The WITH clauses in scope, innermost last (`cte.rs`).
    with_frames: Vec<cte::WithFrame>,
    /// The recursive term being bound, and the columns of the CTE it reads.
    recursion: Option<cte::Recursion>,
    recursive_columns: Vec<String>,
    /// The CREATE text SQLite keeps for the statement being bound, when it is a CREATE
    /// TABLE, INDEX or VIEW (`parse/creation_text.rs`); its stored `sql` then is this text
    /// instead of the statement printed again.
    creation_text: Option<String>,
    /// Whether `RAISE(...)` may appear: only in a trigger's WHEN and body (`raise.rs`).
    raise_allowed: bool,
    /// Whether CREATE TABLE gives a table without an INTEGER PRIMARY KEY the implicit
    /// rowid (`catalog/implicit_rowid.rs`); off to recreate a table from before it.
    implicit_rowid: bool,
    /// The database's file as `pragma_database_list` names it ('' in memory).
    database_file: String,
    /// Whether LIKE binds case-sensitive (`PRAGMA case_sensitive_like` of the connection).
    case_sensitive_like: bool,
}

impl<'c> Binder<'c> {
    pub fn new(catalog: &'c Catalog) -> Binder<'c> {
        Binder {
            catalog,
            parameter_count: 0,
            next_anonymous_parameter: 0,
            parameters: None,
            outer_scopes: Vec::new(),
            correlated: Vec::new(),
            impure_calls: 0,
            aggregates: None,
            windows: None,
            next_subquery_id: 0,
            query_depth: 0,
            enclosing_expr_depth: 0,
            compound_terms: 0,
            output_aliases: Vec::new(),
            where_aliases: Vec::new(),
            with_frames: Vec::new(),
            recursion: None,
            recursive_columns: Vec::new(),
            creation_text: None,
            raise_allowed: false,
            implicit_rowid: true,
            database_file: String::new(),
            case_sensitive_like: false,
        }
    }

    /// Makes `LIKE` and `like()` bind to case-sensitive LIKE (`PRAGMA case_sensitive_like`).
    pub fn set_case_sensitive_like(&mut self, on: bool) {
        self.case_sensitive_like = on;
    }

    /// `function`, or case-sensitive LIKE for `Like` while the setting is on.
    pub(super) fn like_as_set(&self, function: Function) -> Function {
        match function {
            Function::Like if self.case_sensitive_like => Function::LikeCaseSensitive,
            other => other,
        }
    }

    /// Makes CREATE TABLE recreate a table as it was before the implicit rowid: recovery
    /// of stored table text without `catalog::IMPLICIT_ROWID_MARK`.
    pub fn without_implicit_rowid(&mut self) {
        self.implicit_rowid = false;
    }

    /// Lets the statement about to be bound use `RAISE(...)`: it is a trigger's.
    pub(crate) fn allow_raise(&mut self) {
        self.raise_allowed = true;
    }

    /// Gives the CREATE text SQLite keeps for the statement about to be bound (see
    /// `Parsed::creation_text`).
    pub fn set_creation_text(&mut self, text: Option<&str>) {
        self.creation_text = text.map(str::to_string);
    }

    /// Sets the database's file that `pragma_database_list` names ('' in memory, the
    /// default).
    pub fn set_database_file(&mut self, file: &str) {
        self.database_file = file.to_string();
    }

    /// The stored text of a CREATE statement: its kept text as written when there is one,
    /// else the statement printed.
    fn stored_sql(&mut self, printed: impl FnOnce() -> String) -> String {
        self.creation_text.take().unwrap_or_else(printed)
    }

    /// Numbers `statement`'s placeholders as SQLite does (`parameters.rs`) before binding it;
    /// returns the slots' names (`None` for a slot only `?` uses).
    pub fn number_parameters(&mut self, statement: &Statement) -> Result<Vec<Option<Box<str>>>> {
        let map = parameters::number_parameters(statement)?;
        let names = map.names.clone();
        self.parameter_count = names.len();
        self.parameters = Some(map);
        Ok(names)
    }

    pub fn bind_statement(&mut self, statement: &Statement) -> Result<Plan> {
        match statement {
            Statement::CreateTable(create) => {
                let temporary = create.temporary || schema_name(&create.name) == SchemaName::Temp;
                Ok(in_schema(self.bind_create_table(create)?, temporary))
            }
            Statement::CreateView(create) => {
                let temporary = create.temporary || schema_name(&create.name) == SchemaName::Temp;
                Ok(in_schema(self.bind_create_view(create)?, temporary))
            }
            Statement::CreateTrigger(create) => self.bind_create_trigger(create),
            Statement::DropTrigger(drop) => self.bind_drop_trigger(drop),
            Statement::CreateIndex(create) => {
                // In the schema the index's name gives, else in its table's.
                let temporary = match create.name.as_ref().map(schema_name) {
                    Some(SchemaName::Temp) => true,
                    Some(SchemaName::Main) => false,
                    _ => self.names_temp_object(&create.table_name)?,
                };
                Ok(in_schema(self.bind_create_index(create)?, temporary))
            }
            Statement::AlterTable(alter) => {
                let temporary = self.names_temp_object(&alter.name)?;
                Ok(in_schema(self.bind_alter_table(alter)?, temporary))
            }
            Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                ..
            } => {
                let temporary = match names.as_slice() {
                    [name] => self.names_temp_object(name)?,
                    _ => false,
                };
                let plan = self.bind_drop(*object_type, *if_exists, names, *cascade)?;
                Ok(in_schema(plan, temporary))
            }
            Statement::Insert(insert) => self.bind_insert(insert),
            Statement::Update(update) => self.bind_update(update),
            Statement::Delete(delete) => self.bind_delete(delete),
            Statement::Query(query) => match query.body.as_ref() {
                ast::SetExpr::Insert(inner)
                | ast::SetExpr::Update(inner)
                | ast::SetExpr::Delete(inner) => self.bind_with_statement(query, inner),
                _ => Ok(Plan::Query(self.bind_query(query)?)),
            },
            Statement::StartTransaction {
                modes,
                statements,
                exception,
                ..
            } => {
                if !statements.is_empty() || exception.is_some() {
                    return Err(unsupported("BEGIN ... END blocks"));
                }
                Ok(Plan::Begin(transaction_modes::isolation(modes)?))
            }
            Statement::Commit {
                chain: false,
                end: _,
                modifier: None,
            } => Ok(Plan::Commit),
            Statement::Rollback {
                chain: false,
                savepoint: None,
            } => Ok(Plan::Rollback),
            Statement::Rollback {
                chain: false,
                savepoint: Some(name),
            } => Ok(Plan::Savepoint(SavepointOp::RollbackTo(name.value.clone()))),
            Statement::Savepoint { name } => {
                Ok(Plan::Savepoint(SavepointOp::Begin(name.value.clone())))
            }
            Statement::ReleaseSavepoint { name } => {
                Ok(Plan::Savepoint(SavepointOp::Release(name.value.clone())))
            }
            Statement::Explain {
                statement, analyze, ..
            } => {
                let inner = self.bind_statement(statement)?;
                if !*analyze {
                    return Ok(Plan::Explain(Box::new(inner)));
                }
                if !matches!(
                    inner,
                    Plan::Query(_) | Plan::Insert(_) | Plan::Update { .. } | Plan::Delete { .. }
                ) {
                    return Err(unsupported(format!(
                        "EXPLAIN ANALYZE of {} (only queries, INSERT, UPDATE and DELETE run \
                         under it)",
                        statement_name(statement)
                    )));
                }
                Ok(Plan::ExplainAnalyze(Box::new(inner)))
            }
            Statement::Vacuum(vacuum) => {
                let plain = !vacuum.full
                    && !vacuum.sort_only
                    && !vacuum.delete_only
                    && !vacuum.reindex
                    && !vacuum.recluster
                    && vacuum.table_name.is_none()
                    && vacuum.threshold.is_none()
                    && !vacuum.boost;
                if !plain {
                    return Err(unsupported(format!("{vacuum}")));
                }
                Ok(Plan::Vacuum)
            }
            Statement::Pragma { .. } => Ok(Plan::Pragma(Box::new(statement.clone()))),
            // Accepted and run like a PRAGMA (`session/maintenance_pragmas.rs`).
            Statement::Analyze(_) => Ok(Plan::Pragma(Box::new(statement.clone()))),
            // Settings (`SET max_memory = '64MB'`) run like a PRAGMA (see `memory.rs`).
            Statement::Set(_) => Ok(Plan::Pragma(Box::new(statement.clone()))),
            other => Err(unsupported(statement_name(other))),
        }
    }
}

/// A short name for a statement, for "not supported" messages.
fn statement_name(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    let keywords: Vec<&str> = words
        .into_iter()
        .take_while(|word| word.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    if keywords.is_empty() {
        "this statement".to_string()
    } else {
        format!("{} statement", keywords.join(" "))
    }
}

/// The schema a name is qualified with, as SQLite names them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SchemaName {
    /// Unqualified: a temporary object first, then a `main` one.
    Any,
    /// `main.name`: the database's own schema.
    Main,
    /// `temp.name`: the connection's temporary objects.
    Temp,
}

/// The schema `name` is qualified with (`object_name` refuses other qualifiers).
pub(crate) fn schema_name(name: &ast::ObjectName) -> SchemaName {
    match name.0.as_slice() {
        [schema, _] if is_schema(schema, "main") => SchemaName::Main,
        [schema, _] if is_schema(schema, "temp") => SchemaName::Temp,
        _ => SchemaName::Any,
    }
}

/// The name an object is referred to by: `name`, `main.name` (SQLite's name of the
/// database's own schema) or `temp.name` (the connection's temporary objects; see
/// `schema_name`). Any other qualifier is an error.
pub(crate) fn object_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [part] => plain_name(part, name),
        [schema, part] if is_schema(schema, "main") || is_schema(schema, "temp") => {
            plain_name(part, name)
        }
        _ => Err(unsupported(format!("schema-qualified name {name}"))),
    }
}

/// The name of a table or view a CREATE makes: as `created_name`, and `main.name` too (a
/// `main` object, as an unqualified name makes without TEMP; the kept CREATE text drops the
/// qualifier, as SQLite's, `parse/creation_text.rs`). `temporary`: the CREATE says TEMP.
pub(crate) fn created_table_name(name: &ast::ObjectName, temporary: bool) -> Result<String> {
    match name.0.as_slice() {
        [schema, _] if is_schema(schema, "main") => match temporary {
            true => Err(crate::err!(
                InvalidInput,
                "temporary table name must be unqualified"
            )),
            false => object_name(name),
        },
        _ => created_name(name),
    }
}

/// The name of an object a CREATE makes: unqualified, `temp.name` (a temporary object) or
/// `main.name` (a `main` object; an index's or a trigger's table is then looked up in that
/// schema alone, as SQLite does). The kept CREATE text starts at the name itself, without
/// the qualifier, as SQLite's.
pub(crate) fn created_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [_] => object_name(name),
        [schema, _] if is_schema(schema, "temp") || is_schema(schema, "main") => object_name(name),
        _ => Err(unsupported(format!(
            "schema-qualified name {name} in CREATE"
        ))),
    }
}

impl<'c> Binder<'c> {
    /// The plain name of `name` and the catalog it is looked up in: the connection's view
    /// (temporary objects first) when unqualified, else the schema it names.
    pub(crate) fn schema_of(&self, name: &ast::ObjectName) -> Result<(String, &'c Catalog)> {
        let plain = object_name(name)?;
        let catalog: &'c Catalog = self.catalog;
        Ok(match schema_name(name) {
            SchemaName::Any => (plain, catalog),
            SchemaName::Main => (plain, catalog.main_schema()),
            SchemaName::Temp => (plain, catalog.temp_schema()),
        })
    }

    /// Whether the DDL on `name` (a table, view or index) applies to the temporary schema:
    /// qualified `temp.`, or unqualified and naming a temporary object.
    pub(crate) fn names_temp_object(&self, name: &ast::ObjectName) -> Result<bool> {
        let plain = object_name(name)?;
        Ok(match schema_name(name) {
            SchemaName::Temp => true,
            SchemaName::Main => false,
            SchemaName::Any => {
                let temp = self.catalog.temp_schema();
                temp.object_kind(&plain).is_some()
            }
        })
    }
}

/// `plan` as a change of the connection's temporary schema when `temporary`.
pub(crate) fn in_schema(plan: Plan, temporary: bool) -> Plan {
    if temporary {
        Plan::Temp(Box::new(plan))
    } else {
        plan
    }
}

fn plain_name(part: &ast::ObjectNamePart, name: &ast::ObjectName) -> Result<String> {
    match part.as_ident() {
        Some(ident) => Ok(ident.value.clone()),
        None => Err(unsupported(format!("object name {name}"))),
    }
}

fn is_schema(part: &ast::ObjectNamePart, schema: &str) -> bool {
    part.as_ident()
        .is_some_and(|ident| ident.value.eq_ignore_ascii_case(schema))
}
