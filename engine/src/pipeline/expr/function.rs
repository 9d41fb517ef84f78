//! Scalar SQL functions: the catalogue (names, argument counts), evaluation of each call
//! with SQLite's NULL and type rules, and the numeric functions (abs, round, sign, min/max,
//! the NULL helpers). Text functions live in `text.rs`. Aggregates are not here.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use ember_storage::Value;

use crate::error::Result;

use super::build_info::BuildFunction;
use super::cast::{real_prefix, real_to_integer};
use super::coerce::parse_whole_number;
use super::datetime::DateFunction;
use super::json::JsonFunction;
use super::math::Math;
use super::ops::{compare_for_sort, Numeric};
use super::session_values::SessionFunction;
use super::{text, Expr};

/// The SQLite version whose behavior the engine matches and `sqlite_version()` reports:
/// the one the bundled reference SQLite (rusqlite's) is, which the tests compare against.
pub const SQLITE_VERSION: &str = "3.54.1";

/// A scalar function the engine implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Abs,
    /// `sqlite_source_id()`, `sqlite_compileoption_used()` / `_get()` (build_info.rs).
    Build(super::build_info::BuildFunction),
    Char,
    Coalesce,
    Concat,
    ConcatWs,
    /// The date and time functions (datetime.rs).
    Date(DateFunction),
    Glob,
    Hex,
    IfNull,
    Iif,
    /// The JSON functions (json/).
    Json(JsonFunction),
    Instr,
    Length,
    Like,
    /// LIKE with ASCII case significant: what `LIKE` and `like()` bind to while the
    /// connection's `PRAGMA case_sensitive_like` is on (named `like`, as SQLite's).
    LikeCaseSensitive,
    Lower,
    Likely,
    LTrim,
    /// The math functions (math.rs).
    Math(Math),
    Max,
    Min,
    NullIf,
    OctetLength,
    Printf,
    Quote,
    Random,
    RandomBlob,
    Replace,
    Round,
    RTrim,
    /// A connection counter (session_values.rs): evaluated by `Expr::eval` with the context.
    Session(SessionFunction),
    Sign,
    /// SQLite's `soundex(X)` (built with SQLITE_SOUNDEX, as rusqlite's bundled SQLite is).
    Soundex,
    /// The functions over sketch values (sketch/sql.rs).
    Sketch(super::sketch::SketchFunction),
    /// The version of SQLite whose SQL the engine follows (`SQLITE_VERSION`).
    SqliteVersion,
    Substr,
    Trim,
    TypeOf,
    Unhex,
    Unicode,
    /// `unistr(X)`: X with its `\XXXX`, `\uXXXX`, `\+XXXXXX`, `\UXXXXXXXX` and `\\`
    /// escapes read.
    Unistr,
    Unlikely,
    Upper,
    ZeroBlob,
    /// Not callable from SQL: an INTEGER read as REAL, as SQLite reads a column of REAL
    /// affinity of a compound subquery or CTE (`bind::compare::convert_compound_query`).
    /// Holds the affinity the column carries into comparisons (that of the compound's first
    /// SELECT), which the conversion does not change.
    ReadAsReal(Option<super::Affinity>),
    /// Not callable from SQL: the value as a column of this type and affinity stores it
    /// (`coerce::stored_form`): what an UPDATE's generated column reads of an assigned
    /// column (`bind/generated.rs`), as SQLite converts a value before it computes them.
    StoredAs(ember_storage::DataType, super::Affinity),
    /// Scalar `min`, `max` or `nullif` comparing text under a collation other than BINARY:
    /// that of their first argument with one (a column's, or a COLLATE), as SQLite's do
    /// (bound by `bind::function` for `Min`, `Max` and `NullIf`).
    Collated(super::CollatedCall, super::Collation),
    /// Not callable from SQL: whether a row of a table with `expire_at` is visible to the
    /// statement's transaction (expiry.rs); evaluated by `Expr::eval` with the context.
    /// `unexpired(expiry)` for `expire_at`; `unexpired(expiry, written, ttl_ms)` for a
    /// table with `ttl` (the earliest of the two expiries counts).
    Unexpired,
    /// A trigger's `RAISE(action[, message])` (bound by `bind::raise`): evaluating it fails
    /// with the message, the error carrying the action.
    Raise(crate::error::RaiseAction),
    /// Not callable from SQL: the writing transaction's time in unix milliseconds, which
    /// UPDATE stores in the hidden write-time column of a table with `ttl` (expiry.rs).
    WriteTime,
}

