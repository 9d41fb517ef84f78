//! The engine's walks over sqlparser's syntax tree: one visitor type that reads (`walk`) and
//! one that changes (`walk_mut`), each handing the nodes it meets to a `&mut dyn FnMut`.
//! sqlparser's `Visit` / `VisitMut` code is generic over the visitor, so each distinct
//! visitor type (each closure given to `ast::visit_expressions` and the like) compiles its
//! own copy of the walk over every kind of node, several hundred functions, each wrapped in
//! stack-growth guards; going through these two types keeps that at one copy each. Every
//! walk in the engine goes through here (`exprs`, `relations`, ... are the usual shapes).

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, ObjectName, Query, Select, Visit, VisitMut, Visitor, VisitorMut};

/// Whether a walk goes on (`Continue`) or stops where it is (`Break`).
pub type Flow = ControlFlow<()>;

/// A node a reading walk meets, before its children.
pub enum Node<'n> {
    Expr(&'n Expr),
    /// A table name where a statement reads or writes a relation (FROM, INSERT INTO, ...).
    Relation(&'n ObjectName),
}

/// A node a changing walk meets, and when: `Enter..` before its children are walked (the
/// walk goes on into what the callback leaves in its place), `Leave..` after.
pub enum NodeMut<'n> {
    EnterExpr(&'n mut Expr),
    LeaveExpr(&'n mut Expr),
    EnterQuery(&'n mut Query),
    LeaveQuery,
    /// A SELECT core (FROM, projection, WHERE, GROUP BY, HAVING; not its query's ORDER BY).
    EnterSelect(&'n mut Select),
    LeaveSelect,
    LeaveRelation(&'n mut ObjectName),
}

/// Walks `node` depth-first, handing every expression and relation to `visit`, until it
/// breaks.
pub fn walk<N: Visit>(node: &N, visit: &mut dyn FnMut(Node<'_>) -> Flow) -> Flow {
    node.visit(&mut Reader(visit))
}

/// Walks `node` depth-first, handing expressions, queries and relations to `visit` (as
/// `NodeMut` says when), until it breaks.
pub fn walk_mut<N: VisitMut>(node: &mut N, visit: &mut dyn FnMut(NodeMut<'_>) -> Flow) -> Flow {
    node.visit(&mut Changer(visit))
}

/// Every expression in `node`, outermost first, until `visit` breaks.
pub fn exprs<N: Visit>(node: &N, mut visit: impl FnMut(&Expr) -> Flow) -> Flow {
    walk(node, &mut |found| match found {
        Node::Expr(expr) => visit(expr),
        Node::Relation(_) => ControlFlow::Continue(()),
    })
}

/// Every relation (table name) `node` reads or writes, until `visit` breaks.
pub fn relations<N: Visit>(node: &N, mut visit: impl FnMut(&ObjectName) -> Flow) -> Flow {
    walk(node, &mut |found| match found {
        Node::Relation(name) => visit(name),
        Node::Expr(_) => ControlFlow::Continue(()),
    })
}

/// Every expression in `node`, innermost first (children before their parent), changed by
/// `change`.
pub fn exprs_mut<N: VisitMut>(node: &mut N, mut change: impl FnMut(&mut Expr)) {
    let _ = walk_mut(node, &mut |found| {
        if let NodeMut::LeaveExpr(expr) = found {
            change(expr);
        }
        ControlFlow::Continue(())
    });
}

/// Every query in `node` (the statement's and its subqueries'), outermost first, changed
/// by `change` before the walk goes into it.
pub fn queries_mut<N: VisitMut>(node: &mut N, mut change: impl FnMut(&mut Query)) {
    let _ = walk_mut(node, &mut |found| {
        if let NodeMut::EnterQuery(query) = found {
            change(query);
        }
        ControlFlow::Continue(())
    });
}

/// Every relation (table name) in `node`, changed by `change`.
pub fn relations_mut<N: VisitMut>(node: &mut N, mut change: impl FnMut(&mut ObjectName)) {
    let _ = walk_mut(node, &mut |found| {
        if let NodeMut::LeaveRelation(name) = found {
            change(name);
        }
        ControlFlow::Continue(())
    });
}

/// The one reading visitor type.
struct Reader<'f, 'v>(&'f mut (dyn FnMut(Node<'_>) -> Flow + 'v));

impl Visitor for Reader<'_, '_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> Flow {
        (self.0)(Node::Expr(expr))
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> Flow {
        (self.0)(Node::Relation(relation))
    }
}

/// The one changing visitor type.
struct Changer<'f, 'v>(&'f mut (dyn FnMut(NodeMut<'_>) -> Flow + 'v));

impl VisitorMut for Changer<'_, '_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> Flow {
        (self.0)(NodeMut::EnterExpr(expr))
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> Flow {
        (self.0)(NodeMut::LeaveExpr(expr))
    }

    fn pre_visit_query(&mut self, query: &mut Query) -> Flow {
        (self.0)(NodeMut::EnterQuery(query))
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> Flow {
        (self.0)(NodeMut::LeaveQuery)
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> Flow {
        (self.0)(NodeMut::EnterSelect(select))
    }

    fn post_visit_select(&mut self, _select: &mut Select) -> Flow {
        (self.0)(NodeMut::LeaveSelect)
    }

    fn post_visit_relation(&mut self, relation: &mut ObjectName) -> Flow {
        (self.0)(NodeMut::LeaveRelation(relation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str) -> sqlparser::ast::Statement {
        crate::parse::parse_statements(sql).unwrap()[0].clone()
    }

    #[test]
    fn reading_walk_meets_outer_expressions_first_and_every_relation() {
        let parsed = statement("SELECT a + 1 FROM t JOIN u ON (SELECT 1 FROM v) = 1");
        let mut seen = Vec::new();
        let _ = walk(&parsed, &mut |node| {
            seen.push(match node {
                Node::Expr(expr) => format!("expr {expr}"),
                Node::Relation(name) => format!("relation {name}"),
            });
            ControlFlow::Continue(())
        });
        let position = |wanted: &str| seen.iter().position(|s| s == wanted);
        assert!(position("expr a + 1") < position("expr a"), "{seen:?}");
        for table in ["t", "u", "v"] {
            assert!(position(&format!("relation {table}")).is_some(), "{seen:?}");
        }
    }

    #[test]
    fn a_break_stops_the_walk() {
        let parsed = statement("SELECT a, b, c FROM t");
        let mut count = 0;
        let flow = exprs(&parsed, |_| {
            count += 1;
            ControlFlow::Break(())
        });
        assert!(flow.is_break());
        assert_eq!(count, 1);
    }

    #[test]
    fn changing_walk_leaves_children_before_parents_and_renames_relations() {
        let mut parsed = statement("SELECT x + y FROM t WHERE z IN (SELECT w FROM t)");
        let mut left = Vec::new();
        exprs_mut(&mut parsed, |expr| left.push(expr.to_string()));
        let position = |wanted: &str| left.iter().position(|s| s == wanted);
        assert!(position("x") < position("x + y"), "{left:?}");
        relations_mut(&mut parsed, |name| {
            *name = ObjectName::from(sqlparser::ast::Ident::new("t2"))
        });
        assert_eq!(
            parsed.to_string(),
            "SELECT x + y FROM t2 WHERE z IN (SELECT w FROM t2)"
        );
    }
}
