//! Renders plans as indented trees, for EXPLAIN (and tests that read plans as text).

use std::fmt::{self, Write};

use super::{
    AccessPath, AggregateCall, AggregateFunction, JoinKind, Node, Plan, SetOperator, TableAccess,
};

impl Plan {
    /// The plan as lines of text, one operator per line.
    pub fn explain_lines(&self) -> Vec<String> {
        let mut text = String::new();
        self.write_tree(&mut text)
            .and_then(|()| self.write_subqueries(&mut text))
            .expect("writing to a String cannot fail");
        text.lines().map(str::to_string).collect()
    }

    /// Writes, after the statement's tree, the plan of each subquery its expressions hold
    /// (in the order first met, a nested one after the one holding it): a
    /// `Subquery #N` line, then its tree.
    fn write_subqueries(&self, out: &mut String) -> fmt::Result {
        let mut found: Vec<Found> = Vec::new();
        match self {
            Plan::Explain(inner) | Plan::ExplainAnalyze(inner) => {
                return inner.write_subqueries(out);
            }
            Plan::Query(query) => node_exprs(&query.node, &mut |expr| find(expr, &mut found)),
            Plan::Insert(insert) => node_exprs(&insert.source, &mut |expr| find(expr, &mut found)),
            Plan::Update {
                target,
                assignments,
                ..
            } => {
                let exprs = target
                    .filter
                    .iter()
                    .chain(assignments.iter().map(|(_, e)| e));
                exprs.for_each(|expr| find(expr, &mut found));
            }
            Plan::Delete { target, .. } => {
                target.filter.iter().for_each(|expr| find(expr, &mut found))
            }
            _ => {}
        }
        let mut next = 0;
        while let Some(subquery) = found.get(next).cloned() {
            next += 1;
            let what = match (subquery.correlated, subquery.memoized) {
                (false, _) => "",
                (true, false) => " correlated",
                (true, true) => " correlated, memoized",
            };
            if let Some(grouped) = &subquery.grouped {
                // Run once the per-row runs reach half the table's rows, then looked up per
                // outer row; the per-row plan below runs until then, for the first outer
                // key with no group, and for every row if the groups give way.
                let keys = grouped.outer_names.join(", ");
                let table = &grouped.table.name;
                writeln!(
                    out,
                    "Subquery #{} by groups of outer {keys} (after runs reach half of {table}'s \
                     rows)",
                    subquery.id
                )?;
                grouped.query.node.write_tree(out, 1)?;
                node_exprs(&grouped.query.node, &mut |expr| find(expr, &mut found));
            }
            let run = subquery.run.explain_words();
            writeln!(out, "Subquery #{}{what}{run}", subquery.id)?;
            subquery.query.node.write_tree(out, 1)?;
            node_exprs(&subquery.query.node, &mut |expr| find(expr, &mut found));
        }
        Ok(())
    }
}

/// A subquery EXPLAIN shows the plan of.
#[derive(Clone)]
struct Found {
    id: usize,
    correlated: bool,
    memoized: bool,
    query: std::sync::Arc<super::Query>,
    grouped: Option<std::sync::Arc<crate::expr::GroupedSubquery>>,
    run: crate::expr::SubqueryRun,
}

/// Adds each subquery `expr` holds to `found`, once.
fn find(expr: &crate::expr::Expr, found: &mut Vec<Found>) {
    expr.walk(&mut |node| {
        if let crate::expr::Expr::Subquery(subquery) = node {
            if found.iter().all(|seen| seen.id != subquery.id) {
                found.push(Found {
                    id: subquery.id,
                    correlated: subquery.correlated,
                    memoized: subquery.memo_key.is_some(),
                    query: subquery.query.clone(),
                    grouped: subquery.grouped.clone(),
                    run: subquery.run,
                });
            }
        }
    })
}

/// Calls `visit` with every expression of every node of `root`'s tree.
fn node_exprs(root: &Node, visit: &mut dyn FnMut(&crate::expr::Expr)) {
    root.for_each_node(&mut |node| node.for_each_expr(visit));
}

