//! The JSON functions (SQLite's json1): the catalogue, and evaluation with SQLite's
//! subtype rule. A value a JSON function returns as JSON (`json()`, `json_array()`, `->`,
//! an array or object from `json_extract()`, ...) is embedded as JSON when it is an
//! argument of another JSON function, where plain text would be quoted as a string. SQL
//! values carry no subtype here, so the rule is applied through the expression: an argument
//! that is itself a JSON function call is evaluated with its "is JSON" flag (`eval_arg`).
//!
//! The `jsonb_*` functions are their `json_*` twins giving JSONB (a BLOB) where those give
//! JSON text; every function reads a JSONB argument as SQLite does (`jsonb.rs`).
//!
//! Files: `value.rs` the tree and its text, `parse.rs` the parser, `jsonb.rs` the binary
//! encoding, `locate.rs` a path's value found without building the tree, `path.rs` paths
//! and edits, `scalar.rs` the functions, `each.rs` the rows of `json_each` / `json_tree`.

mod each;
mod error_position;
mod jsonb;
mod locate;
mod parse;
mod path;
mod scalar;
mod value;

use std::cmp::Ordering;

use ember_storage::Value;

use crate::error::Result;

use super::function::Arguments;
use super::{sql_compare, truth, Expr, Function};

pub use each::{TableFunction, TABLE_FUNCTION_COLUMNS, TABLE_FUNCTION_VISIBLE_COLUMNS};

/// A JSON scalar function (the aggregates are `plan::AggregateFunction`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFunction {
    Json,
    Valid,
    Extract,
    /// `json -> path`: the JSON text at the path.
    Arrow,
    /// `json ->> path`: the SQL value at the path.
    LongArrow,
    Array,
    Object,
    ArrayLength,
    Type,
    Set,
    Insert,
    Replace,
    Remove,
    Quote,
    Patch,
    /// `json_pretty(json[, indent])`: the JSON text laid out one value a line.
    Pretty,
    /// `json_error_position(json)`: where the text stops being JSON (0 when it is).
    ErrorPosition,
    /// `jsonb(json)`: the document as JSONB.
    Jsonb,
    JsonbExtract,
    JsonbArray,
    JsonbObject,
    JsonbSet,
    JsonbInsert,
    JsonbReplace,
    JsonbRemove,
    JsonbPatch,
}

/// How a function gives a result that is JSON: as text (with the JSON subtype) or as JSONB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Text,
    Jsonb,
}

/// Every JSON function with its SQL name and its (fewest, most) argument counts.
const CATALOGUE: &[(JsonFunction, &str, usize, Option<usize>)] = &[
    (JsonFunction::Json, "json", 1, Some(1)),
    (JsonFunction::Valid, "json_valid", 1, Some(2)),
    (JsonFunction::Extract, "json_extract", 1, None),
    (JsonFunction::Arrow, "->", 2, Some(2)),
    (JsonFunction::LongArrow, "->>", 2, Some(2)),
    (JsonFunction::Array, "json_array", 0, None),
    (JsonFunction::Object, "json_object", 0, None),
    (JsonFunction::ArrayLength, "json_array_length", 1, Some(2)),
    (JsonFunction::Type, "json_type", 1, Some(2)),
    (JsonFunction::Set, "json_set", 1, None),
    (JsonFunction::Insert, "json_insert", 1, None),
    (JsonFunction::Replace, "json_replace", 1, None),
    (JsonFunction::Remove, "json_remove", 1, None),
    (JsonFunction::Quote, "json_quote", 1, Some(1)),
    (JsonFunction::Patch, "json_patch", 2, Some(2)),
    (JsonFunction::Pretty, "json_pretty", 1, Some(2)),
    (
        JsonFunction::ErrorPosition,
        "json_error_position",
        1,
        Some(1),
    ),
    (JsonFunction::Jsonb, "jsonb", 1, Some(1)),
    (JsonFunction::JsonbExtract, "jsonb_extract", 1, None),
    (JsonFunction::JsonbArray, "jsonb_array", 0, None),
    (JsonFunction::JsonbObject, "jsonb_object", 0, None),
    (JsonFunction::JsonbSet, "jsonb_set", 1, None),
    (JsonFunction::JsonbInsert, "jsonb_insert", 1, None),
    (JsonFunction::JsonbReplace, "jsonb_replace", 1, None),
    (JsonFunction::JsonbRemove, "jsonb_remove", 1, None),
    (JsonFunction::JsonbPatch, "jsonb_patch", 2, Some(2)),
];

impl JsonFunction {
    /// The function called `name` (lower case); the operators have no name.
    pub fn from_name(name: &str) -> Option<JsonFunction> {
        CATALOGUE
            .iter()
            .find(|entry| entry.1 == name && name.starts_with("json"))
            .map(|entry| entry.0)
    }

