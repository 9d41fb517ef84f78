//! Functions the application registers (`Database::create_scalar_function`,
//! `create_aggregate_function`): the per-database registry the catalog carries, and the
//! handles a bound expression or aggregate call holds. The pipeline sees only closures over
//! `Value`s; the session wraps the user's closures (argument conversion, panics) into them.
//! A user function is looked up by name and argument count before the built-ins, so it
//! replaces a built-in of the same name and arity, as in SQLite. Collations the
//! application registers live here too (`UserCollation`): ORDER BY keys compare with them.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use ember_storage::Value;

use crate::error::Result;

/// A scalar function's body: the argument values in, the result out.
pub type ScalarBody = dyn Fn(&[Value]) -> Result<Value> + Send + Sync;

/// A user aggregate: makes the running state of one group (or window frame).
pub trait AggregateFactory: Send + Sync {
    fn start(&self) -> Box<dyn AggregateRun>;
}

/// The running state of one user aggregate over one group.
pub trait AggregateRun: Send {
    /// Feeds one row's argument values (NULLs included: the aggregate decides).
    fn step(&mut self, args: &[Value]) -> Result<()>;
    /// The aggregate's value over the rows fed so far.
    fn finish(&self) -> Result<Value>;
}

/// What a registered function is.
#[derive(Clone)]
pub enum UserBody {
    Scalar(Arc<ScalarBody>),
    Aggregate(Arc<dyn AggregateFactory>),
}

/// One registered function: its name (as registered), argument count (`None`: any), and
/// whether equal arguments always give equal results.
pub struct UserFunctionDef {
    pub name: String,
    pub arg_count: Option<usize>,
    pub deterministic: bool,
    pub body: UserBody,
}

/// A handle on a registered function, held by a bound call. Two handles are equal when
/// they name the same registration.
#[derive(Clone)]
pub struct UserFunction(pub Arc<UserFunctionDef>);

impl UserFunction {
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn is_deterministic(&self) -> bool {
        self.0.deterministic
    }

    pub fn is_aggregate(&self) -> bool {
        matches!(self.0.body, UserBody::Aggregate(_))
    }

    /// Calls a scalar function on evaluated arguments. An error names the function.
    pub fn call(&self, args: &[Value]) -> Result<Value> {
        match &self.0.body {
            UserBody::Scalar(body) => body(args),
            UserBody::Aggregate(_) => Err(crate::err!(
                InvalidInput,
                "misuse of aggregate function {}()",
                self.name()
            )),
        }
    }

    /// A fresh running state of an aggregate (`None` for a scalar function).
    pub fn start_aggregate(&self) -> Option<Box<dyn AggregateRun>> {
        match &self.0.body {
            UserBody::Aggregate(factory) => Some(factory.start()),
            UserBody::Scalar(_) => None,
        }
    }
}

impl PartialEq for UserFunction {
    fn eq(&self, other: &UserFunction) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for UserFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserFunction({})", self.0.name)
    }
}

impl fmt::Display for UserFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.name)
    }
}

/// A text comparison the application registered (`Database::create_collation`); `None`
/// when the comparison panicked.
pub type CollationBody = dyn Fn(&str, &str) -> Option<Ordering> + Send + Sync;

/// A handle on a registered collation, held by an ORDER BY key. Two handles are equal
/// when they name the same registration.
#[derive(Clone)]
pub struct UserCollation(pub Arc<(String, Box<CollationBody>)>);

thread_local! {
    /// The collation whose comparison panicked during a sort on this thread, if any.
    static PANICKED_COLLATION: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

impl UserCollation {
    pub fn name(&self) -> &str {
        &self.0 .0
    }

    /// Orders two values: two texts by the collation, anything else as SQLite sorts it
    /// (NULL, numbers, text, blobs). A panic in the comparison counts as equal and is
    /// reported by `take_panic`.
    pub fn compare(&self, left: &Value, right: &Value) -> Ordering {
        match (left, right) {
            (Value::Text(left), Value::Text(right)) => match (self.0 .1)(left, right) {
                Some(ordering) => ordering,
                None => {
                    PANICKED_COLLATION.with(|panicked| {
                        panicked
                            .borrow_mut()
                            .get_or_insert_with(|| self.name().into());
                    });
                    Ordering::Equal
                }
            },
            _ => super::compare_for_sort(left, right),
        }
    }

    /// The error for a collation that panicked in a sort on this thread since the last
    /// call (which clears it).
    pub fn take_panic() -> Result<()> {
        match PANICKED_COLLATION.with(|panicked| panicked.borrow_mut().take()) {
            Some(name) => Err(crate::err!(
                InvalidInput,
                "collation {name} panicked while comparing"
            )),
            None => Ok(()),
        }
    }
}

impl PartialEq for UserCollation {
    fn eq(&self, other: &UserCollation) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for UserCollation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserCollation({})", self.name())
    }
}

