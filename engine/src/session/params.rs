//! Parameters for `?` / `?N` / `$N` placeholders: the `Params` trait turns `()`, slices,
//! arrays, vectors and tuples of `ToValue` into a list of values. Named parameters (`:id`,
//! `@id`, `$id`) are bound from `(name, value)` pairs (`named_params!`), resolved against the
//! statement's parameter names (`resolve`).

use ember_storage::Value;

use crate::error::Result;
use crate::value::ToValue;

/// Something that supplies the values of a statement's parameters.
///
/// Implemented for `()` (no parameters), tuples of up to 8 [`ToValue`]s, arrays, slices and
/// vectors of them, and `Vec<Value>`.
///
/// ```
/// use ember::Params;
/// assert_eq!((1, "a").into_values(), [ember::Value::Integer(1), ember::Value::Text("a".into())]);
/// ```
pub trait Params: Sized {
    /// The parameter values in order (`?1` first).
    fn into_values(self) -> Vec<Value>;

    /// Calls `f` with the parameter values in order. Arrays and tuples lend them from the
    /// stack, so binding parameters allocates nothing for the list itself.
    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(&self.into_values())
    }

    /// Stores the parameter values in order into `out` (replacing its contents), reusing
    /// the text and blob buffers of the values already there (see
    /// [`ToValue::write_value`]): `Connection::execute` binds into one list per connection.
    ///
    /// ```
    /// use ember::{Params, Value};
    /// let mut out = vec![Value::Text(String::with_capacity(16))];
    /// ("ada", 36).write_values(&mut out);
    /// assert_eq!(out, [Value::Text("ada".into()), Value::Integer(36)]);
    /// ```
    fn write_values(self, out: &mut Vec<Value>) {
        let values = self.into_values();
        out.clear();
        out.extend(values);
    }

    /// Whether this is a binding by name (`into_named` gives pairs): a constant, so a
    /// binding by position passes `resolve` at no cost.
    #[doc(hidden)]
    const BY_NAME: bool = false;

    /// The `(name, value)` pairs of a binding by name, or `self` for a binding by position.
    #[doc(hidden)]
    fn into_named(self) -> std::result::Result<Vec<(Box<str>, Value)>, Self> {
        Err(self)
    }
}

/// Parameters bound by name, resolved to a list in slot order; or bound by position.
pub(crate) enum Resolved<P> {
    Positional(P),
    ByName(Vec<Value>),
}

/// Resolves a binding by name against the statement's slot names (`names`): every name given
/// must be one of the statement's, and every slot must get a value. A binding by position
/// passes through.
#[inline(always)]
pub(crate) fn resolve<P: Params>(params: P, names: &[Option<Box<str>>]) -> Result<Resolved<P>> {
    if !P::BY_NAME {
        return Ok(Resolved::Positional(params));
    }
    resolve_by_name(params, names)
}

/// `resolve` of a binding by name.
#[inline(never)]
fn resolve_by_name<P: Params>(params: P, names: &[Option<Box<str>>]) -> Result<Resolved<P>> {
    let named = match params.into_named() {
        Ok(named) => named,
        Err(params) => return Ok(Resolved::Positional(params)),
    };
    let mut values: Vec<Option<Value>> = vec![None; names.len()];
    for (name, value) in named {
        let Some(slot) = names.iter().position(|n| n.as_deref() == Some(&*name)) else {
            return Err(crate::err!(
                InvalidInput,
                "the statement has no parameter named {name}"
            ));
        };
        if values[slot].replace(value).is_some() {
            return Err(crate::err!(
                InvalidInput,
                "parameter {name} was given two values"
            ));
        }
    }
    values
        .into_iter()
        .enumerate()
        .map(|(slot, value)| {
            value.ok_or_else(|| match &names[slot] {
                Some(name) => crate::err!(InvalidInput, "no value for parameter {name}"),
                None => crate::err!(
                    InvalidInput,
                    "parameter {} has no name: bind it by position",
                    slot + 1
                ),
            })
        })
        .collect::<Result<Vec<Value>>>()
        .map(Resolved::ByName)
}

