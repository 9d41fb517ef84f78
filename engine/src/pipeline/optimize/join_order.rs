//! Join planning. Given the FROM relations and the WHERE / ON conjuncts (over the syntactic
//! row layout), it:
//! - pushes a conjunct that reads one relation into that relation's access (so a key or
//!   index lookup can serve it), except onto a NULL-padded side of an outer join;
//! - orders inner joins by estimated cost (greedily from each starting relation, joining
//!   next the connected relation cheapest to join: a key probe or a hash join), keeping
//!   FROM order when there is an outer join;
//! - applies every other conjunct at the first join where all it reads is present, turning
//!   `left = right` conjuncts into hash-join keys;
//! - restores the syntactic layout at the end, and filters there with conjuncts that must
//!   see it (correlated subqueries bound against it, when the order changed).

use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::plan::{Join, JoinKind, Node, Relation, RelationSource};

use super::{hinted_access, join_access, scanned_rows, JoinChoice, DERIVED_ROWS_ESTIMATE};

/// Up to this many relations, the join order search tries every starting relation.
const ORDER_SEARCH_RELATIONS: usize = 12;

/// Which relations a conjunct reads.
struct Term {
    expr: Expr,
    relations: Vec<usize>,
}

pub fn plan_joins(relations: Vec<Relation>, mut where_terms: Vec<Expr>) -> Result<Node> {
    // Correlated [NOT] EXISTS conjuncts become semi / anti joins over the joined row.
    let exists_joins = super::exists_join::take_exists_joins(&mut where_terms);
    // A table-valued function reading the relations to its left takes them as its input.
    let (relations, where_terms) = super::lateral_join::join_laterally(relations, where_terms)?;
    let count = relations.len();
    let offsets: Vec<usize> = relations.iter().map(|r| r.offset).collect();
    let widths: Vec<usize> = relations.iter().map(|r| r.width).collect();
    let relation_of = |column: usize| offsets.partition_point(|&offset| offset <= column) - 1;
    let term = |expr: Expr| {
        let mut read: Vec<usize> = if expr.has_correlated_subquery() {
            // Its subqueries read columns of this query's row by their syntactic position
            // (not seen by `columns_read`, not remapped by `map_columns`): it waits until
            // every relation is joined, in FROM order, where that row is whole.
            (0..count).collect()
        } else {
            expr.columns_read().into_iter().map(relation_of).collect()
        };
        read.sort_unstable();
        read.dedup();
        Term {
            expr,
            relations: read,
        }
    };
    // Outer joins keep FROM order (only inner joins commute).
    let any_outer = relations.iter().skip(1).any(|r| r.kind != JoinKind::Inner);

    // Inner joins' ON terms behave like WHERE terms; outer joins keep theirs at the join.
    let mut terms: Vec<Term> = Vec::new();
    let mut left_conditions: Vec<Vec<Term>> = (0..count).map(|_| Vec::new()).collect();
    let mut sources = Vec::with_capacity(count);
    for (index, relation) in relations.into_iter().enumerate() {
        for on in relation.on {
            if relation.kind != JoinKind::Inner {
                left_conditions[index].push(term(on));
            } else {
                terms.push(term(on));
            }
        }
        sources.push((relation.source, relation.kind));
    }
    terms.extend(where_terms.into_iter().map(term));

    // Single-relation, uncorrelated terms go into that relation's access.
    let kinds: Vec<JoinKind> = sources.iter().map(|(_, kind)| *kind).collect();
    // A relation some join pads with NULLs: the right of a LEFT / FULL join, anything left
    // of a RIGHT / FULL one.
    let outer_after = |r: usize| {
        kinds[r + 1..]
            .iter()
            .any(|kind| matches!(kind, JoinKind::Right | JoinKind::Full))
    };
    let nullable =
        |r: usize| (r > 0 && matches!(kinds[r], JoinKind::Left | JoinKind::Full)) || outer_after(r);
    // What an `INDEXED BY` partial index's WHERE may be implied by, per relation.
    let joined_terms: Vec<Vec<Expr>> = (0..count)
        .map(|r| {
            if !matches!(&sources[r].0, RelationSource::Table(_, Some(_))) {
                return Vec::new();
            }
            let own_on = left_conditions[r]
                .iter()
                .filter(|_| kinds[r] == JoinKind::Left);
            let apart = |i: usize| match i.checked_sub(offsets[r]) {
                Some(own) if own < widths[r] => own,
                _ => widths[r] + i,
            };
            terms
                .iter()
                .chain(own_on)
                .filter(|term| term.relations.contains(&r) && term.relations.len() > 1)
                .filter(|term| !term.expr.has_correlated_subquery())
                .map(|term| term.expr.map_columns(&apart))
                .collect()
        })
        .collect();
    let mut local: Vec<Vec<Expr>> = (0..count).map(|_| Vec::new()).collect();
    let mut pending: Vec<Term> = Vec::new();
    let mut top: Vec<Expr> = Vec::new();
    let localize = |expr: &Expr, r: usize| expr.map_columns(&|i| i - offsets[r]);
    for term in terms {
        if term.expr.has_correlated_subquery() {
            pending.push(term);
        } else if term.relations.is_empty() {
            top.push(term.expr);
        } else if term.relations.len() == 1 && !nullable(term.relations[0]) {
            let r = term.relations[0];
            local[r].push(localize(&term.expr, r));
        } else {
            pending.push(term);
        }
    }
    for (r, conditions) in left_conditions.iter_mut().enumerate() {
        // A LEFT join's ON term reading only its right side filters that side first.
        if kinds[r] != JoinKind::Left {
            continue;
        }
        conditions.retain(|term| {
            let pushable = term.relations == [r] && !term.expr.has_correlated_subquery();
            if pushable {
                local[r].push(localize(&term.expr, r));
            }
            !pushable
        });
    }

    let mut nodes: Vec<Option<Node>> = Vec::with_capacity(count);
    let mut estimates = Vec::with_capacity(count);
    for (((source, _), filters), joined) in sources.into_iter().zip(local).zip(joined_terms) {
        let filter = Expr::from_conjuncts(filters);
        let (node, estimate) = match source {
            RelationSource::Table(table, hint) => {
                let access = hinted_access(table, hint.as_ref(), filter, &joined)?;
                let estimate = scanned_rows(&access);
                (Node::Scan(access), estimate)
            }
            RelationSource::Node(node) => {
                // A recursive CTE's work table is one row: joined first, it drives the join.
                let estimate = match node {
                    Node::WorkTable { .. } => 1,
                    _ => DERIVED_ROWS_ESTIMATE,
                };
                let node = match filter {
                    Some(predicate) => Node::Filter {
                        input: Box::new(node),
                        predicate,
                    },
                    None => node,
                };
                (node, estimate)
            }
        };
        nodes.push(Some(node));
        estimates.push(estimate);
    }

    let order = if any_outer {
        (0..count).collect()
    } else {
        let candidates = JoinCandidates {
            nodes: &nodes,
            estimates: &estimates,
            pending: &pending,
            offsets: &offsets,
            relation_of: &relation_of,
        };
        candidates.cheapest_order()
    };
    let reordered = order.iter().enumerate().any(|(i, &r)| i != r);
    if reordered {
        // Correlated subqueries were bound against the syntactic layout: check them there.
        pending.retain(|term| {
            let correlated = term.expr.has_correlated_subquery();
            if correlated {
                top.push(term.expr.clone());
            }
            !correlated
        });
    }

    // Join in order; `position[r]` is where relation r's columns start in the current row.
    let mut position: Vec<Option<usize>> = vec![None; count];
    let first = order[0];
    let mut node = nodes[first].take().expect("each relation is joined once");
    position[first] = Some(0);
    let mut width = widths[first];
    // About how many rows the joins so far give (drives the choice of index joins).
    let mut rows = estimates[first];
    for &r in &order[1..] {
        let right = nodes[r].take().expect("each relation is joined once");
        let kind = kinds[r];
        let mut conditions: Vec<Term> = std::mem::take(&mut left_conditions[r]);
        let ready = |term: &Term| {
            term.relations
                .iter()
                .all(|&t| t == r || position[t].is_some())
        };
        let (now, later): (Vec<Term>, Vec<Term>) = pending.into_iter().partition(|t| ready(t));
        pending = later;
        // WHERE terms that become ready at an outer join filter its output; at an inner join
        // they are part of the join condition.
        let after = if kind != JoinKind::Inner {
            now
        } else {
            conditions.extend(now);
            Vec::new()
        };
        position[r] = Some(width);
        let map = |i: usize| {
            let owner = relation_of(i);
            position[owner].expect("joined") + (i - offsets[owner])
        };
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        let mut residual = Vec::new();
        for term in conditions {
            match equi_key(
                &term.expr,
                r,
                &|t| t != r && position[t].is_some(),
                &relation_of,
            ) {
                Some((left, right)) => {
                    left_keys.push(left.map_columns(&map));
                    right_keys.push(right.map_columns(&|i| i - offsets[r]));
                }
                None => residual.push(term.expr.map_columns(&map)),
            }
        }
        let choice = join_access(
            &right,
            &left_keys,
            &right_keys,
            rows,
            estimates[r],
            kind == JoinKind::Inner,
        );
        let joined_rows = choice.rows;
        let probe = choice
            .probe
            .filter(|_| matches!(kind, JoinKind::Inner | JoinKind::Left));
        // An INNER hash join builds on the smaller side by estimate.
        let build_left = kind == JoinKind::Inner
            && probe.is_none()
            && !left_keys.is_empty()
            && rows < estimates[r];
        rows = joined_rows;
        let mut join = Join {
            probe: probe.map(Box::new),
            build_left,
            kind,
            left: node,
            right,
            left_keys,
            right_keys,
            condition: Expr::from_conjuncts(residual),
            left_width: width,
            right_width: widths[r],
            unmatched_only: false,
            existence: None,
            bloom: None,
            top_gate: None,
        };
        let mut after: Vec<Expr> = after
            .into_iter()
            .map(|t| t.expr.map_columns(&map))
            .collect();
        super::anti_join::mark_anti_join(&mut join, &mut after);
        node = Node::Join(Box::new(join));
        width += widths[r];
        if let Some(predicate) = Expr::from_conjuncts(after) {
            node = Node::Filter {
                input: Box::new(node),
                predicate,
            };
        }
    }
    top.extend(pending.into_iter().map(|term| term.expr));

    if reordered {
        let exprs = (0..count)
            .flat_map(|r| {
                let start = position[r].expect("every relation joined");
                (0..widths[r]).map(move |i| Expr::Column {
                    index: start + i,
                    name: String::new(),
                    meta: Default::default(),
                })
            })
            .collect();
        node = Node::Project {
            input: Box::new(node),
            exprs,
        };
    }
    if !exists_joins.is_empty() {
        let syntactic_width = widths.iter().sum();
        node = super::exists_join::attach(node, syntactic_width, rows, exists_joins);
    }
    Ok(match Expr::from_conjuncts(top) {
        Some(predicate) => Node::Filter {
            input: Box::new(node),
            predicate,
        },
        None => node,
    })
}

