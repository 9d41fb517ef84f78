//! Choosing an `OrUnion` access (plan/or_union.rs), SQLite's OR optimization: when no
//! conjunct of the WHERE clause gives a lookup or range, a conjunct that is an OR whose
//! every branch does (an equality, IN list or range on a key or ordered index, as
//! `choose_access` finds them among the branch's own conjuncts and the WHERE clause's
//! other conjuncts; or `column IS NULL` on an ordered index's first column) is read as the
//! union of one lookup per branch, when that is estimated cheaper than a full scan:
//! `BRANCH_COST` per branch plus `UNION_ROW_COST` per row each branch reaches (rows per
//! key as `join_access` guesses them, no statistics; a third of the rows per range bound),
//! against a scan's one per row. A branch that may reach most of the table (a one-sided
//! range) so loses to the scan.
//!
//! A branch whose exact key (or NULL-key walk) decides every conjunct of its disjunct
//! decides the OR too (its rows make that disjunct true, so the OR is true): such a branch
//! rechecks only the other conjuncts of the filter, less those its key decides
//! (`TableAccess::key_residual`, used when the probe is exact); any other branch rechecks
//! the whole filter (less what its key decides). Each branch still reaches exactly the rows
//! it reached before, in the same order.

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Expr};
use crate::plan::{AccessPath, ColumnsRead, OrBranch, OrUnion, TableAccess};

use super::index_range::{key_range, key_range_rows};
use super::join_access::ROWS_PER_KEY_GUESS;

/// Branches of one OR unioned at most (each is a lookup and a sub-access).
const BRANCHES_MAX: usize = 64;
/// The cost of one branch's lookup beyond the rows it reads, in rows of a scan.
const BRANCH_COST: u64 = 4;
/// The cost of a row reached through a lookup (a random read, deduplicated by row id), in
/// rows of a scan (which reads its rows in slot order).
const UNION_ROW_COST: u64 = 3;

/// How one branch reaches its rows, as `choose_or_union` found it.
struct BranchPath {
    path: AccessPath,
    null_keys: Option<IndexDef>,
    /// About how many rows it reaches.
    rows: u64,
    /// What its exact rows are rechecked against (`TableAccess::key_residual`).
    residual: Option<Box<Option<Expr>>>,
}

/// The union access for the conjuncts `terms` of `filter` (the access's whole filter, as
/// every branch rechecks it), if one of them is an OR every branch of which a lookup
/// reaches and the union is estimated cheaper than a scan (the cheapest such OR).
pub(super) fn choose_or_union(
    table: &Arc<TableDef>,
    terms: &[Expr],
    filter: &Expr,
) -> Option<AccessPath> {
    let scan_cost = super::table_rows(table);
    let mut best: Option<(u64, Vec<BranchPath>)> = None;
    for (position, term) in terms.iter().enumerate() {
        if !matches!(term, Expr::Binary(BinaryOp::Or, ..)) {
            continue;
        }
        let mut disjuncts = Vec::new();
        collect_disjuncts(term, &mut disjuncts);
        let count = disjuncts.len();
        if count > BRANCHES_MAX {
            continue;
        }
        let others: Vec<&Expr> = terms
            .iter()
            .enumerate()
            .filter(|&(other, _)| other != position)
            .map(|(_, term)| term)
            .collect();
        let mut paths = Vec::with_capacity(disjuncts.len());
        let mut cost = 0u64;
        for disjunct in disjuncts {
            let mut branch_terms = disjunct.clone().into_conjuncts();
            branch_terms.extend(others.iter().map(|&term| term.clone()));
            let Some(mut path) = branch_path(table, &branch_terms) else {
                break;
            };
            path.residual = branch_residual(table, &path, disjunct, &others, filter);
            cost = cost
                .saturating_add(BRANCH_COST)
                .saturating_add(path.rows.saturating_mul(UNION_ROW_COST));
            paths.push(path);
        }
        let complete = paths.len() == count;
        if complete && cost < scan_cost && best.as_ref().is_none_or(|(best, _)| cost < *best) {
            best = Some((cost, paths));
        }
    }
    let (_, paths) = best?;
    let branches = paths
        .into_iter()
        .map(|branch| OrBranch {
            access: TableAccess {
                table: Arc::clone(table),
                path: branch.path,
                filter: Some(filter.clone()),
                read: ColumnsRead::all(table),
                key_residual: branch.residual,
            },
            null_keys: branch.null_keys,
        })
        .collect();
    Some(AccessPath::OrUnion(Box::new(OrUnion { branches })))
}

/// The branches of the OR `expr` (nested ORs flattened), in order.
fn collect_disjuncts<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match expr {
        Expr::Binary(BinaryOp::Or, left, right) => {
            collect_disjuncts(left, out);
            collect_disjuncts(right, out);
        }
        other => out.push(other),
    }
}