/// Every function with its SQL name and its (fewest, most) argument counts; `None` = any.
const CATALOGUE: &[(Function, &str, usize, Option<usize>)] = &[
    (Function::Abs, "abs", 1, Some(1)),
    (Function::Char, "char", 0, None),
    (Function::Coalesce, "coalesce", 2, None),
    (Function::Concat, "concat", 1, None),
    (Function::ConcatWs, "concat_ws", 2, None),
    (Function::Glob, "glob", 2, Some(2)),
    (Function::Hex, "hex", 1, Some(1)),
    (Function::IfNull, "ifnull", 2, Some(2)),
    (Function::Iif, "iif", 2, None),
    (Function::Instr, "instr", 2, Some(2)),
    (Function::Length, "length", 1, Some(1)),
    (Function::Like, "like", 2, Some(3)),
    // After `Like`: the name finds that one; the binder picks this one by the setting.
    (Function::LikeCaseSensitive, "like", 2, Some(3)),
    (Function::Likely, "likely", 1, Some(1)),
    (Function::Lower, "lower", 1, Some(1)),
    (Function::LTrim, "ltrim", 1, Some(2)),
    (Function::Max, "max", 2, None),
    (Function::Min, "min", 2, None),
    (Function::NullIf, "nullif", 2, Some(2)),
    (Function::OctetLength, "octet_length", 1, Some(1)),
    (Function::Printf, "printf", 1, None),
    (Function::Quote, "quote", 1, Some(1)),
    (Function::Random, "random", 0, Some(0)),
    (Function::RandomBlob, "randomblob", 1, Some(1)),
    (Function::Replace, "replace", 3, Some(3)),
    (Function::Round, "round", 1, Some(2)),
    (Function::RTrim, "rtrim", 1, Some(2)),
    (Function::Sign, "sign", 1, Some(1)),
    (Function::Soundex, "soundex", 1, Some(1)),
    (Function::SqliteVersion, "sqlite_version", 0, Some(0)),
    (
        Function::Build(BuildFunction::SourceId),
        "sqlite_source_id",
        0,
        Some(0),
    ),
    (
        Function::Build(BuildFunction::CompileOptionUsed),
        "sqlite_compileoption_used",
        1,
        Some(1),
    ),
    (
        Function::Build(BuildFunction::CompileOptionGet),
        "sqlite_compileoption_get",
        1,
        Some(1),
    ),
    (Function::Substr, "substr", 2, Some(3)),
    (Function::Trim, "trim", 1, Some(2)),
    (Function::TypeOf, "typeof", 1, Some(1)),
    (Function::Unhex, "unhex", 1, Some(2)),
    (Function::Unicode, "unicode", 1, Some(1)),
    (Function::Unistr, "unistr", 1, Some(1)),
    (Function::Unlikely, "unlikely", 1, Some(1)),
    (Function::Upper, "upper", 1, Some(1)),
    (Function::ZeroBlob, "zeroblob", 1, Some(1)),
];

impl Function {
    /// The function called `name` (any case); `substring` is `substr`, `format` is
    /// `printf`, `if` is `iif`.
    pub fn from_name(name: &str) -> Option<Function> {
        let name = name.to_ascii_lowercase();
        let name = match name.as_str() {
            "substring" => "substr",
            "format" => "printf",
            "if" => "iif",
            other => other,
        };
        CATALOGUE
            .iter()
            .find(|entry| entry.1 == name)
            .map(|entry| entry.0)
            .or_else(|| Math::from_name(name).map(Function::Math))
            .or_else(|| DateFunction::from_name(name).map(Function::Date))
            .or_else(|| SessionFunction::from_name(name).map(Function::Session))
            .or_else(|| JsonFunction::from_name(name).map(Function::Json))
            .or_else(|| super::sketch::SketchFunction::from_name(name).map(Function::Sketch))
    }

