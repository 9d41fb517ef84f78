//! User-defined functions, the library side: `Database::create_scalar_function` and
//! `Database::create_aggregate_function` (and `Database::create_collation`), the
//! `FunctionContext` a function reads its
//! arguments from, the `Aggregate` trait, and `FunctionFlags`. The functions go into the
//! database's registry (carried by the catalog, `pipeline/expr/user.rs`), so every
//! connection of the database sees them, and registering makes cached plans bind again.
//! A function's error becomes the statement's error, prefixed with the function's name; a
//! panic inside a function is caught and reported the same way.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use ember_storage::Value;

use crate::database::Database;
use crate::error::{Error, Result};
use crate::expr::{AggregateFactory, AggregateRun, UserBody, UserFunctionDef};
use crate::value::{FromValue, ToValue};

/// Properties of a user function (combine with `|`).
///
/// ```
/// use ember::FunctionFlags;
/// let flags = FunctionFlags::DETERMINISTIC | FunctionFlags::NONE;
/// assert!(flags.contains(FunctionFlags::DETERMINISTIC));
/// assert!(!FunctionFlags::NONE.contains(FunctionFlags::DETERMINISTIC));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FunctionFlags(u32);

impl FunctionFlags {
    /// No property: the function may give different results for the same arguments, so
    /// it is called for every row and may not appear in a CHECK constraint.
    pub const NONE: FunctionFlags = FunctionFlags(0);
    /// The result depends on the arguments only: a call with constant arguments may be
    /// evaluated once per statement, and the function may appear in CHECK constraints.
    pub const DETERMINISTIC: FunctionFlags = FunctionFlags(1);

    /// Whether every flag of `other` is set in `self`.
    pub fn contains(self, other: FunctionFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for FunctionFlags {
    type Output = FunctionFlags;

    fn bitor(self, other: FunctionFlags) -> FunctionFlags {
        FunctionFlags(self.0 | other.0)
    }
}

/// The arguments of one call of a user function.
///
/// ```
/// use ember::{Database, FunctionFlags, Value};
/// let db = Database::in_memory();
/// db.create_scalar_function("describe", -1, FunctionFlags::DETERMINISTIC, |ctx| {
///     let first: Option<String> = if ctx.is_empty() { None } else { ctx.get(0)? };
///     Ok(format!("{}:{}:{:?}", ctx.name(), ctx.len(), first))
/// }).unwrap();
/// let conn = db.connect();
/// let text: String = conn.query_value("SELECT describe('a', 2)", ()).unwrap();
/// assert_eq!(text, "describe:2:Some(\"a\")");
/// ```
pub struct FunctionContext<'a> {
    name: &'a str,
    args: &'a [Value],
}

impl<'a> FunctionContext<'a> {
    /// The function's name as registered.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The number of arguments of this call.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Whether the call has no arguments.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Every argument value.
    pub fn args(&self) -> &'a [Value] {
        self.args
    }

    /// Argument `index` (0-based) converted to `T`; NULL needs an `Option`. A missing
    /// argument or a value that does not convert is an error naming the argument (and,
    /// returned from the function, the function).
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let Some(value) = self.args.get(index) else {
            return Err(crate::err!(
                InvalidInput,
                "no argument {index} (the call has {})",
                self.args.len()
            ));
        };
        T::from_value(value).map_err(|error| {
            Error::new(
                error.kind(),
                format!("argument {index}: {}", error.message()),
            )
        })
    }
}

