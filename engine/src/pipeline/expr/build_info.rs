//! What EmberDB says of its own build where SQLite reports its own:
//! `sqlite_source_id()` (SQLite's check-in date, time and hash; here EmberDB's release
//! date, time and name with its version: `SOURCE_ID`) and `sqlite_compileoption_used(X)` /
//! `sqlite_compileoption_get(N)` over the SQLite compile options whose features EmberDB
//! has (`COMPILE_OPTIONS`), matched as SQLite matches them.

use ember_storage::Value;

use super::ops::integer_value;
use super::text::text_of;

/// `sqlite_source_id()`: in SQLite's shape, `YYYY-MM-DD HH:MM:SS` and an identifier; here
/// the date of the EmberDB source this version is, and `ember-` with the crate's version.
pub const SOURCE_ID: &str = concat!("2026-11-29 00:00:00 ember-", env!("CARGO_PKG_VERSION"));

/// The SQLite compile options (without the `SQLITE_` prefix, sorted as SQLite lists them)
/// whose behavior EmberDB has: the math functions (`ENABLE_MATH_FUNCTIONS`) and
/// `soundex()` (`SOUNDEX`). EmberDB has no compile-time options of its own.
pub const COMPILE_OPTIONS: [&str; 2] = ["ENABLE_MATH_FUNCTIONS", "SOUNDEX"];

/// A function reporting on the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildFunction {
    SourceId,
    CompileOptionUsed,
    CompileOptionGet,
}

/// Calls `function` on `args` (arity checked by the binder).
pub(super) fn call(function: BuildFunction, args: &[Value]) -> Value {
    let first = args.first().unwrap_or(&Value::Null);
    match function {
        BuildFunction::SourceId => Value::Text(SOURCE_ID.to_string()),
        // A NULL name answers NULL, as in SQLite.
        BuildFunction::CompileOptionUsed => match text_of(first) {
            Some(name) => Value::Integer(i64::from(option_used(&name))),
            None => Value::Null,
        },
        // SQLite reads the argument as an integer (NULL as 0); past the list, NULL.
        BuildFunction::CompileOptionGet => {
            let n = integer_value(first).unwrap_or(0);
            usize::try_from(n)
                .ok()
                .and_then(|n| COMPILE_OPTIONS.get(n))
                .map_or(Value::Null, |option| Value::Text(option.to_string()))
        }
    }
}

/// Whether `name` names a compile option, as `sqlite3_compileoption_used` matches: an
/// optional `SQLITE_` prefix dropped, then the option's text starting with the name (any
/// case) and not going on with a name character (`THREADSAFE` matches `THREADSAFE=1`).
fn option_used(name: &str) -> bool {
    let name = match name.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("SQLITE_") => &name[7..],
        _ => name,
    };
    COMPILE_OPTIONS.iter().any(|option| {
        option.len() >= name.len()
            && option.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && !option
                .as_bytes()
                .get(name.len())
                .is_some_and(|&next| next.is_ascii_alphanumeric() || next == b'_' || next >= 0x80)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> Value {
        Value::Text(value.into())
    }

    #[test]
    fn options_match_by_prefix_as_sqlite_matches_them() {
        let used = |name: &str| call(BuildFunction::CompileOptionUsed, &[text(name)]);
        assert_eq!(used("SOUNDEX"), Value::Integer(1));
        assert_eq!(used("sqlite_enable_math_functions"), Value::Integer(1));
        assert_eq!(
            used("ENABLE_MATH"),
            Value::Integer(0),
            "a name part is no match"
        );
        assert_eq!(used("ENABLE_FTS5"), Value::Integer(0));
        assert_eq!(used("THREADSAFE"), Value::Integer(0));
        assert_eq!(used(""), Value::Integer(0));
        assert_eq!(
            call(BuildFunction::CompileOptionUsed, &[Value::Null]),
            Value::Null
        );
    }

    #[test]
    fn options_are_listed_in_order_then_null() {
        let get = |n: Value| call(BuildFunction::CompileOptionGet, &[n]);
        assert_eq!(get(Value::Integer(0)), text("ENABLE_MATH_FUNCTIONS"));
        assert_eq!(get(Value::Null), text("ENABLE_MATH_FUNCTIONS"));
        assert_eq!(get(Value::Real(1.9)), text("SOUNDEX"));
        assert_eq!(get(Value::Integer(2)), Value::Null);
        assert_eq!(get(Value::Integer(-1)), Value::Null);
    }

    #[test]
    fn the_source_id_has_sqlite_shape() {
        let Value::Text(id) = call(BuildFunction::SourceId, &[]) else {
            panic!("text expected");
        };
        let parts: Vec<&str> = id.split(' ').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].len(), "YYYY-MM-DD".len());
        assert_eq!(parts[1].len(), "HH:MM:SS".len());
        assert!(parts[2].starts_with("ember-"));
    }
}
