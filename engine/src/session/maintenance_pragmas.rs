//! The maintenance statements tools run, as SQLite answers them: `PRAGMA integrity_check`
//! and `quick_check` (each table's NOT NULL columns and CHECK constraints checked over its
//! rows, one query each in the connection's transaction, then, for `integrity_check` only,
//! its indexes against its rows in the transaction's snapshot, `index_check.rs`; `ok`, or
//! a message per problem as SQLite words it, at most N of them: the optional argument is N
//! or a table's name),
//! `PRAGMA collation_list` (the built-in collations), `PRAGMA compile_options` (the SQLite
//! options whose features EmberDB has, `expr::COMPILE_OPTIONS`), `PRAGMA
//! case_sensitive_like` (read: no row, as SQLite's; set: the connection's setting the
//! binder makes LIKE by, which
//! statements bound under the other one see when next run), `ANALYZE` (accepted:
//! the planner keeps no statistics table; see docs/sql.md), and `REINDEX [name]` (which
//! parse.rs makes `PRAGMA reindex[('name')]`): the named index, the indexes of the named
//! table, those of a collation, or every index, each dropped and made again from its
//! CREATE INDEX text in one savepoint (logged as those statements are).

use ember_storage::Value;
use sqlparser::ast::Statement;

use crate::catalog::TableDef;
use crate::connection::{Connection, Outcome};
use crate::error::Result;

/// The problems `integrity_check` lists when no N is given, as SQLite's.
const PROBLEMS_MAX_DEFAULT: i64 = 100;

/// The columns of the PRAGMA `name` of this module (`None`: not one of them).
pub(crate) fn columns(name: &str) -> Option<Vec<String>> {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_prefix("main.").unwrap_or(&lower);
    match lower {
        "integrity_check" | "quick_check" => Some(vec![lower.to_string()]),
        "collation_list" => Some(vec!["seq".to_string(), "name".to_string()]),
        "compile_options" => Some(vec!["compile_options".to_string()]),
        _ => None,
    }
}

/// Runs the statement if it is one of this module's; `None` otherwise.
pub(crate) fn pragma(conn: &Connection, statement: &Statement) -> Option<Result<Outcome>> {
    let nothing = Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    };
    let (name, value) = match statement {
        Statement::Analyze(_) => return Some(Ok(nothing)),
        Statement::Pragma { name, value, .. } => (name.to_string(), value),
        _ => return None,
    };
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_prefix("main.").unwrap_or(&lower);
    let argument = value.as_ref().map(|value| {
        let text = value.to_string();
        text.trim_matches(|c| c == '\'' || c == '"').to_string()
    });
    let columns = columns(lower).unwrap_or_default();
    match lower {
        "integrity_check" | "quick_check" => {
            let quick = lower == "quick_check";
            Some(
                integrity_check(conn, argument.as_deref(), quick).map(|rows| Outcome {
                    columns,
                    rows,
                    changes: 0,
                }),
            )
        }
        "collation_list" => {
            let rows = ["RTRIM", "NOCASE", "BINARY"]
                .iter()
                .enumerate()
                .map(|(seq, name)| vec![Value::Integer(seq as i64), Value::Text(name.to_string())])
                .collect();
            Some(Ok(Outcome {
                columns,
                rows,
                changes: 0,
            }))
        }
        "compile_options" => {
            let rows = crate::expr::COMPILE_OPTIONS
                .iter()
                .map(|option| vec![Value::Text(option.to_string())])
                .collect();
            Some(Ok(Outcome {
                columns,
                rows,
                changes: 0,
            }))
        }
        "reindex" => Some(reindex(conn, argument.as_deref()).map(|()| nothing)),
        "case_sensitive_like" => {
            Some(set_case_sensitive_like(conn, argument.as_deref()).map(|()| nothing))
        }
        _ => None,
    }
}

/// `PRAGMA case_sensitive_like [= flag]`: sets the connection's setting (SQLite's boolean
/// words and numbers; anything else is off, as SQLite reads it); without a value, no row.
/// Statements bound under the other setting are bound again when next run.
fn set_case_sensitive_like(conn: &Connection, argument: Option<&str>) -> Result<()> {
    let Some(flag) = argument else {
        return Ok(());
    };
    let on = match flag.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => true,
        number => number.parse::<i64>().is_ok_and(|number| number != 0),
    };
    conn.tuning.case_sensitive_like.set(on);
    Ok(())
}

