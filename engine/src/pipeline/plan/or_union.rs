//! The `OrUnion` access path: the rows of a WHERE clause (or one AND-term of it) that is an
//! OR of branches each of which an index or key can reach (`optimize::or_union` chooses
//! it), read as the union of one lookup or range per branch, each row once (deduplicated
//! by row id). Every branch rechecks the access's whole filter, so a branch that reaches
//! a superset of its rows (a lookup under another collation, a converted probe) never lets
//! a row through that the filter rejects. Run by `exec::scan::or_union`.

use std::fmt;

use crate::catalog::{IndexDef, TableDef};

use super::TableAccess;

/// See the module comment.
pub struct OrUnion {
    /// One per OR branch, in the OR's order (rows come out in that order).
    pub branches: Vec<OrBranch>,
}

/// How one branch of an `OrUnion` reaches its rows.
pub struct OrBranch {
    /// The branch's lookup or range (`path`: a key or index path, never `FullScan` or
    /// `OrUnion`, unless `null_keys` says how instead) with the union's whole filter
    /// (`key_residual`: what an exact probe's rows, or the NULL-key walk's, are rechecked
    /// against, `optimize/or_union.rs`) and columns read.
    pub access: TableAccess,
    /// `Some(index)`: the branch is `column IS NULL` on the first column of this ordered
    /// index, reached by walking the index's entries whose first part is NULL (`access`'s
    /// path is then `FullScan`, unused).
    pub null_keys: Option<IndexDef>,
}

impl OrUnion {
    /// The columns of the indexes the branches range over or walk (each row found there is
    /// checked against its key, which needs them decoded).
    pub fn index_columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.branches.iter().flat_map(|branch| {
            let ranged = match &branch.access.path {
                super::AccessPath::IndexRange(range) => Some(&range.index),
                _ => None,
            };
            ranged
                .into_iter()
                .chain(&branch.null_keys)
                .flat_map(|index| index.storage.source_columns().iter().copied())
        })
    }

    /// `EXPLAIN`'s text after `OrUnion <table>`: each branch's path, ` | `-separated.
    pub fn describe(&self, table: &TableDef, out: &mut String) -> fmt::Result {
        use fmt::Write;
        for (number, branch) in self.branches.iter().enumerate() {
            if number > 0 {
                out.push_str(" | ");
            }
            match &branch.null_keys {
                Some(index) => {
                    let column = index
                        .columns
                        .first()
                        .and_then(|&column| table.columns.get(column))
                        .map_or("?", |column| column.name.as_str());
                    write!(out, "IndexNull using {} ({column} IS NULL)", index.name)?;
                }
                None => super::display::describe_path(out, &branch.access)?,
            }
        }
        Ok(())
    }
}
