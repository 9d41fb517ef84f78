//! The JSON scalar functions over evaluated arguments, with SQLite's NULL rules and error
//! messages. Each returns its value and whether that value is JSON (the subtype); a
//! `jsonb_*` function gives its JSON as JSONB (a BLOB). A BLOB argument is read as SQLite
//! reads it: JSONB when it is (`jsonb::is_jsonb`), else its bytes as JSON text.

use std::rc::Rc;

use ember_storage::Value;

use crate::error::{ErrorKind, Result};

use super::jsonb;
use super::locate::{locate, sql_value};
use super::parse::{malformed, parse};
use super::path::{edit, lookup, parse_path_shared, remove, EditMode, Step};
use super::value::Json;
use super::{Form, JsonArg, JsonFunction};

/// A result that is JSON: text with the JSON subtype, or JSONB.
fn json_result(json: &Json, form: Form) -> Result<JsonArg> {
    Ok(match form {
        Form::Text => JsonArg {
            value: Value::Text(json.to_text()?),
            is_json: true,
        },
        Form::Jsonb => JsonArg::plain(Value::Blob(jsonb::encode(json)?)),
    })
}

fn plain(value: Value) -> Result<JsonArg> {
    Ok(JsonArg::plain(value))
}

fn null() -> Result<JsonArg> {
    plain(Value::Null)
}

/// A JSON document argument: `None` for NULL; numbers are read as their text.
pub fn document(value: &Value) -> Result<Option<Json>> {
    match value {
        Value::Null => Ok(None),
        Value::Text(text) => parse(text).map(Some),
        Value::Blob(bytes) => blob_document(bytes).map(Some),
        other => parse(&other.to_string()).map(Some),
    }
}

/// A BLOB document: JSONB when it is, else its bytes read as JSON text (SQLite keeps
/// reading such blobs, as from `readfile()`); bytes that are not UTF-8 are not JSON here.
fn blob_document(bytes: &[u8]) -> Result<Json> {
    if jsonb::is_jsonb(bytes) {
        return jsonb::decode(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(_) => Err(malformed()),
    }
}

/// SQLite's error for a BLOB that is not JSONB where a JSON value is built.
fn blob_not_json() -> crate::error::Error {
    crate::err!(InvalidInput, "JSON cannot hold BLOB values")
}

/// A JSON value for an SQL argument: JSON text (the subtype) and JSONB are embedded,
/// anything else becomes a JSON null, number or string.
pub fn to_json(arg: &JsonArg) -> Result<Json> {
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
        Value::Blob(bytes) if jsonb::is_jsonb(bytes) => jsonb::decode(bytes)?.into_parsed_form(),
        Value::Blob(_) => return Err(blob_not_json()),
    })
}

