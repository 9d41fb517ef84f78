//! The `kill` mode's workload: a seeded generator of operations on one table
//! `t(id INT PRIMARY KEY, v INT)` (inserts, updates, deletes, multi-statement and
//! rolled-back transactions, CHECKPOINTs) that keeps its own model of the committed rows.
//! Every child replays the ops acknowledged before it, and the parent replays them all after
//! every kill, so making op N costs O(1) in the table's size: a random existing row comes
//! from a vector of the model's ids, not from walking or copying the model. (Copied and
//! reworked from `workload.rs`, which the simulated-file-system modes own: cloning its
//! model for every op made a late cycle of a long run spend its whole life replaying.)

use std::collections::{BTreeMap, HashMap};

use ember::Connection;

/// The committed contents of table `t`.
pub type Model = BTreeMap<i64, i64>;

pub const SCHEMA: &str = "CREATE TABLE t(id INT PRIMARY KEY, v INT)";

/// One unit of work; each commits (or rolls back) as a whole.
#[derive(Debug, Clone)]
pub enum Op {
    Insert(i64, i64),
    Update(i64, i64),
    Delete(i64),
    /// Several statements in one explicit transaction.
    Txn(Vec<Op>),
    /// A transaction that is rolled back: it must leave no trace.
    RolledBack(Vec<Op>),
    Checkpoint,
}

impl Op {
    /// Whether the op commits a change (not a CHECKPOINT or a rolled-back transaction).
    pub fn commits(&self) -> bool {
        !matches!(self, Op::Checkpoint | Op::RolledBack(_))
    }
}

/// Seeded operations that always succeed against the model.
pub struct Workload {
    rng: fastrand::Rng,
    next_id: i64,
    pub model: Model,
    /// The model's ids, in no order, and where each one is in `ids`.
    ids: Vec<i64>,
    slots: HashMap<i64, usize>,
}

impl Workload {
    pub fn new(seed: u64) -> Workload {
        Workload {
            rng: fastrand::Rng::with_seed(seed),
            next_id: 0,
            model: Model::new(),
            ids: Vec::new(),
            slots: HashMap::new(),
        }
    }

    /// A committed row that the transaction being made has not deleted.
    fn existing(&mut self, deleted: &[i64]) -> Option<i64> {
        if self.ids.is_empty() {
            return None;
        }
        let id = self.ids[self.rng.usize(..self.ids.len())];
        (!deleted.contains(&id)).then_some(id)
    }

    fn simple(&mut self, deleted: &mut Vec<i64>) -> Op {
        let existing = self.existing(deleted);
        match (self.rng.u8(..10), existing) {
            (0..=4, _) | (_, None) => {
                self.next_id += 1;
                Op::Insert(self.next_id, self.rng.i64(0..1000))
            }
            (5..=7, Some(id)) => Op::Update(id, self.rng.i64(0..1000)),
            (_, Some(id)) => {
                deleted.push(id);
                Op::Delete(id)
            }
        }
    }

    /// The next operation (not yet applied to the model: call `commit` once acknowledged).
    pub fn next_op(&mut self) -> Op {
        let mut deleted = Vec::new();
        match self.rng.u8(..20) {
            0..=1 => {
                let ops = (0..self.rng.usize(2..5))
                    .map(|_| self.simple(&mut deleted))
                    .collect();
                Op::Txn(ops)
            }
            2 => {
                let ops = (0..self.rng.usize(1..4))
                    .map(|_| self.simple(&mut deleted))
                    .collect();
                Op::RolledBack(ops)
            }
            3 => Op::Checkpoint,
            _ => self.simple(&mut deleted),
        }
    }

    /// Records that `op` was acknowledged (or found committed).
    pub fn commit(&mut self, op: &Op) {
        match op {
            Op::Insert(id, _) | Op::Update(id, _) => {
                if !self.slots.contains_key(id) {
                    self.slots.insert(*id, self.ids.len());
                    self.ids.push(*id);
                }
            }
            Op::Delete(id) => {
                if let Some(slot) = self.slots.remove(id) {
                    self.ids.swap_remove(slot);
                    if let Some(moved) = self.ids.get(slot) {
                        self.slots.insert(*moved, slot);
                    }
                }
            }
            Op::Txn(ops) => ops.iter().for_each(|op| self.commit(op)),
            Op::RolledBack(_) | Op::Checkpoint => return,
        }
        if !matches!(op, Op::Txn(_)) {
            apply(&mut self.model, op);
        }
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
        Op::Txn(ops) => ops.iter().for_each(|op| apply(model, op)),
        Op::RolledBack(_) | Op::Checkpoint => {}
    }
}

fn statement(conn: &Connection, op: &Op) -> ember::Result<()> {
    match op {
        Op::Insert(id, v) => conn
            .execute("INSERT INTO t VALUES (?, ?)", (*id, *v))
            .map(drop),
        Op::Update(id, v) => conn
            .execute("UPDATE t SET v = ? WHERE id = ?", (*v, *id))
            .map(drop),
        Op::Delete(id) => conn.execute("DELETE FROM t WHERE id = ?", [*id]).map(drop),
        Op::Txn(_) | Op::RolledBack(_) | Op::Checkpoint => Ok(()),
    }
}

/// Runs `op` (a CHECKPOINT too); `Ok` means it was acknowledged. `rollback` ends a `Txn`
/// with ROLLBACK instead of COMMIT (a child broken on purpose).
pub fn run(conn: &Connection, op: &Op, rollback: bool) -> ember::Result<()> {
    match op {
        Op::Txn(ops) | Op::RolledBack(ops) => {
            conn.execute("BEGIN", ())?;
            for inner in ops {
                if let Err(error) = statement(conn, inner) {
                    let _ = conn.execute("ROLLBACK", ());
                    return Err(error);
                }
            }
            let end = if matches!(op, Op::Txn(_)) && !rollback {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            conn.execute(end, ()).map(drop)
        }
        Op::Checkpoint => conn.execute("CHECKPOINT", ()).map(drop),
        _ if rollback => run(conn, &Op::Txn(vec![op.clone()]), true),
        _ => statement(conn, op),
    }
}

/// The rows of `t` as a model.
pub fn read_model(conn: &Connection) -> ember::Result<Model> {
    let rows = conn.query("SELECT id, v FROM t", ())?;
    let mut model = Model::new();
    for row in rows {
        model.insert(row.get(0)?, row.get(1)?);
    }
    Ok(model)
}