/// A user-defined aggregate: `init` makes the state of a group, `step` feeds it one row's
/// arguments, `finalize` gives the group's value (also over no rows: then the state is a
/// fresh `init()`). Rows whose FILTER is not true are not fed; with `DISTINCT` (one
/// argument) each distinct value (NULL too) is fed once. A panic in any method is caught and
/// becomes the statement's error.
///
/// ```
/// use ember::{Aggregate, Database, FunctionContext, FunctionFlags, Result};
///
/// /// The product of the non-NULL integer arguments.
/// struct Product;
///
/// impl Aggregate for Product {
///     type State = i64;
///     type Output = i64;
///     fn init(&self) -> i64 {
///         1
///     }
///     fn step(&self, product: &mut i64, args: &FunctionContext<'_>) -> Result<()> {
///         if let Some(value) = args.get::<Option<i64>>(0)? {
///             *product *= value;
///         }
///         Ok(())
///     }
///     fn finalize(&self, product: &i64) -> Result<i64> {
///         Ok(*product)
///     }
/// }
///
/// let db = Database::in_memory();
/// db.create_aggregate_function("product", 1, FunctionFlags::DETERMINISTIC, Product).unwrap();
/// let conn = db.connect();
/// conn.execute_batch("CREATE TABLE t(g TEXT, x INT);
///                     INSERT INTO t VALUES ('a', 2), ('a', 3), ('b', 5), ('b', NULL);").unwrap();
/// let rows = conn.query("SELECT g, product(x) FROM t GROUP BY g ORDER BY g", ()).unwrap();
/// let products: Vec<(String, i64)> =
///     rows.into_iter().map(|row| (row.get(0).unwrap(), row.get(1).unwrap())).collect();
/// assert_eq!(products, [("a".to_string(), 6), ("b".to_string(), 5)]);
/// ```
pub trait Aggregate: Send + Sync + 'static {
    /// The running state of one group.
    type State: Send + 'static;
    /// The aggregate's result type.
    type Output: ToValue;
    /// A fresh state, before any row.
    fn init(&self) -> Self::State;
    /// Feeds one row's arguments.
    fn step(&self, state: &mut Self::State, args: &FunctionContext<'_>) -> Result<()>;
    /// The value over the rows fed so far (it may be asked more than once).
    fn finalize(&self, state: &Self::State) -> Result<Self::Output>;
}

