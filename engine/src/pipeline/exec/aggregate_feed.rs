//! Feeding one input row to a group's accumulators: each aggregate call's arguments are
//! resolved once per statement (`Args`: none, a plain column read in place, a compiled
//! expression, several values), then every row evaluates them and adds them to the
//! group's accumulators, honouring each call's `FILTER (WHERE ..)`. Shared by the hashing
//! grouper (`aggregate.rs`), its parallel workers and the index-order walk
//! (`group_walk.rs`).

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{Computed, EvalContext, Expr, Predicate};
use crate::plan::AggregateCall;

use super::accumulator::Accumulator;
use super::ExecContext;

/// Where an aggregate call's arguments come from, resolved once per statement.
enum Args<'p> {
    /// COUNT(*): none.
    None,
    /// One plain column of the input row (borrowed, never copied).
    Column(usize),
    /// One computed value: the grouper's `computed_args[i]` (compiled when arithmetic).
    Expr(usize),
    /// One computed value that may be text it makes (a compiled scalar: `||`, a text
    /// view), read borrowed: `computed_args[i].eval_borrowed`.
    Borrowed(usize),
    /// Several values (group_concat with a separator).
    Exprs(&'p [Expr]),
}

impl<'p> Args<'p> {
    /// The arguments of `call`, a computed one appended to `computed` (its constants read
    /// in `context`).
    fn of(
        call: &'p AggregateCall,
        context: &EvalContext<'_>,
        computed: &mut Vec<Computed<'p>>,
    ) -> Args<'p> {
        match call.args.as_slice() {
            [] => Args::None,
            [Expr::Column { index, .. }] => Args::Column(*index),
            [expr] => {
                let compiled = Computed::new(expr, context);
                let borrows = compiled.reads_borrowed();
                computed.push(compiled);
                if borrows {
                    Args::Borrowed(computed.len() - 1)
                } else {
                    Args::Expr(computed.len() - 1)
                }
            }
            exprs => Args::Exprs(exprs),
        }
    }

    /// Whether `call` takes no argument or one plain column (`Args::None` or `Column`).
    fn are_plain(call: &AggregateCall) -> bool {
        matches!(call.args.as_slice(), [] | [Expr::Column { .. }])
    }
}

/// A fresh accumulator for `call` (`rows_max`: see `Feeder::accumulators`).
fn fresh_accumulator(call: &AggregateCall, rows_max: usize) -> Accumulator {
    Accumulator::new(call.function, call.distinct)
        .with_seen_max(rows_max)
        .with_collation(call.collation)
        .with_user(call.user.as_ref())
}

/// The aggregate calls of one statement, their arguments resolved, feeding rows to a
/// group's accumulators (one per call, in call order).
pub(super) struct Feeder<'p> {
    aggregates: &'p [AggregateCall],
    /// Each aggregate's argument source, in `aggregates` order.
    args: Vec<Args<'p>>,
    /// The single computed arguments (`Args::Expr`, `Args::Borrowed`).
    computed_args: Vec<Computed<'p>>,
    /// Each call's `FILTER (WHERE ..)`, compiled once (as a scan's filter is), in
    /// `aggregates` order; empty when no call has one (nothing checked per row then).
    filters: Vec<Option<Predicate<'p>>>,
    /// Reused per row: the values of a call of several arguments.
    arg_values: Vec<Value>,
}