impl Plan {
    fn write_tree(&self, out: &mut String) -> fmt::Result {
        match self {
            Plan::CreateTable(create) => writeln!(out, "CreateTable {}", create.name),
            Plan::DropTable { name, .. } => writeln!(out, "DropTable {name}"),
            Plan::CreateView { view, .. } => writeln!(out, "CreateView {}", view.name),
            Plan::DropView { name, .. } => writeln!(out, "DropView {name}"),
            Plan::CreateTrigger { trigger, .. } => writeln!(out, "CreateTrigger {}", trigger.name),
            Plan::DropTrigger { name, .. } => writeln!(out, "DropTrigger {name}"),
            Plan::CreateIndex(create) => {
                writeln!(out, "CreateIndex {} on {}", create.name, create.table)
            }
            Plan::DropIndex { name, .. } => writeln!(out, "DropIndex {name}"),
            Plan::Temp(inner) => {
                write!(out, "Temp ")?;
                inner.write_tree(out)
            }
            Plan::Insert(insert) => {
                let clauses = insert.clauses_text();
                let node = match insert.write {
                    super::InsertWrite::RowByRow => "Insert",
                    super::InsertWrite::EachRowProjected => "InsertProjected",
                    super::InsertWrite::Batched => "InsertBatch",
                    super::InsertWrite::CopyRows => "InsertCopy",
                };
                writeln!(out, "{node} {}{clauses}", insert.table.name)?;
                // A row copy reads the scan alone: its rows are not decoded into columns.
                match (insert.write, insert.copied_scan()) {
                    (super::InsertWrite::CopyRows, Some(scan)) => scan.write_tree(out, 1),
                    _ => insert.source.write_tree(out, 1),
                }
            }
            Plan::Update {
                target,
                assignments,
                returning,
                on_conflict,
                from,
                ..
            } => {
                let sets: Vec<String> = assignments
                    .iter()
                    .map(|(column, expr)| {
                        format!("{} = {expr}", target.table.columns[*column].name)
                    })
                    .collect();
                let returning = super::upsert::returning_text(returning.as_deref());
                let (table, sets) = (&target.table.name, sets.join(", "));
                let or = on_conflict.clause_text();
                writeln!(out, "Update{or} {table} set {sets}{returning}")?;
                let Some(from) = from else {
                    return write_access(out, target, 1);
                };
                indent(out, 1);
                out.push_str("UpdateFrom");
                if !from.target_keys.is_empty() {
                    let keys: Vec<String> = (from.target_keys.iter().zip(&from.source_keys))
                        .map(|(target, source)| format!("{target} = {source}"))
                        .collect();
                    write!(out, " hash ({})", keys.join(", "))?;
                }
                if let Some(condition) = &from.condition {
                    write!(out, " on {condition}")?;
                }
                out.push('\n');
                write_access(out, target, 2)?;
                from.source.write_tree(out, 2)
            }
            Plan::Delete {
                target, returning, ..
            } => {
                let returning = super::upsert::returning_text(returning.as_deref());
                writeln!(out, "Delete {}{returning}", target.table.name)?;
                write_access(out, target, 1)
            }
            Plan::DeleteAll { target } => {
                writeln!(
                    out,
                    "DeleteAll {} (every row: truncate, or one bulk claim in a transaction)",
                    target.table.name
                )
            }
            Plan::Query(query) => query.node.write_tree(out, 0),
            Plan::ViewWrite(write) => {
                writeln!(
                    out,
                    "ViewWrite {:?} {} (INSTEAD OF triggers)",
                    write.event, write.view
                )?;
                write.source.write_tree(out, 1)
            }
            Plan::Begin(None) => writeln!(out, "Begin"),
            Plan::Begin(Some(isolation)) => writeln!(out, "Begin {}", isolation.name()),
            Plan::Commit => writeln!(out, "Commit"),
            Plan::Rollback => writeln!(out, "Rollback"),
            Plan::Savepoint(op) => writeln!(out, "{op:?}"),
            Plan::AlterTable(alter) => writeln!(out, "{}", alter.sql),
            Plan::CreateTableAs(ctas) => writeln!(out, "{} AS {}", ctas.table.sql, ctas.query),
            Plan::Vacuum => writeln!(out, "Vacuum"),
            Plan::Pragma(statement) => writeln!(out, "{statement}"),
            Plan::Explain(inner) | Plan::ExplainAnalyze(inner) => inner.write_tree(out),
        }
    }
}

