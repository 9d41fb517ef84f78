//! ALTER TABLE t RENAME COLUMN a TO b in the statements stored beside the table: the
//! references to `t.a` in a view's query or a trigger's WHEN and body are found by
//! resolving names as SQLite does (a bare `a` in the innermost query whose FROM has a
//! column `a`, a qualified `x.a` by the FROM item named or aliased `x`, `NEW.a` / `OLD.a`
//! in a trigger on `t`, ORDER BY output aliases first) and renamed; the references to a
//! column `a` of another table are left alone. A bare `a` that two FROM items of one query
//! both have is ambiguous: the rename fails, as in SQLite.

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{self, Statement};

use crate::ast_visit::NodeMut;
use crate::error::Result;

use super::{TriggerDef, ViewDef};

/// The column renamed and how to learn the columns of the other relations a statement reads.
pub struct ColumnRename<'a> {
    /// The table's name.
    pub table: &'a str,
    /// The schema the table is in (`main` or `temp`), for qualified names `temp.t`.
    pub schema: &'a str,
    /// Whether an unqualified name reaches the table (not in a temporary object when a
    /// temporary table or view of its name shadows the `main` table).
    pub unqualified: bool,
    /// The table's visible columns' names, before the rename.
    pub columns: Vec<String>,
    pub old: &'a str,
    pub new: &'a ast::Ident,
    /// The column names of another table or view of the schema, `None` when unknown.
    pub columns_of: &'a dyn Fn(&str) -> Option<Vec<String>>,
}

/// A name a query's FROM brings into scope.
struct Item {
    /// The alias, else the table's own name (empty for an unaliased derived table).
    qualifier: String,
    /// Whether it is the renamed table.
    target: bool,
    /// Its column names, `None` when unknown (a table function, `SELECT *`).
    columns: Option<Vec<String>>,
}

/// The names in scope in one SELECT core, and its output aliases (for its ORDER BY).
#[derive(Default)]
struct Scope {
    items: Vec<Item>,
    outputs: Vec<String>,
}

/// What the walk is inside.
enum Frame {
    /// A query; `order` is its SELECT core's scope once the walk left the core (the query's
    /// ORDER BY reads it), when the query's body is one SELECT.
    Query {
        plain: bool,
        order: Option<Scope>,
    },
    Select(Scope),
}

/// How a name resolved.
enum Found {
    Target,
    Other,
    Nowhere,
}