    fn entry(self) -> &'static (JsonFunction, &'static str, usize, Option<usize>) {
        CATALOGUE
            .iter()
            .find(|entry| entry.0 == self)
            .unwrap_or(&CATALOGUE[0])
    }

    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// The function that computes this one's result, and the form it gives JSON in: a
    /// `jsonb_*` function is its `json_*` twin giving JSONB.
    pub fn twin_and_form(self) -> (JsonFunction, Form) {
        let twin = match self {
            JsonFunction::Jsonb => JsonFunction::Json,
            JsonFunction::JsonbExtract => JsonFunction::Extract,
            JsonFunction::JsonbArray => JsonFunction::Array,
            JsonFunction::JsonbObject => JsonFunction::Object,
            JsonFunction::JsonbSet => JsonFunction::Set,
            JsonFunction::JsonbInsert => JsonFunction::Insert,
            JsonFunction::JsonbReplace => JsonFunction::Replace,
            JsonFunction::JsonbRemove => JsonFunction::Remove,
            JsonFunction::JsonbPatch => JsonFunction::Patch,
            text => return (text, Form::Text),
        };
        (twin, Form::Jsonb)
    }

    /// Whether the function reads its arguments' JSON flag (it embeds an argument as JSON
    /// or quotes it as a string: `to_json`). A call of one that does not reads only
    /// values, so it may be compiled (`scalar.rs`) over arguments that carry no flag.
    pub fn reads_flags(self) -> bool {
        matches!(
            self.twin_and_form().0,
            JsonFunction::Quote
                | JsonFunction::Array
                | JsonFunction::Object
                | JsonFunction::Set
                | JsonFunction::Insert
                | JsonFunction::Replace
        )
    }

    /// (fewest, most) arguments; `None` = any number.
    pub fn arity(self) -> (usize, Option<usize>) {
        let &(_, _, fewest, most) = self.entry();
        (fewest, most)
    }
}

/// An evaluated argument and whether it is JSON (SQLite's JSON subtype).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonArg {
    pub value: Value,
    pub is_json: bool,
}

impl JsonArg {
    /// A plain SQL value (no JSON subtype).
    pub fn plain(value: Value) -> JsonArg {
        JsonArg {
            value,
            is_json: false,
        }
    }
}

/// Evaluates a call of `function` over `args`.
pub(crate) fn eval_call(
    function: JsonFunction,
    args: &[Expr],
    eval: &mut dyn FnMut(&Expr) -> Result<Value>,
) -> Result<Value> {
    Ok(eval_typed(function, args, eval)?.value)
}

fn eval_typed(
    function: JsonFunction,
    args: &[Expr],
    eval: &mut dyn FnMut(&Expr) -> Result<Value>,
) -> Result<JsonArg> {
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(eval_arg(arg, eval)?);
    }
    scalar::call(function, &values)
}

/// One argument, with its JSON flag when it is a JSON function's result, also through
/// CASE, COALESCE / IFNULL and IIF (which pass the flag on in SQLite too).
fn eval_arg(arg: &Expr, eval: &mut dyn FnMut(&Expr) -> Result<Value>) -> Result<JsonArg> {
    match arg {
        Expr::Function {
            function: Function::Json(inner),
            args,
        } => eval_typed(*inner, args, eval),
        Expr::Function {
            function: Function::Coalesce | Function::IfNull,
            args,
        } if args.len() >= 2 => {
            for candidate in args {
                let value = eval_arg(candidate, eval)?;
                if !value.value.is_null() {
                    return Ok(value);
                }
            }
            Ok(JsonArg::plain(Value::Null))
        }
        Expr::Case {
            operand,
            branches,
            else_result,
        } => {
            let operand = match operand {
                Some(operand) => Some(eval(operand)?),
                None => None,
            };
            for (when, then) in branches {
                let when = eval(when)?;
                let taken = match &operand {
                    Some(operand) => sql_compare(operand, &when) == Some(Ordering::Equal),
                    None => truth(&when) == Some(true),
                };
                if taken {
                    return eval_arg(then, eval);
                }
            }
            match else_result {
                Some(else_result) => eval_arg(else_result, eval),
                None => Ok(JsonArg::plain(Value::Null)),
            }
        }
        other => Ok(JsonArg::plain(eval(other)?)),
    }
}

/// `text` as a JSON string, quotes included.
pub fn json_quote_text(text: &str) -> String {
    format!("\"{}\"", value::escape(text))
}