impl<'p> Feeder<'p> {
    pub(super) fn new(aggregates: &'p [AggregateCall], context: &ExecContext<'_>) -> Feeder<'p> {
        let mut computed_args = Vec::new();
        let args = aggregates
            .iter()
            .map(|call| Args::of(call, &context.eval, &mut computed_args))
            .collect();
        Feeder {
            aggregates,
            args,
            computed_args,
            filters: if aggregates.iter().any(|call| call.filter.is_some()) {
                aggregates
                    .iter()
                    .map(|call| {
                        let filter = call.filter.as_ref()?;
                        Some(Predicate::new(filter, &context.eval))
                    })
                    .collect()
            } else {
                Vec::new()
            },
            arg_values: Vec::new(),
        }
    }

    /// Whether no call has a FILTER and every one takes no argument or one plain column
    /// (`feed_plain` can feed them).
    pub(super) fn all_plain(aggregates: &[AggregateCall]) -> bool {
        aggregates
            .iter()
            .all(|call| call.filter.is_none() && Args::are_plain(call))
    }

    /// Appends a group of fresh accumulators, one per call, to `accumulators` (`rows_max`:
    /// the statement's row cap, which a DISTINCT call's set of seen values is held to).
    pub(super) fn push_accumulators(&self, accumulators: &mut GroupAccumulators, rows_max: usize) {
        accumulators.push(
            self.aggregates
                .iter()
                .map(|call| fresh_accumulator(call, rows_max)),
        );
    }

    /// Makes `accumulators` fresh ones, as `accumulators` does, in place (a walk folding
    /// one group at a time reuses the last group's).
    pub(super) fn refill_accumulators(&self, accumulators: &mut Vec<Accumulator>, rows_max: usize) {
        if accumulators.len() == self.aggregates.len() {
            for (accumulator, call) in accumulators.iter_mut().zip(self.aggregates) {
                accumulator.restart(call.user.as_ref());
            }
            return;
        }
        accumulators.clear();
        accumulators.extend(
            self.aggregates
                .iter()
                .map(|call| fresh_accumulator(call, rows_max)),
        );
    }

    /// Feeds `row` to `accumulators` when every call is plain (`all_plain`): no filter and
    /// no expression to evaluate.
    #[inline(always)]
    pub(super) fn feed_plain(&self, accumulators: &mut [Accumulator], row: &[Value]) -> Result<()> {
        for (args, accumulator) in self.args.iter().zip(accumulators) {
            match args {
                Args::None => accumulator.add_row(),
                Args::Column(index) => accumulator.add_value(&row[*index])?,
                Args::Expr(_) | Args::Borrowed(_) | Args::Exprs(_) => {
                    debug_assert!(false, "a plain aggregate reads columns only");
                    return Err(crate::err!(
                        Internal,
                        "a plain aggregate was given an argument expression"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Feeds `row` to `accumulators`, also showing `note` each value fed to a one-argument
    /// aggregate (with the aggregate's position): a parallel worker measures its sums'
    /// inputs so.
    #[inline(always)]
    pub(super) fn feed(
        &mut self,
        accumulators: &mut [Accumulator],
        row: &[Value],
        context: &ExecContext<'_>,
        mut note: impl FnMut(usize, &Value),
    ) -> Result<()> {
        for (at, (args, accumulator)) in self.args.iter().zip(accumulators).enumerate() {
            if let Some(Some(filter)) = self.filters.get(at) {
                if !filter.matches(row, &context.eval)? {
                    continue;
                }
            }
            match args {
                Args::None => accumulator.add_row(),
                Args::Column(index) => {
                    note(at, &row[*index]);
                    accumulator.add_value(&row[*index])?
                }
                Args::Expr(slot) => {
                    let value = self.computed_args[*slot].eval(row, &context.eval)?;
                    note(at, &value);
                    accumulator.add_value(&value)?
                }
                Args::Borrowed(slot) => {
                    // Text it makes is written into a buffer kept between rows.
                    let value = self.computed_args[*slot].eval_borrowed(row, &context.eval)?;
                    note(at, &value);
                    accumulator.add_value(&value)?
                }
                Args::Exprs(exprs) => {
                    self.arg_values.clear();
                    for expr in exprs.iter() {
                        self.arg_values.push(expr.eval(row, &context.eval)?);
                    }
                    accumulator.add(&self.arg_values)?;
                }
            }
        }
        Ok(())
    }
}

/// Groups per chunk of `GroupAccumulators`.
const CHUNK_GROUPS: usize = 256;

/// Every group's accumulators, `width` (one per aggregate call) per group in group order,
/// in chunks of `CHUNK_GROUPS` groups allocated at their full size: no allocation per group,
/// and a new group never moves the others' accumulators (an accumulator is large).
pub(super) struct GroupAccumulators {
    width: usize,
    groups: usize,
    chunks: Vec<Vec<Accumulator>>,
}

impl GroupAccumulators {
    /// None yet, `width` per group.
    pub(super) fn new(width: usize) -> GroupAccumulators {
        GroupAccumulators {
            width,
            groups: 0,
            chunks: Vec::new(),
        }
    }

    /// Appends a group's accumulators (`width` of them).
    pub(super) fn push(&mut self, group: impl IntoIterator<Item = Accumulator>) {
        self.groups += 1;
        if self.width == 0 {
            return;
        }
        let room = CHUNK_GROUPS * self.width;
        let chunk = match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < room => chunk,
            _ => {
                // The first chunk grows with its groups (one group, as without GROUP BY,
                // allocates one group's room); later ones come whole.
                let capacity = if self.chunks.is_empty() {
                    self.width
                } else {
                    room
                };
                self.chunks.push(Vec::with_capacity(capacity));
                self.chunks.last_mut().expect("just pushed")
            }
        };
        chunk.extend(group);
        debug_assert_eq!(chunk.len() % self.width, 0, "a group has one per call");
    }

    /// The accumulators of the group at `position` (below the groups pushed).
    #[inline(always)]
    pub(super) fn group_mut(&mut self, position: usize) -> &mut [Accumulator] {
        debug_assert!(position < self.groups);
        if self.width == 0 {
            return &mut [];
        }
        let at = (position % CHUNK_GROUPS) * self.width;
        &mut self.chunks[position / CHUNK_GROUPS][at..at + self.width]
    }

    /// `group_mut`, read only.
    pub(super) fn group(&self, position: usize) -> &[Accumulator] {
        debug_assert!(position < self.groups);
        if self.width == 0 {
            return &[];
        }
        let at = (position % CHUNK_GROUPS) * self.width;
        &self.chunks[position / CHUNK_GROUPS][at..at + self.width]
    }

    /// How many groups there are.
    pub(super) fn groups(&self) -> usize {
        self.groups
    }
}