impl Database {
    /// Registers the scalar function `name` taking `n_args` arguments (-1: any number, else
    /// 0 to 127) for every connection of this database, present and future. A registration
    /// of the same name and argument count is replaced. As in SQLite, a user function
    /// takes precedence over a built-in function of the same name and argument count (the
    /// call forms with their own syntax, such as `CAST`, `LIKE` or `TRIM(.. FROM ..)`, stay
    /// built in). Statements prepared before bind again and see it.
    ///
    /// The closure's error becomes the statement's error, its message prefixed with
    /// `name()`; a panic is caught and reported likewise (the database stays usable).
    /// Without [`FunctionFlags::DETERMINISTIC`] the function is called for every row even
    /// with constant arguments, and a CHECK constraint may not call it.
    ///
    /// ```
    /// use ember::{Database, FunctionFlags};
    /// let db = Database::in_memory();
    /// db.create_scalar_function("double", 1, FunctionFlags::DETERMINISTIC, |ctx| {
    ///     Ok(ctx.get::<i64>(0)? * 2)
    /// }).unwrap();
    /// let conn = db.connect();
    /// let doubled: i64 = conn.query_value("SELECT double(21)", ()).unwrap();
    /// assert_eq!(doubled, 42);
    /// // A bad name or argument count is refused.
    /// assert!(db.create_scalar_function("no way", 1, FunctionFlags::NONE, |_| Ok(0)).is_err());
    /// assert!(db.create_scalar_function("f", 128, FunctionFlags::NONE, |_| Ok(0)).is_err());
    /// ```
    pub fn create_scalar_function<F, T>(
        &self,
        name: &str,
        n_args: i32,
        flags: FunctionFlags,
        function: F,
    ) -> Result<()>
    where
        F: Fn(&FunctionContext<'_>) -> Result<T> + Send + Sync + 'static,
        T: ToValue,
    {
        let arg_count = crate::expr::check_registration(name, n_args)?;
        let owned_name: Arc<str> = name.into();
        let body = move |args: &[Value]| {
            let context = FunctionContext {
                name: &owned_name,
                args,
            };
            guarded(&owned_name, || function(&context).map(|out| out.to_value()))
                .and_then(|value| checked_result(&owned_name, value))
        };
        self.register_function(UserFunctionDef {
            name: name.to_string(),
            arg_count,
            deterministic: flags.contains(FunctionFlags::DETERMINISTIC),
            body: UserBody::Scalar(Arc::new(body)),
        });
        Ok(())
    }

    /// Registers the aggregate function `name` taking `n_args` arguments (-1: any number,
    /// else 0 to 127) for every connection of this database; see [`Aggregate`] for an
    /// example. It works with GROUP BY, FILTER and DISTINCT, and as a window function
    /// (`f(x) OVER (...)`, where SQLite would want an inverse function: EmberDB feeds a
    /// fresh state each frame whose start moves). Naming and precedence are as for
    /// [`Database::create_scalar_function`].
    ///
    /// ```
    /// use ember::{Aggregate, Database, FunctionContext, FunctionFlags, Result};
    /// struct Longest;
    /// impl Aggregate for Longest {
    ///     type State = String;
    ///     type Output = String;
    ///     fn init(&self) -> String { String::new() }
    ///     fn step(&self, best: &mut String, args: &FunctionContext<'_>) -> Result<()> {
    ///         let text: String = args.get(0)?;
    ///         if text.len() > best.len() { *best = text; }
    ///         Ok(())
    ///     }
    ///     fn finalize(&self, best: &String) -> Result<String> { Ok(best.clone()) }
    /// }
    /// let db = Database::in_memory();
    /// db.create_aggregate_function("longest", 1, FunctionFlags::DETERMINISTIC, Longest).unwrap();
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('ab'), ('abc'), ('a');")
    ///     .unwrap();
    /// let longest: String = conn.query_value("SELECT longest(x) FROM t", ()).unwrap();
    /// assert_eq!(longest, "abc");
    /// ```
    pub fn create_aggregate_function<A: Aggregate>(
        &self,
        name: &str,
        n_args: i32,
        flags: FunctionFlags,
        aggregate: A,
    ) -> Result<()> {
        let arg_count = crate::expr::check_registration(name, n_args)?;
        self.register_function(UserFunctionDef {
            name: name.to_string(),
            arg_count,
            deterministic: flags.contains(FunctionFlags::DETERMINISTIC),
            body: UserBody::Aggregate(Arc::new(Factory {
                name: name.into(),
                aggregate: Arc::new(aggregate),
            })),
        });
        Ok(())
    }

    /// Registers the collation `name` (any case; replacing a registration of that name) for
    /// every connection of this database: `ORDER BY expr COLLATE name` orders two texts by
    /// `compare` (NULLs, numbers and blobs sort as always, around the texts). A panic in
    /// `compare` is caught and fails the statement. Elsewhere (comparisons, GROUP BY,
    /// DISTINCT, column definitions, indexes) a registered collation is refused with an
    /// `Unsupported` error naming it: EmberDB compares there by collation keys, which a
    /// comparison function cannot give. The built-in names BINARY, NOCASE and RTRIM may not
    /// be replaced.
    ///
    /// ```
    /// use ember::Database;
    /// let db = Database::in_memory();
    /// // Shortest first, then alphabetically.
    /// db.create_collation("by_length", |a, b| a.len().cmp(&b.len()).then(a.cmp(b))).unwrap();
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE w(word TEXT);
    ///                     INSERT INTO w VALUES ('ccc'), ('a'), ('bb');").unwrap();
    /// let words: Vec<String> = conn
    ///     .query("SELECT word FROM w ORDER BY word COLLATE by_length", ())
    ///     .unwrap()
    ///     .into_iter()
    ///     .map(|row| row.get(0).unwrap())
    ///     .collect();
    /// assert_eq!(words, ["a", "bb", "ccc"]);
    /// assert!(db.create_collation("nocase", |a, b| a.cmp(b)).is_err());
    /// ```
    pub fn create_collation<F>(&self, name: &str, compare: F) -> Result<()>
    where
        F: Fn(&str, &str) -> std::cmp::Ordering + Send + Sync + 'static,
    {
        crate::expr::check_registration(name, 0)?;
        if crate::expr::Collation::by_name(name).is_ok() {
            return Err(crate::err!(
                InvalidInput,
                "collation {name} is built in and cannot be replaced"
            ));
        }
        let body = move |left: &str, right: &str| {
            catch_unwind(AssertUnwindSafe(|| compare(left, right))).ok()
        };
        let _ddl = self.shared.lock_ddl();
        let catalog = self.shared.catalog.load_full();
        let functions = catalog
            .user_functions()
            .with_collation(name, Box::new(body));
        self.shared
            .publish_catalog(catalog.with_user_functions(functions));
        Ok(())
    }

    /// Publishes a catalog whose registry has `def` (a new catalog version: every
    /// connection's cached plans bind again).
    /// Registers every function `catalog`'s database has (the setup of an open whose
    /// recovery is tried again on a new database).
    pub(crate) fn adopt_functions(&self, catalog: &crate::catalog::Catalog) {
        let _ddl = self.shared.lock_ddl();
        let current = self.shared.catalog.load_full();
        self.shared
            .publish_catalog(current.with_functions_of(catalog));
    }

    fn register_function(&self, def: UserFunctionDef) {
        let _ddl = self.shared.lock_ddl();
        let catalog = self.shared.catalog.load_full();
        let functions = catalog.user_functions().with(def);
        self.shared
            .publish_catalog(catalog.with_user_functions(functions));
    }
}

/// Runs user code, turning a panic into an error naming the function.
fn guarded<T>(name: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Error::new(
            error.kind(),
            format!("{name}(): {}", error.message()),
        )),
        Err(payload) => Err(crate::err!(
            InvalidInput,
            "{name}() panicked: {}",
            panic_message(payload.as_ref())
        )),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

/// A user function's result within the bounds of a built-in's.
fn checked_result(name: &str, value: Value) -> Result<Value> {
    let bytes = match &value {
        Value::Text(text) => text.len(),
        Value::Blob(blob) => blob.len(),
        _ => 0,
    };
    if bytes > crate::limits::FUNCTION_RESULT_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "{name}() returned {bytes} bytes, past the limit of {}",
            crate::limits::FUNCTION_RESULT_BYTES_MAX
        ));
    }
    Ok(value)
}

