//! Aggregate accumulators with SQLite's semantics: COUNT skips NULLs (COUNT(*) does not),
//! SUM stays an integer while every input is one (overflow is an error) and is NULL over no
//! values, TOTAL is always a real, AVG is a real or NULL, MIN/MAX ignore NULLs, GROUP_CONCAT
//! joins text with "," or the given separator. DISTINCT feeds each value once. The sketch
//! aggregates keep their state in a `SketchAccumulator` (`sketch_state.rs`).
//!
//! An accumulator holds inline only what COUNT, SUM, TOTAL, AVG, MIN and MAX keep (a GROUP
//! BY makes one per call and group, so a small one is cheap to make and to walk); the state
//! of DISTINCT, GROUP_CONCAT, the JSON aggregates, VALUE_AT_MIN/MAX, user aggregates, an
//! ORDER BY inside the call and the sketches sits in one boxed `Extra`, made with the
//! accumulator when its call needs it, or at its first such value.

use std::cmp::Ordering;
use std::collections::HashSet;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{
    compare_for_sort, AggregateRun, Collation, KeyLookup, KeyRef, KeyValue, UserFunction,
};
use crate::fast_hash::FastBuildHasher;
use crate::plan::{AggregateFunction, AggregateOrder};

use super::aggregate_order::OrderedRows;
use super::compensated_sum::{integer_of, real_of_input, CompensatedSum};

use super::sketch_state::{SketchAccumulator, SketchCharge};

/// The running state of one aggregate call over one group.
pub struct Accumulator {
    function: AggregateFunction,
    count: i64,
    integer_sum: i64,
    real_sum: CompensatedSum,
    /// Whether some summed input was not an integer, or the integers overflowed (the sum is
    /// then a real).
    sum_is_real: bool,
    /// Whether the integer sum overflowed with no real input after it: SUM fails.
    integer_overflowed: bool,
    extreme: Value,
    /// How MIN/MAX and DISTINCT compare text (BINARY unless the argument has a collation).
    collation: Collation,
    /// The state the calls beyond COUNT, SUM, TOTAL, AVG, MIN and MAX keep (`None` for
    /// those: nothing of it is made per group).
    extra: Option<Box<Extra>>,
}

/// What an accumulator keeps beyond a count, a sum and an extreme (see the module comment).
struct Extra {
    /// Values seen, for DISTINCT aggregates.
    seen: Option<HashSet<KeyValue, FastBuildHasher>>,
    /// Most distinct values `seen` may hold (the statement's row cap).
    seen_max: usize,
    /// GROUP_CONCAT's text, or the JSON aggregates' members.
    text: Option<String>,
    /// The running state of a user aggregate (`AggregateFunction::User`).
    user: Option<Box<dyn AggregateRun>>,
    /// VALUE_AT_MIN/MAX: the value taken from the row that holds `extreme`.
    companion: Value,
    /// The group's rows of a call with `ORDER BY` inside (aggregate_order.rs), which
    /// `finish` feeds in order; `None` for any other call.
    ordered: Option<Box<OrderedRows>>,
    /// The state of a sketch aggregate (`AggregateFunction::is_sketch`).
    sketch: Option<Box<SketchAccumulator>>,
}

impl Default for Extra {
    fn default() -> Extra {
        Extra {
            seen: None,
            seen_max: crate::limits::STATEMENT_ROWS_MAX,
            text: None,
            user: None,
            companion: Value::Null,
            ordered: None,
            sketch: None,
        }
    }
}

/// The settings of one call's accumulators (`Accumulator::for_call`).
#[derive(Clone, Copy)]
pub struct CallSettings<'c> {
    /// Most distinct values a DISTINCT call remembers.
    pub seen_max: usize,
    /// How MIN/MAX and DISTINCT compare text.
    pub collation: Collation,
    /// The user aggregate, for `AggregateFunction::User`.
    pub user: Option<&'c UserFunction>,
    /// The call's ORDER BY inside (empty: none).
    pub order: &'c [AggregateOrder],
    /// What a sketch aggregate's memory is charged to.
    pub charge: Option<&'c SketchCharge>,
}

