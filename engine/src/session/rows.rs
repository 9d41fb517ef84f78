//! Query results held in memory: `RowSet` (column names plus every row, what
//! `Connection::query` returns, its cells stored flat: row after row in a few large vectors) and
//! `Row` (one owned row) with typed access by position or by column name. Borrowed views of
//! a `RowSet`'s rows (`RowRef`, `RowValues`) are in `row_views.rs`; the lazy cursor, `Rows`,
//! is in `cursor.rs`.

use std::sync::Arc;

use ember_storage::Value;

use crate::error::Result;
use crate::value::FromValue;

pub use super::row_views::{RowRef, RowRefs, RowSlices, RowValues};

/// Every row a query returned, held in memory, with their column names (see
/// [`Rows`](crate::Rows) for rows read one at a time).
///
/// The cells are stored flat, row after row, in chunks of up to `CHUNK_CELLS` values:
/// collecting a result allocates no vector per row, and a large result grows by new chunks
/// instead of copying what it holds. Read rows in place with [`iter`](RowSet::iter) or
/// [`row`](RowSet::row) (each a [`RowRef`] with typed access by position or name), or as
/// value slices with [`values`](RowSet::values); take them out with
/// [`into_iter`](RowSet::into_iter) (owned [`Row`]s), [`into_values`](RowSet::into_values)
/// or [`into_cells`](RowSet::into_cells).
#[derive(Clone)]
pub struct RowSet {
    columns: Arc<[String]>,
    /// The rows' values, row after row, in chunks: `first`, then each of `more`. Every
    /// chunk but the last holds exactly `rows_per_chunk` rows (the first grows to that size
    /// as a vector does, the others are made at it), so row `i` is row
    /// `i % rows_per_chunk` of chunk `i / rows_per_chunk`.
    first: Vec<Value>,
    more: Vec<Vec<Value>>,
    rows_per_chunk: usize,
    /// The number of rows (kept apart: rows of no columns have no cells).
    len: usize,
}

/// The values a chunk of a `RowSet` holds at most (rows of more values hold one row each):
/// under 1 KiB, so that a chunk is a small allocation (glibc serves it from its small bins;
/// a larger request first consolidates every small chunk freed before, the previous
/// result's texts among them, which costs more than the allocations a chunk saves), and
/// what a result copies while it grows is bounded by one chunk.
pub(crate) const CHUNK_CELLS: usize = 1000 / std::mem::size_of::<Value>();

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
    #[inline]
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
    /// An empty result under `columns`, with room for `rows` rows.
    pub(crate) fn with_capacity(columns: Arc<[String]>, rows: usize) -> RowSet {
        let width = columns.len();
        // A result of known bound (its LIMIT) makes its first chunk at once, no larger than
        // a chunk: a larger first allocation is a large request to glibc, which first
        // consolidates the small chunks the previous result's texts were freed into, and
        // the next rows' texts then come from the bins instead of the fast lists (a LIMIT
        // 20 of two columns spent a fifth of its time there).
        let rows_per_chunk = (CHUNK_CELLS / width.max(1)).max(1);
        let presized = rows.min(rows_per_chunk);
        let first = Vec::with_capacity(presized * width);
        RowSet {
            columns,
            first,
            more: Vec::new(),
            rows_per_chunk,
            len: 0,
        }
    }

    /// Appends a row, moving its values out (`row` is left empty, its buffer kept for the
    /// caller's next row). A row whose width is not the number of columns is an internal
    /// error (every producer makes rows of the statement's columns).
    pub(crate) fn push_taking(&mut self, row: &mut Vec<Value>) -> Result<()> {
        if row.len() != self.columns.len() {
            debug_assert_eq!(
                row.len(),
                self.columns.len(),
                "a row has one value per column"
            );
            return Err(crate::err!(
                Internal,
                "a result row has {} values but the result has {} columns",
                row.len(),
                self.columns.len()
            ));
        }
        let width = row.len();
        let chunk_cells = self.rows_per_chunk * width;
        let last = match self.more.last_mut() {
            Some(last) => last,
            None => &mut self.first,
        };
        if last.len() + width <= chunk_cells {
            if last.capacity() < last.len() + width {
                // Doubling as a vector does, but never past a chunk.
                let wanted = (last.capacity() * 2).max(4 * width).min(chunk_cells);
                last.reserve_exact(wanted.max(last.len() + width) - last.len());
            }
            last.append(row);
        } else {
            let mut chunk = Vec::with_capacity(chunk_cells);
            chunk.append(row);
            self.more.push(chunk);
        }
        self.len += 1;
        Ok(())
    }

    /// The number of columns (values per row).
    pub(crate) fn width(&self) -> usize {
        self.columns.len()
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
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first row, copied out as an owned [`Row`] (see [`row`](RowSet::row) to read it
    /// in place).
    pub fn first(&self) -> Option<Row> {
        self.row(0).map(|row| row.to_row())
    }

    /// The row at `index` (0-based), read in place; `None` past the last row.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("VALUES (1, 'a'), (2, 'b')", ()).unwrap();
    /// let second = rows.row(1).unwrap();
    /// assert_eq!(second.get::<i64>(0).unwrap(), 2);
    /// assert_eq!(second.get::<String>("column2").unwrap(), "b");
    /// assert!(rows.row(2).is_none());
    /// ```
    pub fn row(&self, index: usize) -> Option<RowRef<'_>> {
        self.values()
            .get(index)
            .map(|values| RowRef::new(&self.columns, values))
    }

    /// The rows in order, each read in place.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("VALUES (1), (2), (3)", ()).unwrap();
    /// let sum: i64 = rows.iter().map(|row| row.get::<i64>(0).unwrap()).sum();
    /// assert_eq!(sum, 6);
    /// ```
    pub fn iter(&self) -> RowRefs<'_> {
        RowRefs::new(&self.columns, self.values().iter())
    }

    /// The raw values of every row: indexable (`values()[row][column]`), iterable (a
    /// `&[Value]` per row), comparable with a slice or vector of rows.
    ///
    /// ```
    /// use ember::Value;
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("VALUES (1, 'a'), (2, 'b')", ()).unwrap();
    /// assert_eq!(rows.values()[1][0], Value::Integer(2));
    /// assert_eq!(rows.values().len(), 2);
    /// for values in rows.values() {
    ///     assert_eq!(values.len(), 2);
    /// }
    /// ```
    pub fn values(&self) -> RowValues<'_> {
        RowValues::new(
            &self.first,
            &self.more,
            self.width(),
            self.rows_per_chunk,
            self.len,
        )
    }

    /// The raw values of every row, taken out (a vector per row; see
    /// [`into_cells`](RowSet::into_cells) for them all in one).
    ///
    /// ```
    /// use ember::Value;
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("VALUES (1), (NULL)", ()).unwrap();
    /// assert_eq!(rows.into_values(), [vec![Value::Integer(1)], vec![Value::Null]]);
    /// ```
    pub fn into_values(self) -> Vec<Vec<Value>> {
        self.into_iter().map(Row::into_values).collect()
    }

    /// Every row's values taken out in one vector, row after row: row `i` is
    /// `cells[i * width..(i + 1) * width]`, `width` being the number of columns (no vector
    /// per row; a result of more than one chunk is copied into one).
    ///
    /// ```
    /// use ember::Value;
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("VALUES (1, 2), (3, 4)", ()).unwrap();
    /// let cells = rows.into_cells();
    /// assert_eq!(cells.chunks(2).nth(1).unwrap(), [Value::Integer(3), Value::Integer(4)]);
    /// ```
    pub fn into_cells(self) -> Vec<Value> {
        let mut cells = self.first;
        if !self.more.is_empty() {
            cells.reserve_exact(self.more.iter().map(Vec::len).sum());
            for mut chunk in self.more {
                cells.append(&mut chunk);
            }
        }
        cells
    }
}

