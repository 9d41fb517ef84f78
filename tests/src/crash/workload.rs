//! The crash harness's workload: a seeded generator of operations on one table
//! `t(id INT PRIMARY KEY, v INT)` that keeps its own model of the committed rows, so a parent
//! that replays the same seed knows exactly what every acknowledged commit left behind.

use std::collections::BTreeMap;

use ember::Connection;

/// The committed contents of table `t`.
pub type Model = BTreeMap<i64, i64>;

/// One unit of work; each commits (or rolls back) as a whole.
#[derive(Debug, Clone)]
pub enum Op {
    Insert(i64, i64),
    Update(i64, i64),
    Delete(i64),
    /// `DELETE FROM t`: every row (the whole-table delete).
    DeleteAll,
    /// Several statements in one explicit transaction.
    Txn(Vec<Op>),
    /// A transaction that is rolled back: it must leave no trace.
    RolledBack(Vec<Op>),
    Checkpoint,
}

/// Seeded operations that always succeed against the model.
pub struct Workload {
    rng: fastrand::Rng,
    next_id: i64,
    pub model: Model,
    checkpoints: bool,
}

impl Workload {
    pub fn new(seed: u64, checkpoints: bool) -> Workload {
        Workload {
            rng: fastrand::Rng::with_seed(seed),
            next_id: 0,
            model: Model::new(),
            checkpoints,
        }
    }

    fn simple(&mut self, scratch: &mut Model) -> Op {
        let existing = (!scratch.is_empty()).then(|| {
            let index = self.rng.usize(..scratch.len());
            *scratch.keys().nth(index).expect("index in range")
        });
        let op = match (self.rng.u8(..10), existing) {
            (0..=4, _) | (_, None) => {
                self.next_id += 1;
                Op::Insert(self.next_id, self.rng.i64(0..1000))
            }
            (5..=7, Some(id)) => Op::Update(id, self.rng.i64(0..1000)),
            (_, Some(id)) => Op::Delete(id),
        };
        apply(scratch, &op);
        op
    }

    /// The next operation (not yet applied to the model: call `commit` once acknowledged).
    pub fn next_op(&mut self) -> Op {
        let mut scratch = self.model.clone();
        match self.rng.u8(..20) {
            0..=1 => {
                let ops = (0..self.rng.usize(2..5))
                    .map(|_| self.simple(&mut scratch))
                    .collect();
                Op::Txn(ops)
            }
            2 => {
                let ops = (0..self.rng.usize(1..4))
                    .map(|_| self.simple(&mut scratch))
                    .collect();
                Op::RolledBack(ops)
            }
            3 if self.checkpoints => Op::Checkpoint,
            4 if scratch.len() >= 8 && self.rng.u8(..4) == 0 => Op::DeleteAll,
            _ => self.simple(&mut scratch),
        }
    }

    /// Records that `op` was acknowledged.
    pub fn commit(&mut self, op: &Op) {
        apply(&mut self.model, op);
    }
}

/// Applies a committed op to a model.
pub fn apply(model: &mut Model, op: &Op) {
    match op {
        Op::Insert(id, v) | Op::Update(id, v) => {
            model.insert(*id, *v);
        }
        Op::Delete(id) => {
            model.remove(id);
        }
        Op::DeleteAll => model.clear(),
        Op::Txn(ops) => ops.iter().for_each(|op| apply(model, op)),
        Op::RolledBack(_) | Op::Checkpoint => {}
    }
}

fn statement(conn: &mut Connection, op: &Op) -> ember::Result<()> {
    match op {
        Op::Insert(id, v) => conn
            .execute("INSERT INTO t VALUES (?, ?)", (*id, *v))
            .map(drop),
        Op::Update(id, v) => conn
            .execute("UPDATE t SET v = ? WHERE id = ?", (*v, *id))
            .map(drop),
        Op::Delete(id) => conn.execute("DELETE FROM t WHERE id = ?", [*id]).map(drop),
        Op::DeleteAll => conn.execute("DELETE FROM t", ()).map(drop),
        Op::Txn(_) | Op::RolledBack(_) | Op::Checkpoint => Ok(()),
    }
}

/// Runs `op`; `Ok` means it was acknowledged.
pub fn run(conn: &mut Connection, op: &Op) -> ember::Result<()> {
    match op {
        Op::Txn(ops) | Op::RolledBack(ops) => {
            conn.execute("BEGIN", ())?;
            for inner in ops {
                if let Err(error) = statement(conn, inner) {
                    let _ = conn.execute("ROLLBACK", ());
                    return Err(error);
                }
            }
            let end = if matches!(op, Op::Txn(_)) {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            conn.execute(end, ()).map(drop)
        }
        Op::Checkpoint => conn.execute("CHECKPOINT", ()).map(drop),
        _ => statement(conn, op),
    }
}

/// The rows of `t` as a model.
pub fn read_model(conn: &mut Connection) -> ember::Result<Model> {
    let rows = conn.query("SELECT id, v FROM t", ())?;
    let mut model = Model::new();
    for row in rows {
        model.insert(row.get(0)?, row.get(1)?);
    }
    Ok(model)
}

pub const SCHEMA: &str = "CREATE TABLE t(id INT PRIMARY KEY, v INT)";
