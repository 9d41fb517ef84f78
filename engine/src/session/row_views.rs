//! Borrowed views of a `RowSet`'s flat cells: `RowRef` (one row read in place, with typed
//! access by position or column name), `RowValues` (every row as a `&[Value]`, indexable and
//! comparable with vectors of rows) and their iterators.

use std::sync::Arc;

use ember_storage::Value;

use super::rows::{value_as, ColumnIndex, Row};
use crate::error::Result;
use crate::value::FromValue;

/// One row of a [`RowSet`](crate::RowSet), read in place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowRef<'s> {
    columns: &'s Arc<[String]>,
    values: &'s [Value],
}

impl<'s> RowRef<'s> {
    pub(crate) fn new(columns: &'s Arc<[String]>, values: &'s [Value]) -> RowRef<'s> {
        debug_assert_eq!(
            columns.len(),
            values.len(),
            "a row has one value per column"
        );
        RowRef { columns, values }
    }

    /// The value of a column converted to `T`: `row.get::<i64>(0)`, `row.get::<String>("name")`.
    pub fn get<T: FromValue>(&self, column: impl ColumnIndex) -> Result<T> {
        value_as(self.columns, self.values, column)
    }

    /// The raw value of a column, by position or name.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let rows = conn.query("SELECT 'x' AS name", ()).unwrap();
    /// let row = rows.row(0).unwrap();
    /// assert_eq!(row.value("name").unwrap(), &ember::Value::Text("x".into()));
    /// ```
    pub fn value(&self, column: impl ColumnIndex) -> Result<&'s Value> {
        let position = column.position(self.columns)?;
        self.values.get(position).ok_or_else(|| {
            crate::err!(
                Internal,
                "the row has {} values for {} columns",
                self.values.len(),
                self.columns.len()
            )
        })
    }

    /// The result's column names.
    pub fn columns(&self) -> &'s [String] {
        self.columns
    }

    /// The row's values in column order.
    pub fn values(&self) -> &'s [Value] {
        self.values
    }

    /// Maps the row onto `T` by column name (serde), as [`Row::deserialize`] does.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        crate::de::deserialize_row(self.columns, self.values)
    }

    /// The row copied out as an owned [`Row`].
    pub fn to_row(&self) -> Row {
        Row::new(Arc::clone(self.columns), self.values.to_vec())
    }
}

/// Iterator over a [`RowSet`](crate::RowSet)'s rows read in place.
#[derive(Clone)]
pub struct RowRefs<'s> {
    columns: &'s Arc<[String]>,
    rows: RowSlices<'s>,
}

impl<'s> RowRefs<'s> {
    pub(crate) fn new(columns: &'s Arc<[String]>, rows: RowSlices<'s>) -> RowRefs<'s> {
        RowRefs { columns, rows }
    }
}

impl<'s> Iterator for RowRefs<'s> {
    type Item = RowRef<'s>;

    fn next(&mut self) -> Option<RowRef<'s>> {
        let values = self.rows.next()?;
        Some(RowRef::new(self.columns, values))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl ExactSizeIterator for RowRefs<'_> {}

/// Every row's raw values of a [`RowSet`](crate::RowSet) (what
/// [`RowSet::values`](crate::RowSet::values) returns): `values[i]` is row `i`'s values
/// (indexing past the last row panics, as a slice's does; [`get`](RowValues::get) does
/// not), iteration yields a `&[Value]` per row, and it compares equal with a slice, array
/// or vector of rows holding the same values.
#[derive(Clone, Copy)]
pub struct RowValues<'s> {
    /// The row set's chunks (`RowSet`'s fields of those names).
    first: &'s [Value],
    more: &'s [Vec<Value>],
    width: usize,
    rows_per_chunk: usize,
    len: usize,
}

impl<'s> RowValues<'s> {
    pub(crate) fn new(
        first: &'s [Value],
        more: &'s [Vec<Value>],
        width: usize,
        rows_per_chunk: usize,
        len: usize,
    ) -> RowValues<'s> {
        debug_assert!(rows_per_chunk > 0);
        RowValues {
            first,
            more,
            width,
            rows_per_chunk,
            len,
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Row `index`'s values; `None` past the last row.
    pub fn get(&self, index: usize) -> Option<&'s [Value]> {
        if index >= self.len {
            return None;
        }
        let chunk = match index / self.rows_per_chunk {
            0 => self.first,
            later => self.more.get(later - 1)?.as_slice(),
        };
        let start = (index % self.rows_per_chunk) * self.width;
        chunk.get(start..start + self.width)
    }

