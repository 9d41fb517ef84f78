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
}

impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }

    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(&[])
    }
}

impl Params for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }
}

impl Params for &[Value] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }

    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(self)
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }

    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        (&self).with_values(f)
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
