//! The operator of a table-valued function (`json_each`, `json_tree`, the catalog PRAGMAs'
//! `pragma_table_info` and the like, `pragma_database_list`, `generate_series`): its rows for
//! arguments evaluated once, or, joined laterally, for arguments evaluated over each input
//! row (each output row is the input row followed by a function row; a LEFT lateral join
//! keeps an input row no function row matched, NULL-padded).

use ember_storage::Value;

use crate::error::Result;
use crate::expr::Series;
use crate::plan::{TableFunctionKind, TableFunctionScan};

use super::super::{build, ExecContext, Operator, Row};

pub struct TableFunctionOperator<'p> {
    scan: &'p TableFunctionScan,
    input: Option<Box<dyn Operator + 'p>>,
    /// The input row whose function rows are being handed out (empty without input).
    current: Option<Row>,
    pending: FunctionRows,
    /// Whether some function row of `current` was handed out (for LEFT).
    matched: bool,
    /// Without input: whether the single call was made.
    called: bool,
}

impl<'p> TableFunctionOperator<'p> {
    pub fn new(scan: &'p TableFunctionScan) -> Self {
        TableFunctionOperator {
            scan,
            input: scan.input.as_ref().map(build),
            current: None,
            pending: FunctionRows::Held(Vec::new().into_iter()),
            matched: false,
            called: false,
        }
    }

    /// The next input row (the empty row, once, without input).
    fn next_input(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        match &mut self.input {
            Some(input) => input.next(context),
            None if self.called => Ok(None),
            None => {
                self.called = true;
                Ok(Some(Vec::new()))
            }
        }
    }

    /// The function's rows for `row`'s argument values.
    fn call(&self, row: &[Value], context: &ExecContext<'_>) -> Result<FunctionRows> {
        let mut args = Vec::with_capacity(self.scan.args.len());
        for arg in &self.scan.args {
            args.push(arg.eval(row, &context.eval)?);
        }
        if let TableFunctionKind::Series = &self.scan.function {
            return Ok(FunctionRows::Series(Series::new(&args)));
        }
        let mut args = args.into_iter();
        let first = args.next().unwrap_or(Value::Null);
        let second = args.next();
        let rows = match &self.scan.function {
            TableFunctionKind::Json(function) => function.rows(&first, second.as_ref())?,
            TableFunctionKind::Pragma(pragma, catalog) => {
                let name = match &first {
                    Value::Null => None,
                    Value::Text(text) => Some(text.clone()),
                    other => Some(other.to_string()),
                };
                let schema = second.unwrap_or(Value::Null);
                // `pragma_table_info('t', 'temp')`: the schema named, else either (a
                // temporary object first).
                let searched = match &schema {
                    Value::Text(text) if text.eq_ignore_ascii_case("temp") => catalog.temp_schema(),
                    Value::Text(text) if text.eq_ignore_ascii_case("main") => catalog.main_schema(),
                    _ => &**catalog,
                };
                let mut rows = pragma.rows(searched, name.as_deref())?;
                for pragma_row in &mut rows {
                    pragma_row.extend([first.clone(), schema.clone()]);
                }
                rows
            }
            TableFunctionKind::DatabaseList(rows) => rows.clone(),
            TableFunctionKind::Series => {
                return Err(crate::err!(Internal, "generate_series rows not streamed"))
            }
        };
        context.check_rows(rows.len().saturating_sub(1))?;
        Ok(FunctionRows::Held(rows.into_iter()))
    }
}

impl Operator for TableFunctionOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        loop {
            if let Some(current) = &self.current {
                while let Some(function_row) = self.pending.next_row(context)? {
                    let mut row = Vec::with_capacity(current.len() + function_row.len());
                    row.extend_from_slice(current);
                    row.extend(function_row);
                    if let Some(condition) = &self.scan.condition {
                        if !condition.matches(&row, &context.eval)? {
                            continue;
                        }
                    }
                    self.matched = true;
                    return Ok(Some(row));
                }
                let unmatched = self.scan.left && !self.matched;
                if let Some(mut row) = self.current.take() {
                    if unmatched {
                        let width = self.scan.function.column_names().len();
                        row.resize(row.len() + width, Value::Null);
                        return Ok(Some(row));
                    }
                }
            }
            context.check_interrupt()?;
            let Some(row) = self.next_input(context)? else {
                return Ok(None);
            };
            self.pending = self.call(&row, context)?;
            self.current = Some(row);
            self.matched = false;
        }
    }
}

/// Rows of one call: computed whole (the JSON and PRAGMA functions), or produced as they
/// are read (`generate_series`, whose series may be far longer than a statement may hold).
enum FunctionRows {
    Held(std::vec::IntoIter<Row>),
    Series(Series),
}

/// Rows a streamed function produces between two checks of the interrupt flag.
const ROWS_PER_INTERRUPT_CHECK: u64 = 1024;

impl FunctionRows {
    fn next_row(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        match self {
            FunctionRows::Held(rows) => Ok(rows.next()),
            FunctionRows::Series(series) => {
                if series.produced() % ROWS_PER_INTERRUPT_CHECK == ROWS_PER_INTERRUPT_CHECK - 1 {
                    context.check_interrupt()?;
                }
                series.next_row()
            }
        }
    }
}
