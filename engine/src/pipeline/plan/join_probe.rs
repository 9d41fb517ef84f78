//! An index nested-loop join's probe: the right side of a `Join` that carries one is a base
//! table reached by its primary key or a secondary index, once per left row, instead of
//! being read whole into a hash table (`optimize::join_access` chooses it,
//! `exec::join::index_join` runs it).

use std::fmt::{self, Write};

use crate::catalog::IndexDef;
use crate::expr::Expr;

use super::{Join, JoinKind, Node};

pub struct JoinProbe {
    /// The secondary index probed; `None`: the primary key.
    pub index: Option<IndexDef>,
    /// For each key column (in key order), the value it is probed with, evaluated over the
    /// left row: the left side of a join equality on it, or a constant the right access's
    /// filter equates it with.
    pub values: Vec<Expr>,
    /// Whether nothing reads the right row's values but the key equalities: no operator
    /// above the join and no join condition (set by `optimize::prune_columns`; false
    /// until then). A joined row's right values may then be left NULL, and a probe whose
    /// rows need no key recheck may count them instead of reading them.
    pub right_unread: bool,
}

/// EXPLAIN's line for a probing join: `IndexJoin t using primary key (t.id = <left key>)`,
/// then the rechecked condition.
pub(super) fn write_index_join(out: &mut String, join: &Join, probe: &JoinProbe) -> fmt::Result {
    let kind = match join.kind {
        _ if join.existence == Some(super::Existence::Semi) => "Semi",
        _ if join.existence == Some(super::Existence::Anti) => "Anti",
        JoinKind::Left if join.unmatched_only => "Anti",
        JoinKind::Left => "Left",
        _ => "",
    };
    let Node::Scan(access) = &join.right else {
        return write!(out, "{kind}IndexJoin");
    };
    let table = &access.table;
    let (using, columns) = match &probe.index {
        Some(index) => (index.name.as_str(), index.columns.as_slice()),
        None => ("primary key", table.primary_key.as_slice()),
    };
    let terms: Vec<String> = columns
        .iter()
        .zip(&probe.values)
        .map(|(&column, value)| format!("{}.{} = {value}", table.name, table.columns[column].name))
        .collect();
    write!(
        out,
        "{kind}IndexJoin {} using {using} ({})",
        table.name,
        terms.join(", ")
    )?;
    if let Some(condition) = &join.condition {
        write!(out, " on {condition}")?;
    }
    Ok(())
}
