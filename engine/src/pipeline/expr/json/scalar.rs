//! The JSON scalar functions over evaluated arguments, with SQLite's NULL rules and error
//! messages. Each returns its value and whether that value is JSON (the subtype).

use std::rc::Rc;

use ember_storage::Value;

use crate::error::{unsupported, ErrorKind, Result};

use super::locate::{locate, sql_value};
use super::parse::parse;
use super::path::{edit, lookup, parse_path_shared, remove, EditMode, Step};
use super::value::Json;
use super::{JsonArg, JsonFunction};

/// A result that is JSON text.
fn json_result(json: &Json) -> Result<JsonArg> {
    Ok(JsonArg {
        value: Value::Text(json.to_text()?),
        is_json: true,
    })
}

fn plain(value: Value) -> Result<JsonArg> {
    Ok(JsonArg::plain(value))
}

fn null() -> Result<JsonArg> {
    plain(Value::Null)
}

/// Refuses a BLOB where JSON is expected (SQLite would read it as JSONB).
fn no_blob(value: &Value) -> Result<()> {
    if matches!(value, Value::Blob(_)) {
        return Err(unsupported("JSONB (a BLOB argument to a JSON function)"));
    }
    Ok(())
}

/// A JSON document argument: `None` for NULL; numbers are read as their text.
pub fn document(value: &Value) -> Result<Option<Json>> {
    no_blob(value)?;
    match value {
        Value::Null => Ok(None),
        Value::Text(text) => parse(text).map(Some),
        other => parse(&other.to_string()).map(Some),
    }
}

/// A JSON value for an SQL argument: JSON text (the subtype) is embedded, anything else
/// becomes a JSON null, number or string.
pub fn to_json(arg: &JsonArg) -> Result<Json> {
    no_blob(&arg.value)?;
    Ok(match &arg.value {
        Value::Null => Json::Null,
        Value::Integer(i) => Json::Number(i.to_string()),
        Value::Boolean(b) => Json::Number(i64::from(*b).to_string()),
        Value::Real(r) if r.is_nan() => Json::Null,
        Value::Real(r) if r.is_infinite() => {
            Json::Number(if *r > 0.0 { "9.0e+999" } else { "-9.0e+999" }.to_string())
        }
        Value::Real(r) => Json::Number(ember_storage::real_text::format_real(*r)),
        Value::Text(text) if arg.is_json => parse(text)?,
        Value::Text(text) => Json::string(text),
        Value::Blob(_) => Json::Null,
    })
}

/// A path argument: `None` for NULL. A text path is read where it lies, and parsed once
/// while the same path comes row after row (`parse_path_shared`).
fn path_of(value: &Value) -> Result<Option<Rc<[Step]>>> {
    match value {
        Value::Null => Ok(None),
        Value::Text(text) => parse_path_shared(text).map(Some),
        other => parse_path_shared(&other.to_string()).map(Some),
    }
}

/// NULL, for an argument not given.
static NULL_VALUE: Value = Value::Null;

/// The path of `->` / `->>`: a full path, or SQLite's abbreviations (an integer N is
/// `$[N]`, -N is `$[#-N]`, a name is `$.name`, `[N]` is `$[N]`, other text `$."text"`).
fn arrow_path(value: &Value) -> Result<Option<Rc<[Step]>>> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::Integer(i) if *i < 0 => format!("$[#{i}]"),
        Value::Integer(i) => format!("$[{i}]"),
        other => {
            let text = other.to_string();
            if text.starts_with('$') {
                text
            } else if !text.is_empty()
                && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                format!("$.{text}")
            } else if text.len() >= 3 && text.starts_with('[') && text.ends_with(']') {
                format!("${text}")
            } else {
                format!("$.\"{text}\"")
            }
        }
    };
    parse_path_shared(&text).map(Some)
}

/// Applies `function` to its evaluated arguments.
pub fn call(function: JsonFunction, args: &[JsonArg]) -> Result<JsonArg> {
    let (fewest, most) = function.arity();
    if args.len() < fewest || most.is_some_and(|most| args.len() > most) {
        return Err(crate::err!(
            InvalidInput,
            "wrong number of arguments to function {}()",
            function.name()
        ));
    }
    match function {
        JsonFunction::Quote => json_result(&to_json(&args[0])?),
        JsonFunction::Array => {
            let items = args.iter().map(to_json).collect::<Result<Vec<_>>>()?;
            json_result(&Json::Array(items))
        }
        JsonFunction::Object => object(args),
        JsonFunction::Set | JsonFunction::Insert | JsonFunction::Replace => {
            let mode = match function {
                JsonFunction::Set => EditMode::Set,
                JsonFunction::Insert => EditMode::Insert,
                _ => EditMode::Replace,
            };
            edit_all(function, mode, args)
        }
        _ => {
            debug_assert!(!function.reads_flags());
            let values: Vec<&Value> = args.iter().map(|arg| &arg.value).collect();
            call_plain(function, &values)
        }
    }
}

