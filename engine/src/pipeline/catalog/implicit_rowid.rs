//! The implicit rowid of a table without an INTEGER PRIMARY KEY: a hidden INTEGER column,
//! the table's first, that keys the table as an INTEGER PRIMARY KEY would (the storage
//! table is clustered on it, `rowid_column` names it). `rowid`, `_rowid_` and `oid` reach
//! it (unless a user column has that name); `*`, INSERT without a column list, the table's
//! text and the catalog PRAGMAs never show it. A table with no PRIMARY KEY has it, and so
//! has one whose PRIMARY KEY is not one INTEGER column (and not WITHOUT ROWID), as in
//! SQLite: that key is then kept as a UNIQUE constraint (`TableDef::keyed_by_unique`).
//!
//! Tables created before the implicit rowid existed have no such column, and their stored
//! text is the same as a table's that has one. So the text written to the WAL and the
//! snapshots for a table that has one ends with `IMPLICIT_ROWID_MARK` (a comment: the
//! parser and the kept CREATE text leave it out), and recovery recreates a table whose
//! text does not end with it without the column (`Binder::without_implicit_rowid`): a
//! PRIMARY KEY of such a text keys the stored table, as it did when it was written.

use super::{ColumnDef, TableDef};

/// The name of the hidden rowid column, as plans and errors show it. No name resolves to it
/// by this name (`column_index` and the binder's scopes skip the engine's hidden columns;
/// the rowid's names reach it through `rowid_column`), so a user column may have it too.
pub const IMPLICIT_ROWID_COLUMN: &str = "rowid";

/// Ends the stored text of a table that has the implicit rowid, in the WAL and snapshots.
pub const IMPLICIT_ROWID_MARK: &str = "/* ember: implicit rowid */";

impl ColumnDef {
    /// The hidden rowid column of a table without an INTEGER PRIMARY KEY.
    pub fn implicit_rowid() -> ColumnDef {
        ColumnDef::hidden_integer(IMPLICIT_ROWID_COLUMN, true)
    }
}

impl TableDef {
    /// Whether the table's rowid is its hidden first column.
    pub fn has_implicit_rowid(&self) -> bool {
        let found = self.rowid_column == Some(0) && self.columns[0].hidden;
        debug_assert!(!found || self.columns[0].name == IMPLICIT_ROWID_COLUMN);
        found
    }

    /// The PRIMARY KEY the CREATE TABLE declared (column positions, in key order): the key
    /// kept as a UNIQUE constraint (`keyed_by_unique`), none for a table whose implicit
    /// rowid stands for a missing one, else the key the table is stored on.
    pub fn declared_primary_key(&self) -> &[usize] {
        if !self.keyed_by_unique.is_empty() {
            debug_assert!(self.has_implicit_rowid());
            &self.keyed_by_unique
        } else if self.has_implicit_rowid() {
            &[]
        } else {
            &self.primary_key
        }
    }

    /// Whether the CREATE TABLE text says WITHOUT ROWID: the table is stored on its
    /// PRIMARY KEY, whose columns SQLite keeps NOT NULL (`table_info` says so) and whose
    /// automatic index is the table itself (`sqlite_schema` has no row for it).
    pub fn is_without_rowid(&self) -> bool {
        matches!(
            super::parse_one(&self.sql),
            Ok(sqlparser::ast::Statement::CreateTable(create)) if create.without_rowid
        )
    }

    /// Why `rowid` names no column of this table (it has no INTEGER PRIMARY KEY and no
    /// implicit rowid), for the error of a statement that names it.
    pub fn missing_rowid_reason(&self) -> String {
        if self.primary_key.is_empty() {
            format!(
                "table {} was created without one (by an EmberDB older than the implicit \
                 rowid); copy it into a new table to give it one",
                self.name
            )
        } else {
            format!(
                "the PRIMARY KEY of table {} is not one INTEGER column, and the table is \
                 WITHOUT ROWID or was created without a rowid (by an EmberDB older than the \
                 rowid of such tables); copy it into a new table to give it one",
                self.name
            )
        }
    }

    /// The text that recreates this table (`sql`, or `creation_sql`'s script) as the WAL and
    /// snapshots keep it: followed by `IMPLICIT_ROWID_MARK` when the table has the column.
    pub fn durable_text(&self, sql: String) -> String {
        if self.has_implicit_rowid() {
            format!("{sql} {IMPLICIT_ROWID_MARK}")
        } else {
            sql
        }
    }
}

/// Whether stored table text (a CREATE TABLE, or the script `creation_sql` makes) is of a
/// table that has the implicit rowid.
pub fn marks_implicit_rowid(text: &str) -> bool {
    text.trim_end().ends_with(IMPLICIT_ROWID_MARK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_is_a_comment_the_parser_leaves_out() {
        let text = format!("CREATE TABLE u(a TEXT, b) {IMPLICIT_ROWID_MARK}");
        assert!(marks_implicit_rowid(&text));
        assert!(!marks_implicit_rowid("CREATE TABLE u(a TEXT, b)"));
        let parsed = crate::parse::parse_statements(&text).unwrap();
        assert_eq!(parsed.len(), 1);
        assert!(matches!(
            parsed[0],
            sqlparser::ast::Statement::CreateTable(_)
        ));
        assert!(!parsed[0].to_string().contains("ember"));
    }
}