impl Accumulator {
    pub fn new(function: AggregateFunction, distinct: bool) -> Accumulator {
        let sketch = if function.is_sketch() {
            SketchAccumulator::new(function).map(Box::new)
        } else {
            None
        };
        let extra = (distinct || sketch.is_some()).then(|| {
            Box::new(Extra {
                seen: distinct.then(HashSet::default),
                sketch,
                ..Extra::default()
            })
        });
        Accumulator {
            function,
            count: 0,
            integer_sum: 0,
            real_sum: CompensatedSum::default(),
            sum_is_real: false,
            integer_overflowed: false,
            extreme: Value::Null,
            collation: Collation::Binary,
            extra,
        }
    }

    /// The extra state, made now when the accumulator has none yet.
    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Whether the call is DISTINCT (it remembers the values it saw).
    #[inline(always)]
    fn is_distinct(&self) -> bool {
        self.extra
            .as_ref()
            .is_some_and(|extra| extra.seen.is_some())
    }

    /// An accumulator of one call with its settings (one struct set up in place, not moved
    /// through a chain of settings: a GROUP BY makes one per call and group).
    pub fn for_call(
        function: AggregateFunction,
        distinct: bool,
        settings: CallSettings<'_>,
    ) -> Accumulator {
        let mut accumulator = Accumulator::new(function, distinct);
        if let Some(extra) = &mut accumulator.extra {
            extra.seen_max = settings.seen_max;
        }
        accumulator.collation = settings.collation;
        accumulator.set_user(settings.user);
        accumulator.set_order(settings.order, settings.user, settings.seen_max);
        accumulator.set_sketch_charge(settings.charge);
        accumulator
    }

    /// Makes a call with `ORDER BY` inside keep its rows and feed them in `order` at
    /// `finish` (each row fed to `add` ends with one value per key); `user`: the user
    /// aggregate, as `with_user` takes it; `rows_max`: the most rows it keeps. No change
    /// for an empty `order`.
    fn set_order(
        &mut self,
        order: &[AggregateOrder],
        user: Option<&UserFunction>,
        rows_max: usize,
    ) {
        if !order.is_empty() {
            let mut rows = OrderedRows::new(
                self.function,
                self.is_distinct(),
                self.collation,
                user,
                order,
            );
            rows.set_rows_max(rows_max);
            self.extra_mut().ordered = Some(Box::new(rows));
        }
    }

    /// Charges a sketch aggregate's memory to `charge` as it grows.
    fn set_sketch_charge(&mut self, charge: Option<&SketchCharge>) {
        if let Some(sketch) = self.extra.as_mut().and_then(|extra| extra.sketch.as_mut()) {
            sketch.set_charge(charge);
        }
    }

    /// Gives a user aggregate (`AggregateFunction::User`) its running state.
    pub fn with_user(mut self, user: Option<&UserFunction>) -> Accumulator {
        self.set_user(user);
        self
    }

    /// `with_user`, in place.
    fn set_user(&mut self, user: Option<&UserFunction>) {
        debug_assert_eq!(user.is_some(), self.function == AggregateFunction::User);
        if let Some(user) = user {
            self.extra_mut().user = user.start_aggregate();
        }
    }

    /// Compares text by `collation` in MIN/MAX and DISTINCT.
    pub fn with_collation(mut self, collation: Collation) -> Accumulator {
        self.collation = collation;
        self
    }

    /// Caps the distinct values a DISTINCT aggregate remembers.
    pub fn with_seen_max(mut self, seen_max: usize) -> Accumulator {
        if let Some(extra) = &mut self.extra {
            extra.seen_max = seen_max;
        }
        self
    }