    fn entry(self) -> &'static (Function, &'static str, usize, Option<usize>) {
        CATALOGUE
            .iter()
            .find(|entry| entry.0 == self)
            .unwrap_or(&CATALOGUE[0])
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::Math(math) => math.name(),
            Function::Date(date) => date.name(),
            Function::Session(session) => session.name(),
            Function::Json(json) => json.name(),
            Function::Sketch(sketch) => sketch.name(),
            Function::ReadAsReal(_) => "read_as_real",
            Function::StoredAs(..) => "stored_as",
            Function::Collated(call, _) => call.function().name(),
            Function::Unexpired => "unexpired",
            Function::WriteTime => "write_time",
            Function::Raise(_) => "raise",
            _ => self.entry().1,
        }
    }

    /// Checks the argument count, with SQLite's message when it is wrong.
    pub fn check_arity(self, count: usize) -> Result<()> {
        let (name, fewest, most) = match self {
            Function::Math(math) => {
                let (fewest, most) = math.arity();
                (math.name(), fewest, Some(most))
            }
            Function::Date(date) => (date.name(), date.fewest_arguments(), date.most_arguments()),
            Function::Session(session) => (session.name(), 0, Some(0)),
            Function::ReadAsReal(_) => ("read_as_real", 1, Some(1)),
            Function::StoredAs(..) => ("stored_as", 1, Some(1)),
            Function::Collated(call, _) => return call.function().check_arity(count),
            Function::Unexpired => ("unexpired", 1, Some(3)),
            Function::WriteTime => ("write_time", 0, Some(0)),
            Function::Raise(crate::error::RaiseAction::Ignore) => ("raise", 0, Some(0)),
            Function::Raise(_) => ("raise", 1, Some(1)),
            Function::Json(json) => {
                let (fewest, most) = json.arity();
                (json.name(), fewest, most)
            }
            Function::Sketch(sketch) => {
                let (fewest, most) = sketch.arity();
                (sketch.name(), fewest, Some(most))
            }
            _ => {
                let &(_, name, fewest, most) = self.entry();
                (name, fewest, most)
            }
        };
        if count < fewest || most.is_some_and(|most| count > most) {
            return Err(crate::err!(
                InvalidInput,
                "wrong number of arguments to function {name}()"
            ));
        }
        Ok(())
    }

    /// Whether the result depends on the arguments only (not so for `random()` and
    /// `randomblob()`), so constant arguments make a constant call.
    /// Date functions read the clock for 'now' (or no arguments).
    pub fn is_deterministic(self) -> bool {
        !matches!(
            self,
            Function::Random
                | Function::RandomBlob
                | Function::Date(_)
                | Function::Session(_)
                | Function::Unexpired
                | Function::WriteTime
                | Function::Raise(_)
        )
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Evaluates a call; `eval` evaluates one argument. COALESCE and IFNULL evaluate their
/// arguments lazily, left to right, as SQLite does (iif() is bound as a CASE); the others
/// evaluate all first.
pub(crate) fn eval_call(
    function: Function,
    args: &[Expr],
    mut eval: impl FnMut(&Expr) -> Result<Value>,
) -> Result<Value> {
    function.check_arity(args.len())?;
    match (function, args) {
        (Function::Coalesce | Function::IfNull, _) => {
            for arg in args {
                let value = eval(arg)?;
                if !value.is_null() {
                    return Ok(value);
                }
            }
            Ok(Value::Null)
        }
        (Function::Json(json), _) => super::json::eval_call(json, args, &mut eval),
        // Up to four arguments on the stack: no list is allocated per call.
        _ if args.len() <= 4 => {
            let mut values = [Value::Null, Value::Null, Value::Null, Value::Null];
            for (value, arg) in values.iter_mut().zip(args) {
                *value = eval(arg)?;
            }
            call(function, &values[..args.len()])
        }
        _ => {
            let values = args.iter().map(eval).collect::<Result<Vec<Value>>>()?;
            call(function, &values)
        }
    }
}

/// A call's evaluated arguments: owned values (the tree walker's) or values that may be
/// borrowed from the row (a compiled call's, `scalar.rs`), so both run the same function
/// code and a column's text is not cloned to be passed.
pub(crate) trait Arguments {
    fn count(&self) -> usize;
    fn at(&self, index: usize) -> Option<&Value>;
    /// Every argument as one slice (cloned only when the arguments are borrowed), for the
    /// functions that take a slice of values.
    fn values(&self) -> Cow<'_, [Value]>;
}

impl Arguments for [Value] {
    #[inline]
    fn count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn at(&self, index: usize) -> Option<&Value> {
        self.get(index)
    }

    fn values(&self) -> Cow<'_, [Value]> {
        Cow::Borrowed(self)
    }
}

