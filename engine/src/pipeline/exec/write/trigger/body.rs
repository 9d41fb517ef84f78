//! A trigger's WHEN condition and body made runnable for one table: `NEW.col` and `OLD.col`
//! become numbered parameters (`OLD`'s columns first, then `NEW`'s), the text is parsed and
//! every statement bound against the statement's catalog. The row change then runs them
//! with the old and new rows as the parameter values.

use sqlparser::tokenizer::{Token, Tokenizer};

use crate::bind::Binder;
use crate::catalog::{Catalog, TableDef, TriggerDef, TriggerEventKind};
use crate::dialect::EmberDialect;
use crate::error::Result;
use crate::parse::byte_offset;
use crate::plan::{InsertWrite, OnConflict, Plan};

/// A trigger bound for one table: its WHEN query (one row, one column) and body plans.
pub(crate) struct CompiledTrigger {
    pub(crate) when: Option<Plan>,
    pub(crate) body: Vec<Plan>,
}

/// Gives every INSERT and UPDATE of `body` the conflict clause `clause`: SQLite runs the
/// writes of a trigger program under the clause of the statement that fired it, when that
/// statement has one.
pub(crate) fn use_outer_clause(body: &mut [Plan], clause: OnConflict) {
    for plan in body {
        match plan {
            Plan::Insert(insert) => {
                insert.on_conflict = clause;
                // Only an ABORT insert is written in batches (`optimize/insert_batch.rs`).
                let batched = matches!(insert.write, InsertWrite::Batched | InsertWrite::CopyRows);
                if clause != OnConflict::Abort && batched {
                    insert.write = InsertWrite::RowByRow;
                }
            }
            Plan::Update { on_conflict, .. } => *on_conflict = clause,
            _ => {}
        }
    }
}

/// Binds `trigger`'s WHEN and body against `catalog`, for rows of `table`.
pub(crate) fn compile(
    catalog: &Catalog,
    trigger: &TriggerDef,
    table: &TableDef,
) -> Result<CompiledTrigger> {
    let position = |name: &str| column_position(table, name);
    compile_over(catalog, trigger, (table.columns.len(), &position))
}

/// `compile` for an INSTEAD OF trigger, for rows of a view with `columns`.
pub(crate) fn compile_for_view(
    catalog: &Catalog,
    trigger: &TriggerDef,
    columns: &[String],
) -> Result<CompiledTrigger> {
    let position = |name: &str| {
        columns
            .iter()
            .position(|column| column.eq_ignore_ascii_case(name))
    };
    compile_over(catalog, trigger, (columns.len(), &position))
}

/// How NEW.name / OLD.name find their values: the row's width and a name's position.
type RowShape<'a> = (usize, &'a dyn Fn(&str) -> Option<usize>);

fn compile_over(
    catalog: &Catalog,
    trigger: &TriggerDef,
    table: RowShape<'_>,
) -> Result<CompiledTrigger> {
    // A `main` trigger's names are `main`'s, as in SQLite: a temporary table of the
    // connection's does not shadow them. A temporary trigger's find temporary objects first.
    let catalog = match trigger.temporary {
        true => catalog,
        false => catalog.main_schema(),
    };
    let when = match &trigger.when {
        Some(condition) => {
            let text = format!(
                "SELECT ({})",
                with_row_parameters(condition, trigger, table)?
            );
            let mut plans = bind_all(catalog, &text)?;
            debug_assert_eq!(plans.len(), 1);
            plans.pop()
        }
        None => None,
    };
    let body = bind_all(
        catalog,
        &with_row_parameters(&trigger.body, trigger, table)?,
    )?;
    Ok(CompiledTrigger { when, body })
}

/// Parses and binds every statement of `sql`.
fn bind_all(catalog: &Catalog, sql: &str) -> Result<Vec<Plan>> {
    let statements = crate::parse::parse_statements(sql)?;
    let mut plans = Vec::with_capacity(statements.len());
    for statement in statements.iter() {
        let mut binder = Binder::new(catalog);
        binder.allow_raise();
        binder.number_parameters(statement)?;
        let mut plan = binder.bind_statement(statement)?;
        let runs_in_a_trigger = matches!(
            plan,
            Plan::Query(_)
                | Plan::Insert(_)
                | Plan::Update { .. }
                | Plan::Delete { .. }
                | Plan::ViewWrite(_)
        );
        if !runs_in_a_trigger {
            return Err(crate::err!(
                Internal,
                "a trigger body statement bound to a plan that is not a query or DML"
            ));
        }
        crate::optimize::optimize_trigger_statement(&mut plan, catalog)?;
        plans.push(plan);
    }
    Ok(plans)
}

/// `sql` with each `NEW.col` / `OLD.col` replaced by the parameter holding that value:
/// `?k` for old column k (1-based), `?(width + k)` for new column k. `rowid`, `oid` and
/// `_rowid_` name the INTEGER PRIMARY KEY column. A name the table lacks, or NEW in a DELETE
/// trigger (OLD in an INSERT one), is SQLite's `no such column` error.
fn with_row_parameters(sql: &str, trigger: &TriggerDef, table: RowShape<'_>) -> Result<String> {
    let tokens = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize_with_location()
        .map_err(|e| crate::err!(Syntax, "{e}"))?;
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&at| !matches!(tokens[at].token, Token::Whitespace(_)))
        .collect();
    let (width, column_position) = table;
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut index = 0;
    while index < significant.len() {
        let at = significant[index];
        let token = &tokens[at].token;
        if matches!(token, Token::Placeholder(_)) {
            return Err(crate::err!(InvalidInput, "trigger cannot use variables"));
        }
        let row = match token {
            Token::Word(word) if word.quote_style.is_none() => {
                match word.value.to_ascii_lowercase().as_str() {
                    "new" => Some((true, &word.value)),
                    "old" => Some((false, &word.value)),
                    _ => None,
                }
            }
            _ => None,
        };
        let period = significant.get(index + 1).map(|&at| &tokens[at].token);
        let column = significant.get(index + 2).map(|&at| &tokens[at]);
        let (Some((new, row_word)), Some(Token::Period), Some(column)) = (row, period, column)
        else {
            index += 1;
            continue;
        };
        let Token::Word(column_word) = &column.token else {
            index += 1;
            continue;
        };
        let no_such_column =
            || crate::err!(NotFound, "no such column: {row_word}.{}", column_word.value);
        let available = match trigger.event {
            TriggerEventKind::Insert => new,
            TriggerEventKind::Delete => !new,
            TriggerEventKind::Update => true,
        };
        if !available {
            return Err(no_such_column());
        }
        let position = column_position(&column_word.value).ok_or_else(no_such_column)?;
        let slot = if new {
            width + position + 1
        } else {
            position + 1
        };
        let start = byte_offset(sql, tokens[at].span.start).ok_or_else(no_such_column)?;
        let end = byte_offset(sql, column.span.end).ok_or_else(no_such_column)?;
        out.push_str(&sql[copied..start]);
        out.push_str(&format!("?{slot}"));
        copied = end;
        index += 3;
    }
    out.push_str(&sql[copied..]);
    Ok(out)
}

/// The position of the column `name` names in `table` (`rowid` and its aliases: the
/// INTEGER PRIMARY KEY column, when there is one and no column has the name).
fn column_position(table: &TableDef, name: &str) -> Option<usize> {
    table.column_index(name).or_else(|| {
        let alias = ["rowid", "oid", "_rowid_"]
            .iter()
            .any(|alias| alias.eq_ignore_ascii_case(name));
        alias.then_some(table.rowid_column).flatten()
    })
}
