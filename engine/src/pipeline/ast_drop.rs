//! Parsed statements that drop without deep recursion. sqlparser builds operator chains
//! (`1 + 1 + ...`, `x IS NULL IS NULL ...`) and compound SELECTs (`... UNION SELECT ...`)
//! in a loop, so SQL text can describe a syntax tree far deeper than the parser's recursion
//! limit; the compiler's drop glue would then recurse once per level and overflow the
//! stack. `Parsed` owns the statements and, when the text was long enough to hold such a
//! tree, takes them apart with an explicit work list before dropping the (now shallow)
//! pieces.

use std::ops::{ControlFlow, Deref};

use sqlparser::ast::{Expr, SetExpr, Statement, Value, Values};

use crate::ast_visit::{walk_mut, NodeMut};

/// SQL text up to this many bytes cannot nest deeper than this many syntax levels, which
/// the ordinary recursive drop handles on any thread stack; longer text is dismantled.
const RECURSIVE_DROP_SQL_BYTES_MAX: usize = 2048;

/// Statements parsed from one SQL text.
pub struct Parsed {
    statements: Vec<Statement>,
    sql_bytes: usize,
    /// Per statement, the CREATE text SQLite would keep for it (`parse/creation_text.rs`);
    /// empty when no statement is a CREATE TABLE, INDEX or VIEW.
    creation_texts: Vec<Option<String>>,
}

impl Parsed {
    pub(crate) fn new(statements: Vec<Statement>, sql_bytes: usize) -> Parsed {
        Parsed {
            statements,
            sql_bytes,
            creation_texts: Vec::new(),
        }
    }

    pub(crate) fn with_creation_texts(mut self, creation_texts: Vec<Option<String>>) -> Parsed {
        debug_assert!(creation_texts.is_empty() || creation_texts.len() == self.statements.len());
        self.creation_texts = creation_texts;
        self
    }

    /// The CREATE text SQLite would keep for statement `index` (as written, from its name
    /// on), if it is a CREATE TABLE, INDEX or VIEW whose text was found.
    pub(crate) fn creation_text(&self, index: usize) -> Option<&str> {
        self.creation_texts.get(index)?.as_deref()
    }
}

impl std::fmt::Debug for Parsed {
    /// Only the count: formatting a deep tree would recurse as deeply as dropping it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Parsed({} statements)", self.statements.len())
    }
}

impl Deref for Parsed {
    type Target = [Statement];

    fn deref(&self) -> &[Statement] {
        &self.statements
    }
}

impl Drop for Parsed {
    fn drop(&mut self) {
        if self.sql_bytes > RECURSIVE_DROP_SQL_BYTES_MAX {
            dismantle(std::mem::take(&mut self.statements));
        }
    }
}

/// A leaf that stands in for a detached expression.
fn placeholder_expr() -> Expr {
    Expr::value(Value::Null)
}

/// A leaf that stands in for a detached query body.
fn placeholder_body() -> SetExpr {
    SetExpr::Values(Values {
        explicit_row: false,
        value_keyword: false,
        rows: Vec::new(),
    })
}

/// Detaches every expression and every compound query body it reaches, so the visit never
/// descends into them; `keep_root` lets the one expression being taken apart keep itself.
#[derive(Default)]
struct Dismantler {
    exprs: Vec<Expr>,
    bodies: Vec<SetExpr>,
    keep_root: bool,
}

impl Dismantler {
    /// What a walk does on meeting `node`: detaches an expression (but the root being taken
    /// apart) as it enters it, and a compound query's body as it enters the query.
    fn meet(&mut self, node: NodeMut<'_>) -> ControlFlow<()> {
        match node {
            NodeMut::EnterExpr(expr) => {
                if !std::mem::take(&mut self.keep_root) {
                    self.exprs.push(std::mem::replace(expr, placeholder_expr()));
                }
            }
            NodeMut::EnterQuery(query) => {
                if matches!(*query.body, SetExpr::SetOperation { .. }) {
                    self.bodies
                        .push(std::mem::replace(&mut *query.body, placeholder_body()));
                }
            }
            NodeMut::LeaveExpr(_)
            | NodeMut::LeaveQuery
            | NodeMut::EnterSelect(_)
            | NodeMut::LeaveSelect
            | NodeMut::LeaveRelation(_) => {}
        }
        ControlFlow::Continue(())
    }
}

/// Drops `statements` using a work list: each step detaches a node's child expressions and
/// compound operands, so no drop recurses through more than the parser's own nesting.
pub fn dismantle(statements: Vec<Statement>) {
    let mut work = Dismantler::default();
    for mut statement in statements {
        let _ = walk_mut(&mut statement, &mut |node| work.meet(node));
    }
    loop {
        if let Some(mut expr) = work.exprs.pop() {
            work.keep_root = true;
            let _ = walk_mut(&mut expr, &mut |node| work.meet(node));
            work.keep_root = false;
        } else if let Some(body) = work.bodies.pop() {
            match body {
                SetExpr::SetOperation { left, right, .. } => {
                    work.bodies.push(*left);
                    work.bodies.push(*right);
                }
                mut other => {
                    let _ = walk_mut(&mut other, &mut |node| work.meet(node));
                }
            }
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Vec<Statement> {
        crate::parse::parse_statements(sql).unwrap().to_vec()
    }

    #[test]
    fn deep_chains_drop_without_overflowing_the_stack() {
        let depth = 50_000;
        for sql in [
            format!("SELECT 1{}", " + 1".repeat(depth)),
            format!("SELECT 1 WHERE 1{}", " AND 1".repeat(depth)),
            format!("SELECT 1{}", " IS NULL".repeat(depth)),
            format!("SELECT 1{}", " UNION SELECT 1".repeat(depth)),
            format!(
                "SELECT (SELECT 1{}) + 1",
                " UNION SELECT 2 - 1".repeat(depth)
            ),
        ] {
            // `Parsed` dismantles on drop; run on a small stack to make a regression loud.
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || drop(crate::parse::parse_statements(&sql).unwrap()))
                .unwrap()
                .join()
                .unwrap();
        }
    }

    #[test]
    fn dismantling_reaches_every_node() {
        // Dismantling leaves no expression attached: visiting what is left finds only
        // placeholders, checked by dismantling a clone and counting detached expressions.
        let statements = parse("SELECT a + 1, (SELECT 2 UNION SELECT 3) FROM t WHERE b IN (1, 2)");
        let mut work = Dismantler::default();
        let mut copy = statements.clone();
        for statement in &mut copy {
            let _ = walk_mut(statement, &mut |node| work.meet(node));
        }
        assert!(work.exprs.len() >= 3, "{}", work.exprs.len());
        for statement in &copy {
            assert!(!statement.to_string().contains('+'), "{statement}");
        }
        dismantle(statements);
    }
}