/// Whether the OFFSET of a `Limit` over `input` is stepped over by index entries, no row
/// read for it (`exec/scan/range_skip.rs`): an index range walk, maybe projected, whose range
/// decides its whole filter.
fn offset_steps_entries(input: &Node) -> bool {
    let input = match input {
        Node::Project { input, .. } => input.as_ref(),
        other => other,
    };
    match input {
        Node::Scan(access) => range_skips_entries(access),
        _ => false,
    }
}

/// Whether an OFFSET over `access` is stepped over by index entries (`offset_steps_entries`).
fn range_skips_entries(access: &TableAccess) -> bool {
    let TableAccess {
        path: AccessPath::IndexRange(range),
        filter,
        ..
    } = access
    else {
        return false;
    };
    filter.as_ref().is_none_or(|filter| {
        filter
            .clone()
            .into_conjuncts()
            .iter()
            .all(|term| crate::optimize::range_decides(range, term))
    })
}

/// A `Project` line.
fn write_project(out: &mut String, exprs: &[crate::expr::Expr], depth: usize) -> fmt::Result {
    indent(out, depth);
    let list: Vec<String> = exprs.iter().map(ToString::to_string).collect();
    writeln!(out, "Project {}", list.join(", "))
}

/// A `Limit` line: its LIMIT and OFFSET, and whether the OFFSET is stepped over by index
/// entries.
fn write_limit(
    out: &mut String,
    (limit, offset): (Option<&crate::expr::Expr>, Option<&crate::expr::Expr>),
    by_entries: bool,
    depth: usize,
) -> fmt::Result {
    indent(out, depth);
    out.push_str("Limit");
    if let Some(limit) = limit {
        write!(out, " {limit}")?;
    }
    if let Some(offset) = offset {
        write!(out, " offset {offset}")?;
        if by_entries {
            out.push_str(" by index entries");
        }
    }
    out.push('\n');
    Ok(())
}

/// A fused read's parts, one line each as the nodes they fuse would print, the first line
/// marked `(fused read)`: the rows pass them in one loop, with no operator between them.
/// Under EXPLAIN ANALYZE each line below the first shows its part's count; the first
/// line's is the node's (`Node::write_tree`).
fn write_fused_read(out: &mut String, read: &super::FusedRead, depth: usize) -> fmt::Result {
    let first_line = out.len();
    let mut depth = depth;
    let [project_count, access_count] = read.counted_parts();
    if let Some(bounds) = &read.limit {
        let by_entries = range_skips_entries(&read.access);
        write_limit(
            out,
            (bounds.limit.as_ref(), bounds.offset.as_ref()),
            by_entries,
            depth,
        )?;
        depth += 1;
    }
    if let Some(exprs) = &read.exprs {
        let line = out.len();
        write_project(out, exprs, depth)?;
        note_part(out, line, project_count);
        depth += 1;
    }
    let line = out.len();
    write_access(out, &read.access, depth)?;
    note_part(out, line, access_count);
    let line_end = out[first_line..]
        .find('\n')
        .map_or(out.len(), |at| first_line + at);
    out.insert_str(line_end, FUSED_READ_MARK);
    Ok(())
}

/// Appends to the line at `line` the EXPLAIN ANALYZE count of the part counted at `address`.
fn note_part(out: &mut String, line: usize, address: Option<usize>) {
    let Some(note) = address.and_then(|address| crate::exec::profile::note_at(address, None))
    else {
        return;
    };
    let line_end = out[line..].find('\n').map_or(out.len(), |at| line + at);
    out.insert_str(line_end, &note);
}

/// What marks the first line of a fused read.
const FUSED_READ_MARK: &str = " (fused read)";

fn indent(out: &mut String, depth: usize) {
    if depth > 0 {
        out.push_str(&"   ".repeat(depth - 1));
        out.push_str("└─ ");
    }
}

fn write_access(out: &mut String, access: &TableAccess, depth: usize) -> fmt::Result {
    indent(out, depth);
    describe_path(out, access)?;
    if let Some(filter) = &access.filter {
        write!(out, " filter {filter}")?;
    }
    out.push('\n');
    Ok(())
}

