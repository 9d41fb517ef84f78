//! SQLite's tuning PRAGMAs, which applications set as they open a database, answered as
//! SQLite answers them: `busy_timeout` is the database's busy timeout (how long a schema
//! change waits for another transaction's; one for every connection of the database,
//! where SQLite keeps one per connection); `cache_size`, `temp_store`, `mmap_size`,
//! `secure_delete`, `wal_autocheckpoint`, `auto_vacuum` and, on an in-memory database,
//! `synchronous` (a directory database's is the WAL's policy, `durability::pragma`) are
//! per-connection numbers read back as set (named values such as `MEMORY` or `NORMAL` are
//! their numbers; an in-memory database's `mmap_size` reads as no row, as SQLite's);
//! `journal_mode` is the journal in force (`memory` in memory, or `off` once set so, as
//! SQLite's in-memory databases switch between those two only; `wal` for a directory
//! database, whose WAL cannot be turned off), and setting it answers with the mode then in
//! force, as SQLite does when a mode cannot be changed;
//! `encoding` is `UTF-8` (setting it changes nothing); `optimize` has nothing to do (the
//! planner keeps no statistics), nor have `analysis_limit` (a number) and the flags
//! `trusted_schema`, `cell_size_check`, `automatic_index`, `fullfsync` and
//! `checkpoint_fullfsync`, read back as set. None of them but `busy_timeout` changes how
//! EmberDB runs: its memory, locking, WAL, planner and schema are its own (see
//! docs/sql.md).

use std::cell::Cell;

use ember_storage::Value;
use sqlparser::ast::Statement;

use crate::connection::{Connection, Outcome};
use crate::error::Result;

/// A numeric setting: its PRAGMA name, the column its value comes back in, its default,
/// whether setting it answers with the value set, and the names its values may take.
struct Setting {
    name: &'static str,
    column: &'static str,
    default: i64,
    set_answers: bool,
    named: &'static [(&'static str, i64)],
}

const SETTINGS: [Setting; 14] = [
    Setting {
        name: "busy_timeout",
        column: "timeout",
        default: 0,
        set_answers: true,
        named: &[],
    },
    Setting {
        name: "cache_size",
        column: "cache_size",
        default: -2000,
        set_answers: false,
        named: &[],
    },
    Setting {
        name: "temp_store",
        column: "temp_store",
        default: 0,
        set_answers: false,
        named: &[("default", 0), ("file", 1), ("memory", 2)],
    },
    Setting {
        name: "mmap_size",
        column: "mmap_size",
        default: 0,
        set_answers: false,
        named: &[],
    },
    Setting {
        name: "secure_delete",
        column: "secure_delete",
        default: 0,
        set_answers: true,
        named: &[
            ("off", 0),
            ("on", 1),
            ("false", 0),
            ("true", 1),
            ("fast", 2),
        ],
    },
    Setting {
        name: "wal_autocheckpoint",
        column: "wal_autocheckpoint",
        default: 1000,
        set_answers: true,
        named: &[],
    },
    Setting {
        name: "auto_vacuum",
        column: "auto_vacuum",
        default: 0,
        set_answers: false,
        named: &[("none", 0), ("full", 1), ("incremental", 2)],
    },
    Setting {
        name: "synchronous",
        column: "synchronous",
        default: 2,
        set_answers: false,
        named: &[("off", 0), ("normal", 1), ("full", 2), ("extra", 3)],
    },
    Setting {
        name: "analysis_limit",
        column: "analysis_limit",
        default: 0,
        set_answers: true,
        named: &[],
    },
    boolean("trusted_schema", 1),
    boolean("cell_size_check", 0),
    boolean("automatic_index", 1),
    boolean("fullfsync", 0),
    boolean("checkpoint_fullfsync", 0),
];

/// A setting that is on or off, named as SQLite names booleans.
const fn boolean(name: &'static str, default: i64) -> Setting {
    Setting {
        name,
        column: name,
        default,
        set_answers: false,
        named: &[
            ("off", 0),
            ("on", 1),
            ("false", 0),
            ("true", 1),
            ("no", 0),
            ("yes", 1),
        ],
    }
}

/// A connection's tuning settings: one value per `SETTINGS` entry, and whether the
/// in-memory journal was set `OFF`.
pub(crate) struct Tuning {
    values: [Cell<i64>; SETTINGS.len()],
    journal_off: Cell<bool>,
    /// `PRAGMA case_sensitive_like` (off): LIKE binds case-sensitive while on
    /// (`session/maintenance_pragmas.rs` sets it).
    pub(crate) case_sensitive_like: Cell<bool>,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            values: SETTINGS.map(|setting| Cell::new(setting.default)),
            journal_off: Cell::new(false),
            case_sensitive_like: Cell::new(false),
        }
    }
}

impl Connection {
    /// Whether `PRAGMA case_sensitive_like` is on: statements bind LIKE case-sensitive.
    pub(crate) fn like_cased(&self) -> bool {
        self.tuning.case_sensitive_like.get()
    }
}