    /// Starts over for another group, as `new` and the `with_` settings made it (`user`:
    /// the user aggregate, as `with_user` takes it), in place.
    pub fn restart(&mut self, user: Option<&UserFunction>) {
        debug_assert_eq!(user.is_some(), self.function == AggregateFunction::User);
        self.count = 0;
        self.integer_sum = 0;
        self.real_sum = CompensatedSum::default();
        self.sum_is_real = false;
        self.integer_overflowed = false;
        self.extreme = Value::Null;
        let Some(extra) = &mut self.extra else {
            debug_assert!(
                user.is_none(),
                "a user aggregate keeps its state in `extra`"
            );
            return;
        };
        if extra.seen.is_some() {
            extra.seen = Some(HashSet::default());
        }
        extra.text = None;
        extra.user = user.and_then(UserFunction::start_aggregate);
        extra.companion = Value::Null;
        if let Some(ordered) = &mut extra.ordered {
            ordered.clear();
        }
        if let Some(sketch) = &mut extra.sketch {
            sketch.restart();
        }
    }

    /// Feeds one row to COUNT(*) (which takes no argument).
    #[inline]
    pub fn add_row(&mut self) {
        debug_assert_eq!(self.function, AggregateFunction::CountStar);
        self.count += 1;
    }

    /// Feeds `rows` rows to COUNT(*) at once (a count the table keeps, `counted.rs`), or
    /// to a COUNT(col) whose column is never NULL in them (a counting index walk).
    pub fn add_rows(&mut self, rows: u64) {
        debug_assert!(matches!(
            self.function,
            AggregateFunction::CountStar | AggregateFunction::Count
        ));
        self.count = self
            .count
            .saturating_add(i64::try_from(rows).unwrap_or(i64::MAX));
    }

