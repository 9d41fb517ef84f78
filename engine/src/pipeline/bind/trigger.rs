//! Binding of CREATE TRIGGER and DROP TRIGGER. A trigger is checked against SQLite's rules
//! (one event, FOR EACH ROW only, a body of INSERT / UPDATE / DELETE / SELECT statements,
//! BEFORE / AFTER on a table, INSTEAD OF on a view). A temporary trigger (`CREATE TEMP
//! TRIGGER`, or one on a temporary table) goes to the connection's temporary schema
//! (`Plan::Temp`), and may be on a `main` table. A trigger is kept as text: its WHEN
//! condition and body are cut from the statement's kept text, and bound each time it fires
//! (`exec::write::trigger`), since the names in them need not exist before then.

use sqlparser::ast::{self, ConditionalStatements, Statement};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::catalog::{TriggerDef, TriggerEventKind, TriggerTiming};
use crate::dialect::EmberDialect;
use crate::error::{unsupported, Result};
use crate::parse::byte_offset;
use crate::plan::Plan;

use super::{object_name, Binder};

impl Binder<'_> {
    /// `CREATE TRIGGER`; `or_alter` carries `IF NOT EXISTS` (parse/trigger_text.rs).
    pub(super) fn bind_create_trigger(&mut self, create: &ast::CreateTrigger) -> Result<Plan> {
        if create.or_replace || create.is_constraint {
            return Err(crate::err!(
                Syntax,
                "near \"{}\": syntax error",
                create.name
            ));
        }
        let extras = create.referenced_table_name.is_some()
            || !create.referencing.is_empty()
            || create.characteristics.is_some()
            || create.exec_body.is_some()
            || create.statements_as;
        if extras {
            return Err(unsupported("this form of CREATE TRIGGER"));
        }
        let name = super::created_name(&create.name)?;
        let table = object_name(&create.table_name)?;
        let main_name = super::schema_name(&create.name) == super::SchemaName::Main;
        if main_name && create.temporary {
            return Err(crate::err!(
                InvalidInput,
                "temporary trigger may not have qualified name"
            ));
        }
        // On a temporary table (`temp.t`, or `t` that names one), or `main.t`; a trigger
        // named `main.name` is on a `main` table.
        let on_temporary = match super::schema_name(&create.table_name) {
            super::SchemaName::Temp if main_name => {
                return Err(crate::err!(
                    InvalidInput,
                    "trigger {name} cannot be on table temp.{table}: a trigger named main.{name} \
                     is on a main table"
                ))
            }
            super::SchemaName::Temp => true,
            super::SchemaName::Main => false,
            super::SchemaName::Any => !main_name && self.catalog.is_temp_object(&table),
        };
        // A trigger on a temporary table is a temporary one, as in SQLite.
        let temporary = create.temporary
            || on_temporary
            || super::schema_name(&create.name) == super::SchemaName::Temp;
        let timing = match create.period {
            None | Some(ast::TriggerPeriod::Before) => TriggerTiming::Before,
            Some(ast::TriggerPeriod::After) => TriggerTiming::After,
            Some(ast::TriggerPeriod::InsteadOf) => TriggerTiming::InsteadOf,
            Some(other) => return Err(unsupported(format!("{other} triggers"))),
        };
        let (event, update_of) = match create.events.as_slice() {
            [ast::TriggerEvent::Insert] => (TriggerEventKind::Insert, Vec::new()),
            [ast::TriggerEvent::Delete] => (TriggerEventKind::Delete, Vec::new()),
            [ast::TriggerEvent::Update(columns)] => (
                TriggerEventKind::Update,
                columns.iter().map(|column| column.value.clone()).collect(),
            ),
            _ => {
                return Err(unsupported(
                    "trigger events other than one INSERT, UPDATE or DELETE",
                ))
            }
        };
        match &create.trigger_object {
            None | Some(ast::TriggerObjectKind::ForEach(ast::TriggerObject::Row)) => {}
            Some(_) => return Err(unsupported("FOR EACH STATEMENT triggers")),
        }
        let Some(ConditionalStatements::BeginEnd(body)) = &create.statements else {
            return Err(crate::err!(
                Syntax,
                "a trigger's body must be BEGIN ... END"
            ));
        };
        if body.statements.is_empty() {
            return Err(crate::err!(Syntax, "near \"END\": syntax error"));
        }
        for statement in &body.statements {
            check_body_statement(statement)?;
        }
        let schema = match temporary {
            true => self.catalog.temp_schema(),
            false => self.catalog.main_schema(),
        };
        if schema.trigger(&name).is_some() && !create.or_alter {
            return Err(crate::err!(AlreadyExists, "trigger {name} already exists"));
        }
        self.check_trigger_target(&table, timing, on_temporary)?;
        let sql = self.stored_sql(|| Statement::CreateTrigger(create.clone()).to_string());
        let (when, body) = split_trigger_text(&sql, create.condition.is_some())?;
        let trigger = TriggerDef {
            name,
            table,
            timing,
            event,
            update_of,
            when,
            body,
            sql,
            created: 0,
            temporary,
            on_temporary,
        };
        let plan = Plan::CreateTrigger {
            trigger: trigger.into(),
            if_not_exists: create.or_alter,
        };
        Ok(super::in_schema(plan, temporary))
    }

    /// `DROP TRIGGER [IF EXISTS] name`.
    pub(super) fn bind_drop_trigger(&mut self, drop: &ast::DropTrigger) -> Result<Plan> {
        if drop.table_name.is_some() || drop.option.is_some() {
            return Err(unsupported("DROP TRIGGER .. ON table / CASCADE / RESTRICT"));
        }
        let name = object_name(&drop.trigger_name)?;
        // Unqualified: the temporary trigger of the name first, as in SQLite.
        let temporary = match super::schema_name(&drop.trigger_name) {
            super::SchemaName::Temp => true,
            super::SchemaName::Main => false,
            super::SchemaName::Any => self.catalog.temp_schema().trigger(&name).is_some(),
        };
        let plan = Plan::DropTrigger {
            name,
            if_exists: drop.if_exists,
        };
        Ok(super::in_schema(plan, temporary))
    }

    /// The table or view the trigger is on: it exists, is not a system table, and has the
    /// kind its timing needs (SQLite's messages).
    fn check_trigger_target(
        &self,
        table: &str,
        timing: TriggerTiming,
        on_temporary: bool,
    ) -> Result<()> {
        let (schema, schema_name) = match on_temporary {
            true => (self.catalog.temp_schema(), "temp"),
            false => (self.catalog.main_schema(), "main"),
        };
        let is_view = schema.view(table).is_some();
        if schema.table(table).is_none() && !is_view {
            return Err(crate::err!(
                NotFound,
                "no such table: {schema_name}.{table}"
            ));
        }
        if table
            .get(..7)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_"))
        {
            return Err(crate::err!(
                InvalidInput,
                "cannot create trigger on system table"
            ));
        }
        match (timing, is_view) {
            (TriggerTiming::InsteadOf, false) => Err(crate::err!(
                InvalidInput,
                "cannot create INSTEAD OF trigger on table: {table}"
            )),
            (TriggerTiming::Before | TriggerTiming::After, true) => Err(crate::err!(
                InvalidInput,
                "cannot create {} trigger on view: {table}",
                if timing == TriggerTiming::Before {
                    "BEFORE"
                } else {
                    "AFTER"
                }
            )),
            _ => Ok(()),
        }
    }
}

