//! Binding of CREATE VIEW (the query is stored parsed) and of a view used in FROM (its
//! stored query bound then, against the current catalog).

use sqlparser::ast;

use crate::catalog::ViewDef;
use crate::error::{unsupported, Result};
use crate::plan::{Plan, Query};

use super::Binder;

impl Binder<'_> {
    pub(super) fn bind_create_view(&mut self, create: &ast::CreateView) -> Result<Plan> {
        if create.or_replace || create.or_alter {
            return Err(unsupported("CREATE OR REPLACE VIEW"));
        }
        if create.materialized || create.secure {
            return Err(unsupported("MATERIALIZED / SECURE views"));
        }
        if create.to.is_some() || create.params.is_some() || !create.cluster_by.is_empty() {
            return Err(unsupported("view options"));
        }
        let name = super::created_table_name(&create.name, create.temporary)?;
        let columns: Vec<String> = create
            .columns
            .iter()
            .map(|c| c.name.value.clone())
            .collect();
        let sql = self.stored_sql(|| ast::Statement::CreateView(create.clone()).to_string());
        let view = ViewDef {
            name,
            columns,
            query: create.query.as_ref().clone(),
            sql,
            created: 0,
        };
        // Not bound now: as in SQLite, a view's tables need not exist until it is used (a
        // checkpoint may hold a view whose table was dropped, and recovery must replay it).
        Ok(Plan::CreateView {
            view: view.into(),
            if_not_exists: create.if_not_exists,
        })
    }

    /// The view's query, bound against the current catalog, with the view's column names.
    pub(super) fn bind_view(&mut self, view: &ViewDef) -> Result<Query> {
        // A view is bound outside any enclosing query: its names never reach outward.
        let outer_scopes = std::mem::take(&mut self.outer_scopes);
        let correlated = std::mem::take(&mut self.correlated);
        let aggregates = self.aggregates.take();
        // Nor do the CTEs of the query reading it.
        let with_frames = std::mem::take(&mut self.with_frames);
        let recursion = self.recursion.take();
        // A `main` view's names are `main`'s, as in SQLite (a temporary table does not
        // shadow them); a temporary view's find temporary objects first.
        let catalog = self.catalog;
        let temporary = catalog
            .temp_schema()
            .view(&view.name)
            .is_some_and(|temp| std::ptr::eq(&**temp, view));
        if !temporary {
            self.catalog = catalog.main_schema();
        }
        let bound = self.bind_query(&view.query);
        self.catalog = catalog;
        self.with_frames = with_frames;
        self.recursion = recursion;
        self.outer_scopes = outer_scopes;
        self.correlated = correlated;
        self.aggregates = aggregates;
        let mut query = bound?;
        if !view.columns.is_empty() {
            if view.columns.len() != query.columns.len() {
                return Err(crate::err!(
                    InvalidInput,
                    "expected {} columns for '{}' but got {}",
                    view.columns.len(),
                    view.name,
                    query.columns.len()
                ));
            }
            query.columns = view.columns.clone();
        }
        Ok(query)
    }
}
