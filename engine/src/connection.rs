//! `Connection`: one session on a database. It parses, binds and runs statements, in
//! autocommit mode or inside an explicit transaction (BEGIN ... COMMIT/ROLLBACK). Inside a
//! transaction a failed statement undoes only its own writes; a serialization conflict
//! aborts the whole transaction, which must then be rolled back and retried.

use sqlparser::ast::Statement;

use ember_storage::{Transaction, Value};

use crate::bind::Binder;
use crate::database::Database;
use crate::error::{ErrorKind, Result};
use crate::exec::{self, ExecContext};
use crate::expr::EvalContext;
use crate::params::Params;
use crate::parse::parse_statements;
use crate::plan::Plan;
use crate::rows::Rows;

/// Where the connection stands with respect to explicit transactions.
enum TransactionState {
    /// Each statement runs in its own transaction.
    Autocommit,
    /// Inside BEGIN ... COMMIT.
    Explicit(Transaction),
    /// An explicit transaction failed with a serialization conflict and was rolled back;
    /// statements fail until ROLLBACK (or COMMIT, which reports the failure).
    Aborted,
}

/// What running one statement produced.
pub struct Outcome {
    /// Column names (empty for statements that return no rows).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Rows inserted, updated or deleted.
    pub changes: usize,
}

/// A session on a [`Database`]. Use one per thread.
pub struct Connection {
    db: Database,
    state: TransactionState,
}