/// A trigger body holds INSERT, UPDATE, DELETE and SELECT statements only, as in SQLite.
fn check_body_statement(statement: &Statement) -> Result<()> {
    match statement {
        Statement::Insert(_)
        | Statement::Update(_)
        | Statement::Delete(_)
        | Statement::Query(_) => Ok(()),
        other => {
            let text = other.to_string();
            let first = text.split_whitespace().next().unwrap_or_default();
            Err(crate::err!(Syntax, "near \"{first}\": syntax error"))
        }
    }
}

/// The WHEN condition's text (when `has_when`) and the body's text (between BEGIN and the
/// last END) of the kept CREATE TRIGGER text `sql`.
pub(super) fn split_trigger_text(sql: &str, has_when: bool) -> Result<(Option<String>, String)> {
    let tokens = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize_with_location()
        .map_err(|e| crate::err!(Syntax, "{e}"))?;
    let is_word = |token: &Token, expected: &str| {
        matches!(token, Token::Word(word)
            if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(expected))
    };
    let begin = tokens
        .iter()
        .position(|token| is_word(&token.token, "begin"));
    let end = tokens
        .iter()
        .rposition(|token| is_word(&token.token, "end"));
    let not_found = || crate::err!(Syntax, "a trigger's body must be BEGIN ... END");
    let (Some(begin), Some(end)) = (begin, end) else {
        return Err(not_found());
    };
    // The text between the end of token `from` and the start of token `to`.
    let between = |from: usize, to: usize| -> Result<String> {
        let start = byte_offset(sql, tokens[from].span.end).ok_or_else(not_found)?;
        let end = byte_offset(sql, tokens[to].span.start).ok_or_else(not_found)?;
        Ok(sql
            .get(start..end)
            .ok_or_else(not_found)?
            .trim()
            .to_string())
    };
    let when = if has_when {
        let Some(at) = tokens[..begin]
            .iter()
            .position(|token| is_word(&token.token, "when"))
        else {
            return Err(crate::err!(
                Syntax,
                "the trigger's WHEN condition is not found"
            ));
        };
        Some(between(at, begin)?)
    } else {
        None
    };
    Ok((when, between(begin, end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_and_body_are_cut_from_the_text() {
        let sql = "CREATE TRIGGER tr AFTER UPDATE OF a ON t \
                   WHEN new.a > (CASE WHEN 1 THEN 0 END) \
                   BEGIN INSERT INTO log VALUES (new.a, 'end'); \
                   SELECT CASE 1 WHEN 1 THEN 2 END; END";
        let (when, body) = split_trigger_text(sql, true).unwrap();
        assert_eq!(when.as_deref(), Some("new.a > (CASE WHEN 1 THEN 0 END)"));
        assert_eq!(
            body,
            "INSERT INTO log VALUES (new.a, 'end'); SELECT CASE 1 WHEN 1 THEN 2 END;"
        );
        let (when, body) = split_trigger_text(
            "CREATE TRIGGER x DELETE ON t BEGIN DELETE FROM u; END",
            false,
        )
        .unwrap();
        assert_eq!((when, body.as_str()), (None, "DELETE FROM u;"));
    }
}
