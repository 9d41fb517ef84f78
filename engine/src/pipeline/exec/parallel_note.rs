//! EXPLAIN's note on an aggregate or a top-k sort that may split across threads: while a
//! connection renders a plan inside `with_explain_threads`, `note_for` gives an Aggregate
//! node whose shape splits (`aggregate::parallel::splits`) or a TopK node over a full scan
//! whose keys split (`sort::parallel_top_k::splits`), its filter compiling with the statement's
//! parameters, " parallel up to N threads", N the statement's thread and the connection's
//! helpers. Whether it does split also depends on the table's size (at least
//! `SLOTS_PER_THREAD_MIN` slots per thread) and on an aggregate's sums' inputs, known only
//! when run.

use std::cell::RefCell;

use ember_storage::Value;

use crate::expr::{EvalContext, Predicate};
use crate::plan::{AccessPath, Node};

/// The connection's helper threads and the statement's parameters, while a plan renders.
struct Rendering {
    helpers: usize,
    params: Vec<Value>,
}

thread_local! {
    static RENDERING: RefCell<Option<Rendering>> = const { RefCell::new(None) };
}

/// Clears the rendering's settings however `render` ends.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        RENDERING.set(None);
    }
}

/// Runs `render` (a plan's display) with notes for aggregates that may split across
/// `helpers` helper threads (0: no notes) under the statement parameters `params`.
pub fn with_explain_threads<R>(helpers: usize, params: &[Value], render: impl FnOnce() -> R) -> R {
    if helpers == 0 {
        return render();
    }
    RENDERING.set(Some(Rendering {
        helpers,
        params: params.to_vec(),
    }));
    let _reset = Reset;
    render()
}

/// The note for `node`'s line: " parallel up to N threads" for an aggregate or a top-k
/// sort that may split.
pub fn note_for(node: &Node) -> Option<String> {
    RENDERING.with_borrow(|rendering| {
        let rendering = rendering.as_ref()?;
        let access = match node {
            Node::Aggregate {
                input, strategy, ..
            } => match input.as_ref() {
                Node::Scan(access) if strategy.parallel() => access,
                _ => return None,
            },
            Node::Sort {
                input,
                keys,
                top: Some(_),
            } => match input.as_ref() {
                Node::Scan(access)
                    if matches!(access.path, AccessPath::FullScan | AccessPath::KeyRange(_))
                        && super::sort::parallel_top_k::splits(keys) =>
                {
                    access
                }
                _ => return None,
            },
            _ => return None,
        };
        if let Some(filter) = &access.filter {
            let eval = EvalContext {
                params: &rendering.params,
                subqueries: None,
                outer: None,
            };
            if !Predicate::new(filter, &eval).is_compiled() {
                return None;
            }
        }
        Some(format!(" parallel up to {} threads", rendering.helpers + 1))
    })
}