/// The columns of the tuning PRAGMA `name` (`None`: not one, or one that returns no rows).
pub(crate) fn columns(name: &str, has_value: bool) -> Option<Vec<String>> {
    let name = unqualified(name)?.to_ascii_lowercase();
    let column = match name.as_str() {
        "journal_mode" => "journal_mode",
        "encoding" if !has_value => "encoding",
        _ => {
            let setting = SETTINGS.iter().find(|setting| setting.name == name)?;
            if has_value && !setting.set_answers {
                return None;
            }
            setting.column
        }
    };
    Some(vec![column.to_string()])
}

/// Runs the tuning PRAGMA `statement`; `None` when it is another statement (or
/// `synchronous` of a directory database, which the WAL's policy answers).
pub(crate) fn pragma(conn: &Connection, statement: &Statement) -> Option<Result<Outcome>> {
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    let full_name = name.to_string();
    let name = unqualified(&full_name)?.to_ascii_lowercase();
    let argument = value.as_ref().map(|value| {
        value
            .to_string()
            .trim_matches(['\'', '"'])
            .to_ascii_lowercase()
    });
    let in_memory = conn.database().shared.durable.get().is_none();
    let tuning = &conn.tuning;
    let answer = |column: &str, value: Value| Outcome {
        columns: vec![column.to_string()],
        rows: vec![vec![value]],
        changes: 0,
    };
    let nothing = Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    };
    match name.as_str() {
        "journal_mode" => {
            if let Some(mode) = argument {
                // An in-memory database's journal is MEMORY or OFF; another mode leaves it.
                if in_memory && (mode == "memory" || mode == "off") {
                    tuning.journal_off.set(mode == "off");
                }
            }
            let mode = match (in_memory, tuning.journal_off.get()) {
                (false, _) => "wal",
                (true, true) => "off",
                (true, false) => "memory",
            };
            return Some(Ok(answer("journal_mode", Value::Text(mode.to_string()))));
        }
        "encoding" => {
            return Some(Ok(match argument {
                None => answer("encoding", Value::Text("UTF-8".to_string())),
                Some(_) => nothing,
            }))
        }
        "optimize" => return Some(Ok(nothing)),
        "synchronous" if !in_memory => return None,
        _ => {}
    }
    let index = SETTINGS.iter().position(|setting| setting.name == name)?;
    let setting = &SETTINGS[index];
    // The busy timeout is the database's: how long a schema change waits for another
    // transaction's (`Options::busy_timeout`), read and set in milliseconds.
    let shared = &conn.database().shared;
    if setting.name == "busy_timeout" {
        let millis = shared
            .busy_timeout_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        tuning.values[index].set(i64::try_from(millis).unwrap_or(i64::MAX));
    }
    let Some(argument) = argument else {
        if setting.name == "mmap_size" && in_memory {
            // Nothing of an in-memory database is mapped: SQLite answers no row.
            return Some(Ok(Outcome {
                columns: vec![setting.column.to_string()],
                ..nothing
            }));
        }
        let value = Value::Integer(tuning.values[index].get());
        return Some(Ok(answer(setting.column, value)));
    };
    let named = setting
        .named
        .iter()
        .find(|(word, _)| *word == argument)
        .map(|&(_, number)| number);
    let Some(number) = named.or_else(|| argument.parse::<i64>().ok()) else {
        return Some(Err(crate::err!(
            InvalidInput,
            "PRAGMA {name} takes a number{}, not {argument}",
            names_of(setting)
        )));
    };
    let number = match setting.name {
        "busy_timeout" => number.max(0),
        // A negative limit leaves the setting as it was (SQLite's), 31 bits kept.
        "analysis_limit" if number < 0 => tuning.values[index].get(),
        "analysis_limit" => number & 0x7fff_ffff,
        _ if !setting.named.is_empty() => number.clamp(0, named_max(setting)),
        _ => number,
    };
    tuning.values[index].set(number);
    if setting.name == "busy_timeout" {
        // Not negative (clamped above).
        let millis = u64::try_from(number).unwrap_or(0);
        shared
            .busy_timeout_ms
            .store(millis, std::sync::atomic::Ordering::Relaxed);
    }
    Some(Ok(if setting.set_answers {
        answer(setting.column, Value::Integer(number))
    } else {
        nothing
    }))
}

/// `name` without a `main.` schema; `None` for another schema's (`temp.cache_size`).
fn unqualified(name: &str) -> Option<&str> {
    match name.split_once('.') {
        Some((schema, name)) if schema.trim_matches('"').eq_ignore_ascii_case("main") => Some(name),
        Some(_) => None,
        None => Some(name),
    }
}

/// The largest number a setting with named values takes.
fn named_max(setting: &Setting) -> i64 {
    debug_assert!(!setting.named.is_empty());
    setting
        .named
        .iter()
        .map(|&(_, number)| number)
        .max()
        .unwrap_or(0)
}

/// ` or NAME, NAME` for a setting's named values ('' when it has none).
fn names_of(setting: &Setting) -> String {
    let words: Vec<String> = setting
        .named
        .iter()
        .map(|(word, _)| word.to_ascii_uppercase())
        .collect();
    if words.is_empty() {
        String::new()
    } else {
        format!(" or {}", words.join(", "))
    }
}