/// Applies `function` to plain values (none of them JSON), which may be borrowed (a
/// compiled call's): a function that reads no flag reads them where they lie.
pub(crate) fn call<A: Arguments + ?Sized>(function: JsonFunction, args: &A) -> Result<Value> {
    if function.reads_flags() {
        let args: Vec<JsonArg> = (0..args.count())
            .filter_map(|index| args.at(index))
            .cloned()
            .map(JsonArg::plain)
            .collect();
        return Ok(scalar::call(function, &args)?.value);
    }
    let (fewest, most) = function.arity();
    let count = args.count();
    if count < fewest || most.is_some_and(|most| count > most) {
        return Err(crate::err!(
            InvalidInput,
            "wrong number of arguments to function {}()",
            function.name()
        ));
    }
    // Up to four arguments on the stack: no list is allocated per call.
    const NULL: &Value = &Value::Null;
    if count <= 4 {
        let mut values = [NULL; 4];
        for (index, value) in values.iter_mut().enumerate().take(count) {
            *value = args.at(index).unwrap_or(NULL);
        }
        return Ok(scalar::call_plain(function, &values[..count])?.value);
    }
    let values: Vec<&Value> = (0..count).filter_map(|index| args.at(index)).collect();
    Ok(scalar::call_plain(function, &values)?.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arity() {
        for (function, name, ..) in CATALOGUE {
            assert_eq!(function.name(), *name);
            if name.starts_with("json") {
                assert_eq!(JsonFunction::from_name(name), Some(*function));
            }
        }
        assert_eq!(JsonFunction::from_name("->"), None);
        assert_eq!(JsonFunction::Quote.arity(), (1, Some(1)));
    }

    /// A function said to read no JSON flag answers alike whatever its arguments' flags,
    /// and alike through `call` over borrowed values (a compiled call's); a function that
    /// reads them answers differently for some flag (so `reads_flags` is not too wide).
    #[test]
    fn only_functions_said_to_read_flags_read_them() {
        let text = |s: &str| Value::Text(s.to_string());
        let values = [
            text("{\"a\":[1,{\"b\":\"x\"}],\"c\":2.5}"),
            text("$.a"),
            text("$.a[1].b"),
            text("$.z"),
            text("[1,2]"),
            text("a"),
            Value::Integer(1),
            Value::Null,
        ];
        for &(function, ..) in CATALOGUE {
            let mut differs = false;
            for count in 1..=3usize {
                for mut code in 0..values.len().pow(count as u32) {
                    let plain: Vec<Value> = (0..count)
                        .map(|_| {
                            let value = values[code % values.len()].clone();
                            code /= values.len();
                            value
                        })
                        .collect();
                    let flagged: Vec<JsonArg> = plain
                        .iter()
                        .map(|value| JsonArg {
                            value: value.clone(),
                            is_json: true,
                        })
                        .collect();
                    let unflagged: Vec<JsonArg> =
                        plain.iter().cloned().map(JsonArg::plain).collect();
                    let as_json = scalar::call(function, &flagged).map(|arg| arg.value);
                    let as_text = scalar::call(function, &unflagged).map(|arg| arg.value);
                    differs |= format!("{as_json:?}") != format!("{as_text:?}");
                    if !function.reads_flags() {
                        assert_eq!(
                            format!("{as_json:?}"),
                            format!("{as_text:?}"),
                            "{function:?} {plain:?}"
                        );
                        let borrowed: Vec<std::borrow::Cow<'_, Value>> =
                            plain.iter().map(std::borrow::Cow::Borrowed).collect();
                        assert_eq!(
                            format!("{:?}", call(function, &borrowed[..])),
                            format!("{as_text:?}"),
                            "{function:?} {plain:?} borrowed"
                        );
                    }
                }
            }
            assert_eq!(differs, function.reads_flags(), "{function:?}");
        }
    }

    #[test]
    fn no_function_panics_on_hostile_arguments() {
        let text = |s: &str| Value::Text(s.to_string());
        let hostile = [
            Value::Null,
            Value::Integer(-1),
            Value::Integer(i64::MIN),
            Value::Real(f64::NAN),
            Value::Real(f64::INFINITY),
            text(""),
            text("$"),
            text("$[#-99999999999999999999]"),
            text("$.a[0]"),
            text("[1,{\"a\":[2]}]"),
            text("{\"a\":{\"b\":null}}"),
            text("\"\\ud800\""),
            text(&"[".repeat(5000)),
            Value::Blob(vec![0]),
        ];
        for &(function, ..) in CATALOGUE {
            for count in 0..=3usize {
                for mut code in 0..hostile.len().pow(count as u32) {
                    let args: Vec<JsonArg> = (0..count)
                        .map(|_| {
                            let value = hostile[code % hostile.len()].clone();
                            code /= hostile.len();
                            JsonArg {
                                value,
                                is_json: code % 2 == 0,
                            }
                        })
                        .collect();
                    // Errors are fine; panics are not.
                    let _ = scalar::call(function, &args);
                }
            }
        }
        for function in [TableFunction::Each, TableFunction::Tree] {
            for json in &hostile {
                for path in &hostile {
                    let _ = function.rows(json, Some(path));
                }
            }
        }
    }
}
