//! Parameters for `?` / `$N` placeholders: the `Params` trait turns `()`, slices, arrays,
//! vectors and tuples of `ToValue` into a list of values.

use ember_storage::Value;

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
        let log: String = conn.query_one("SELECT v FROM log", ()).unwrap();
        assert_eq!(log, "inner");
    }
}