/// Equal column names and rows, however the rows are chunked.
impl PartialEq for RowSet {
    fn eq(&self, other: &RowSet) -> bool {
        self.columns == other.columns && self.values() == other.values()
    }
}

impl std::fmt::Debug for RowSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSet")
            .field("columns", &self.columns)
            .field("rows", &self.values())
            .finish()
    }
}

impl IntoIterator for RowSet {
    type Item = Row;
    type IntoIter = RowSetIter;

    /// The rows taken out, each an owned [`Row`] (a vector per row; [`iter`](RowSet::iter)
    /// reads them in place).
    fn into_iter(self) -> RowSetIter {
        RowSetIter {
            width: self.columns.len(),
            left: self.len,
            columns: self.columns,
            chunk: self.first.into_iter(),
            more: self.more.into_iter(),
        }
    }
}

impl<'s> IntoIterator for &'s RowSet {
    type Item = RowRef<'s>;
    type IntoIter = RowRefs<'s>;

    fn into_iter(self) -> RowRefs<'s> {
        self.iter()
    }
}

/// Iterator over owned rows.
pub struct RowSetIter {
    columns: Arc<[String]>,
    /// The chunk being read, then the ones after it.
    chunk: std::vec::IntoIter<Value>,
    more: std::vec::IntoIter<Vec<Value>>,
    width: usize,
    /// Rows not yet returned.
    left: usize,
}

impl Iterator for RowSetIter {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if self.chunk.len() < self.width {
            debug_assert_eq!(self.chunk.len(), 0, "chunks hold whole rows");
            self.chunk = self.more.next().unwrap_or_default().into_iter();
        }
        let values = self.chunk.by_ref().take(self.width).collect();
        Some(Row {
            columns: self.columns.clone(),
            values,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for RowSetIter {}

impl Row {
    /// The value of a column converted to `T`: `row.get::<i64>(0)`, `row.get::<String>("name")`.
    pub fn get<T: FromValue>(&self, column: impl ColumnIndex) -> Result<T> {
        value_as(&self.columns, &self.values, column)
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

/// The value of `column` in `values` (a row under `columns`) converted to `T`; an error
/// names the column.
pub(crate) fn value_as<T: FromValue>(
    columns: &[String],
    values: &[Value],
    column: impl ColumnIndex,
) -> Result<T> {
    let position = column.position(columns)?;
    let Some(value) = values.get(position) else {
        return Err(crate::err!(
            Internal,
            "the row has {} values for {} columns",
            values.len(),
            columns.len()
        ));
    };
    T::from_value(value).map_err(|error| {
        crate::Error::new(
            error.kind(),
            format!(
                "column {} ({}): {}",
                position,
                columns[position],
                error.message()
            ),
        )
    })
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
