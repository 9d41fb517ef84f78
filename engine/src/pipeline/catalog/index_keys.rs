//! How an index's keys are derived from its table's rows when not by reading its columns:
//! the key expressions of an index on expressions (`CREATE INDEX i ON t(lower(email))`,
//! mixed with columns as in `ON t(a, b + 1)`) and the WHERE clause of a partial index, bound
//! over the table's row. It is the index's key derivation in storage
//! (`ember_storage::index::KeyDerivation`): a row outside the partial index's WHERE has no
//! key, another row's key is its parts' values. The binder checks the expressions are
//! deterministic and read only the table's columns (as SQLite restricts them), so the same
//! row always derives the same key. The engine derives the key of every row it writes first
//! (`key_of_written_row`), which fails the write when an expression fails to evaluate, as
//! SQLite does, so storage derives keys only of rows whose expressions evaluate.

use std::sync::Arc;

use ember_storage::index::KeyDerivation;
use ember_storage::Value;

use super::IndexPredicate;
use crate::error::Result;
use crate::expr::{EvalContext, Expr};
use crate::limits::INDEX_KEY_BYTES_MAX;

/// An index's key derivation (see the module comment).
pub struct IndexKeys {
    /// One per key part, in key order, over the table's row: a column part is the column
    /// (`Expr::Column`), an expression part its bound expression.
    pub parts: Vec<Expr>,
    /// A partial index's WHERE clause; `None`: every row.
    pub predicate: Option<Arc<IndexPredicate>>,
    /// Whether some part is an expression (not a bare column).
    on_expressions: bool,
    /// The columns the parts and the predicate read, ascending.
    reads: Vec<usize>,
}

impl IndexKeys {
    /// The derivation of the key `parts` for the rows `predicate` holds (every row: `None`).
    pub fn new(parts: Vec<Expr>, predicate: Option<Arc<IndexPredicate>>) -> IndexKeys {
        let mut reads: Vec<usize> = parts.iter().flat_map(Expr::columns_read).collect();
        if let Some(predicate) = &predicate {
            reads.extend(predicate.expr.columns_read());
        }
        reads.sort_unstable();
        reads.dedup();
        let on_expressions = parts.iter().any(|part| column_part(part).is_none());
        IndexKeys {
            parts,
            predicate,
            on_expressions,
            reads,
        }
    }

    /// Whether some key part is an expression.
    pub fn on_expressions(&self) -> bool {
        self.on_expressions
    }

    /// Every expression (parts and predicate) with its columns renumbered by `map`: the
    /// same derivation over a table whose columns moved.
    pub fn map_columns(&self, map: &dyn Fn(usize) -> usize) -> IndexKeys {
        let parts = self
            .parts
            .iter()
            .map(|part| part.map_columns(map))
            .collect();
        let predicate = self
            .predicate
            .as_ref()
            .map(|predicate| Arc::new(IndexPredicate::new(predicate.expr.map_columns(map))));
        IndexKeys::new(parts, predicate)
    }
}

/// The TEXT or BLOB bytes `value` holds (0 for other values).
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Text(text) => text.len(),
        Value::Blob(blob) => blob.len(),
        _ => 0,
    }
}

/// The column a key part is, if it is a bare column.
pub fn column_part(part: &Expr) -> Option<usize> {
    match part {
        Expr::Column { index, .. } => Some(*index),
        _ => None,
    }
}

impl IndexKeys {
    /// The key of `row` into `key` (cleared first), as a write must derive it: false when
    /// the partial index does not hold the row; the error of the predicate or of a part
    /// that fails to evaluate, and a key past `INDEX_KEY_BYTES_MAX` (`index`: the index's
    /// name, for that error), fail it, as SQLite fails the write.
    pub fn key_of_written_row(
        &self,
        index: &str,
        row: &[Value],
        key: &mut Vec<Value>,
    ) -> Result<bool> {
        key.clear();
        if let Some(predicate) = &self.predicate {
            if !predicate.holds_or_fails(row)? {
                return Ok(false);
            }
        }
        let context = EvalContext::default();
        let mut bytes = 0usize;
        for part in &self.parts {
            let value = part.eval(row, &context)?;
            bytes = bytes.saturating_add(value_bytes(&value));
            if bytes > INDEX_KEY_BYTES_MAX {
                return Err(crate::err!(
                    Limit,
                    "the key of index {index} is longer than the limit of \
                     {INDEX_KEY_BYTES_MAX} bytes"
                ));
            }
            key.push(value);
        }
        Ok(true)
    }
}