/// The problems `integrity_check` finds (or the one row `ok`), over every table or the one
/// `argument` names (else `argument` is the most problems listed); `quick` (`quick_check`)
/// leaves the indexes out, as SQLite's does.
fn integrity_check(
    conn: &Connection,
    argument: Option<&str>,
    quick: bool,
) -> Result<Vec<Vec<Value>>> {
    let catalog = conn.catalog();
    let mut most = PROBLEMS_MAX_DEFAULT;
    let tables = match argument {
        None => catalog.main_schema().tables(),
        Some(text) => match text.parse::<i64>() {
            Ok(number) => {
                most = if number <= 0 {
                    PROBLEMS_MAX_DEFAULT
                } else {
                    number
                };
                catalog.main_schema().tables()
            }
            Err(_) => match catalog.table(text) {
                Some(table) => vec![table],
                None => return Err(crate::err!(NotFound, "no such table: {text}")),
            },
        },
    };
    let most = usize::try_from(most).unwrap_or(usize::MAX);
    let mut problems: Vec<String> = Vec::new();
    for table in tables {
        for (query, problem) in checks(table) {
            let found = conn.query(&query, ())?.into_values();
            let count = match found.first().and_then(|row| row.first()) {
                Some(Value::Integer(count)) => *count,
                _ => 0,
            };
            for _ in 0..count {
                if problems.len() >= most {
                    break;
                }
                problems.push(problem.clone());
            }
        }
        if !quick && problems.len() < most {
            conn.read_in_snapshot(|txn| {
                crate::session::index_check::index_problems(txn, table, most, &mut problems)
            })?;
        }
    }
    if problems.is_empty() {
        problems.push("ok".to_string());
    }
    Ok(problems
        .into_iter()
        .map(|problem| vec![Value::Text(problem)])
        .collect())
}

/// Each check of `table`: the query counting the rows that fail it, and the problem's
/// message as SQLite words it.
fn checks(table: &TableDef) -> Vec<(String, String)> {
    let name = quoted(&table.name);
    let mut checks = Vec::new();
    for (_, column) in table.visible_columns() {
        if column.not_null {
            checks.push((
                format!(
                    "SELECT count(*) FROM {name} WHERE {} IS NULL",
                    quoted(&column.name)
                ),
                format!("NULL value in {}.{}", table.name, column.name),
            ));
        }
    }
    for check in check_texts(table) {
        checks.push((
            format!("SELECT count(*) FROM {name} WHERE NOT ({check})"),
            format!("CHECK constraint failed in {}", table.name),
        ));
    }
    checks
}

/// The CHECK expressions of `table` as its CREATE text has them now (a renamed column's
/// new name in them), column constraints first.
fn check_texts(table: &TableDef) -> Vec<String> {
    let Ok(Statement::CreateTable(create)) = crate::catalog::parse_one(&table.sql) else {
        return Vec::new();
    };
    let columns = create.columns.iter().flat_map(|column| &column.options);
    let of_columns = columns.filter_map(|option| match &option.option {
        sqlparser::ast::ColumnOption::Check(check) => Some(check.expr.to_string()),
        _ => None,
    });
    let of_table = create
        .constraints
        .iter()
        .filter_map(|constraint| match constraint {
            sqlparser::ast::TableConstraint::Check(check) => Some(check.expr.to_string()),
            _ => None,
        });
    of_columns.chain(of_table).collect()
}

/// Rebuilds the indexes `target` names (see the file comment); SQLite's error when it names
/// no index, table or collation. An index a UNIQUE constraint made (no CREATE INDEX text)
/// is the table's own and kept.
fn reindex(conn: &Connection, target: Option<&str>) -> Result<()> {
    let catalog = conn.catalog();
    let schema = catalog.main_schema();
    let mut rebuilt: Vec<(String, String)> = Vec::new();
    let mut found = target.is_none();
    for table in schema.tables() {
        for index in &table.indexes {
            let chosen = match target {
                None => true,
                Some(name) if index.name.eq_ignore_ascii_case(name) => true,
                Some(name) if table.name.eq_ignore_ascii_case(name) => true,
                Some(name) => uses_collation(table, index, name),
            };
            if !chosen {
                continue;
            }
            found = true;
            if let Some(sql) = &index.sql {
                rebuilt.push((index.name.clone(), sql.clone()));
            }
        }
    }
    if let Some(name) = target {
        let known = schema.table(name).is_some()
            || ["binary", "nocase", "rtrim"].contains(&name.to_ascii_lowercase().as_str());
        if !found && !known {
            return Err(crate::err!(
                NotFound,
                "unable to identify the object to be reindexed"
            ));
        }
    }
    if rebuilt.is_empty() {
        return Ok(());
    }
    let mut script = String::from("SAVEPOINT ember_reindex;");
    for (name, sql) in &rebuilt {
        script.push_str(&format!("DROP INDEX {};{sql};", quoted(name)));
    }
    script.push_str("RELEASE ember_reindex;");
    conn.execute_batch(&script)
}

/// Whether `index` of `table` orders a key column by the collation `name`: the column's own
/// collation, or a `COLLATE name` in the index's text.
fn uses_collation(table: &TableDef, index: &crate::catalog::IndexDef, name: &str) -> bool {
    let by_column = index.columns.iter().any(|&column| {
        table.columns[column]
            .collation
            .name()
            .eq_ignore_ascii_case(name)
    });
    let by_text = index.sql.as_ref().is_some_and(|sql| {
        let words: Vec<String> = sql
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .filter(|word| !word.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        words
            .windows(2)
            .any(|pair| pair[0] == "collate" && pair[1].eq_ignore_ascii_case(name))
    });
    by_column || by_text
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