impl<P: Params> Params for Resolved<P> {
    fn into_values(self) -> Vec<Value> {
        match self {
            Resolved::Positional(params) => params.into_values(),
            Resolved::ByName(values) => values,
        }
    }

    #[inline]
    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        match self {
            Resolved::Positional(params) => params.with_values(f),
            Resolved::ByName(values) => f(&values),
        }
    }

    #[inline]
    fn write_values(self, out: &mut Vec<Value>) {
        match self {
            Resolved::Positional(params) => params.write_values(out),
            Resolved::ByName(values) => *out = values,
        }
    }
}

/// Parameters bound by name: `&[(":id", &3 as &dyn ToValue)]`, usually written with
/// [`named_params!`](crate::named_params). Names keep their prefix (`:id`, `@id`, `$id`).
///
/// ```
/// let conn = ember::Database::in_memory().connect();
/// let sum: i64 = conn
///     .query_value("SELECT :a + :b * @c", ember::named_params! {":a": 1, ":b": 2, "@c": 10})
///     .unwrap();
/// assert_eq!(sum, 21);
/// ```
impl Params for &[(&str, &dyn ToValue)] {
    const BY_NAME: bool = true;

    fn into_values(self) -> Vec<Value> {
        self.iter().map(|(_, value)| value.to_value()).collect()
    }

    fn into_named(self) -> std::result::Result<Vec<(Box<str>, Value)>, Self> {
        Ok(self
            .iter()
            .map(|(name, value)| (Box::from(*name), value.to_value()))
            .collect())
    }
}

/// Parameters bound by name from owned pairs.
///
/// ```
/// let conn = ember::Database::in_memory().connect();
/// let named = vec![("$x".to_string(), ember::Value::Integer(4))];
/// assert_eq!(conn.query_value::<i64>("SELECT $x * $x", named).unwrap(), 16);
/// ```
impl Params for Vec<(String, Value)> {
    const BY_NAME: bool = true;

    fn into_values(self) -> Vec<Value> {
        self.into_iter().map(|(_, value)| value).collect()
    }

    fn into_named(self) -> std::result::Result<Vec<(Box<str>, Value)>, Self> {
        Ok(self
            .into_iter()
            .map(|(name, value)| (name.into_boxed_str(), value))
            .collect())
    }
}

/// Makes `out` hold `count` values, keeping the ones (and their buffers) it has.
#[inline]
fn slots(out: &mut Vec<Value>, count: usize) -> &mut [Value] {
    out.truncate(count);
    out.resize_with(count, || Value::Null);
    out
}

impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }

    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(&[])
    }

    fn write_values(self, out: &mut Vec<Value>) {
        out.clear();
    }
}

impl Params for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }

    fn write_values(self, out: &mut Vec<Value>) {
        *out = self;
    }
}

impl Params for &[Value] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }

    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(self)
    }

    fn write_values(self, out: &mut Vec<Value>) {
        for (value, slot) in self.iter().zip(slots(out, self.len())) {
            value.write_value(slot);
        }
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }

    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        (&self).with_values(f)
    }

    fn write_values(self, out: &mut Vec<Value>) {
        (&self).write_values(out);
    }
}

impl<T: ToValue, const N: usize> Params for &[T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }

    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        let values: [Value; N] = std::array::from_fn(|i| self[i].to_value());
        f(&values)
    }

    fn write_values(self, out: &mut Vec<Value>) {
        for (value, slot) in self.iter().zip(slots(out, N)) {
            value.write_value(slot);
        }
    }
}

