//! Feeding one input row to a group's accumulators: each aggregate call's arguments and,
//! for the common calls (COUNT(*), COUNT and SUM/TOTAL/AVG without DISTINCT), its update
//! are resolved once per statement (`Step`), so a row matches once per call (not on the
//! argument's source, then on the function, then on DISTINCT); then every row evaluates
//! the arguments and adds them to the group's accumulators, honouring each call's
//! `FILTER (WHERE ..)`. Every group's accumulators live in one flat store
//! (`GroupAccumulators`). Shared by the hashing grouper (`aggregate.rs`), its parallel
//! workers and the index-order walk (`group_walk.rs`).

use std::sync::{Arc, Mutex};

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{Computed, EvalContext, Expr, Predicate};
use crate::plan::{AggregateCall, AggregateFunction};

use super::super::ExecContext;
use super::accumulator::{Accumulator, CallSettings};
use super::column_aggregate::ColumnStep;
use super::sketch_state::SketchCharge;

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
}

/// What one aggregate call does with a row, fixed once per statement: the argument's
/// source and, for the common calls, the update itself (`Accumulator::add_count_value`,
/// `add_sum_value`: no match on the function or on DISTINCT per row).
enum Step<'p> {
    /// COUNT(*).
    CountStar,
    /// COUNT(column), not DISTINCT.
    CountColumn(usize),
    /// SUM, TOTAL or AVG of a column, not DISTINCT.
    SumColumn(usize),
    /// SUM, TOTAL or AVG of a compiled value (`computed_args[i].eval`), not DISTINCT.
    SumExpr(usize),
    /// Any other call: its arguments, fed by `Accumulator::add_value` (or `add`).
    General(Args<'p>),
}

impl<'p> Step<'p> {
    /// The step of `call`, whose arguments are `args`.
    fn of(call: &AggregateCall, args: Args<'p>) -> Step<'p> {
        use AggregateFunction as F;
        if call.distinct {
            return Step::General(args);
        }
        match (call.function, args) {
            (F::CountStar, Args::None) => Step::CountStar,
            (F::Count, Args::Column(index)) => Step::CountColumn(index),
            (F::Sum | F::Total | F::Avg, Args::Column(index)) => Step::SumColumn(index),
            (F::Sum | F::Total | F::Avg, Args::Expr(slot)) => Step::SumExpr(slot),
            (_, args) => Step::General(args),
        }
    }
}

impl Step<'_> {
    /// The update a column batch makes for this step (`column_aggregate.rs`), when it
    /// reads no computed value: the one `ColumnStep::of` gives the call.
    fn column(&self) -> Option<ColumnStep> {
        match self {
            Step::CountStar => Some(ColumnStep::CountStar),
            Step::CountColumn(index) => Some(ColumnStep::Count(*index)),
            Step::SumColumn(index) => Some(ColumnStep::Sum(*index)),
            Step::General(Args::Column(index)) => Some(ColumnStep::Value(*index)),
            Step::SumExpr(_) | Step::General(_) => None,
        }
    }
}

/// A fresh accumulator for `call` (`rows_max`: see `Feeder::accumulators`; `charge`: the
/// operator's charge for sketch memory).
fn fresh_accumulator(
    call: &AggregateCall,
    rows_max: usize,
    charge: Option<&SketchCharge>,
) -> Accumulator {
    let settings = CallSettings {
        seen_max: rows_max,
        collation: call.collation,
        user: call.user.as_ref(),
        order: &call.order,
        charge,
    };
    Accumulator::for_call(call.function, call.distinct, settings)
}

/// The charge a statement's sketch aggregates share, when `aggregates` has any.
pub(super) fn sketch_charge(
    aggregates: &[AggregateCall],
    context: &ExecContext<'_>,
) -> Option<SketchCharge> {
    aggregates
        .iter()
        .any(|call| call.function.is_sketch())
        .then(|| Arc::new(Mutex::new(context.memory_charge("sketch aggregates"))))
}

/// The aggregate calls of one statement, their arguments resolved, feeding rows to a
/// group's accumulators (one per call, in call order).
pub(super) struct Feeder<'p> {
    aggregates: &'p [AggregateCall],
    /// Each aggregate's step (its argument source, its update), in `aggregates` order.
    steps: Vec<Step<'p>>,
    /// The single computed arguments (`Args::Expr`, `Args::Borrowed`).
    computed_args: Vec<Computed<'p>>,
    /// Each call's `FILTER (WHERE ..)`, compiled once (as a scan's filter is), in
    /// `aggregates` order; empty when no call has one (nothing checked per row then).
    filters: Vec<Option<Predicate<'p>>>,
    /// Reused per row: the values of a call of several arguments.
    arg_values: Vec<Value>,
    /// The memory charge of the calls' sketches (when a call keeps one).
    sketch_charge: Option<SketchCharge>,
}