/// The access path's text: its kind, the table's name and what it reads.
pub(super) fn describe_path(out: &mut String, access: &TableAccess) -> fmt::Result {
    let table = &access.table;
    match &access.path {
        AccessPath::FullScan => write!(out, "Scan {}", table.name)?,
        AccessPath::KeyLookup(values) => {
            let terms: Vec<String> = table
                .primary_key
                .iter()
                .zip(values)
                .map(|(column, value)| format!("{} = {value}", table.columns[*column].name))
                .collect();
            write!(out, "KeyLookup {} ({})", table.name, terms.join(", "))?
        }
        AccessPath::KeyIn(keys) => {
            let keys: Vec<String> = keys
                .iter()
                .map(|values| format!("({})", key_terms(access, &table.primary_key, values)))
                .collect();
            write!(out, "KeyIn {} {}", table.name, keys.join(" or "))?
        }
        AccessPath::IndexLookup { index, values } => write!(
            out,
            "IndexLookup {} using {} ({})",
            table.name,
            index.name,
            index_key_terms(access, index, values)
        )?,
        AccessPath::IndexRange(range) => {
            write!(out, "IndexRange {} ", table.name)?;
            range.describe(table, out)?
        }
        AccessPath::KeyRange(range) => {
            write!(out, "KeyRange {} ", table.name)?;
            range.describe(table, out)?
        }
        AccessPath::KeyOrder(order) => {
            write!(out, "KeyOrder {} ", table.name)?;
            order.describe(table, out)?
        }
        AccessPath::KeyInSet(subquery) => write!(out, "KeyInSet {} {}", table.name, subquery)?,
        AccessPath::IndexInSet { index, subquery } => write!(
            out,
            "IndexInSet {} using {} {}",
            table.name, index.name, subquery
        )?,
        AccessPath::IndexIn { index, keys } => {
            let keys: Vec<String> = keys
                .iter()
                .map(|values| format!("({})", index_key_terms(access, index, values)))
                .collect();
            write!(
                out,
                "IndexIn {} using {} {}",
                table.name,
                index.name,
                keys.join(" or ")
            )?
        }
        AccessPath::OrUnion(union) => {
            write!(out, "OrUnion {} ", table.name)?;
            union.describe(table, out)?
        }
    }
    Ok(())
}

/// `part = value, ...` for a key of `index`: a column part by its name, an expression
/// part by its text.
fn index_key_terms(
    access: &TableAccess,
    index: &crate::catalog::IndexDef,
    values: &[crate::expr::Expr],
) -> String {
    let Some(keys) = index.keys.as_ref().filter(|keys| keys.on_expressions()) else {
        return key_terms(access, &index.columns, values);
    };
    let terms: Vec<String> = keys
        .parts
        .iter()
        .zip(values)
        .map(|(part, value)| format!("{part} = {value}"))
        .collect();
    terms.join(", ")
}

/// `column = value, ...` for a key.
fn key_terms(access: &TableAccess, columns: &[usize], values: &[crate::expr::Expr]) -> String {
    let terms: Vec<String> = columns
        .iter()
        .zip(values)
        .map(|(column, value)| format!("{} = {value}", access.table.columns[*column].name))
        .collect();
    terms.join(", ")
}

impl Node {
    /// Writes this node's line and its inputs', the line annotated with whether the node may
    /// run on several threads (`exec::parallel`, when the connection has helper threads)
    /// and with what the node did when an EXPLAIN ANALYZE run's counts are lent out
    /// (`exec::profile`).
    fn write_tree(&self, out: &mut String, depth: usize) -> fmt::Result {
        let start = out.len();
        self.write_node(out, depth)?;
        let notes = [
            crate::exec::parallel_note::note_for(self),
            crate::exec::profile::note_for(self),
        ];
        let mut line_end = out[start..].find('\n').map_or(out.len(), |at| start + at);
        for note in notes.into_iter().flatten() {
            out.insert_str(line_end, &note);
            line_end += note.len();
        }
        Ok(())
    }