impl ColumnRename<'_> {
    fn is_old(&self, ident: &ast::Ident) -> bool {
        ident.value.eq_ignore_ascii_case(self.old)
    }

    /// Renames the last part of a column name (`a`, `t.a`) when it is the column.
    fn rename_last(&self, name: &mut ast::ObjectName) -> bool {
        match name.0.last_mut() {
            Some(ast::ObjectNamePart::Identifier(ident)) if self.is_old(ident) => {
                *ident = self.new.clone();
                true
            }
            _ => false,
        }
    }

    /// `view` with its references to the column renamed, or `None` when it has none; an
    /// error (naming the view, as SQLite does) when a reference is ambiguous.
    pub fn view(&self, view: &ViewDef) -> Result<Option<ViewDef>> {
        let mut statement = super::parse_one(&view.sql)?;
        let changed = self
            .rename_in(&mut statement, Vec::new())
            .map_err(|message| {
                crate::err!(InvalidInput, "error in view {}: {message}", view.name)
            })?;
        if !changed {
            return Ok(None);
        }
        let mut rewritten = super::sql_rewrite::view_rewritten(&statement, view)?;
        // The text as written, edited in place where that reads as the rewrite.
        if let Some(sql) =
            super::column_renamed_in_place(&view.sql, &rewritten.sql, self.old, self.new)
        {
            rewritten.sql = sql;
        }
        Ok(Some(rewritten))
    }

    /// `trigger` with its references to the column renamed (in `UPDATE OF`, WHEN and the
    /// body, `NEW.a` / `OLD.a` when it is on the table), or `None` when it has none.
    /// `split` cuts the printed statement into its WHEN text and body text.
    pub fn trigger(
        &self,
        trigger: &TriggerDef,
        split: impl FnOnce(&str, bool) -> Result<(Option<String>, String)>,
    ) -> Result<Option<TriggerDef>> {
        let Statement::CreateTrigger(mut create) = super::parse_one(&trigger.sql)? else {
            return Err(crate::err!(
                Internal,
                "stored trigger text is not CREATE TRIGGER"
            ));
        };
        let on_table = trigger.table.eq_ignore_ascii_case(self.table)
            && trigger.on_temporary == (self.schema == "temp");
        let mut changed = false;
        let mut update_of = trigger.update_of.clone();
        if on_table {
            for event in &mut create.events {
                if let ast::TriggerEvent::Update(columns) = event {
                    for column in columns.iter_mut().filter(|column| self.is_old(column)) {
                        *column = self.new.clone();
                        changed = true;
                    }
                }
            }
            for name in update_of.iter_mut() {
                if name.eq_ignore_ascii_case(self.old) {
                    name.clone_from(&self.new.value);
                }
            }
        }
        // NEW and OLD: the rows of the table the trigger is on (a bare name in a trigger
        // never reads them).
        let rows = || {
            let row = |name: &str| Item {
                qualifier: name.to_string(),
                target: on_table,
                columns: None,
            };
            vec![Frame::Select(Scope {
                items: vec![row("new"), row("old")],
                outputs: Vec::new(),
            })]
        };
        let failed = |message: String| {
            crate::err!(InvalidInput, "error in trigger {}: {message}", trigger.name)
        };
        if let Some(condition) = &mut create.condition {
            changed |= self.rename_in(condition, rows()).map_err(failed)?;
        }
        if let Some(ast::ConditionalStatements::BeginEnd(body)) = &mut create.statements {
            for statement in &mut body.statements {
                changed |= self.rename_in_write(statement, rows()).map_err(failed)?;
            }
        }
        if !changed {
            return Ok(None);
        }
        let sql = Statement::CreateTrigger(create).to_string();
        // The text as written, edited in place where that reads as the rewrite.
        let sql =
            super::column_renamed_in_place(&trigger.sql, &sql, self.old, self.new).unwrap_or(sql);
        let (when, body) = split(&sql, trigger.when.is_some())?;
        Ok(Some(TriggerDef {
            update_of,
            when,
            body,
            sql,
            ..trigger.clone()
        }))
    }

    /// A trigger body's statement: an INSERT's column list, an UPDATE's assignments and the
    /// WHERE of an UPDATE or DELETE of the table, and every query in it.
    fn rename_in_write(
        &self,
        statement: &mut Statement,
        mut frames: Vec<Frame>,
    ) -> std::result::Result<bool, String> {
        let mut changed = false;
        match statement {
            Statement::Insert(insert) => {
                if let ast::TableObject::TableName(name) = &insert.table {
                    if self.names_table(name) {
                        for column in insert.columns.iter_mut() {
                            changed |= self.rename_last(column);
                        }
                    }
                }
            }
            Statement::Update(update) => {
                let item = self.factor_item(&update.table.relation, &HashSet::new());
                if item.as_ref().is_some_and(|item| item.target) {
                    for assignment in &mut update.assignments {
                        if let ast::AssignmentTarget::ColumnName(name) = &mut assignment.target {
                            changed |= self.rename_last(name);
                        }
                    }
                }
                frames.push(Frame::Select(Scope {
                    items: item.into_iter().collect(),
                    outputs: Vec::new(),
                }));
            }
            Statement::Delete(delete) => {
                let tables = match &delete.from {
                    ast::FromTable::WithFromKeyword(tables)
                    | ast::FromTable::WithoutKeyword(tables) => tables,
                };
                let items = tables
                    .iter()
                    .filter_map(|from| self.factor_item(&from.relation, &HashSet::new()))
                    .collect();
                frames.push(Frame::Select(Scope {
                    items,
                    outputs: Vec::new(),
                }));
            }
            _ => {}
        }
        Ok(self.rename_in(statement, frames)? | changed)
    }

    /// Renames the references to the column in `node` (read inside `frames`); whether any
    /// was renamed, or the message of an ambiguous reference.
    fn rename_in<N: ast::VisitMut>(
        &self,
        node: &mut N,
        mut frames: Vec<Frame>,
    ) -> std::result::Result<bool, String> {
        let mut ctes = HashSet::new();
        crate::ast_visit::queries_mut(node, |query| {
            if let Some(with) = &query.with {
                for cte in &with.cte_tables {
                    ctes.insert(cte.alias.name.value.to_ascii_lowercase());
                }
            }
        });
        let mut changed = false;
        let mut failure = None;
        let _ = crate::ast_visit::walk_mut(node, &mut |found| {
            match found {
                NodeMut::EnterQuery(query) => frames.push(Frame::Query {
                    plain: matches!(*query.body, ast::SetExpr::Select(_)),
                    order: None,
                }),
                NodeMut::LeaveQuery => {
                    frames.pop();
                }
                NodeMut::EnterSelect(select) => {
                    let scope = self.scope_of(select, &ctes);
                    frames.push(Frame::Select(scope));
                }
                NodeMut::LeaveSelect => {
                    if let Some(Frame::Select(scope)) = frames.pop() {
                        if let Some(Frame::Query { plain: true, order }) = frames.last_mut() {
                            *order = Some(scope);
                        }
                    }
                }
                NodeMut::EnterExpr(expr) => match self.rename_reference(expr, &frames) {
                    Ok(renamed) => changed |= renamed,
                    Err(message) => {
                        failure = Some(message);
                        return ControlFlow::Break(());
                    }
                },
                NodeMut::LeaveExpr(_) | NodeMut::LeaveRelation(_) => {}
            }
            ControlFlow::Continue(())
        });
        match failure {
            Some(message) => Err(message),
            None => Ok(changed),
        }
    }

    /// Renames `expr` when it is a reference to the column; whether it was.
    fn rename_reference(
        &self,
        expr: &mut ast::Expr,
        frames: &[Frame],
    ) -> std::result::Result<bool, String> {
        match expr {
            ast::Expr::Identifier(ident) if self.is_old(ident) => {
                match resolve_bare(&ident.value, frames)? {
                    Found::Target => {
                        *ident = self.new.clone();
                        Ok(true)
                    }
                    Found::Other | Found::Nowhere => Ok(false),
                }
            }
            ast::Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                let count = parts.len();
                if !self.is_old(&parts[count - 1]) {
                    return Ok(false);
                }
                let qualifier = &parts[count - 2].value;
                let found = match parts.len() {
                    2 => resolve_qualified(qualifier, frames),
                    3 if parts[0].value.eq_ignore_ascii_case(self.schema)
                        && qualifier.eq_ignore_ascii_case(self.table) =>
                    {
                        Found::Target
                    }
                    _ => Found::Nowhere,
                };
                match found {
                    Found::Target => {
                        parts[count - 1] = self.new.clone();
                        Ok(true)
                    }
                    Found::Other | Found::Nowhere => Ok(false),
                }
            }
            _ => Ok(false),
        }
    }

    /// Whether `name` (a relation as written) is the renamed table.
    fn names_table(&self, name: &ast::ObjectName) -> bool {
        let parts: Vec<&str> = name
            .0
            .iter()
            .filter_map(|part| part.as_ident().map(|ident| ident.value.as_str()))
            .collect();
        match parts.as_slice() {
            [table] => self.unqualified && table.eq_ignore_ascii_case(self.table),
            [schema, table] => {
                schema.eq_ignore_ascii_case(self.schema) && table.eq_ignore_ascii_case(self.table)
            }
            _ => false,
        }
    }

    /// The names a SELECT core's FROM brings into scope, and its output aliases.
    fn scope_of(&self, select: &ast::Select, ctes: &HashSet<String>) -> Scope {
        let mut items = Vec::new();
        for from in &select.from {
            self.push_items(&from.relation, ctes, &mut items);
            for join in &from.joins {
                self.push_items(&join.relation, ctes, &mut items);
            }
        }
        let outputs = select
            .projection
            .iter()
            .filter_map(|item| match item {
                ast::SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
                _ => None,
            })
            .collect();
        Scope { items, outputs }
    }

    fn push_items(&self, factor: &ast::TableFactor, ctes: &HashSet<String>, out: &mut Vec<Item>) {
        if let ast::TableFactor::NestedJoin {
            table_with_joins,
            alias: None,
        } = factor
        {
            self.push_items(&table_with_joins.relation, ctes, out);
            for join in &table_with_joins.joins {
                self.push_items(&join.relation, ctes, out);
            }
            return;
        }
        out.extend(self.factor_item(factor, ctes));
    }

    /// The name one FROM item brings into scope.
    fn factor_item(&self, factor: &ast::TableFactor, ctes: &HashSet<String>) -> Option<Item> {
        let alias_name =
            |alias: &Option<ast::TableAlias>| alias.as_ref().map(|alias| alias.name.value.clone());
        Some(match factor {
            ast::TableFactor::Table { name, alias, .. } => {
                let last = name.0.last()?.as_ident()?.value.clone();
                let cte = name.0.len() == 1 && ctes.contains(&last.to_ascii_lowercase());
                let target = !cte && self.names_table(name);
                let columns = if target {
                    Some(self.columns.clone())
                } else if cte {
                    None
                } else {
                    (self.columns_of)(&last)
                };
                Item {
                    qualifier: alias_name(alias).unwrap_or(last),
                    target,
                    columns,
                }
            }
            ast::TableFactor::Derived {
                subquery, alias, ..
            } => {
                let named: Vec<String> = alias
                    .iter()
                    .flat_map(|alias| alias.columns.iter().map(|c| c.name.value.clone()))
                    .collect();
                Item {
                    qualifier: alias_name(alias).unwrap_or_default(),
                    target: false,
                    columns: if named.is_empty() {
                        output_names(subquery)
                    } else {
                        Some(named)
                    },
                }
            }
            ast::TableFactor::TableFunction { alias, .. }
            | ast::TableFactor::Function { alias, .. }
            | ast::TableFactor::NestedJoin { alias, .. } => Item {
                qualifier: alias_name(alias).unwrap_or_default(),
                target: false,
                columns: None,
            },
            _ => return None,
        })
    }
}