impl KeyDerivation for IndexKeys {
    fn derive(&self, row: &[Value], key: &mut Vec<Value>) -> bool {
        key.clear();
        if let Some(predicate) = &self.predicate {
            if !predicate.holds(row) {
                return false;
            }
        }
        let context = EvalContext::default();
        let mut bytes = 0usize;
        for part in &self.parts {
            // The engine writes no row whose key fails (`key_of_written_row`); should one
            // fail here anyway, the failing part keys as NULL (found by no lookup, first in
            // order), as the same row always does, and so does a part that would take the
            // key past `INDEX_KEY_BYTES_MAX`.
            let value = part.eval(row, &context).unwrap_or(Value::Null);
            bytes = bytes.saturating_add(value_bytes(&value));
            key.push(if bytes > INDEX_KEY_BYTES_MAX {
                Value::Null
            } else {
                value
            });
        }
        true
    }

    fn parts(&self) -> usize {
        self.parts.len()
    }

    fn reads(&self) -> &[usize] {
        &self.reads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{BinaryOp, ColumnMeta, Function};

    fn column(index: usize) -> Expr {
        Expr::Column {
            index,
            name: format!("c{index}"),
            meta: ColumnMeta::default(),
        }
    }

    fn text(value: &str) -> Value {
        Value::Text(value.into())
    }

    #[test]
    fn keys_are_the_parts_values_for_the_rows_the_predicate_holds() {
        let lower = Expr::Function {
            function: Function::Lower,
            args: vec![column(2)],
        };
        let live = Expr::IsNull {
            expr: Box::new(column(3)),
            negated: false,
        };
        let keys = IndexKeys::new(
            vec![lower, column(0)],
            Some(Arc::new(IndexPredicate::new(live))),
        );
        assert!(keys.on_expressions());
        assert_eq!(keys.parts(), 2);
        assert_eq!(keys.reads(), [0, 2, 3]);
        let mut key = Vec::new();
        let row = [Value::Integer(7), Value::Null, text("AbC"), Value::Null];
        assert!(keys.derive(&row, &mut key));
        assert_eq!(key, [text("abc"), Value::Integer(7)]);
        let gone = [
            Value::Integer(7),
            Value::Null,
            text("AbC"),
            Value::Integer(1),
        ];
        assert!(!keys.derive(&gone, &mut key));
        // Columns only: not on expressions; shifted columns read the moved ones.
        let plain = IndexKeys::new(vec![column(1)], None);
        assert!(!plain.on_expressions());
        let sum = Expr::Binary(BinaryOp::Add, Box::new(column(2)), Box::new(column(4)));
        let shifted = IndexKeys::new(vec![sum], None).map_columns(&|c| c - 1);
        assert_eq!(shifted.reads(), [1, 3]);
    }

    #[test]
    fn a_key_past_the_key_bytes_limit_fails_a_write_and_keys_as_null_in_storage() {
        let long = Expr::Literal(text(&"x".repeat(INDEX_KEY_BYTES_MAX / 2 + 1)));
        let keys = IndexKeys::new(vec![long.clone(), column(0), long], None);
        let mut key = Vec::new();
        let error = keys
            .key_of_written_row("i", &[Value::Integer(1)], &mut key)
            .unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Limit);
        assert!(error.message().contains("index i"), "{error}");
        assert!(keys.derive(&[Value::Integer(1)], &mut key));
        assert!(matches!(&key[0], Value::Text(t) if t.len() == INDEX_KEY_BYTES_MAX / 2 + 1));
        assert_eq!(key[1], Value::Integer(1));
        assert_eq!(key[2], Value::Null);
    }

    #[test]
    fn a_failing_part_or_predicate_fails_a_write_and_keys_as_null_in_storage() {
        let failing = Expr::Function {
            function: Function::Abs,
            args: vec![column(0)],
        };
        let smallest = [Value::Integer(i64::MIN)];
        let mut key = Vec::new();
        let keys = IndexKeys::new(vec![failing.clone()], None);
        assert!(keys.key_of_written_row("i", &smallest, &mut key).is_err());
        assert!(keys.derive(&smallest, &mut key));
        assert_eq!(key, [Value::Null]);
        let partial = IndexKeys::new(
            vec![column(0)],
            Some(Arc::new(IndexPredicate::new(failing))),
        );
        assert!(partial
            .key_of_written_row("i", &smallest, &mut key)
            .is_err());
        assert!(!partial.derive(&smallest, &mut key));
        let held = [Value::Integer(-3)];
        assert!(partial.key_of_written_row("i", &held, &mut key).unwrap());
        assert_eq!(key, [Value::Integer(-3)]);
    }
}