/// The lookup or range that reaches every row the conjuncts `terms` admit, as
/// `choose_access` would choose it (without the subquery set), else an ordered index
/// whose NULL keys hold them (`column IS NULL`); `None` when only a scan does.
fn branch_path(table: &TableDef, terms: &[Expr]) -> Option<BranchPath> {
    let path = super::key_lookup(table, terms, false)
        .or_else(|| super::index_lookup(table, terms, false))
        .or_else(|| super::key_lookup(table, terms, true))
        .or_else(|| super::index_lookup(table, terms, true))
        .or_else(|| key_range(table, terms, true))
        .or_else(|| super::index_range::index_range(table, terms, false))
        .or_else(|| key_range(table, terms, false));
    if let Some(path) = path {
        let rows = path_rows(table, &path)?;
        return Some(BranchPath {
            path,
            null_keys: None,
            rows,
            residual: None,
        });
    }
    let index = terms.iter().find_map(|term| null_keys_index(table, term))?;
    Some(BranchPath {
        path: AccessPath::FullScan,
        null_keys: Some(index.clone()),
        rows: ROWS_PER_KEY_GUESS,
        residual: None,
    })
}

/// What the rows `branch` reaches exactly (its probe exact, or its NULL keys walked) must
/// still pass of `filter`, whose conjuncts are `disjunct`'s OR and `others`
/// (`TableAccess::key_residual`; see the module comment).
fn branch_residual(
    table: &TableDef,
    branch: &BranchPath,
    disjunct: &Expr,
    others: &[&Expr],
    filter: &Expr,
) -> Option<Box<Option<Expr>>> {
    let rest = || Expr::from_conjuncts(others.iter().map(|&term| term.clone()).collect());
    if let Some(index) = &branch.null_keys {
        // Every row walked has NULL as the index's first column.
        let first = index.columns.first();
        let decided = disjunct.clone().into_conjuncts().iter().all(|term| {
            null_keys_index(table, term).and_then(|found| found.columns.first()) == first
        });
        return decided.then(|| Box::new(rest()));
    }
    let decides_disjunct = matches!(
        super::path_residual(table, &branch.path, disjunct).as_deref(),
        Some(None)
    );
    if !decides_disjunct {
        return super::path_residual(table, &branch.path, filter);
    }
    match rest() {
        None => Some(Box::new(None)),
        Some(rest) => super::path_residual(table, &branch.path, &rest),
    }
}

/// Rows one key of `index` holds, as guessed without statistics.
fn rows_per_key(index: &IndexDef) -> u64 {
    if index.unique {
        1
    } else {
        ROWS_PER_KEY_GUESS
    }
}

/// About how many rows `path` reaches; `None` for a path no branch takes.
fn path_rows(table: &TableDef, path: &AccessPath) -> Option<u64> {
    let keys = |count: usize| u64::try_from(count).unwrap_or(u64::MAX);
    Some(match path {
        AccessPath::KeyLookup(_) => 1,
        AccessPath::KeyIn(keys_in) => keys(keys_in.len()),
        AccessPath::IndexLookup { index, .. } => rows_per_key(index),
        AccessPath::IndexIn { index, keys: list } => {
            keys(list.len()).saturating_mul(rows_per_key(index))
        }
        AccessPath::KeyRange(range) => key_range_rows(range, table),
        AccessPath::IndexRange(range) => {
            let whole_key = range.prefix.len() == range.index.columns.len();
            let base = match (range.prefix.is_empty(), whole_key) {
                (_, true) => rows_per_key(&range.index),
                (false, false) => ROWS_PER_KEY_GUESS,
                (true, false) => super::table_rows(table),
            };
            let bounds = 2 * u32::from(range.text_prefix.is_some())
                + u32::from(range.lower.is_some())
                + u32::from(range.upper.is_some());
            (base / 3u64.saturating_pow(bounds)).max(1)
        }
        AccessPath::FullScan
        | AccessPath::IndexInSet { .. }
        | AccessPath::KeyInSet(_)
        | AccessPath::OrUnion(_)
        | AccessPath::KeyOrder(_) => return None,
    })
}

/// If `term` is `column IS NULL` (the bare column), an ordered index of `table` whose first
/// column it is (the one with fewest columns).
fn null_keys_index<'t>(table: &'t TableDef, term: &Expr) -> Option<&'t IndexDef> {
    let Expr::IsNull {
        expr,
        negated: false,
    } = term
    else {
        return None;
    };
    let mut inner = expr.as_ref();
    while let Expr::Collate { expr, .. } = inner {
        inner = expr;
    }
    let Expr::Column { index: column, .. } = inner else {
        return None;
    };
    super::partial_index::full_indexes(table)
        .filter(|index| index.storage.ordered().is_some() && index.columns.first() == Some(column))
        .min_by_key(|index| index.columns.len())
}