/// The output column names of `query`, `None` when its body is not one SELECT or it has a
/// `*` (whose names this does not look up).
fn output_names(query: &ast::Query) -> Option<Vec<String>> {
    let ast::SetExpr::Select(select) = &*query.body else {
        return None;
    };
    select
        .projection
        .iter()
        .map(|item| match item {
            ast::SelectItem::UnnamedExpr(ast::Expr::Identifier(ident)) => Some(ident.value.clone()),
            ast::SelectItem::UnnamedExpr(ast::Expr::CompoundIdentifier(parts)) => {
                parts.last().map(|ident| ident.value.clone())
            }
            ast::SelectItem::UnnamedExpr(expr) => Some(expr.to_string()),
            ast::SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
            _ => None,
        })
        .collect()
}

/// What a bare column name resolves to: the innermost scope with a FROM item that has
/// the column (an ORDER BY's output aliases first); an error when two items there have it.
fn resolve_bare(name: &str, frames: &[Frame]) -> std::result::Result<Found, String> {
    for frame in frames.iter().rev() {
        let scope = match frame {
            Frame::Select(scope) => scope,
            Frame::Query {
                order: Some(scope), ..
            } => {
                if scope
                    .outputs
                    .iter()
                    .any(|output| output.eq_ignore_ascii_case(name))
                {
                    return Ok(Found::Other);
                }
                scope
            }
            Frame::Query { order: None, .. } => continue,
        };
        let mut having = scope.items.iter().filter(|item| {
            item.columns
                .as_ref()
                .is_some_and(|columns| columns.iter().any(|c| c.eq_ignore_ascii_case(name)))
        });
        if let Some(first) = having.next() {
            if having.next().is_some() {
                return Err(format!("ambiguous column name: {name}"));
            }
            return Ok(if first.target {
                Found::Target
            } else {
                Found::Other
            });
        }
    }
    Ok(Found::Nowhere)
}