/// Applies a function that reads no argument's JSON flag (`JsonFunction::reads_flags`) to
/// its arguments' values (their count checked by the caller).
pub fn call_plain(function: JsonFunction, args: &[&Value]) -> Result<JsonArg> {
    debug_assert!(!function.reads_flags());
    let first = args.first().copied().unwrap_or(&NULL_VALUE);
    let second = args.get(1).copied().unwrap_or(&NULL_VALUE);
    match function {
        JsonFunction::Json => match document(first)? {
            Some(json) => json_result(&json),
            None => null(),
        },
        JsonFunction::Pretty => match document(first)? {
            // SQLite's default: four spaces a level (also for a NULL indent). Plain text, as
            // SQLite's: another JSON function quotes it as a string.
            Some(json) => plain(Value::Text(match second {
                Value::Null => json.to_pretty_text("    ")?,
                indent => json.to_pretty_text(&indent.to_string())?,
            })),
            None => null(),
        },
        JsonFunction::Valid => valid(first, args.get(1).copied()),
        JsonFunction::ErrorPosition => plain(super::error_position::error_position(first)?),
        JsonFunction::Extract => extract(args),
        JsonFunction::Arrow | JsonFunction::LongArrow => {
            if matches!(first, Value::Null) {
                // Both are read (an error in either is raised) before a NULL is returned.
                arrow_path(second)?;
                return null();
            }
            let path = match arrow_path(second) {
                Ok(Some(path)) => path,
                Ok(None) => {
                    document(first)?;
                    return null();
                }
                Err(error) => {
                    document(first)?;
                    return Err(error);
                }
            };
            let wanted = match function {
                JsonFunction::Arrow => Found::Json,
                _ => Found::Sql,
            };
            found_at(first, &path, wanted)
        }
        JsonFunction::ArrayLength | JsonFunction::Type => {
            let Some(json) = document(first)? else {
                return null();
            };
            let path = match args.get(1) {
                Some(arg) => match path_of(arg)? {
                    Some(path) => Some(path),
                    None => return null(),
                },
                None => None,
            };
            match lookup(&json, path.as_deref().unwrap_or(&[])) {
                None => null(),
                Some(found) if function == JsonFunction::Type => {
                    plain(Value::Text(found.type_name().to_string()))
                }
                Some(Json::Array(items)) => plain(Value::Integer(items.len() as i64)),
                Some(_) => plain(Value::Integer(0)),
            }
        }
        JsonFunction::Remove => {
            let Some(mut json) = document(first)? else {
                return null();
            };
            for arg in &args[1..] {
                let Some(path) = path_of(arg)? else {
                    return null();
                };
                if !remove(&mut json, &path) {
                    return null();
                }
            }
            json_result(&json)
        }
        JsonFunction::Patch => {
            let (Some(mut target), Some(patch)) = (document(first)?, document(second)?) else {
                return null();
            };
            merge_patch(&mut target, patch);
            json_result(&target)
        }
        JsonFunction::Quote
        | JsonFunction::Array
        | JsonFunction::Object
        | JsonFunction::Set
        | JsonFunction::Insert
        | JsonFunction::Replace => Err(crate::err!(
            Internal,
            "{}() reads JSON flags: called without them",
            function.name()
        )),
    }
}

/// json_valid(X[, flags]): flags 1 (RFC 8259 text, the default) is supported; 2 (JSON5)
/// answers for RFC 8259 text and refuses other text; 4 and 8 (JSONB) refuse BLOBs.
fn valid(value: &Value, flags: Option<&Value>) -> Result<JsonArg> {
    let flags = match flags {
        None => 1,
        Some(Value::Integer(flags)) if (1..=15).contains(flags) => *flags,
        Some(_) => {
            return Err(crate::err!(
                InvalidInput,
                "FLAGS parameter to json_valid() must be between 1 and 15"
            ))
        }
    };
    let text = match value {
        Value::Null => return null(),
        Value::Blob(_) if flags & 0b1100 != 0 => {
            return Err(unsupported("JSONB (json_valid() flags 4 and 8)"))
        }
        Value::Blob(_) => return plain(Value::Integer(0)),
        _ if flags & 0b0011 == 0 => return plain(Value::Integer(0)),
        other => other.to_string(),
    };
    let answer = match parse(&text) {
        Ok(_) => true,
        // Text SQLite reads as JSON5 is valid under flag 2, which is not supported.
        Err(error) if error.kind() == ErrorKind::Unsupported && flags & 0b0010 != 0 => {
            return Err(error)
        }
        Err(_) => false,
    };
    plain(Value::Integer(i64::from(answer)))
}

fn object(args: &[JsonArg]) -> Result<JsonArg> {
    if !args.len().is_multiple_of(2) {
        return Err(crate::err!(
            InvalidInput,
            "json_object() requires an even number of arguments"
        ));
    }
    let mut members = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks_exact(2) {
        let Value::Text(key) = &pair[0].value else {
            return Err(crate::err!(
                InvalidInput,
                "json_object() labels must be TEXT"
            ));
        };
        members.push((super::value::escape(key), to_json(&pair[1])?));
    }
    json_result(&Json::Object(members))
}