/// Makes the running states of one registered [`Aggregate`].
struct Factory<A> {
    name: Arc<str>,
    aggregate: Arc<A>,
}

impl<A: Aggregate> AggregateFactory for Factory<A> {
    fn start(&self) -> Box<dyn AggregateRun> {
        Box::new(Run {
            name: self.name.clone(),
            aggregate: self.aggregate.clone(),
            state: None,
        })
    }
}

/// One group's state; made by `init` at the first row (inside the panic guard).
struct Run<A: Aggregate> {
    name: Arc<str>,
    aggregate: Arc<A>,
    state: Option<A::State>,
}

impl<A: Aggregate> AggregateRun for Run<A> {
    fn step(&mut self, args: &[Value]) -> Result<()> {
        let context = FunctionContext {
            name: &self.name,
            args,
        };
        let aggregate = &self.aggregate;
        let state = &mut self.state;
        guarded(&self.name, || {
            let state = state.get_or_insert_with(|| aggregate.init());
            aggregate.step(state, &context)
        })
    }

    fn finish(&self) -> Result<Value> {
        let value = guarded(&self.name, || {
            let output = match &self.state {
                Some(state) => self.aggregate.finalize(state)?,
                None => self.aggregate.finalize(&self.aggregate.init())?,
            };
            Ok(output.to_value())
        })?;
        checked_result(&self.name, value)
    }
}
