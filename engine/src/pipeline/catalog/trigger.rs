//! Trigger definitions: `CREATE TRIGGER name BEFORE|AFTER|INSTEAD OF event ON table [FOR EACH
//! ROW] [WHEN expr] BEGIN stmt; ... END`. A trigger keeps its WHEN condition and its body as
//! the text written, bound only when it fires (as in SQLite, the names in its body need not
//! exist until then), and its CREATE TRIGGER text for the WAL, checkpoints and `.schema`.

/// When a trigger runs relative to the row change that fires it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerTiming {
    Before,
    After,
    /// On a view: runs in place of the change (the view itself is not writable).
    InsteadOf,
}

/// The kind of row change a trigger fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerEventKind {
    Insert,
    Update,
    Delete,
}

/// A trigger: what fires it, its condition and its body.
#[derive(Debug, Clone)]
pub struct TriggerDef {
    pub name: String,
    /// The table (or, for INSTEAD OF, the view) it is on, as named in the statement.
    pub table: String,
    pub timing: TriggerTiming,
    pub event: TriggerEventKind,
    /// `UPDATE OF` columns (empty: any UPDATE fires it).
    pub update_of: Vec<String>,
    /// The WHEN condition's text, as written.
    pub when: Option<String>,
    /// The body's statements' text, as written between BEGIN and END (each ends with `;`).
    pub body: String,
    /// The CREATE TRIGGER statement as SQLite keeps it (`CREATE TRIGGER name ...`).
    pub sql: String,
    /// Catalog version that created it: triggers are listed, recreated on recovery and
    /// fired (newest first, as SQLite fires them) in this order.
    pub created: u64,
    /// A temporary trigger (`CREATE TEMP TRIGGER`, or any trigger on a temporary table):
    /// kept in the connection's temporary schema, its body's names find temporary objects.
    pub temporary: bool,
    /// Whether the table (or view) it is on is a temporary one; a temporary trigger may be
    /// on a `main` table, and stays on it when a temporary table of its name shadows it.
    pub on_temporary: bool,
}

impl TriggerDef {
    /// Whether a change of `event` kind to the rows of `table` fires it at `timing`; for an
    /// UPDATE, `assigned` tells whether the statement sets a column (by name).
    pub fn fires_on(
        &self,
        table: &str,
        timing: TriggerTiming,
        event: TriggerEventKind,
        assigned: &dyn Fn(&str) -> bool,
    ) -> bool {
        self.timing == timing
            && self.event == event
            && self.table.eq_ignore_ascii_case(table)
            && (self.update_of.is_empty() || self.update_of.iter().any(|name| assigned(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(event: TriggerEventKind, update_of: &[&str]) -> TriggerDef {
        TriggerDef {
            name: "tr".into(),
            table: "T".into(),
            timing: TriggerTiming::After,
            event,
            update_of: update_of.iter().map(|name| name.to_string()).collect(),
            when: None,
            body: "SELECT 1;".into(),
            sql: String::new(),
            created: 1,
            temporary: false,
            on_temporary: false,
        }
    }

    #[test]
    fn fires_on_matches_table_timing_and_event() {
        let insert = trigger(TriggerEventKind::Insert, &[]);
        let none = |_: &str| false;
        assert!(insert.fires_on("t", TriggerTiming::After, TriggerEventKind::Insert, &none));
        assert!(!insert.fires_on("t", TriggerTiming::Before, TriggerEventKind::Insert, &none));
        assert!(!insert.fires_on("t", TriggerTiming::After, TriggerEventKind::Delete, &none));
        assert!(!insert.fires_on("u", TriggerTiming::After, TriggerEventKind::Insert, &none));
    }

    #[test]
    fn update_of_fires_only_when_a_listed_column_is_assigned() {
        let update = trigger(TriggerEventKind::Update, &["a", "B"]);
        let (after, kind) = (TriggerTiming::After, TriggerEventKind::Update);
        assert!(update.fires_on("t", after, kind, &|name| name.eq_ignore_ascii_case("b")));
        assert!(!update.fires_on("t", after, kind, &|name| name == "c"));
        let any = trigger(TriggerEventKind::Update, &[]);
        assert!(any.fires_on("t", after, kind, &|_| false));
    }
}