/// What the inner-join order search sees of the relations.
struct JoinCandidates<'a> {
    nodes: &'a [Option<Node>],
    estimates: &'a [u64],
    pending: &'a [Term],
    offsets: &'a [usize],
    relation_of: &'a dyn Fn(usize) -> usize,
}

impl JoinCandidates<'_> {
    /// Join order for inner joins, by estimated cost (`optimize::join_access`): from each
    /// starting relation (only the smallest past `ORDER_SEARCH_RELATIONS`), repeatedly join
    /// the relation a pending conjunct connects to those joined (else any) that costs least
    /// to join next; the order of least total cost wins. A key probe makes a relation cheap
    /// to join once its key's other side is joined, so a small driving table probing a
    /// large one's key comes before hashing the large one.
    fn cheapest_order(&self) -> Vec<usize> {
        let count = self.estimates.len();
        let by_size = |r: &usize| (self.estimates[*r], *r);
        let starts: Vec<usize> = if count <= ORDER_SEARCH_RELATIONS {
            (0..count).collect()
        } else {
            (0..count).min_by_key(by_size).into_iter().collect()
        };
        starts
            .into_iter()
            .map(|start| self.order_from(start))
            .min_by_key(|(cost, _)| *cost)
            .map(|(_, order)| order)
            .expect("a join has at least one relation")
    }

    /// The greedy order starting at `start`, and its estimated cost.
    fn order_from(&self, start: usize) -> (u64, Vec<usize>) {
        let count = self.estimates.len();
        let mut joined = vec![false; count];
        joined[start] = true;
        let mut order = vec![start];
        let mut rows = self.estimates[start];
        let mut total = rows;
        while order.len() < count {
            let connected = |r: usize| {
                self.pending.iter().any(|term| {
                    term.relations.contains(&r)
                        && term.relations.iter().any(|&t| t != r && joined[t])
                        && term.relations.iter().all(|&t| t == r || joined[t])
                })
            };
            let mut candidates: Vec<usize> =
                (0..count).filter(|&r| !joined[r] && connected(r)).collect();
            if candidates.is_empty() {
                candidates = (0..count).filter(|&r| !joined[r]).collect();
            }
            let (cost, next_rows, next) = candidates
                .into_iter()
                .map(|r| {
                    let choice = self.join_choice(r, rows, &joined);
                    (choice.cost, choice.rows, r)
                })
                .min_by_key(|&(cost, _, r)| (cost, self.estimates[r], r))
                .expect("a relation is left to join");
            joined[next] = true;
            order.push(next);
            rows = next_rows.max(1);
            total = total.saturating_add(cost);
        }
        (total, order)
    }

    /// The cost of joining relation `r` next, after the `joined` ones giving about `rows`.
    fn join_choice(&self, r: usize, rows: u64, joined: &[bool]) -> JoinChoice {
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        for term in self.pending {
            let ready = term.relations.iter().all(|&t| t == r || joined[t]);
            if !ready || !term.relations.contains(&r) {
                continue;
            }
            if let Some((left, right)) =
                equi_key(&term.expr, r, &|t| t != r && joined[t], self.relation_of)
            {
                left_keys.push(left);
                right_keys.push(right.map_columns(&|i| i - self.offsets[r]));
            }
        }
        let node = self.nodes[r].as_ref().expect("not joined yet");
        // Only inner joins are reordered: either side may be built.
        join_access(node, &left_keys, &right_keys, rows, self.estimates[r], true)
    }
}

/// If `expr` is `a = b` with one side reading only relation `right` and the other only
/// relations already joined (`is_joined`), the pair (joined side, right side).
fn equi_key(
    expr: &Expr,
    right: usize,
    is_joined: &dyn Fn(usize) -> bool,
    relation_of: &dyn Fn(usize) -> usize,
) -> Option<(Expr, Expr)> {
    let Expr::Binary(BinaryOp::Equal, a, b) = expr else {
        return None;
    };
    if expr.has_correlated_subquery() {
        return None;
    }
    let side = |e: &Expr| -> Option<bool> {
        let read = e.columns_read();
        if read.is_empty() {
            return None;
        }
        if read.iter().all(|&c| relation_of(c) == right) {
            Some(true)
        } else if read.iter().all(|&c| is_joined(relation_of(c))) {
            Some(false)
        } else {
            None
        }
    };
    match (side(a)?, side(b)?) {
        (false, true) => Some((a.as_ref().clone(), b.as_ref().clone())),
        (true, false) => Some((b.as_ref().clone(), a.as_ref().clone())),
        _ => None,
    }
}