impl Arguments for [Cow<'_, Value>] {
    #[inline]
    fn count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn at(&self, index: usize) -> Option<&Value> {
        self.get(index).map(|value| value.as_ref())
    }

    fn values(&self) -> Cow<'_, [Value]> {
        Cow::Owned(self.iter().map(|value| value.as_ref().clone()).collect())
    }
}

/// Applies `function` to evaluated arguments, their count checked first.
pub(crate) fn call(function: Function, args: &[Value]) -> Result<Value> {
    function.check_arity(args.len())?;
    call_with(function, args)
}

/// `call` over arguments that may be borrowed (a compiled call's, whose count was checked
/// when it was compiled: `scalar.rs`).
pub(crate) fn call_borrowed(function: Function, args: &[Cow<'_, Value>]) -> Result<Value> {
    debug_assert!(function.check_arity(args.len()).is_ok());
    call_with(function, args)
}

/// Applies `function` to evaluated arguments whose count was checked.
fn call_with<A: Arguments + ?Sized>(function: Function, args: &A) -> Result<Value> {
    let first = args.at(0).unwrap_or(&Value::Null);
    Ok(match function {
        Function::Abs => abs(first)?,
        Function::ReadAsReal(_) => match first {
            Value::Integer(i) => Value::Real(*i as f64),
            other => other.clone(),
        },
        Function::Collated(call, collation) => call.apply(collation, &args.values()),
        Function::StoredAs(data_type, affinity) => {
            super::coerce::stored_form(first.clone(), data_type, affinity)
        }
        Function::Coalesce | Function::IfNull => (0..args.count())
            .filter_map(|index| args.at(index))
            .find(|value| !value.is_null())
            .cloned()
            .unwrap_or(Value::Null),
        Function::Iif => {
            return Err(crate::err!(
                Internal,
                "iif() is bound as a CASE expression (bind::function), never called"
            ))
        }
        Function::NullIf => match (args.at(0), args.at(1)) {
            (Some(left), Some(right)) if compare_for_sort(left, right) == Ordering::Equal => {
                Value::Null
            }
            _ => first.clone(),
        },
        Function::Max => min_max(&args.values(), Ordering::Greater),
        Function::Min => min_max(&args.values(), Ordering::Less),
        Function::Round => super::round::round(first, args.at(1))?,
        Function::Sign => sign(first),
        Function::TypeOf => Value::Text(first.type_name().to_string()),
        Function::Likely | Function::Unlikely => first.clone(),
        Function::Math(math) => super::math::call(math, &args.values()),
        Function::Date(date) => super::datetime::call(date, args),
        Function::Json(json) => super::json::call(json, args)?,
        Function::Sketch(sketch) => sketch.call(&args.values())?,
        Function::Printf => super::printf::printf(args)?,
        Function::Random => Value::Integer(fastrand::i64(..)),
        Function::SqliteVersion => Value::Text(SQLITE_VERSION.to_string()),
        Function::Build(function) => super::build_info::call(function, &args.values()),
        Function::Raise(action) => {
            let message = match first {
                Value::Text(text) => text.as_str(),
                _ => "",
            };
            return Err(crate::Error::raised(action, message));
        }
        Function::Session(_) | Function::Unexpired | Function::WriteTime => {
            return Err(crate::err!(
                Internal,
                "{}() evaluated without its statement",
                function.name()
            ))
        }
        Function::RandomBlob | Function::ZeroBlob => {
            // zeroblob(NULL) is empty; randomblob gives at least one byte.
            let length = match number_of(first) {
                Some(Numeric::Integer(i)) => i,
                Some(Numeric::Real(r)) => real_to_integer(r),
                None => 0,
            };
            let length = usize::try_from(length.max(0)).unwrap_or(0);
            if length > crate::limits::FUNCTION_RESULT_BYTES_MAX {
                return Err(crate::err!(
                    Limit,
                    "{function}({length}) exceeds the limit of {} bytes",
                    crate::limits::FUNCTION_RESULT_BYTES_MAX
                ));
            }
            if function == Function::ZeroBlob {
                Value::Blob(vec![0; length])
            } else {
                Value::Blob((0..length.max(1)).map(|_| fastrand::u8(..)).collect())
            }
        }
        Function::Char
        | Function::Concat
        | Function::ConcatWs
        | Function::OctetLength
        | Function::Unhex
        | Function::Glob
        | Function::Hex
        | Function::Instr
        | Function::Length
        | Function::Like
        | Function::LikeCaseSensitive
        | Function::Lower
        | Function::LTrim
        | Function::Quote
        | Function::Soundex
        | Function::Replace
        | Function::RTrim
        | Function::Substr
        | Function::Trim
        | Function::Unicode
        | Function::Unistr
        | Function::Upper => text::call_with(function, args)?,
    })
}

fn abs(value: &Value) -> Result<Value> {
    Ok(match value {
        Value::Null => Value::Null,
        Value::Integer(i) => Value::Integer(
            i.checked_abs()
                .ok_or_else(|| crate::err!(InvalidInput, "integer overflow in abs({i})"))?,
        ),
        Value::Boolean(b) => Value::Integer(i64::from(*b)),
        Value::Real(r) => Value::Real(r.abs()),
        Value::Text(text) => Value::Real(real_prefix(text).abs()),
        Value::Blob(bytes) => Value::Real(real_prefix(&String::from_utf8_lossy(bytes)).abs()),
    })
}

/// Scalar min/max: NULL if any argument is NULL; among equal values min keeps the last
/// and max the first, as SQLite does (which shows when 1 and 1.0 tie).
fn min_max(args: &[Value], wanted: Ordering) -> Value {
    if args.iter().any(Value::is_null) {
        return Value::Null;
    }
    let mut best = &args[0];
    for value in &args[1..] {
        let ordering = compare_for_sort(value, best);
        let replace = match wanted {
            Ordering::Less => ordering != Ordering::Greater,
            _ => ordering == Ordering::Greater,
        };
        if replace {
            best = value;
        }
    }
    best.clone()
}

pub(super) fn number_of(value: &Value) -> Option<Numeric> {
    match value {
        Value::Null => None,
        Value::Integer(i) => Some(Numeric::Integer(*i)),
        Value::Boolean(b) => Some(Numeric::Integer(i64::from(*b))),
        Value::Real(r) => Some(Numeric::Real(*r)),
        Value::Text(text) => Some(Numeric::Real(real_prefix(text))),
        Value::Blob(bytes) => Some(Numeric::Real(real_prefix(&String::from_utf8_lossy(bytes)))),
    }
}

/// sign(X): -1, 0 or 1 for a number or numeric text; NULL otherwise.
fn sign(value: &Value) -> Value {
    let number = match value {
        Value::Text(text) => parse_whole_number(text),
        Value::Blob(_) => None,
        other => number_of(other),
    };
    match number {
        Some(Numeric::Integer(i)) => Value::Integer(i.signum()),
        Some(Numeric::Real(r)) if r > 0.0 => Value::Integer(1),
        Some(Numeric::Real(r)) if r < 0.0 => Value::Integer(-1),
        Some(Numeric::Real(_)) => Value::Integer(0),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    fn real(r: f64) -> Value {
        Value::Real(r)
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    fn run(function: Function, args: &[Value]) -> Value {
        call(function, args).unwrap()
    }

    #[test]
    fn names_and_arity() {
        assert_eq!(Function::from_name("ABS"), Some(Function::Abs));
        assert_eq!(Function::from_name("substring"), Some(Function::Substr));
        assert_eq!(Function::from_name("nope"), None);
        let error = Function::Abs.check_arity(2).unwrap_err();
        assert_eq!(
            error.message(),
            "wrong number of arguments to function abs()"
        );
        assert!(Function::Coalesce.check_arity(1).is_err());
        assert!(Function::Coalesce.check_arity(5).is_ok());
        for (function, name, ..) in CATALOGUE {
            assert_eq!(function.name(), *name);
            // The name finds the function, but for case-sensitive LIKE's (`like`'s).
            let found = match function {
                Function::LikeCaseSensitive => Function::Like,
                other => *other,
            };
            assert_eq!(Function::from_name(name), Some(found));
        }
    }

    #[test]
    fn abs_and_sign() {
        assert_eq!(run(Function::Abs, &[int(-3)]), int(3));
        assert_eq!(run(Function::Abs, &[real(-2.5)]), real(2.5));
        assert_eq!(run(Function::Abs, &[text("-3")]), real(3.0));
        assert_eq!(run(Function::Abs, &[text("x")]), real(0.0));
        assert_eq!(run(Function::Abs, &[Value::Null]), Value::Null);
        assert!(call(Function::Abs, &[int(i64::MIN)]).is_err());
        assert_eq!(run(Function::Sign, &[real(-2.5)]), int(-1));
        assert_eq!(run(Function::Sign, &[text("3")]), int(1));
        assert_eq!(run(Function::Sign, &[text("abc")]), Value::Null);
        assert_eq!(run(Function::Sign, &[int(0)]), int(0));
        assert_eq!(run(Function::Sign, &[Value::Null]), Value::Null);
    }

    #[test]
    fn null_helpers() {
        let null = Value::Null;
        assert_eq!(
            run(Function::Coalesce, &[null.clone(), int(2), int(3)]),
            int(2)
        );
        assert_eq!(run(Function::Coalesce, &[null.clone(), null.clone()]), null);
        assert_eq!(run(Function::IfNull, &[null.clone(), int(2)]), int(2));
        assert_eq!(run(Function::NullIf, &[int(1), real(1.0)]), null);
        assert_eq!(run(Function::NullIf, &[int(1), null.clone()]), int(1));
        assert_eq!(run(Function::NullIf, &[int(1), int(2)]), int(1));
        assert_eq!(Function::from_name("IF"), Some(Function::Iif));
        assert_eq!(run(Function::TypeOf, &[real(1.0)]), text("real"));
        assert_eq!(run(Function::TypeOf, &[null]), text("null"));
    }

    /// iif() as bound (a CASE): three arguments, two, and condition / value pairs, as
    /// SQLite 3.48's.
    #[test]
    fn iif_takes_the_value_of_the_first_true_condition() {
        let db = crate::Database::in_memory();
        let conn = db.connect();
        let one = |sql: &str| -> Value {
            let rows = conn.query(&format!("SELECT {sql}"), ()).unwrap();
            rows.first().unwrap().get::<Value>(0).unwrap()
        };
        for (sql, want) in [
            ("iif(NULL, 1, 2)", int(2)),
            ("iif(5, 1, 2)", int(1)),
            ("iif(0, 1)", Value::Null),
            ("iif(1, 1)", int(1)),
            ("iif(0, 1, 1, 2, 3)", int(2)),
            ("iif(0, 1, 1, 2)", int(2)),
            ("iif(0, 1, NULL, 2, 3)", int(3)),
            ("iif(0, 1, NULL, 2)", Value::Null),
            ("if(0, 1, 2)", int(2)),
        ] {
            assert_eq!(one(sql), want, "{sql}");
        }
        assert!(conn.query("SELECT iif(1)", ()).is_err());
    }

    #[test]
    fn random_and_blobs() {
        assert!(matches!(run(Function::Random, &[]), Value::Integer(_)));
        assert!(!Function::Random.is_deterministic());
        assert!(Function::Abs.is_deterministic());
        assert_eq!(
            run(Function::ZeroBlob, &[int(3)]),
            Value::Blob(vec![0, 0, 0])
        );
        assert_eq!(run(Function::ZeroBlob, &[int(-1)]), Value::Blob(vec![]));
        assert_eq!(run(Function::ZeroBlob, &[Value::Null]), Value::Blob(vec![]));
        match run(Function::RandomBlob, &[int(16)]) {
            Value::Blob(bytes) => assert_eq!(bytes.len(), 16),
            other => panic!("{other:?}"),
        }
        match run(Function::RandomBlob, &[int(0)]) {
            Value::Blob(bytes) => assert_eq!(bytes.len(), 1),
            other => panic!("{other:?}"),
        }
        assert!(call(Function::ZeroBlob, &[int(i64::MAX)]).is_err());
        assert_eq!(run(Function::Likely, &[int(4)]), int(4));
        assert_eq!(Function::from_name("format"), Some(Function::Printf));
        assert_eq!(
            Function::from_name("SQRT"),
            Some(Function::Math(Math::Sqrt))
        );
        assert_eq!(Function::Math(Math::Sqrt).name(), "sqrt");
        assert!(Function::Math(Math::Pi).check_arity(1).is_err());
    }

    #[test]
    fn no_function_panics_on_hostile_arguments() {
        let hostile = [
            Value::Null,
            int(0),
            int(-1),
            int(i64::MIN),
            int(i64::MAX),
            real(1e308),
            real(-0.0),
            real(f64::INFINITY),
            text(""),
            text("%*d"),
            text("[^é-"),
            text("9223372036854775808"),
            Value::Blob(vec![0xff, 0]),
            Value::Boolean(true),
        ];
        let math = super::super::math::tests_catalogue()
            .iter()
            .map(|&(math, _, fewest, most)| (Function::Math(math), "", fewest, Some(most)));
        let dates = [
            DateFunction::Date,
            DateFunction::Time,
            DateFunction::DateTime,
            DateFunction::JulianDay,
            DateFunction::UnixEpoch,
            DateFunction::Strftime,
        ]
        .map(|date| (Function::Date(date), "", 0, Some(3)));
        let all: Vec<_> = CATALOGUE.iter().copied().chain(math).chain(dates).collect();
        for (function, _, fewest, most) in all {
            let most = most.unwrap_or(fewest + 1).min(3);
            for count in fewest..=most {
                let combinations = hostile.len().pow(count as u32);
                for mut code in 0..combinations {
                    let args: Vec<Value> = (0..count)
                        .map(|_| {
                            let value = hostile[code % hostile.len()].clone();
                            code /= hostile.len();
                            value
                        })
                        .collect();
                    // Errors are fine (overflow, limits); panics are not.
                    let _ = call(function, &args);
                }
            }
        }
    }

    #[test]
    fn scalar_min_max() {
        assert_eq!(run(Function::Max, &[int(1), int(3), int(2)]), int(3));
        assert_eq!(run(Function::Min, &[int(1), int(3), int(2)]), int(1));
        assert_eq!(run(Function::Max, &[int(1), Value::Null]), Value::Null);
        assert_eq!(run(Function::Max, &[int(1), text("a")]), text("a"));
        // Ties: max keeps the first, min the last (SQLite's minmaxFunc).
        assert_eq!(run(Function::Max, &[int(1), real(1.0)]), int(1));
        assert_eq!(run(Function::Min, &[int(1), real(1.0)]), real(1.0));
    }

    #[test]
    fn round_matches_sqlite() {
        let round = |x: Value, digits: Option<Value>| {
            let mut args = vec![x];
            args.extend(digits);
            run(Function::Round, &args)
        };
        assert_eq!(round(real(2.5), None), real(3.0));
        assert_eq!(round(real(-2.5), None), real(-3.0));
        assert_eq!(round(int(3), None), real(3.0));
        // SQLite 3.54 rounds the 18-digit decimal: 2.675 is 2.67499999999999982.
        assert_eq!(round(real(2.675), Some(int(2))), real(2.67));
        assert_eq!(round(real(0.15), Some(int(1))), real(0.1));
        assert_eq!(round(real(0.125), Some(int(2))), real(0.13));
        assert_eq!(round(real(1.2345), Some(int(2))), real(1.23));
        assert_eq!(round(real(-1.2355), Some(int(3))), real(-1.236));
        assert_eq!(round(real(1.5), Some(int(-1))), real(2.0));
        assert_eq!(round(text("2.6"), None), real(3.0));
        assert_eq!(
            round(real(123456789.987_654_3), Some(int(5))),
            real(123456789.98765)
        );
        assert_eq!(round(real(1e300), Some(int(2))), real(1e300));
        assert_eq!(round(Value::Null, None), Value::Null);
        assert_eq!(round(int(1), Some(Value::Null)), Value::Null);
    }
}
