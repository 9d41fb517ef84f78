//! `PRAGMA foreign_keys`: whether a connection enforces FOREIGN KEY constraints
//! (`pipeline/exec/foreign_key`). Per connection and OFF by default, as in SQLite; like
//! SQLite, setting it inside an open transaction changes nothing. With it on, DROP TABLE of
//! a parent table first deletes its rows (`implicit_delete`), as SQLite does.
//! `PRAGMA defer_foreign_keys`: every key of the open transaction is checked at COMMIT
//! (`exec::DeferredKeys`); off again after each COMMIT and ROLLBACK and each statement run
//! in autocommit, as in SQLite.

use ember_storage::Value;
use sqlparser::ast::Statement;

use crate::catalog::Catalog;
use crate::connection::{Connection, Outcome};
use crate::error::Result;

/// Runs `PRAGMA foreign_keys[= value]` against a connection's setting, and `PRAGMA
/// foreign_key_check` (`foreign_key_check.rs`; `foreign_key_list` is in
/// `catalog_pragmas.rs`);
/// `None` when the statement is another PRAGMA.
pub(crate) fn pragma(conn: &Connection, statement: &Statement) -> Option<Result<Outcome>> {
    let enabled = &conn.foreign_keys;
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    let full_name = name.to_string();
    // `PRAGMA [schema.]foreign_key_check`: the schema's tables alone when it is named.
    let (schema, base) = match full_name.split_once('.') {
        Some((schema, base)) => (Some(schema.trim_matches('"')), base),
        None => (None, full_name.as_str()),
    };
    if base.eq_ignore_ascii_case("foreign_key_check") {
        let table = value
            .as_ref()
            .map(|t| t.to_string().trim_matches(['\'', '"']).to_string());
        return Some(crate::session::foreign_key_check::foreign_key_check(
            conn,
            schema,
            table.as_deref(),
        ));
    }
    let name = name.to_string();
    if name.eq_ignore_ascii_case("defer_foreign_keys") {
        let deferred = &conn.deferred_keys;
        return Some(flag_pragma(
            &name,
            value.as_ref().map(|v| v.to_string()),
            deferred.defer_all(),
            |on| deferred.set_defer_all(on),
        ));
    }
    if !name.eq_ignore_ascii_case("foreign_keys") {
        return None;
    }
    let in_transaction = conn.in_transaction();
    Some(flag_pragma(
        &name,
        value.as_ref().map(|v| v.to_string()),
        enabled.get(),
        |on| {
            if !in_transaction {
                enabled.set(on);
            }
        },
    ))
}

/// Runs `PRAGMA <pragma>[= value]` over the connection's ON/OFF setting `flag` (as
/// `flag_pragma`); `None` when `statement` is another PRAGMA or not one.
pub(crate) fn connection_flag_pragma(
    statement: &Statement,
    pragma: &str,
    flag: &std::cell::Cell<bool>,
) -> Option<Result<Outcome>> {
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    let name = name.to_string();
    if !name.eq_ignore_ascii_case(pragma) {
        return None;
    }
    let value = value.as_ref().map(|v| v.to_string());
    Some(flag_pragma(&name, value, flag.get(), |on| flag.set(on)))
}

/// A PRAGMA of an ON/OFF setting: with no value, its one row (`current` as 0 or 1); with
/// a value, `set` with it (ON, OFF, 1, 0, TRUE, FALSE, YES, NO).
pub(crate) fn flag_pragma(
    name: &str,
    value: Option<String>,
    current: bool,
    set: impl FnOnce(bool),
) -> Result<Outcome> {
    let Some(value) = value else {
        return Ok(Outcome {
            columns: vec![name.to_ascii_lowercase()],
            rows: vec![vec![Value::Integer(i64::from(current))]],
            changes: 0,
        });
    };
    let text = value.trim_matches('\'').to_ascii_lowercase();
    let on = match text.as_str() {
        "off" | "0" | "false" | "no" => false,
        "on" | "1" | "true" | "yes" => true,
        _ => {
            return Err(crate::err!(
                InvalidInput,
                "PRAGMA {name} takes ON or OFF, not {text}"
            ))
        }
    };
    set(on);
    Ok(Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    })
}

/// Before `DROP TABLE name`: the implicit DELETE (see `implicit_delete`) when the
/// connection enforces foreign keys.
pub(crate) fn before_drop_table(conn: &Connection, name: &str) -> Result<()> {
    if conn.foreign_keys.get() {
        if let Some(delete) = implicit_delete(&conn.catalog(), name) {
            conn.execute(&delete, ())?;
        }
    }
    Ok(())
}

/// The implicit `DELETE FROM table` SQLite runs before `DROP TABLE` when foreign keys are
/// enforced and another table's key references it (so its actions apply, and RESTRICT or
/// NO ACTION children make the DROP fail); `None` when there is nothing to do.
pub(crate) fn implicit_delete(catalog: &Catalog, table: &str) -> Option<String> {
    let dropped = catalog.table(table)?;
    let referenced = catalog.tables().into_iter().any(|child| {
        !child.name.eq_ignore_ascii_case(&dropped.name)
            && child
                .constraints
                .foreign_keys
                .iter()
                .any(|key| key.parent.eq_ignore_ascii_case(&dropped.name))
    });
    let quoted = dropped.name.replace('"', "\"\"");
    referenced.then(|| format!("DELETE FROM \"{quoted}\""))
}

#[cfg(test)]
mod tests {
    use crate::{Database, Value};

    #[test]
    fn the_setting_reads_back_refuses_bad_values_and_ignores_transactions() {
        let conn = Database::in_memory().connect();
        let read = || conn.query("PRAGMA foreign_keys", ()).unwrap().values()[0][0].clone();
        assert_eq!(read(), Value::Integer(0));
        conn.execute("PRAGMA foreign_keys = 'yes'", ()).unwrap();
        assert_eq!(read(), Value::Integer(1));
        let error = conn.execute("PRAGMA foreign_keys = maybe", ()).unwrap_err();
        assert_eq!(
            error.message(),
            "PRAGMA foreign_keys takes ON or OFF, not maybe"
        );
        conn.execute_batch("BEGIN; PRAGMA foreign_keys = 0")
            .unwrap();
        assert_eq!(read(), Value::Integer(1));
        conn.execute_batch("COMMIT; PRAGMA foreign_keys(0)")
            .unwrap();
        assert_eq!(read(), Value::Integer(0));
    }
}