    /// The first row's values.
    pub fn first(&self) -> Option<&'s [Value]> {
        self.get(0)
    }

    /// The last row's values.
    pub fn last(&self) -> Option<&'s [Value]> {
        self.len.checked_sub(1).and_then(|last| self.get(last))
    }

    /// The rows' values in order.
    pub fn iter(&self) -> RowSlices<'s> {
        RowSlices {
            rows: *self,
            front: 0,
            back: self.len,
        }
    }

    /// The rows' values copied out, a vector per row.
    pub fn to_vec(&self) -> Vec<Vec<Value>> {
        self.iter().map(<[Value]>::to_vec).collect()
    }
}

impl std::ops::Index<usize> for RowValues<'_> {
    type Output = [Value];

    fn index(&self, index: usize) -> &[Value] {
        match self.get(index) {
            Some(values) => values,
            None => panic!(
                "row index {index} is out of range for a result of {} rows",
                self.len
            ),
        }
    }
}

impl<'s> IntoIterator for RowValues<'s> {
    type Item = &'s [Value];
    type IntoIter = RowSlices<'s>;

    fn into_iter(self) -> RowSlices<'s> {
        self.iter()
    }
}

impl<'s> IntoIterator for &RowValues<'s> {
    type Item = &'s [Value];
    type IntoIter = RowSlices<'s>;

    fn into_iter(self) -> RowSlices<'s> {
        self.iter()
    }
}

impl std::fmt::Debug for RowValues<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl RowValues<'_> {
    /// Whether the rows are `rows`, row by row and value by value.
    fn equals<R: AsRef<[Value]>>(&self, rows: &[R]) -> bool {
        self.len == rows.len()
            && self
                .iter()
                .zip(rows)
                .all(|(ours, theirs)| ours == theirs.as_ref())
    }
}

impl PartialEq for RowValues<'_> {
    fn eq(&self, other: &RowValues<'_>) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<R: AsRef<[Value]>> PartialEq<[R]> for RowValues<'_> {
    fn eq(&self, other: &[R]) -> bool {
        self.equals(other)
    }
}

impl<R: AsRef<[Value]>> PartialEq<&[R]> for RowValues<'_> {
    fn eq(&self, other: &&[R]) -> bool {
        self.equals(other)
    }
}

impl<R: AsRef<[Value]>, const N: usize> PartialEq<[R; N]> for RowValues<'_> {
    fn eq(&self, other: &[R; N]) -> bool {
        self.equals(other)
    }
}

impl<R: AsRef<[Value]>, const N: usize> PartialEq<&[R; N]> for RowValues<'_> {
    fn eq(&self, other: &&[R; N]) -> bool {
        self.equals(*other)
    }
}

impl<R: AsRef<[Value]>> PartialEq<Vec<R>> for RowValues<'_> {
    fn eq(&self, other: &Vec<R>) -> bool {
        self.equals(other)
    }
}

impl<R: AsRef<[Value]>> PartialEq<&Vec<R>> for RowValues<'_> {
    fn eq(&self, other: &&Vec<R>) -> bool {
        self.equals(other)
    }
}

/// Iterator over the rows of a flat result, a `&[Value]` per row (rows of no columns are
/// empty slices, as many as there are rows).
#[derive(Clone)]
pub struct RowSlices<'s> {
    rows: RowValues<'s>,
    /// The next row from the front, and one past the next from the back.
    front: usize,
    back: usize,
}

impl<'s> Iterator for RowSlices<'s> {
    type Item = &'s [Value];

    fn next(&mut self) -> Option<&'s [Value]> {
        if self.front >= self.back {
            return None;
        }
        let row = self.rows.get(self.front)?;
        self.front += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.back.saturating_sub(self.front);
        (left, Some(left))
    }
}

impl DoubleEndedIterator for RowSlices<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let row = self.rows.get(self.back - 1)?;
        self.back -= 1;
        Some(row)
    }
}

impl ExactSizeIterator for RowSlices<'_> {}