/// The JSON value an edit (`json_set` and its kin) stores for an SQL argument, as SQLite
/// stores it: text that is not JSON as TEXTRAW, an infinite REAL as `9e999`, JSONB as it
/// is.
fn edit_value(arg: &JsonArg) -> Result<Json> {
    Ok(match &arg.value {
        Value::Blob(bytes) if jsonb::is_jsonb(bytes) => jsonb::decode(bytes)?,
        Value::Text(text) if !arg.is_json => Json::Raw(text.clone()),
        Value::Real(r) if r.is_infinite() => {
            Json::Number(if *r > 0.0 { "9e999" } else { "-9e999" }.to_string())
        }
        _ => to_json(arg)?,
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
    let (twin, form) = function.twin_and_form();
    match twin {
        JsonFunction::Quote => json_result(&to_json(&args[0])?, form),
        JsonFunction::Array => {
            let items = args.iter().map(to_json).collect::<Result<Vec<_>>>()?;
            json_result(&Json::Array(items), form)
        }
        JsonFunction::Object => object(function, args, form),
        JsonFunction::Set | JsonFunction::Insert | JsonFunction::Replace => {
            let mode = match twin {
                JsonFunction::Set => EditMode::Set,
                JsonFunction::Insert => EditMode::Insert,
                _ => EditMode::Replace,
            };
            edit_all(function, mode, args, form)
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
    let (twin, form) = function.twin_and_form();
    match twin {
        JsonFunction::Json => match document(first)? {
            Some(json) => json_result(&json, form),
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
        JsonFunction::Extract => extract(args, form),
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
            found_at(first, &path, wanted, Form::Text)
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
                Some(found) if twin == JsonFunction::Type => {
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
            json_result(&json, form)
        }
        JsonFunction::Patch => {
            let (Some(mut target), Some(patch)) = (document(first)?, document(second)?) else {
                return null();
            };
            merge_patch(&mut target, patch);
            json_result(&target, form)
        }
        JsonFunction::Quote
        | JsonFunction::Array
        | JsonFunction::Object
        | JsonFunction::Set
        | JsonFunction::Insert
        | JsonFunction::Replace
        | JsonFunction::Jsonb
        | JsonFunction::JsonbExtract
        | JsonFunction::JsonbArray
        | JsonFunction::JsonbObject
        | JsonFunction::JsonbSet
        | JsonFunction::JsonbInsert
        | JsonFunction::JsonbReplace
        | JsonFunction::JsonbRemove
        | JsonFunction::JsonbPatch => Err(crate::err!(
            Internal,
            "{}() reads JSON flags: called without them",
            function.name()
        )),
    }
}

/// json_valid(X[, flags]): flags 1 (RFC 8259 text, the default) is supported; 2 (JSON5)
/// answers for RFC 8259 text and refuses other text; for JSONB, 4 answers whether the
/// blob looks like JSONB (`jsonb::is_jsonb`), 8 whether it passes the full check, and
/// without either it is 0. A BLOB that is not JSONB is read as text.
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
        Value::Blob(bytes) if jsonb::is_jsonb(bytes) => {
            let answer = if flags & 0b0100 != 0 {
                true
            } else {
                flags & 0b1000 != 0 && jsonb::fault_offset(bytes) == 0
            };
            return plain(Value::Integer(i64::from(answer)));
        }
        _ if flags & 0b0011 == 0 => return plain(Value::Integer(0)),
        Value::Blob(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => return plain(Value::Integer(0)),
        },
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

fn object(function: JsonFunction, args: &[JsonArg], form: Form) -> Result<JsonArg> {
    if !args.len().is_multiple_of(2) {
        return Err(crate::err!(
            InvalidInput,
            "{}() requires an even number of arguments",
            function.name()
        ));
    }
    let mut members = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks_exact(2) {
        let Value::Text(key) = &pair[0].value else {
            return Err(crate::err!(
                InvalidInput,
                "{}() labels must be TEXT",
                function.name()
            ));
        };
        members.push((super::value::escape(key).into(), to_json(&pair[1])?));
    }
    json_result(&Json::Object(members), form)
}

/// json_extract(J, P...): one path gives the SQL value (an array or object as JSON in
/// `form`), several give a JSON array of what each finds (null where nothing).
fn extract(args: &[&Value], form: Form) -> Result<JsonArg> {
    if let [document, path] = args {
        // One path (the common call): found without building the document's tree.
        return extract_one(document, path, Found::Sql, form);
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
        [path] => found_in(&json, path, Found::Sql, form),
        paths => {
            let found = paths
                .iter()
                .map(|path| {
                    lookup(&json, path).map_or(Json::Null, |found| found.clone().into_parsed_form())
                })
                .collect();
            json_result(&Json::Array(found), form)
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
fn extract_one(document: &Value, path: &Value, wanted: Found, form: Form) -> Result<JsonArg> {
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
    found_at(document, &path, wanted, form)
}

/// The value `path` leads to in the non-NULL `document`, found where it lies in the text
/// (`locate.rs`) when it can be, else through the document's tree.
fn found_at(document: &Value, path: &[Step], wanted: Found, form: Form) -> Result<JsonArg> {
    let owned;
    let text = match document {
        Value::Null => return null(),
        Value::Text(text) => text.as_str(),
        Value::Blob(bytes) => return found_in(&blob_document(bytes)?, path, wanted, form),
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
                json_result(&parse(text.get(range).unwrap_or_default())?, form)
            } else {
                plain(sql_value(text, range)?)
            }
        }
        None => found_in(&parse(text)?, path, wanted, form),
    }
}

/// The value `path` leads to in the tree `json`.
fn found_in(json: &Json, path: &[Step], wanted: Found, form: Form) -> Result<JsonArg> {
    match lookup(json, path) {
        None => null(),
        Some(found) if wanted == Found::Json || found.is_container() => json_result(found, form),
        Some(found) => plain(found.to_sql()?),
    }
}

/// json_set / json_insert / json_replace: (path, value) pairs applied in order.
fn edit_all(
    function: JsonFunction,
    mode: EditMode,
    args: &[JsonArg],
    form: Form,
) -> Result<JsonArg> {
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
        edit(&mut json, &path, mode, edit_value(&pair[1])?);
    }
    json_result(&json, form)
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