impl Connection {
    pub(crate) fn new(db: Database) -> Connection {
        Connection {
            db,
            state: TransactionState::Autocommit,
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Whether an explicit transaction is open (or aborted and awaiting ROLLBACK).
    pub fn in_transaction(&self) -> bool {
        !matches!(self.state, TransactionState::Autocommit)
    }

    /// Runs one statement; returns the number of rows it inserted, updated or deleted.
    pub fn execute(&mut self, sql: &str, params: impl Params) -> Result<usize> {
        let statement = single_statement(sql)?;
        Ok(self
            .run_statement(&statement, &params.into_values())?
            .changes)
    }

    /// Runs one query and returns its rows.
    pub fn query(&mut self, sql: &str, params: impl Params) -> Result<Rows> {
        let statement = single_statement(sql)?;
        let outcome = self.run_statement(&statement, &params.into_values())?;
        Ok(Rows::new(outcome.columns, outcome.rows))
    }

    /// Runs every statement in `sql` (separated by `;`), stopping at the first error.
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        for statement in parse_statements(sql)? {
            self.run_statement(&statement, &[])?;
        }
        Ok(())
    }

    /// Parses and runs every statement in `sql`, returning each one's outcome; stops at the
    /// first error. (The REPL uses this to print each result.)
    pub fn run_script(&mut self, sql: &str) -> Result<Vec<Outcome>> {
        let mut outcomes = Vec::new();
        for statement in parse_statements(sql)? {
            outcomes.push(self.run_statement(&statement, &[])?);
        }
        Ok(outcomes)
    }

    fn run_statement(&mut self, statement: &Statement, params: &[Value]) -> Result<Outcome> {
        if let Statement::Pragma { .. } = statement {
            return crate::durability::pragma(&self.db, statement);
        }
        let catalog = self.db.shared.catalog.load();
        let mut binder = Binder::new(&catalog);
        let plan = binder.bind_statement(statement)?;
        if params.len() != binder.parameter_count {
            return Err(crate::err!(
                InvalidInput,
                "statement takes {} parameters but {} were given",
                binder.parameter_count,
                params.len()
            ));
        }
        drop(catalog);
        self.run_plan(&plan, params)
    }

    fn run_plan(&mut self, plan: &Plan, params: &[Value]) -> Result<Outcome> {
        match plan {
            Plan::Begin => {
                if self.in_transaction() {
                    return Err(crate::err!(
                        Transaction,
                        "cannot start a transaction within a transaction"
                    ));
                }
                self.state = TransactionState::Explicit(self.db.shared.store.begin()?);
                Ok(empty_outcome())
            }
            Plan::Commit => {
                match std::mem::replace(&mut self.state, TransactionState::Autocommit) {
                    TransactionState::Explicit(txn) => {
                        crate::durability::commit(&self.db.shared, txn)?;
                        Ok(empty_outcome())
                    }
                    TransactionState::Aborted => Err(crate::err!(
                        SerializationConflict,
                        "the transaction was aborted by a serialization conflict and has been \
                     rolled back; retry it"
                    )),
                    TransactionState::Autocommit => Err(crate::err!(
                        Transaction,
                        "cannot commit - no transaction is active"
                    )),
                }
            }
            Plan::Rollback => {
                match std::mem::replace(&mut self.state, TransactionState::Autocommit) {
                    TransactionState::Explicit(txn) => {
                        txn.rollback();
                        Ok(empty_outcome())
                    }
                    TransactionState::Aborted => Ok(empty_outcome()),
                    TransactionState::Autocommit => Err(crate::err!(
                        Transaction,
                        "cannot rollback - no transaction is active"
                    )),
                }
            }
            Plan::CreateTable(create) => {
                exec::create_table(&self.db.shared, create)?;
                Ok(empty_outcome())
            }
            Plan::DropTable { name, if_exists } => {
                exec::drop_table(&self.db.shared, name, *if_exists)?;
                Ok(empty_outcome())
            }
            Plan::Vacuum => {
                crate::gc::collect_now(&self.db.shared);
                Ok(empty_outcome())
            }
            Plan::Explain(inner) => Ok(Outcome {
                columns: vec!["plan".to_string()],
                rows: inner
                    .explain_lines()
                    .into_iter()
                    .map(|line| vec![Value::Text(line)])
                    .collect(),
                changes: 0,
            }),
            Plan::Query(_) | Plan::Insert { .. } | Plan::Update { .. } | Plan::Delete { .. } => {
                self.run_in_transaction(plan, params)
            }
        }
    }

    /// Runs a query or DML statement in the open transaction, or in its own one.
    fn run_in_transaction(&mut self, plan: &Plan, params: &[Value]) -> Result<Outcome> {
        match &mut self.state {
            TransactionState::Autocommit => {
                let mut txn = self.db.shared.store.begin()?;
                let outcome = run_data_plan(&mut txn, plan, params)?;
                crate::durability::commit(&self.db.shared, txn)?;
                Ok(outcome)
            }
            TransactionState::Explicit(txn) => {
                let savepoint = txn.savepoint();
                match run_data_plan(txn, plan, params) {
                    Ok(outcome) => Ok(outcome),
                    Err(error) if error.kind() == ErrorKind::SerializationConflict => {
                        if let TransactionState::Explicit(txn) =
                            std::mem::replace(&mut self.state, TransactionState::Aborted)
                        {
                            txn.rollback();
                        }
                        Err(error)
                    }
                    Err(error) => {
                        txn.rollback_to(savepoint);
                        Err(error)
                    }
                }
            }
            TransactionState::Aborted => Err(crate::err!(
                Transaction,
                "the current transaction was aborted by a serialization conflict; ROLLBACK \
                 and retry it"
            )),
        }
    }
}

fn run_data_plan(txn: &mut Transaction, plan: &Plan, params: &[Value]) -> Result<Outcome> {
    let changes = match plan {
        Plan::Query(query) => {
            let context = ExecContext {
                txn,
                eval: EvalContext { params },
            };
            let rows = exec::collect(&query.node, &context)?;
            return Ok(Outcome {
                columns: query.columns.clone(),
                rows,
                changes: 0,
            });
        }
        Plan::Insert {
            table,
            columns,
            source,
        } => exec::insert(txn, table, columns, source, params)?,
        Plan::Update {
            target,
            assignments,
        } => exec::update(txn, target, assignments, params)?,
        Plan::Delete { target } => exec::delete(txn, target, params)?,
        _ => unreachable!("run_data_plan gets only queries and DML"),
    };
    Ok(Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes,
    })
}

fn empty_outcome() -> Outcome {
    Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    }
}

fn single_statement(sql: &str) -> Result<Statement> {
    let mut statements = parse_statements(sql)?;
    match statements.len() {
        1 => Ok(statements.pop().expect("one statement")),
        0 => Err(crate::err!(InvalidInput, "no SQL statement given")),
        n => Err(crate::err!(
            InvalidInput,
            "{n} statements given where one was expected; use execute_batch for several"
        )),
    }
}