    fn write_node(&self, out: &mut String, depth: usize) -> fmt::Result {
        match self {
            Node::Scan(access) => write_access(out, access, depth),
            Node::System { table, .. } => {
                indent(out, depth);
                writeln!(out, "SystemScan {}", table.name())
            }
            Node::Values { rows } => {
                indent(out, depth);
                writeln!(out, "Values ({} rows)", rows.len())
            }
            Node::Filter { input, predicate } => {
                indent(out, depth);
                writeln!(out, "Filter {predicate}")?;
                input.write_tree(out, depth + 1)
            }
            Node::Project { input, exprs } => {
                write_project(out, exprs, depth)?;
                input.write_tree(out, depth + 1)
            }
            Node::FusedRead(read) => write_fused_read(out, read, depth),
            Node::Sort { input, keys, top } => {
                indent(out, depth);
                let list: Vec<String> = keys
                    .iter()
                    .map(|key| {
                        let collate = match &key.collation {
                            Some(collation) => format!(" COLLATE {}", collation.name()),
                            None => String::new(),
                        };
                        format!(
                            "{}{collate} {}",
                            key.expr,
                            if key.descending { "DESC" } else { "ASC" }
                        )
                    })
                    .collect();
                match top {
                    None => out.push_str("Sort"),
                    Some(top) => {
                        write!(out, "TopK {}", top.limit)?;
                        if let Some(offset) = &top.offset {
                            write!(out, " offset {offset}")?;
                        }
                    }
                }
                write!(out, " {}", list.join(", "))?;
                if top.as_ref().is_some_and(|top| top.threshold.is_some()) {
                    out.push_str(" threshold pushed");
                }
                out.push('\n');
                input.write_tree(out, depth + 1)
            }
            Node::Limit {
                input,
                limit,
                offset,
            } => {
                let by_entries = offset_steps_entries(input);
                write_limit(out, (limit.as_ref(), offset.as_ref()), by_entries, depth)?;
                input.write_tree(out, depth + 1)
            }
            Node::Join(join) => {
                indent(out, depth);
                let kind = match join.kind {
                    JoinKind::Inner => "",
                    _ if join.existence == Some(super::Existence::Semi) => "Semi",
                    _ if join.existence == Some(super::Existence::Anti) => "Anti",
                    JoinKind::Left if join.unmatched_only => "Anti",
                    JoinKind::Left => "Left",
                    JoinKind::Right => "Right",
                    JoinKind::Full => "Full",
                };
                if let Some(probe) = &join.probe {
                    super::join_probe::write_index_join(out, join, probe)?;
                    write_top_gate(out, join);
                    out.push('\n');
                    join.left.write_tree(out, depth + 1)?;
                    return join.right.write_tree(out, depth + 1);
                }
                if join.left_keys.is_empty() {
                    write!(out, "{kind}NestedLoopJoin")?;
                } else {
                    let keys: Vec<String> = join
                        .left_keys
                        .iter()
                        .zip(&join.right_keys)
                        .map(|(left, right)| format!("{left} = {right}"))
                        .collect();
                    let build = if join.build_left { " build=left" } else { "" };
                    write!(out, "{kind}HashJoin{build} ({})", keys.join(", "))?;
                }
                if let Some(condition) = &join.condition {
                    write!(out, " on {condition}")?;
                }
                match join.bloom {
                    Some(bloom) if bloom.raw => out.push_str(" bloom filter raw"),
                    Some(_) => out.push_str(" bloom filter"),
                    None => {}
                }
                write_top_gate(out, join);
                out.push('\n');
                join.left.write_tree(out, depth + 1)?;
                join.right.write_tree(out, depth + 1)
            }
            Node::Aggregate {
                input,
                group_by,
                aggregates,
                strategy,
                ..
            } => {
                indent(out, depth);
                let calls: Vec<String> = aggregates.iter().map(ToString::to_string).collect();
                write!(out, "Aggregate {}", calls.join(", "))?;
                out.push_str(strategy.explain_words());
                if !group_by.is_empty() {
                    let keys: Vec<String> = group_by.iter().map(ToString::to_string).collect();
                    write!(out, " group by {}", keys.join(", "))?;
                }
                out.push('\n');
                input.write_tree(out, depth + 1)
            }
            Node::Window(window) => {
                indent(out, depth);
                let passes: Vec<String> = window.passes.iter().map(ToString::to_string).collect();
                write!(out, "Window {}", passes.join("; "))?;
                if let Some(top) = &window.top_n {
                    let name = top.function.name();
                    write!(out, " (top {} per partition by {name})", top.limit)?;
                }
                out.push('\n');
                window.input.write_tree(out, depth + 1)
            }
            Node::Distinct {
                input, strategy, ..
            } => {
                indent(out, depth);
                out.push_str("Distinct");
                if *strategy == super::DistinctStrategy::IndexWalk {
                    out.push_str(" by index order");
                }
                out.push('\n');
                input.write_tree(out, depth + 1)
            }
            Node::TableFunction(scan) => {
                indent(out, depth);
                let args: Vec<String> = scan.args.iter().map(|arg| arg.to_string()).collect();
                let lateral = match (&scan.input, scan.left) {
                    (None, _) => "",
                    (Some(_), false) => "Lateral",
                    (Some(_), true) => "LeftLateral",
                };
                write!(
                    out,
                    "{lateral}TableFunction {}({})",
                    scan.function,
                    args.join(", ")
                )?;
                if let Some(condition) = &scan.condition {
                    write!(out, " on {condition}")?;
                }
                out.push('\n');
                match &scan.input {
                    Some(input) => input.write_tree(out, depth + 1),
                    None => Ok(()),
                }
            }
            Node::SetOperation {
                op,
                left,
                right,
                unsorted,
                ..
            } => {
                indent(out, depth);
                let name = match op {
                    SetOperator::Union => "Union",
                    SetOperator::UnionAll => "UnionAll",
                    SetOperator::Intersect => "Intersect",
                    SetOperator::Except => "Except",
                };
                let unsorted = if *unsorted { " (rows unsorted)" } else { "" };
                writeln!(out, "{name}{unsorted}")?;
                left.write_tree(out, depth + 1)?;
                right.write_tree(out, depth + 1)
            }
            Node::AsOf(as_of) => {
                indent(out, depth);
                writeln!(out, "AsOf {} at {}", as_of.table.name, as_of.at)?;
                as_of.input.write_tree(out, depth + 1)
            }
            Node::CteScan(cte) => {
                indent(out, depth);
                let once = if cte.is_shared() {
                    " (materialized once)"
                } else {
                    ""
                };
                writeln!(out, "CteScan {}{once}", cte.name)?;
                cte.query.node.write_tree(out, depth + 1)
            }
            Node::RecursiveUnion(union) => {
                indent(out, depth);
                let all = if union.distinct { "" } else { " ALL" };
                write!(out, "RecursiveUnion{all} {}", union.name)?;
                if !union.order.is_empty() {
                    let keys: Vec<String> =
                        union.order.iter().map(|k| k.expr.to_string()).collect();
                    write!(out, " order by {}", keys.join(", "))?;
                }
                if let Some(limit) = &union.limit {
                    write!(out, " limit {limit}")?;
                }
                out.push('\n');
                union.initial.write_tree(out, depth + 1)?;
                for term in &union.recursive {
                    term.write_tree(out, depth + 1)?;
                }
                Ok(())
            }
            Node::WorkTable { name, .. } => {
                indent(out, depth);
                writeln!(out, "WorkTable {name}")
            }
        }
    }
}