    /// Feeds one row's single argument value. The common cases (no DISTINCT; COUNT, or a
    /// number that keeps the sum's current kind) are done here, the rest by `add`.
    #[inline(always)]
    pub fn add_value(&mut self, value: &Value) -> Result<()> {
        if !self.is_distinct() {
            match (self.function, value) {
                (AggregateFunction::CountStar | AggregateFunction::User, _) => {}
                (_, Value::Null) => return Ok(()),
                (AggregateFunction::Count, _) => {
                    self.count += 1;
                    return Ok(());
                }
                (
                    AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg,
                    Value::Real(real),
                ) if self.sum_is_real => {
                    self.count += 1;
                    self.integer_overflowed = false;
                    self.real_sum.add(*real);
                    return Ok(());
                }
                (
                    AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg,
                    Value::Integer(integer),
                ) if !self.sum_is_real => {
                    if let Some(sum) = self.integer_sum.checked_add(*integer) {
                        self.count += 1;
                        self.integer_sum = sum;
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        self.add(std::slice::from_ref(value))
    }

    /// `add_value` for a COUNT(x) without DISTINCT (known once per statement): no match on
    /// the function per row.
    #[inline(always)]
    pub fn add_count_value(&mut self, value: &Value) {
        debug_assert!(self.function == AggregateFunction::Count && !self.is_distinct());
        if !value.is_null() {
            self.count += 1;
        }
    }

    /// `add_value` for a SUM, TOTAL or AVG without DISTINCT (known once per statement): a
    /// number that keeps the sum's current kind is added here, without a match on the
    /// function; the rest goes to `add`.
    #[inline(always)]
    pub fn add_sum_value(&mut self, value: &Value) -> Result<()> {
        debug_assert!(
            matches!(
                self.function,
                AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg
            ) && !self.is_distinct()
        );
        match value {
            Value::Real(real) if self.sum_is_real => {
                self.count += 1;
                self.integer_overflowed = false;
                self.real_sum.add(*real);
                return Ok(());
            }
            Value::Integer(integer) if !self.sum_is_real => {
                if let Some(sum) = self.integer_sum.checked_add(*integer) {
                    self.count += 1;
                    self.integer_sum = sum;
                    return Ok(());
                }
            }
            Value::Null => return Ok(()),
            _ => {}
        }
        self.add(std::slice::from_ref(value))
    }

    /// Feeds one row's argument values (none for COUNT(*)).
    pub fn add(&mut self, args: &[Value]) -> Result<()> {
        if let Some(ordered) = self.extra.as_mut().and_then(|extra| extra.ordered.as_mut()) {
            return ordered.push(args);
        }
        if self.function == AggregateFunction::CountStar {
            self.count += 1;
            return Ok(());
        }
        if self.function == AggregateFunction::User {
            return self.add_user(args);
        }
        if let AggregateFunction::ValueAtMin | AggregateFunction::ValueAtMax = self.function {
            return self.add_companion(args);
        }
        let Some(value) = args.first() else {
            return Err(crate::err!(
                Internal,
                "aggregate called without its argument"
            ));
        };
        if value.is_null() {
            return Ok(());
        }
        if let Some(sketch) = self.extra.as_mut().and_then(|extra| extra.sketch.as_mut()) {
            return sketch.add(value);
        }
        if !self.first_time_seen(value)? {
            return Ok(());
        }
        self.count += 1;
        match self.function {
            AggregateFunction::CountStar | AggregateFunction::Count => {}
            AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg => {
                self.add_number(value)?
            }
            AggregateFunction::Min => {
                self.keep_extreme(value, Ordering::Less);
            }
            AggregateFunction::Max => {
                self.keep_extreme(value, Ordering::Greater);
            }
            AggregateFunction::GroupConcat => {
                let separator = match args.get(1) {
                    Some(Value::Null) => String::new(),
                    Some(separator) => separator.to_string(),
                    None => ",".to_string(),
                };
                let kept = &mut self.extra_mut().text;
                match kept {
                    None => *kept = Some(value.to_string()),
                    Some(text) => {
                        if text.len() + separator.len() + 64 > crate::limits::TEXT_BYTES_MAX {
                            return Err(crate::err!(
                                Limit,
                                "group_concat result passes {} bytes",
                                crate::limits::TEXT_BYTES_MAX
                            ));
                        }
                        text.push_str(&separator);
                        text.push_str(&value.to_string());
                    }
                }
            }
            AggregateFunction::JsonGroupArray | AggregateFunction::JsonGroupObject => {
                self.add_json(value, args.get(1))?
            }
            AggregateFunction::User => debug_assert!(false, "user aggregates go to add_user"),
            AggregateFunction::ValueAtMin | AggregateFunction::ValueAtMax => {
                debug_assert!(false, "value_at_min/max go to add_companion")
            }
            function => debug_assert!(!function.is_sketch(), "sketches go to their state"),
        }
        Ok(())
    }

    /// VALUE_AT_MIN/MAX(k, v) of one row, as SQLite's min()/max() decide whether a row's
    /// bare columns are taken: while no `k` was seen, every row's (NULL `k`); then the row
    /// of each new strict minimum (maximum) of `k`, so a tie keeps the earlier row.
    fn add_companion(&mut self, args: &[Value]) -> Result<()> {
        let [key, value] = args else {
            return Err(crate::err!(
                Internal,
                "value_at_min/max takes two arguments"
            ));
        };
        if key.is_null() {
            if self.extreme.is_null() {
                keep_copy(&mut self.extra_mut().companion, value);
            }
            return Ok(());
        }
        let wanted = if self.function == AggregateFunction::ValueAtMin {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        if self.keep_extreme(key, wanted) {
            keep_copy(&mut self.extra_mut().companion, value);
        }
        Ok(())
    }

    /// Whether `value` is new to a DISTINCT aggregate (always, when not DISTINCT);
    /// remembers it.
    fn first_time_seen(&mut self, value: &Value) -> Result<bool> {
        let Some(extra) = &mut self.extra else {
            return Ok(true);
        };
        let seen_max = extra.seen_max;
        let Some(seen) = &mut extra.seen else {
            return Ok(true);
        };
        let owns_bytes = matches!(value, Value::Text(_) | Value::Blob(_));
        if self.collation == Collation::Binary && !owns_bytes && seen.len() < seen_max {
            // A key that allocates nothing is inserted at once: one probe, not two.
            return Ok(seen.insert(KeyValue::new(value)));
        }
        // Probed with the value borrowed: a value seen before costs no allocation.
        let key = match self.collation {
            Collation::Binary if seen.contains(&KeyRef::of(value) as &dyn KeyLookup) => {
                return Ok(false);
            }
            Collation::Binary => KeyValue::new(value),
            collation => {
                let key = KeyValue::new(&collation.key(value.clone()));
                if seen.contains(&key) {
                    return Ok(false);
                }
                key
            }
        };
        if seen.len() >= seen_max {
            return Err(crate::err!(
                Limit,
                "statement materializes more than the limit of {} rows",
                seen_max
            ));
        }
        seen.insert(key);
        Ok(true)
    }

    /// Feeds a user aggregate: every row (NULLs too, as SQLite), each distinct first
    /// argument (NULL included, as SQLite's DISTINCT) once under DISTINCT.
    fn add_user(&mut self, args: &[Value]) -> Result<()> {
        if self.is_distinct() {
            let value = args.first().unwrap_or(&Value::Null);
            if !self.first_time_seen(value)? {
                return Ok(());
            }
        }
        match self.extra.as_mut().and_then(|extra| extra.user.as_mut()) {
            Some(run) => run.step(args),
            None => Err(crate::err!(Internal, "user aggregate without its state")),
        }
    }

    /// json_group_array's element or json_group_object's member: the value is JSON text
    /// already (bound as `json_quote(x)`); a key is written as a JSON string.
    fn add_json(&mut self, first: &Value, second: Option<&Value>) -> Result<()> {
        let name = self.function.name();
        let text = self.extra_mut().text.get_or_insert_with(String::new);
        let added = first.to_string().len() + second.map_or(0, |v| v.to_string().len());
        if text.len() + added + 8 > crate::limits::JSON_TEXT_BYTES_MAX {
            return Err(crate::err!(
                Limit,
                "{} result passes {} bytes",
                name,
                crate::limits::JSON_TEXT_BYTES_MAX
            ));
        }
        if !text.is_empty() {
            text.push(',');
        }
        match second {
            None => text.push_str(&first.to_string()),
            Some(value) => {
                text.push_str(&crate::expr::json_quote_text(&first.to_string()));
                text.push(':');
                text.push_str(&value.to_string());
            }
        }
        Ok(())
    }

    /// Takes back one row's arguments fed earlier by `add`, for a window frame that slides
    /// (count, sum, total, avg only), as SQLite's inverse functions do: the sum stays a real
    /// once it became one.
    pub fn remove(&mut self, args: &[Value]) -> Result<()> {
        debug_assert!(!self.is_distinct(), "DISTINCT aggregates never slide");
        if self.function == AggregateFunction::CountStar {
            self.count -= 1;
            return Ok(());
        }
        let Some(value) = args.first() else {
            return Err(crate::err!(
                Internal,
                "aggregate called without its argument"
            ));
        };
        if value.is_null() {
            return Ok(());
        }
        self.count -= 1;
        match self.function {
            AggregateFunction::Count => {}
            AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg => {
                match integer_of(value) {
                    Some(i) if !self.sum_is_real => match self.integer_sum.checked_sub(i) {
                        Some(sum) => self.integer_sum = sum,
                        None => {
                            self.integer_overflowed = true;
                            self.start_real_sum();
                            self.real_sum.add_integer_negated(i);
                        }
                    },
                    Some(i) => self.real_sum.add_integer_negated(i),
                    None => {
                        self.start_real_sum();
                        self.real_sum.add(-real_of_input(value));
                    }
                }
            }
            other => {
                return Err(crate::err!(
                    Internal,
                    "{}() cannot take rows back",
                    other.name()
                ))
            }
        }
        Ok(())
    }

    fn add_number(&mut self, value: &Value) -> Result<()> {
        match integer_of(value) {
            Some(i) if !self.sum_is_real => match self.integer_sum.checked_add(i) {
                Some(sum) => self.integer_sum = sum,
                None => {
                    // SUM reports the overflow at the end unless a real input follows.
                    self.integer_overflowed = true;
                    self.start_real_sum();
                    self.real_sum.add_integer(i);
                }
            },
            Some(i) => self.real_sum.add_integer(i),
            None => {
                self.start_real_sum();
                self.integer_overflowed = false;
                self.real_sum.add(real_of_input(value));
            }
        }
        Ok(())
    }

    /// Switches the sum from exact integers to compensated reals, once.
    fn start_real_sum(&mut self) {
        if !self.sum_is_real {
            self.sum_is_real = true;
            self.real_sum = CompensatedSum::from_integer(self.integer_sum);
        }
    }

    /// Keeps `value` when it is the first or better than the kept one; says whether it was.
    fn keep_extreme(&mut self, value: &Value, wanted: Ordering) -> bool {
        debug_assert!(!value.is_null(), "NULL never reaches keep_extreme");
        let ordering = match (self.collation, value, &self.extreme) {
            (Collation::Binary, ..) | (_, _, Value::Null) => compare_for_sort(value, &self.extreme),
            (collation, Value::Text(_), Value::Text(_)) => compare_for_sort(
                &collation.key(value.clone()),
                &collation.key(self.extreme.clone()),
            ),
            _ => compare_for_sort(value, &self.extreme),
        };
        if self.extreme.is_null() || ordering == wanted {
            // A text winner is copied into the kept text's own buffer.
            keep_copy(&mut self.extreme, value);
            return true;
        }
        false
    }

    /// Whether `merge` can combine partial states of this call: COUNT, MIN/MAX under BINARY,
    /// SUM/TOTAL/AVG and the sketches, none DISTINCT (sums only when the caller proved them
    /// exact).
    pub fn mergeable(function: AggregateFunction, distinct: bool, collation: Collation) -> bool {
        use AggregateFunction as F;
        !distinct
            && match function {
                F::CountStar | F::Count | F::Sum | F::Total | F::Avg => true,
                function if function.is_sketch() => true,
                F::Min | F::Max => collation == Collation::Binary,
                _ => false,
            }
    }

    /// Folds in `later`, the state of the same call over rows that come after this one's in
    /// scan order, giving the state one accumulator fed both would have. For sums the caller
    /// has checked (`sum_bound::SumBound`) that every compensated addition, in any order, is
    /// exact in its error term: the serial result is then the exact total rounded once, and
    /// so is this one, which adds `later`'s running sum by one more compensated step and
    /// its error term exactly (see `SumBound`).
    pub fn merge(&mut self, later: &Accumulator) {
        debug_assert!(Accumulator::mergeable(
            self.function,
            self.is_distinct(),
            self.collation
        ));
        debug_assert!(!self.integer_overflowed && !later.integer_overflowed);
        let later_sketch = later.extra.as_ref().and_then(|extra| extra.sketch.as_ref());
        let sketch = self.extra.as_mut().and_then(|extra| extra.sketch.as_mut());
        if let (Some(sketch), Some(later)) = (sketch, later_sketch) {
            sketch.merge(later);
            return;
        }
        self.count += later.count;
        match self.function {
            AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg => {
                if !self.sum_is_real && !later.sum_is_real {
                    match self.integer_sum.checked_add(later.integer_sum) {
                        Some(sum) => self.integer_sum = sum,
                        None => debug_assert!(false, "merged integer sum overflowed"),
                    }
                } else {
                    self.start_real_sum();
                    if later.sum_is_real {
                        self.real_sum.add(later.real_sum.sum);
                        self.real_sum.error += later.real_sum.error;
                    } else {
                        self.real_sum.add_integer(later.integer_sum);
                    }
                }
            }
            AggregateFunction::Min => self.keep_extreme_of(later, Ordering::Less),
            AggregateFunction::Max => self.keep_extreme_of(later, Ordering::Greater),
            _ => {}
        }
    }

    /// MIN/MAX of two partial states: `later` wins only when strictly better (ties keep the
    /// earlier value, as feeding the rows in order does).
    fn keep_extreme_of(&mut self, later: &Accumulator, wanted: Ordering) {
        if !later.extreme.is_null() {
            self.keep_extreme(&later.extreme, wanted);
        }
    }

    /// The aggregate's value over everything fed so far.
    pub fn finish(&self) -> Result<Value> {
        let extra = self.extra.as_deref();
        if let Some(ordered) = extra.and_then(|extra| extra.ordered.as_ref()) {
            return ordered.finish();
        }
        let text = extra.and_then(|extra| extra.text.as_deref());
        let sum = || {
            if self.sum_is_real {
                self.real_sum.value()
            } else {
                self.integer_sum as f64
            }
        };
        Ok(match self.function {
            AggregateFunction::CountStar | AggregateFunction::Count => Value::Integer(self.count),
            AggregateFunction::Sum if self.count == 0 => Value::Null,
            AggregateFunction::Sum if self.integer_overflowed => {
                return Err(crate::err!(InvalidInput, "integer overflow in sum()"));
            }
            AggregateFunction::Sum if self.sum_is_real => Value::Real(sum()),
            AggregateFunction::Sum => Value::Integer(self.integer_sum),
            AggregateFunction::Total => Value::Real(sum()),
            AggregateFunction::Avg if self.count == 0 => Value::Null,
            AggregateFunction::Avg => Value::Real(sum() / self.count as f64),
            AggregateFunction::Min | AggregateFunction::Max => self.extreme.clone(),
            AggregateFunction::ValueAtMin | AggregateFunction::ValueAtMax => {
                extra.map_or(Value::Null, |extra| extra.companion.clone())
            }
            AggregateFunction::GroupConcat => match text {
                Some(text) => Value::Text(text.to_owned()),
                None => Value::Null,
            },
            AggregateFunction::JsonGroupArray => Value::Text(format!("[{}]", text.unwrap_or(""))),
            AggregateFunction::JsonGroupObject => {
                Value::Text(format!("{{{}}}", text.unwrap_or("")))
            }
            AggregateFunction::User => match extra.and_then(|extra| extra.user.as_ref()) {
                Some(run) => run.finish()?,
                None => return Err(crate::err!(Internal, "user aggregate without its state")),
            },
            AggregateFunction::ApproxCountDistinct
            | AggregateFunction::HllSketch
            | AggregateFunction::HllMerge
            | AggregateFunction::TopKSketch(_)
            | AggregateFunction::TopKMerge
            | AggregateFunction::QuantileSketch
            | AggregateFunction::QuantileMerge
            | AggregateFunction::BloomFilter(_)
            | AggregateFunction::BloomMerge => {
                match extra.and_then(|extra| extra.sketch.as_ref()) {
                    Some(sketch) => sketch.finish()?,
                    None => {
                        return Err(crate::err!(Internal, "sketch aggregate without its state"))
                    }
                }
            }
        })
    }
}

/// `*kept = value.clone()`, a text copied into `kept`'s own buffer when both are text.
#[inline]
fn keep_copy(kept: &mut Value, value: &Value) {
    match (kept, value) {
        (Value::Text(kept), Value::Text(text)) => kept.clone_from(text),
        (kept, value) => *kept = value.clone(),
    }
}

#[cfg(test)]
#[path = "accumulator_tests.rs"]
mod tests;
