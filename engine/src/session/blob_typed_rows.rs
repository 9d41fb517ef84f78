//! Reading row payloads of files written when a column declared `BLOB` (or `BYTEA`,
//! `BINARY`) was a `Blob` column, holding blobs only (`RowFormat::BlobTypedColumns`, and
//! `FixedReals` before it). Today such a column holds any value (`Any`, which tags each
//! value with its type), so those payloads decode with the column types of that time: the
//! table's current types, with each such column typed `Blob`. The decoded values are then
//! stored under the current types.

use std::collections::HashMap;
use std::sync::Arc;

use ember_storage::row::RowFormat;
use ember_storage::{DataType, Table, TableSchema};

use crate::catalog::TableDef;
use crate::database::Database;
use crate::error::Result;

/// The schema of a table as files of an older row format typed it, kept while its column
/// count is the one it was made for (ADD COLUMN replayed later makes it stale).
pub(super) struct OlderTypes {
    width: usize,
    /// `None`: the table has no column whose type changed, so its own schema decodes.
    schema: Option<TableSchema>,
}

impl OlderTypes {
    /// The schema `table`'s payloads in `format` decode with: its own schema (`None`),
    /// unless `format` typed a declared BLOB column `Blob` and the table has one. The
    /// answer is cached in `cache` for the table's current width.
    pub(super) fn schema<'a>(
        cache: &'a mut Option<OlderTypes>,
        db: &Database,
        table: &Arc<Table>,
        format: RowFormat,
    ) -> Result<Option<&'a TableSchema>> {
        if !format.types_declared_blob_as_blob() {
            return Ok(None);
        }
        let width = table.schema().types.len();
        if cache.as_ref().map(|cached| cached.width) != Some(width) {
            let schema = match db
                .catalog()
                .tables()
                .into_iter()
                .find(|definition| Arc::ptr_eq(&definition.storage, table))
            {
                Some(definition) => blob_typed_schema(definition, table.schema())?,
                None => None,
            };
            *cache = Some(OlderTypes { width, schema });
        }
        Ok(cache.as_ref().and_then(|cached| cached.schema.as_ref()))
    }
}

/// Whether a declared type made a `Blob` column in the older formats: it contains BLOB,
/// BYTEA or BINARY and none of the words that gave INTEGER or TEXT before them.
fn was_blob_typed(declared: &str) -> bool {
    let upper = declared.to_ascii_uppercase();
    let has = |part: &str| upper.contains(part);
    !has("INT")
        && !has("CHAR")
        && !has("CLOB")
        && !has("TEXT")
        && (has("BLOB") || has("BYTEA") || has("BINARY"))
}

/// `current` with each column of `definition` whose declared type was blob-typed (and is
/// `Any` today) typed `Blob`; `None` when there is no such column.
fn blob_typed_schema(definition: &TableDef, current: &TableSchema) -> Result<Option<TableSchema>> {
    let sqlparser::ast::Statement::CreateTable(create) =
        crate::catalog::parse_one(&definition.sql)?
    else {
        return Ok(None);
    };
    let declared: HashMap<String, String> = create
        .columns
        .iter()
        .map(|column| {
            (
                column.name.value.to_ascii_lowercase(),
                column.data_type.to_string(),
            )
        })
        .collect();
    let mut types = current.types.clone();
    let mut changed = false;
    for (column, slot) in definition.columns.iter().zip(types.iter_mut()) {
        let blob_typed = declared
            .get(&column.name.to_ascii_lowercase())
            .is_some_and(|declared| was_blob_typed(declared));
        if blob_typed && *slot == DataType::Any {
            *slot = DataType::Blob;
            changed = true;
        }
    }
    Ok(changed.then(|| TableSchema {
        types,
        ..current.clone()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_blob_types_were_blob_typed() {
        for declared in [
            "BLOB",
            "blob",
            "LONGBLOB",
            "BYTEA",
            "VARBINARY(16)",
            "BINARY",
        ] {
            assert!(was_blob_typed(declared), "{declared}");
        }
        for declared in [
            "", "INT", "TEXT", "VARCHAR", "CLOB", "REAL", "NUMERIC", "BLOBINT",
        ] {
            assert!(!was_blob_typed(declared), "{declared}");
        }
    }
}