impl fmt::Display for AggregateCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.function == AggregateFunction::CountStar {
            f.write_str("count(*)")?;
        } else {
            let split = self.args.len().saturating_sub(self.order.len());
            let args: Vec<String> = self.args[..split].iter().map(ToString::to_string).collect();
            let distinct = if self.distinct { "DISTINCT " } else { "" };
            let keys: Vec<String> = self.args[split..]
                .iter()
                .zip(&self.order)
                .map(|(key, order)| {
                    let direction = if order.descending { " DESC" } else { "" };
                    format!("{key}{direction}")
                })
                .collect();
            let order = if keys.is_empty() {
                String::new()
            } else {
                format!(" ORDER BY {}", keys.join(", "))
            };
            write!(f, "{}({distinct}{}{order})", self.name(), args.join(", "))?;
        }
        if let Some(filter) = &self.filter {
            write!(f, " FILTER (WHERE {filter})")?;
        }
        Ok(())
    }
}

/// Marks a join whose streamed rows are tested against a top-k's threshold.
fn write_top_gate(out: &mut String, join: &super::Join) {
    match join.top_gate.as_ref().map(|gate| gate.side) {
        Some(super::JoinSide::Left) => out.push_str(" top-k threshold on left"),
        Some(super::JoinSide::Right) => out.push_str(" top-k threshold on right"),
        None => {}
    }
}
