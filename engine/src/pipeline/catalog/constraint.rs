//! CHECK and FOREIGN KEY constraints of a table, as bound from its CREATE TABLE statement:
//! what `exec::write::check` evaluates on every written row and `exec::write::foreign_key` enforces
//! under `PRAGMA foreign_keys = ON`.

use std::fmt;

use crate::expr::Expr;
use crate::plan::OnConflict;

use super::{IndexDef, TableDef};

/// The CHECK and FOREIGN KEY constraints of one table (both empty for most tables: then
/// writing to the table costs nothing more).
#[derive(Clone, Default)]
pub struct TableConstraints {
    /// In definition order: column constraints, then table constraints.
    pub checks: Vec<CheckDef>,
    /// In definition order (SQLite's `PRAGMA foreign_key_list` numbers them backwards).
    pub foreign_keys: Vec<ForeignKeyDef>,
    /// The conflict clauses the NOT NULL, PRIMARY KEY and UNIQUE constraints declare.
    pub conflict: ConflictClauses,
}

impl TableConstraints {
    /// Whether there is no CHECK or FOREIGN KEY constraint (conflict clauses aside).
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty() && self.foreign_keys.is_empty()
    }
}

/// The conflict clauses a table's constraints declare (`a NOT NULL ON CONFLICT IGNORE`,
/// `UNIQUE (a, b) ON CONFLICT REPLACE`): the action a violated constraint takes when the
/// statement names none (`OnConflict::Declared`). A constraint without one aborts.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct ConflictClauses {
    /// By column position: the clause of that column's NOT NULL constraint.
    pub not_null: Vec<(usize, OnConflict)>,
    /// The clause of the PRIMARY KEY the table is stored on (a rowid alias, or a WITHOUT
    /// ROWID table's key).
    pub primary_key: Option<OnConflict>,
    /// By the key's column positions: the clause of a UNIQUE constraint, or of a declared
    /// PRIMARY KEY kept as one (a table with the implicit rowid).
    pub unique: Vec<(Vec<usize>, OnConflict)>,
}

impl ConflictClauses {
    /// Whether no constraint declares a clause.
    pub fn is_empty(&self) -> bool {
        self.not_null.is_empty() && self.primary_key.is_none() && self.unique.is_empty()
    }

    /// The clause of column `column`'s NOT NULL constraint.
    pub fn of_not_null(&self, column: usize) -> Option<OnConflict> {
        self.not_null
            .iter()
            .find(|(position, _)| *position == column)
            .map(|(_, clause)| *clause)
    }

    /// The clause of the key a conflict was met in: the primary key (`index` None) or the
    /// named unique index (the one of a UNIQUE constraint declaring a clause, by its
    /// columns).
    pub fn of_key(&self, table: &TableDef, index: Option<&str>) -> Option<OnConflict> {
        match index {
            None => self.primary_key,
            Some(name) => {
                let index = table.index(name)?;
                self.unique
                    .iter()
                    .find(|(columns, _)| index.sql.is_none() && *columns == index.columns)
                    .map(|(_, clause)| *clause)
            }
        }
    }

    /// Whether some constraint declares `clause`.
    pub fn declares(&self, clause: OnConflict) -> bool {
        self.primary_key == Some(clause)
            || self.not_null.iter().any(|(_, c)| *c == clause)
            || self.unique.iter().any(|(_, c)| *c == clause)
    }
}

/// `[CONSTRAINT name] CHECK (expr)`: a row passes unless `expr` is FALSE (NULL passes).
#[derive(Clone)]
pub struct CheckDef {
    pub name: Option<String>,
    /// Bound over the table's row (column i at position i); no subqueries, no parameters.
    pub expr: Expr,
    /// The expression as written (normalized by the SQL printer), for the error message.
    pub text: String,
}

impl CheckDef {
    /// What `CHECK constraint failed: ...` names: the constraint's name, else its text.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.text)
    }
}

/// `FOREIGN KEY (columns) REFERENCES parent (parent_columns)`, or a column's `REFERENCES`.
#[derive(Clone)]
pub struct ForeignKeyDef {
    /// Child column positions, in key order.
    pub columns: Vec<usize>,
    /// The parent table's name as written (it need not exist until the key is enforced).
    pub parent: String,
    /// Parent column names in key order; empty means the parent's primary key.
    pub parent_columns: Vec<String>,
    pub on_delete: ForeignKeyAction,
    pub on_update: ForeignKeyAction,
    /// `DEFERRABLE INITIALLY DEFERRED`: checked at COMMIT of an explicit transaction
    /// (`exec::DeferredKeys`), as in SQLite.
    pub deferred: bool,
}

impl ForeignKeyDef {
    /// The parent's key column positions (in the key's order: the named columns, else the
    /// parent's PRIMARY KEY) and how a key is found there (`None`: the primary key, else
    /// this UNIQUE index). Any other shape is SQLite's `foreign key mismatch` error.
    pub fn parent_key<'p>(
        &self,
        child_name: &str,
        parent: &'p TableDef,
    ) -> crate::error::Result<(Vec<usize>, Option<&'p IndexDef>)> {
        let mismatch = || {
            crate::err!(
                InvalidInput,
                "foreign key mismatch - \"{}\" referencing \"{}\"",
                child_name,
                parent.name
            )
        };
        let mut columns = Vec::with_capacity(self.columns.len());
        if self.parent_columns.is_empty() {
            // The declared PRIMARY KEY (one kept as a UNIQUE constraint is found through its
            // index); a parent with none, keyed only by its implicit rowid, is a mismatch,
            // as in SQLite.
            columns.extend_from_slice(parent.declared_primary_key());
        } else {
            for name in &self.parent_columns {
                columns.push(parent.column_index(name).ok_or_else(mismatch)?);
            }
        }
        if columns.len() != self.columns.len() {
            return Err(mismatch());
        }
        let same_set = |other: &[usize]| {
            other.len() == columns.len() && other.iter().all(|c| columns.contains(c))
        };
        let index = if same_set(&parent.primary_key) {
            None
        } else {
            // The index must key each column under the column's own collation (SQLite's
            // rule): then it is unique exactly as the parent key compares.
            let own_collations = |index: &IndexDef| {
                let keyed = index.storage.key_collations();
                index.columns.iter().enumerate().all(|(position, &c)| {
                    let keyed = keyed
                        .get(position)
                        .copied()
                        .unwrap_or(ember_storage::index::KeyCollation::Binary);
                    parent.columns[c].collation.index_collation() == keyed
                })
            };
            let unique = parent
                .indexes
                .iter()
                .find(|i| i.unique && i.is_plain() && same_set(&i.columns) && own_collations(i));
            Some(unique.ok_or_else(mismatch)?)
        };
        Ok((columns, index))
    }
}

/// What a parent-row delete or key update does to the child rows that reference it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignKeyAction {
    /// Fails at the end of the statement if children still reference a missing key.
    NoAction,
    /// Fails at once if any child references the key.
    Restrict,
    SetNull,
    SetDefault,
    /// Deletes the children (ON DELETE) or gives them the new key (ON UPDATE).
    Cascade,
}

impl fmt::Display for ForeignKeyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForeignKeyAction::NoAction => "NO ACTION",
            ForeignKeyAction::Restrict => "RESTRICT",
            ForeignKeyAction::SetNull => "SET NULL",
            ForeignKeyAction::SetDefault => "SET DEFAULT",
            ForeignKeyAction::Cascade => "CASCADE",
        })
    }
}