/// What `qualifier.column` resolves to: the innermost FROM item named `qualifier`.
fn resolve_qualified(qualifier: &str, frames: &[Frame]) -> Found {
    for frame in frames.iter().rev() {
        let scope = match frame {
            Frame::Select(scope)
            | Frame::Query {
                order: Some(scope), ..
            } => scope,
            Frame::Query { order: None, .. } => continue,
        };
        if let Some(item) = scope
            .items
            .iter()
            .find(|item| item.qualifier.eq_ignore_ascii_case(qualifier))
        {
            return if item.target {
                Found::Target
            } else {
                Found::Other
            };
        }
    }
    Found::Nowhere
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns of the other tables: u(c, d) and w(a, e).
    fn columns_of(name: &str) -> Option<Vec<String>> {
        let names: &[&str] = match name.to_ascii_lowercase().as_str() {
            "u" => &["c", "d"],
            "w" => &["a", "e"],
            _ => return None,
        };
        Some(names.iter().map(|name| name.to_string()).collect())
    }

    fn with_rename<T>(body: impl FnOnce(&ColumnRename) -> T) -> T {
        let new = ast::Ident::new("z");
        let rename = ColumnRename {
            table: "t",
            schema: "main",
            unqualified: true,
            columns: vec!["a".into(), "b".into()],
            old: "a",
            new: &new,
            columns_of: &columns_of,
        };
        body(&rename)
    }

    /// The query of view `CREATE VIEW v AS <query>` after t.a is renamed z (`None`:
    /// untouched), or the error's message.
    fn renamed(query: &str) -> std::result::Result<Option<String>, String> {
        let sql = format!("CREATE VIEW v AS {query}");
        let ast::Statement::CreateView(create) = super::super::parse_one(&sql).unwrap() else {
            panic!("not a view: {sql}");
        };
        let view = ViewDef {
            name: "v".into(),
            columns: Vec::new(),
            query: create.query.as_ref().clone(),
            sql,
            created: 1,
        };
        with_rename(|rename| rename.view(&view))
            .map(|view| view.map(|view| view.query.to_string()))
            .map_err(|error| error.message().to_string())
    }

    #[test]
    fn references_to_the_column_are_renamed() {
        let cases = [
            ("SELECT a FROM t", "SELECT z FROM t"),
            ("SELECT a, c FROM t, u", "SELECT z, c FROM t, u"),
            (
                "SELECT t.a FROM t JOIN u ON t.a = u.c",
                "SELECT t.z FROM t JOIN u ON t.z = u.c",
            ),
            ("SELECT x.a FROM t AS x", "SELECT x.z FROM t AS x"),
            ("SELECT a AS a FROM t", "SELECT z AS a FROM t"),
            ("SELECT main.t.a FROM t", "SELECT main.t.z FROM t"),
            ("SELECT a FROM t ORDER BY a", "SELECT z FROM t ORDER BY z"),
            (
                "SELECT a FROM w WHERE EXISTS (SELECT 1 FROM t WHERE t.a = a)",
                "SELECT a FROM w WHERE EXISTS (SELECT 1 FROM t WHERE t.z = z)",
            ),
            (
                "SELECT a FROM t UNION SELECT a FROM w",
                "SELECT z FROM t UNION SELECT a FROM w",
            ),
        ];
        for (before, after) in cases {
            assert_eq!(renamed(before), Ok(Some(after.to_string())), "{before}");
        }
    }

    #[test]
    fn other_columns_of_the_name_are_left_alone() {
        for query in [
            "SELECT a FROM w",
            "SELECT w.a, t.b FROM w, t",
            "SELECT b AS a FROM t ORDER BY a",
            "SELECT t.a FROM u AS t",
            "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
        ] {
            assert_eq!(renamed(query), Ok(None), "{query}");
        }
    }

    #[test]
    fn an_ambiguous_name_fails_naming_the_view() {
        assert_eq!(
            renamed("SELECT a FROM t, w"),
            Err("error in view v: ambiguous column name: a".to_string())
        );
    }

    #[test]
    fn a_trigger_on_the_table_renames_new_old_update_of_and_its_writes() {
        let sql = "CREATE TRIGGER tr AFTER UPDATE OF a ON t WHEN NEW.a > OLD.a BEGIN \
                   INSERT INTO t (a, b) VALUES (NEW.a, 'x'); UPDATE t SET a = a + 1 WHERE a = 0; \
                   INSERT INTO w (a) VALUES (OLD.a); END";
        let trigger = TriggerDef {
            name: "tr".into(),
            table: "t".into(),
            timing: super::super::TriggerTiming::After,
            event: super::super::TriggerEventKind::Update,
            update_of: vec!["a".into()],
            when: Some("NEW.a > OLD.a".into()),
            body: String::new(),
            sql: sql.into(),
            created: 1,
            temporary: false,
            on_temporary: false,
        };
        let split = |sql: &str, _: bool| Ok((Some("when".to_string()), sql.to_string()));
        let after = with_rename(|rename| rename.trigger(&trigger, split))
            .unwrap()
            .unwrap();
        assert_eq!(after.update_of, vec!["z".to_string()]);
        assert_eq!(
            after.sql,
            "CREATE TRIGGER tr AFTER UPDATE OF z ON t WHEN NEW.z > OLD.z BEGIN \
             INSERT INTO t (z, b) VALUES (NEW.z, 'x'); UPDATE t SET z = z + 1 WHERE z = 0; \
             INSERT INTO w (a) VALUES (OLD.z); END"
        );
    }
}