/// The functions registered with one database, by lowercase name; each name may have one
/// registration per argument count and one taking any number. Also the collations, by
/// lowercase name. Immutable: registering makes a new registry (and a new catalog
/// version, so cached plans bind again).
#[derive(Clone, Default)]
pub struct UserFunctions {
    by_name: HashMap<String, Vec<UserFunction>>,
    collations: HashMap<String, UserCollation>,
}

impl UserFunctions {
    /// Whether no function (collations aside) is registered.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The collation registered as `name` (any case).
    pub fn collation(&self, name: &str) -> Option<&UserCollation> {
        if self.collations.is_empty() {
            return None;
        }
        self.collations.get(&name.to_lowercase())
    }

    /// A registry with the collation `name` added or replaced.
    pub fn with_collation(&self, name: &str, body: Box<CollationBody>) -> UserFunctions {
        let mut next = self.clone();
        next.collations.insert(
            name.to_lowercase(),
            UserCollation(Arc::new((name.to_string(), body))),
        );
        next
    }

    /// The function `name` for a call with `arg_count` arguments: an exact argument count
    /// first, then one taking any number.
    pub fn find(&self, name: &str, arg_count: usize) -> Option<&UserFunction> {
        let candidates = self.by_name.get(&name.to_lowercase())?;
        candidates
            .iter()
            .find(|f| f.0.arg_count == Some(arg_count))
            .or_else(|| candidates.iter().find(|f| f.0.arg_count.is_none()))
    }

    /// Whether some registration is called `name` (for the wrong-arity message).
    pub fn has_name(&self, name: &str) -> bool {
        self.by_name.contains_key(&name.to_lowercase())
    }

    /// A registry with `def` added, replacing the registration of the same name and
    /// argument count.
    pub fn with(&self, def: UserFunctionDef) -> UserFunctions {
        let mut next = self.clone();
        let entry = next.by_name.entry(def.name.to_lowercase()).or_default();
        entry.retain(|existing| existing.0.arg_count != def.arg_count);
        entry.push(UserFunction(Arc::new(def)));
        next
    }
}

/// Checks a name and argument count for registration, with SQLite's bounds: a name of at
/// most 255 bytes that is an identifier (letters, digits, `_`, `$`, not starting with a
/// digit), and -1 (any number) to 127 arguments.
pub fn check_registration(name: &str, arg_count: i32) -> Result<Option<usize>> {
    let valid_start = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    let valid_rest = name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    if !valid_start || !valid_rest || name.len() > 255 {
        return Err(crate::err!(
            InvalidInput,
            "invalid function name {name:?}: use letters, digits and _ (at most 255 bytes)"
        ));
    }
    match arg_count {
        -1 => Ok(None),
        0..=127 => Ok(Some(arg_count as usize)),
        _ => Err(crate::err!(
            InvalidInput,
            "function {name}: argument count {arg_count} is not -1 (any) or 0..=127"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(name: &str, arg_count: Option<usize>, result: i64) -> UserFunctionDef {
        UserFunctionDef {
            name: name.into(),
            arg_count,
            deterministic: true,
            body: UserBody::Scalar(Arc::new(move |_: &[Value]| Ok(Value::Integer(result)))),
        }
    }

    #[test]
    fn lookup_prefers_exact_arity_and_replaces_same_arity() {
        let registry = UserFunctions::default()
            .with(scalar("f", None, 1))
            .with(scalar("F", Some(2), 2));
        let call = |n| registry.find("f", n).unwrap().call(&[]).unwrap();
        assert_eq!(call(2), Value::Integer(2));
        assert_eq!(call(3), Value::Integer(1));
        let replaced = registry.with(scalar("f", Some(2), 3));
        assert_eq!(
            replaced.find("F", 2).unwrap().call(&[]).unwrap(),
            Value::Integer(3)
        );
        assert!(registry.find("g", 0).is_none());
    }

    #[test]
    fn registration_checks_name_and_arity() {
        assert_eq!(check_registration("my_fn2", -1).unwrap(), None);
        assert_eq!(check_registration("f", 127).unwrap(), Some(127));
        assert!(check_registration("f", 128).is_err());
        assert!(check_registration("f", -2).is_err());
        assert!(check_registration("", 1).is_err());
        assert!(check_registration("1f", 1).is_err());
        assert!(check_registration("a b", 1).is_err());
    }
}
