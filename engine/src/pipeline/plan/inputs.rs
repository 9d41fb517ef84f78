//! The inputs of a plan node: the nodes whose rows it reads, for passes that visit a whole
//! tree (`optimize/strategy.rs`). A CTE's query is shared (`Arc`) and bound, with its own
//! passes, where it is defined; an expression's subquery likewise: neither is an input here.

use super::Node;

impl Node {
    /// Calls `visit` with each input of this node, left to right.
    pub fn for_each_input_mut(&mut self, visit: &mut dyn FnMut(&mut Node)) {
        match self {
            Node::Scan(_)
            | Node::System { .. }
            | Node::Values { .. }
            | Node::CteScan(_)
            | Node::WorkTable { .. } => {}
            Node::Filter { input, .. }
            | Node::Project { input, .. }
            | Node::Sort { input, .. }
            | Node::Limit { input, .. }
            | Node::Aggregate { input, .. }
            | Node::Distinct { input, .. } => visit(input),
            Node::Window(window) => visit(&mut window.input),
            Node::TableFunction(scan) => {
                if let Some(input) = &mut scan.input {
                    visit(input);
                }
            }
            Node::Join(join) => {
                visit(&mut join.left);
                visit(&mut join.right);
            }
            Node::SetOperation { left, right, .. } => {
                visit(left);
                visit(right);
            }
            Node::AsOf(as_of) => visit(&mut as_of.input),
            Node::RecursiveUnion(union) => {
                visit(&mut union.initial);
                for step in &mut union.recursive {
                    visit(step);
                }
            }
        }
    }
}
