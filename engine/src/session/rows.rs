//! Query results held in memory: `RowSet` (column names plus every row, what
//! `Connection::query` returns) and `Row` with typed access by position or by column name.
//! The lazy cursor, `Rows`, is in `cursor.rs`.

use std::sync::Arc;

use ember_storage::Value;

use crate::error::Result;
use crate::value::FromValue;

/// Every row a query returned, held in memory, with their column names (see
/// [`Rows`](crate::Rows) for rows read one at a time).
#[derive(Debug, Clone, PartialEq)]
pub struct RowSet {
    columns: Arc<[String]>,
    rows: Vec<Vec<Value>>,
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

/// A way to name a column: its 0-based position or its name.
pub trait ColumnIndex {
    /// The 0-based position in `columns`, or an error naming the bad index or name.
    fn position(&self, columns: &[String]) -> Result<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, columns: &[String]) -> Result<usize> {
        if *self < columns.len() {
            Ok(*self)
        } else {
            Err(crate::err!(
                InvalidInput,
                "column index {self} is out of range; the row has {} columns",
                columns.len()
            ))
        }
    }
}

impl ColumnIndex for &str {
    fn position(&self, columns: &[String]) -> Result<usize> {
        columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(self))
            .ok_or_else(|| crate::err!(NotFound, "no column named {self} in the result"))
    }
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        debug_assert_eq!(
            columns.len(),
            values.len(),
            "a row has one value per column"
        );
        Row { columns, values }
    }

    /// A row of `values` under `columns`, in `kept` (a row handed back by `take_values`)
    /// when it has those very columns: no reference count is touched.
    pub(crate) fn reuse(kept: Option<Row>, columns: &Arc<[String]>, values: Vec<Value>) -> Row {
        match kept {
            Some(mut row) if Arc::ptr_eq(&row.columns, columns) => {
                debug_assert_eq!(columns.len(), values.len());
                row.values = values;
                row
            }
            _ => Row::new(Arc::clone(columns), values),
        }
    }

    /// Takes the values out, leaving the row empty (to be reused by `reuse`).
    pub(crate) fn take_values(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.values)
    }
}

impl RowSet {
    pub(crate) fn new(columns: Arc<[String]>, rows: Vec<Vec<Value>>) -> RowSet {
        RowSet { columns, rows }
    }

    /// The result's column names.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("SELECT 1 AS one, 2 AS two", ()).unwrap();
    /// assert_eq!(rows.columns(), ["one", "two"]);
    /// assert_eq!(rows.len(), 1);
    /// assert!(!rows.is_empty());
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The first row, if any.
    pub fn first(&self) -> Option<Row> {
        self.rows.first().map(|values| Row {
            columns: self.columns.clone(),
            values: values.clone(),
        })
    }

    /// The raw values of every row.
    pub fn values(&self) -> &[Vec<Value>] {
        &self.rows
    }

    /// The raw values of every row, taken out.
    ///
    /// ```
    /// use ember::Value;
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("VALUES (1), (NULL)", ()).unwrap();
    /// assert_eq!(rows.into_values(), [vec![Value::Integer(1)], vec![Value::Null]]);
    /// ```
    pub fn into_values(self) -> Vec<Vec<Value>> {
        self.rows
    }
}

impl IntoIterator for RowSet {
    type Item = Row;
    type IntoIter = RowSetIter;

    fn into_iter(self) -> RowSetIter {
        RowSetIter {
            columns: self.columns,
            rows: self.rows.into_iter(),
        }
    }
}

/// Iterator over owned rows.
pub struct RowSetIter {
    columns: Arc<[String]>,
    rows: std::vec::IntoIter<Vec<Value>>,
}

impl Iterator for RowSetIter {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        self.rows.next().map(|values| Row {
            columns: self.columns.clone(),
            values,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl Row {
    /// The value of a column converted to `T`: `row.get::<i64>(0)`, `row.get::<String>("name")`.
    pub fn get<T: FromValue>(&self, column: impl ColumnIndex) -> Result<T> {
        let position = column.position(&self.columns)?;
        T::from_value(&self.values[position]).map_err(|error| {
            crate::Error::new(
                error.kind(),
                format!(
                    "column {} ({}): {}",
                    position,
                    self.columns[position],
                    error.message()
                ),
            )
        })
    }

    /// The result's column names.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let row = conn.query("SELECT 1 AS a", ()).unwrap().first().unwrap();
    /// assert_eq!(row.columns(), ["a"]);
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Maps the row onto `T` by column name (serde): struct fields match column names,
    /// `Option` fields take NULL.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Point { x: i64, y: Option<f64> }
    /// let conn = ember::Database::in_memory().connect();
    /// let row = conn.query("SELECT 1 AS x, NULL AS y", ()).unwrap().first().unwrap();
    /// let point: Point = row.deserialize().unwrap();
    /// assert_eq!((point.x, point.y), (1, None));
    /// ```
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        crate::de::deserialize_row(&self.columns, &self.values)
    }

    /// The row's values in column order.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let row = conn.query("SELECT 1", ()).unwrap().first().unwrap();
    /// assert_eq!(row.values(), [ember::Value::Integer(1)]);
    /// ```
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The row's values, taken out.
    ///
    /// ```
    /// use ember::Value;
    /// let conn = ember::Database::in_memory().connect();
    /// let row = conn.query("SELECT 1, 'a'", ()).unwrap().first().unwrap();
    /// assert_eq!(row.into_values(), [Value::Integer(1), Value::Text("a".into())]);
    /// ```
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}