macro_rules! tuple_params {
    ($($name:ident),+) => {
        impl<$($name: ToValue),+> Params for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_values(self) -> Vec<Value> {
                let ($($name,)+) = self;
                vec![$($name.to_value()),+]
            }

            #[allow(non_snake_case)]
            fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
                let ($($name,)+) = self;
                f(&[$($name.to_value()),+])
            }

            #[allow(non_snake_case)]
            fn write_values(self, out: &mut Vec<Value>) {
                let ($($name,)+) = self;
                let count = [$(stringify!($name)),+].len();
                let mut slots = slots(out, count).iter_mut();
                $($name.write_value(slots.next().expect("one slot per value"));)+
            }
        }
    };
}

tuple_params!(A);
tuple_params!(A, B);
tuple_params!(A, B, C);
tuple_params!(A, B, C, D);
tuple_params!(A, B, C, D, E);
tuple_params!(A, B, C, D, E, F);
tuple_params!(A, B, C, D, E, F, G);
tuple_params!(A, B, C, D, E, F, G, H);

/// Builds a `Vec<Value>` of parameters from expressions of different types:
/// `params![1, "a", None::<i64>]`.
#[macro_export]
macro_rules! params {
    () => { ::std::vec::Vec::<$crate::Value>::new() };
    ($($value:expr),+ $(,)?) => {
        vec![$($crate::ToValue::to_value(&$value)),+]
    };
}

/// Builds parameters bound by name: `named_params! {":id": 3, "@name": "ada"}`. Each name
/// keeps its prefix, as written in the SQL.
///
/// ```
/// let conn = ember::Database::in_memory().connect();
/// conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY, name TEXT)").unwrap();
/// let row = ember::named_params! {":name": "ada", ":id": 1};
/// conn.execute("INSERT INTO t VALUES (:id, :name)", row).unwrap();
/// let id = ember::named_params! {"@id": 1};
/// let name: String = conn.query_value("SELECT name FROM t WHERE id = @id", id).unwrap();
/// assert_eq!(name, "ada");
/// ```
#[macro_export]
macro_rules! named_params {
    () => { &[] as &[(&str, &dyn $crate::ToValue)] };
    ($($name:literal : $value:expr),+ $(,)?) => {
        &[$(($name, &$value as &dyn $crate::ToValue)),+] as &[(&str, &dyn $crate::ToValue)]
    };
}

#[cfg(test)]
mod tests {
    use crate::{Connection, Database, ToValue, Value};

    /// A parameter whose conversion runs a statement on the same connection, while the
    /// connection's parameter list is being bound into.
    struct Nested<'c>(&'c Connection);

    impl ToValue for Nested<'_> {
        fn to_value(&self) -> Value {
            let changes = self.0.execute("INSERT INTO log VALUES (?)", ["inner"]);
            Value::Integer(changes.unwrap() as i64)
        }
    }

    #[test]
    fn a_statement_run_while_binding_gets_its_own_list() {
        let conn = Database::in_memory().connect();
        conn.execute_batch("CREATE TABLE log(v TEXT); CREATE TABLE t(a TEXT, b INT)")
            .unwrap();
        // Leave text buffers in the connection's list first.
        conn.execute("INSERT INTO t VALUES (?, ?)", ("first", 0))
            .unwrap();
        conn.execute("INSERT INTO t VALUES (?, ?)", ("outer", Nested(&conn)))
            .unwrap();
        conn.execute("INSERT INTO t VALUES (?, ?)", ("last", 2))
            .unwrap();
        let rows = conn.query("SELECT a, b FROM t ORDER BY b", ()).unwrap();
        let text = |s: &str| Value::Text(s.into());
        assert_eq!(
            rows.values(),
            [
                vec![text("first"), Value::Integer(0)],
                vec![text("outer"), Value::Integer(1)],
                vec![text("last"), Value::Integer(2)],
            ]
        );
        let log: String = conn.query_value("SELECT v FROM log", ()).unwrap();
        assert_eq!(log, "inner");
    }
}