/// json_extract(J, P...): one path gives the SQL value (an array or object as JSON text),
/// several give a JSON array of what each finds (null where nothing).
fn extract(args: &[&Value]) -> Result<JsonArg> {
    if let [document, path] = args {
        // One path (the common call): found without building the document's tree.
        return extract_one(document, path, Found::Sql);
    }
    let Some(json) = document(args.first().copied().unwrap_or(&NULL_VALUE))? else {
        return null();
    };
    let mut paths = Vec::with_capacity(args.len().saturating_sub(1));
    for arg in args.iter().skip(1) {
        match path_of(arg)? {
            Some(path) => paths.push(path),
            None => return null(),
        }
    }
    match paths.as_slice() {
        [] => null(),
        [path] => match lookup(&json, path) {
            None => null(),
            Some(found) if found.is_container() => json_result(found),
            Some(found) => plain(found.to_sql()?),
        },
        paths => {
            let found = paths
                .iter()
                .map(|path| lookup(&json, path).cloned().unwrap_or(Json::Null))
                .collect();
            json_result(&Json::Array(found))
        }
    }
}

/// What a path lookup gives: the value's JSON text (`->`), or its SQL value with a
/// container as JSON (`json_extract`, `->>`).
#[derive(Clone, Copy, PartialEq)]
enum Found {
    Json,
    Sql,
}

/// `json_extract(document, path)`: the document is read before the path (its error comes
/// first), and a NULL document is NULL whatever the path.
fn extract_one(document: &Value, path: &Value, wanted: Found) -> Result<JsonArg> {
    no_blob(document)?;
    if matches!(document, Value::Null) {
        return null();
    }
    let path = match path_of(path) {
        Ok(Some(path)) => path,
        Ok(None) => {
            self::document(document)?;
            return null();
        }
        Err(error) => {
            self::document(document)?;
            return Err(error);
        }
    };
    found_at(document, &path, wanted)
}

/// The value `path` leads to in the non-NULL `document`, found where it lies in the text
/// (`locate.rs`) when it can be, else through the document's tree.
fn found_at(document: &Value, path: &[Step], wanted: Found) -> Result<JsonArg> {
    no_blob(document)?;
    let owned;
    let text = match document {
        Value::Null => return null(),
        Value::Text(text) => text.as_str(),
        other => {
            owned = other.to_string();
            owned.as_str()
        }
    };
    match locate(text, path) {
        Some(None) => null(),
        Some(Some(range)) => {
            let container = matches!(text.as_bytes().get(range.start), Some(b'[' | b'{'));
            if wanted == Found::Json || container {
                json_result(&parse(text.get(range).unwrap_or_default())?)
            } else {
                plain(sql_value(text, range)?)
            }
        }
        None => {
            let json = parse(text)?;
            match lookup(&json, path) {
                None => null(),
                Some(found) if wanted == Found::Json || found.is_container() => json_result(found),
                Some(found) => plain(found.to_sql()?),
            }
        }
    }
}

/// json_set / json_insert / json_replace: (path, value) pairs applied in order.
fn edit_all(function: JsonFunction, mode: EditMode, args: &[JsonArg]) -> Result<JsonArg> {
    if args.len().is_multiple_of(2) {
        return Err(crate::err!(
            InvalidInput,
            "{}() needs an odd number of arguments",
            function.name()
        ));
    }
    let Some(mut json) = document(&args[0].value)? else {
        return null();
    };
    for pair in args[1..].chunks_exact(2) {
        let path = match &pair[0].value {
            Value::Null => continue,
            other => match path_of(other)? {
                Some(path) => path,
                None => continue,
            },
        };
        edit(&mut json, &path, mode, to_json(&pair[1])?);
    }
    json_result(&json)
}

/// RFC 7396 MergePatch as SQLite applies it, in place (only the first of duplicate keys is
/// patched). Recursion follows the patch's nesting, which the parser bounds.
fn merge_patch(target: &mut Json, patch: Json) {
    let Json::Object(patch_members) = patch else {
        *target = patch;
        return;
    };
    if !matches!(target, Json::Object(_)) {
        *target = Json::Object(Vec::new());
    }
    let Json::Object(members) = target else {
        return;
    };
    for (key, value) in patch_members {
        let wanted = super::value::unescape(&key);
        let existing = members
            .iter()
            .position(|(raw, _)| super::path::key_matches(raw, &wanted));
        match (existing, value) {
            (Some(at), Json::Null) => {
                members.remove(at);
            }
            (None, Json::Null) => {}
            (Some(at), value) => merge_patch(&mut members[at].1, value),
            (None, value) => {
                let mut fresh = Json::Null;
                merge_patch(&mut fresh, value);
                members.push((key, fresh));
            }
        }
    }
}