impl<'p> Feeder<'p> {
    pub(super) fn new(aggregates: &'p [AggregateCall], context: &ExecContext<'_>) -> Feeder<'p> {
        let mut computed_args = Vec::new();
        let steps: Vec<Step<'p>> = aggregates
            .iter()
            .map(|call| Step::of(call, Args::of(call, &context.eval, &mut computed_args)))
            .collect();
        debug_assert!(
            aggregates
                .iter()
                .zip(&steps)
                .all(|(call, step)| call.filter.is_some() || ColumnStep::of(call) == step.column()),
            "a column batch updates each call as its row step does"
        );
        Feeder {
            aggregates,
            steps,
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
            sketch_charge: sketch_charge(aggregates, context),
        }
    }

    /// Whether no call has a FILTER and every one takes no argument or one plain column
    /// (`feed_plain` can feed them).
    pub(super) fn all_plain(aggregates: &[AggregateCall]) -> bool {
        aggregates.iter().all(AggregateCall::is_plain)
    }

    /// Appends a group of fresh accumulators, one per call, to `accumulators` (`rows_max`:
    /// the statement's row cap, which a DISTINCT call's set of seen values is held to).
    pub(super) fn push_accumulators(&self, accumulators: &mut GroupAccumulators, rows_max: usize) {
        let restarted = accumulators.push_restarted(|position, accumulator| {
            accumulator.restart(self.aggregates[position].user.as_ref())
        });
        if restarted {
            return;
        }
        accumulators.push(
            self.aggregates
                .iter()
                .map(|call| fresh_accumulator(call, rows_max, self.sketch_charge.as_ref())),
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
                .map(|call| fresh_accumulator(call, rows_max, self.sketch_charge.as_ref())),
        );
    }

    /// Feeds `row` to `accumulators` when every call is plain (`all_plain`): no filter and
    /// no expression to evaluate.
    #[inline(always)]
    pub(super) fn feed_plain(&self, accumulators: &mut [Accumulator], row: &[Value]) -> Result<()> {
        debug_assert!(self.filters.is_empty() && self.computed_args.is_empty());
        for (step, accumulator) in self.steps.iter().zip(accumulators) {
            match step {
                Step::CountStar => accumulator.add_row(),
                Step::CountColumn(index) => accumulator.add_count_value(&row[*index]),
                Step::SumColumn(index) => accumulator.add_sum_value(&row[*index])?,
                Step::General(Args::Column(index)) => accumulator.add_value(&row[*index])?,
                Step::General(Args::None) => accumulator.add(&[])?,
                Step::SumExpr(_) | Step::General(_) => {
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
    /// inputs so. The fixed steps and calls of one column are done in the loop; a FILTER
    /// and calls of an expression that may make text, of several arguments or of none but
    /// COUNT(*) go out of line (`feed_filtered`, `feed_other`), which keeps the loop small.
    #[inline(always)]
    pub(super) fn feed(
        &mut self,
        accumulators: &mut [Accumulator],
        row: &[Value],
        context: &ExecContext<'_>,
        mut note: impl FnMut(usize, &Value),
    ) -> Result<()> {
        debug_assert_eq!(accumulators.len(), self.steps.len());
        if !self.filters.is_empty() {
            return self.feed_filtered(accumulators, row, context, &mut note);
        }
        for (at, (step, accumulator)) in self.steps.iter().zip(accumulators).enumerate() {
            match step {
                Step::CountStar => accumulator.add_row(),
                Step::CountColumn(index) => {
                    let value = &row[*index];
                    note(at, value);
                    accumulator.add_count_value(value)
                }
                Step::SumColumn(index) => {
                    let value = &row[*index];
                    note(at, value);
                    accumulator.add_sum_value(value)?
                }
                Step::SumExpr(slot) => {
                    let value = self.computed_args[*slot].eval(row, &context.eval)?;
                    note(at, &value);
                    accumulator.add_sum_value(&value)?
                }
                // MIN/MAX, DISTINCT and the rest of one column: `add_value` decides.
                Step::General(Args::Column(index)) => {
                    let value = &row[*index];
                    note(at, value);
                    accumulator.add_value(value)?
                }
                step => feed_other(
                    step,
                    accumulator,
                    at,
                    row,
                    &mut self.computed_args,
                    &mut self.arg_values,
                    context,
                    &mut note,
                )?,
            }
        }
        Ok(())
    }

    /// `feed` when some call has a FILTER: each call's filter is checked first.
    #[inline(never)]
    fn feed_filtered(
        &mut self,
        accumulators: &mut [Accumulator],
        row: &[Value],
        context: &ExecContext<'_>,
        note: &mut impl FnMut(usize, &Value),
    ) -> Result<()> {
        for (at, (step, accumulator)) in self.steps.iter().zip(accumulators).enumerate() {
            if let Some(Some(filter)) = self.filters.get(at) {
                if !filter.matches(row, &context.eval)? {
                    continue;
                }
            }
            feed_other(
                step,
                accumulator,
                at,
                row,
                &mut self.computed_args,
                &mut self.arg_values,
                context,
                note,
            )?;
        }
        Ok(())
    }
}

/// Feeds `row` to one call's `accumulator` (the call at `at`) by its `step` (any step),
/// showing `note` the value of a one-argument call.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn feed_other(
    step: &Step<'_>,
    accumulator: &mut Accumulator,
    at: usize,
    row: &[Value],
    computed_args: &mut [Computed<'_>],
    arg_values: &mut Vec<Value>,
    context: &ExecContext<'_>,
    note: &mut impl FnMut(usize, &Value),
) -> Result<()> {
    match step {
        Step::CountStar => accumulator.add_row(),
        Step::CountColumn(index) => {
            let value = &row[*index];
            note(at, value);
            accumulator.add_count_value(value)
        }
        Step::SumColumn(index) => {
            let value = &row[*index];
            note(at, value);
            accumulator.add_sum_value(value)?
        }
        Step::SumExpr(slot) => {
            let value = computed_args[*slot].eval(row, &context.eval)?;
            note(at, &value);
            accumulator.add_sum_value(&value)?
        }
        Step::General(args) => match args {
            Args::None => accumulator.add(&[])?,
            Args::Column(index) => {
                note(at, &row[*index]);
                accumulator.add_value(&row[*index])?
            }
            Args::Expr(slot) => {
                let value = computed_args[*slot].eval(row, &context.eval)?;
                note(at, &value);
                accumulator.add_value(&value)?
            }
            Args::Borrowed(slot) => {
                // Text it makes is written into a buffer kept between rows.
                let value = computed_args[*slot].eval_borrowed(row, &context.eval)?;
                note(at, &value);
                accumulator.add_value(&value)?
            }
            Args::Exprs(exprs) => {
                arg_values.clear();
                for expr in exprs.iter() {
                    arg_values.push(expr.eval(row, &context.eval)?);
                }
                accumulator.add(arg_values)?;
            }
        },
    }
    Ok(())
}

/// Every group's accumulators, `width` (one per aggregate call) per group in group order,
/// in one flat vector: a group's accumulators are at `position * width`, found with one
/// multiplication (no chunk to pick), and no group allocates on its own (the vector grows
/// by doubling, moving the accumulators, which hold no pointers into each other).
pub(in crate::pipeline::exec) struct GroupAccumulators {
    width: usize,
    groups: usize,
    all: Vec<Accumulator>,
    /// The first group's accumulators of before the last `clear` (or none), restarted for
    /// the next group pushed instead of made anew (`push_restarted`).
    spare: Vec<Accumulator>,
}

impl GroupAccumulators {
    /// None yet, `width` per group.
    pub(super) fn new(width: usize) -> GroupAccumulators {
        GroupAccumulators {
            width,
            groups: 0,
            all: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Appends a group's accumulators (`width` of them).
    pub(super) fn push(&mut self, group: impl IntoIterator<Item = Accumulator>) {
        self.groups += 1;
        if self.all.capacity() == 0 {
            // One group (as without GROUP BY) allocates one group's room.
            self.all.reserve_exact(self.width);
        }
        self.all.extend(group);
        debug_assert_eq!(self.all.len(), self.groups * self.width, "one per call");
    }

    /// The accumulators of the group at `position` (below the groups pushed).
    #[inline(always)]
    pub(super) fn group_mut(&mut self, position: usize) -> &mut [Accumulator] {
        debug_assert!(position < self.groups);
        let at = position * self.width;
        &mut self.all[at..at + self.width]
    }

    /// `group_mut`, read only.
    pub(super) fn group(&self, position: usize) -> &[Accumulator] {
        debug_assert!(position < self.groups);
        let at = position * self.width;
        &self.all[at..at + self.width]
    }

    /// Every group's accumulators (group `p`'s call `c` at `p * width + c`) and the width.
    #[inline(always)]
    pub(super) fn all_mut(&mut self) -> (&mut [Accumulator], usize) {
        (&mut self.all, self.width)
    }

    /// No groups (the room kept, and the first group's accumulators as the spare).
    pub(super) fn clear(&mut self) {
        self.all.truncate(self.width);
        std::mem::swap(&mut self.all, &mut self.spare);
        self.all.clear();
        self.groups = 0;
    }

    /// Appends a group whose accumulators are the spare ones, each restarted by `restart`
    /// (given its call's position); false, nothing done, when there is no spare group.
    pub(super) fn push_restarted(
        &mut self,
        mut restart: impl FnMut(usize, &mut Accumulator),
    ) -> bool {
        if self.spare.len() != self.width || self.width == 0 {
            return false;
        }
        for (position, accumulator) in self.spare.iter_mut().enumerate() {
            restart(position, accumulator);
        }
        self.groups += 1;
        self.all.append(&mut self.spare);
        debug_assert_eq!(self.all.len(), self.groups * self.width, "one per call");
        true
    }

    /// How many groups there are.
    pub(super) fn groups(&self) -> usize {
        self.groups
    }
}
