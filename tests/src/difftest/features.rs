//! Random statements over the SQLite features an application meets beside plain queries:
//! triggers (BEFORE / AFTER, INSERT / UPDATE [OF] / DELETE, WHEN, NEW / OLD, RAISE) on the
//! keyed table `u` that log into `log` and write `g`, fired by plain, OR IGNORE / REPLACE
//! and upsert writes; generated columns (VIRTUAL and
//! STORED) in `g`; row values (`(a, b) = (..)`, `<`, `BETWEEN`, `IN (SELECT ..)`,
//! `UPDATE .. SET (a, b) = (..)`); transactional DDL (CREATE / DROP / ALTER / CREATE INDEX
//! inside BEGIN .. ROLLBACK and SAVEPOINT .. ROLLBACK TO; RENAME COLUMN with a view and the
//! triggers that read the column, used after it); and the catalog tools read
//! (`sqlite_schema`, `pragma_table_info` / `table_xinfo` / `index_list` / `index_info`,
//! `PRAGMA user_version`). Each step runs on both engines; after a step that writes, the
//! tables it may touch are compared. Every DDL step leaves the schema as it found it, so
//! the query generator's view of the tables stays true.

use super::gen::{literal_of, Kind, Rng, Schema, Table};
use super::modern::{keyed_table, keyed_table_setup, KEYED_TABLE};
use super::query::{refs, Class, ColumnRef, QueryGen};

/// The table the triggers write to: one row per firing, compared without its key (the
/// order rows of one statement fire in may differ between engines).
const LOG_TABLE: &str = "log";

/// The table with generated columns.
const GENERATED_TABLE: &str = "g";

/// Keys of `g` are drawn from `0..G_KEYS`.
const G_KEYS: u64 = 8;

/// One generated step.
pub enum Step {
    /// A query: both engines must give the same rows.
    Query(String),
    /// Statements run in order on both engines (each with the same outcome), then the
    /// `checks` queries must agree.
    Write {
        statements: Vec<String>,
        checks: Vec<String>,
    },
}

/// The queries that show what a write to the feature tables changed.
pub fn feature_checks() -> Vec<String> {
    vec![
        format!("SELECT * FROM {KEYED_TABLE}"),
        format!("SELECT what, k, a, b FROM {LOG_TABLE}"),
        format!("SELECT * FROM {GENERATED_TABLE}"),
    ]
}

/// Templates of a generated column's expression over `g(k, v, w)`, with the declared type
/// each is given (SQLite applies the column's affinity to the value).
const GENERATED_FORMS: [(&str, &str); 8] = [
    ("v * 2", "REAL"),
    ("k + v", ""),
    ("coalesce(w, '') || k", "TEXT"),
    ("length(w)", "INTEGER"),
    ("abs(v) + 1", "REAL"),
    ("CASE WHEN v > 0 THEN w ELSE 'neg' END", "TEXT"),
    ("upper(w)", ""),
    ("k % 3", "INTEGER"),
];

/// Setup: the keyed table `u`, the log, `g` with two generated columns (one VIRTUAL, one
/// STORED) and a few rows, and one to four triggers.
pub fn feature_setup(rng: &mut Rng) -> Vec<String> {
    let mut statements = keyed_table_setup(rng);
    statements.push(format!(
        "CREATE TABLE {LOG_TABLE}(n INTEGER PRIMARY KEY, what TEXT, k INTEGER, a, b)"
    ));
    let (virtual_form, virtual_type) = *rng.pick(&GENERATED_FORMS);
    let (stored_form, stored_type) = *rng.pick(&GENERATED_FORMS);
    statements.push(format!(
        "CREATE TABLE {GENERATED_TABLE}(k INTEGER PRIMARY KEY, v REAL, w TEXT, \
         gv {virtual_type} AS ({virtual_form}) VIRTUAL, \
         gs {stored_type} GENERATED ALWAYS AS ({stored_form}) STORED)"
    ));
    if rng.chance(50) {
        statements.push(format!("CREATE INDEX g_gv ON {GENERATED_TABLE}(gv)"));
    }
    let mut rows = Vec::new();
    for k in 0..G_KEYS {
        if rng.chance(60) {
            let (v, w) = (literal_of(rng, Kind::Real), literal_of(rng, Kind::Text));
            rows.push(format!("({k}, {v}, {w})"));
        }
    }
    if !rows.is_empty() {
        statements.push(format!(
            "INSERT INTO {GENERATED_TABLE}(k, v, w) VALUES {}",
            rows.join(", ")
        ));
    }
    let mut forms: Vec<usize> = (0..TRIGGER_FORMS).collect();
    for n in 0..1 + rng.index(4) {
        let form = forms.remove(rng.index(forms.len()));
        statements.push(trigger_sql(rng, form, n));
        if forms.is_empty() {
            break;
        }
    }
    statements
}

/// How many trigger forms `trigger_sql` knows.
const TRIGGER_FORMS: usize = 8;

/// Trigger number `n` of form `form` on `u`.
fn trigger_sql(rng: &mut Rng, form: usize, n: usize) -> String {
    let threshold = literal_of(rng, Kind::Real);
    let mut when = |row: &str| {
        if rng.chance(40) {
            format!(" WHEN {row}.v > {threshold}")
        } else {
            String::new()
        }
    };
    let log = |what: &str, k: &str, a: &str, b: &str| {
        format!("INSERT INTO {LOG_TABLE}(what, k, a, b) VALUES ('{what}', {k}, {a}, {b});")
    };
    let timing = if n.is_multiple_of(2) {
        "AFTER"
    } else {
        "BEFORE"
    };
    let (timing, event, when, body) = match form {
        0 => (
            timing,
            "INSERT",
            when("NEW"),
            log("i", "NEW.k", "NEW.v", "NEW.w"),
        ),
        1 => (
            timing,
            "UPDATE",
            when("NEW"),
            log("u", "NEW.k", "OLD.v", "NEW.v"),
        ),
        2 => (
            timing,
            "DELETE",
            when("OLD"),
            log("d", "OLD.k", "OLD.v", "OLD.w"),
        ),
        3 => (
            "BEFORE",
            "INSERT",
            " WHEN NEW.w = 'abc'".to_string(),
            "SELECT RAISE(IGNORE);".to_string(),
        ),
        4 => (
            "BEFORE",
            "UPDATE",
            " WHEN NEW.v < -4".to_string(),
            "SELECT RAISE(ABORT, 'v too small');".to_string(),
        ),
        5 => (
            "AFTER",
            "DELETE",
            String::new(),
            format!(
                "UPDATE {GENERATED_TABLE} SET v = coalesce(v, 0) + 1 WHERE k = OLD.k % {G_KEYS};"
            ),
        ),
        6 => (
            "AFTER",
            "INSERT",
            String::new(),
            format!(
                "INSERT OR REPLACE INTO {GENERATED_TABLE}(k, v, w) \
                 VALUES (NEW.k % {G_KEYS}, NEW.v, NEW.w);"
            ),
        ),
        _ => (
            "AFTER",
            "UPDATE",
            " WHEN OLD.w IS NOT NEW.w".to_string(),
            log("w", "NEW.k", "OLD.w", "NEW.w"),
        ),
    };
    let of = match (event, rng.below(4)) {
        ("UPDATE", 1) => " OF v",
        ("UPDATE", 2) => " OF w",
        ("UPDATE", 3) => " OF v, w",
        _ => "",
    };
    format!(
        "CREATE TRIGGER tr{n} {timing} {event}{of} ON {KEYED_TABLE} FOR EACH ROW{when} \
         BEGIN {body} END"
    )
}

/// Generates the steps of this module over a schema.
pub struct FeatureGen<'s> {
    schema: &'s Schema,
    queries: QueryGen<'s>,
}

impl<'s> FeatureGen<'s> {
    pub fn new(schema: &'s Schema) -> FeatureGen<'s> {
        FeatureGen {
            schema,
            queries: QueryGen::new(schema),
        }
    }

    pub fn step(&mut self, rng: &mut Rng) -> Step {
        match rng.below(10) {
            0..=2 => Step::Query(self.row_value_query(rng)),
            3 => Step::Query(self.catalog_query(rng)),
            4 => self.ddl_step(rng),
            5 => Step::Query(self.generated_query(rng)),
            _ => Step::Write {
                statements: vec![self.write(rng)],
                checks: feature_checks(),
            },
        }
    }

    fn table(&self, rng: &mut Rng) -> &'s Table {
        rng.pick(&self.schema.tables)
    }

    fn value_of(&mut self, rng: &mut Rng, columns: &[ColumnRef], class: Class) -> String {
        let depth = 1 + rng.below(2) as u32;
        self.queries.value(rng, columns, depth, class)
    }

    fn predicate(&mut self, rng: &mut Rng, columns: &[ColumnRef]) -> String {
        let depth = 1 + rng.below(2) as u32;
        self.queries.predicate(rng, columns, depth)
    }

    /// A row value of two values over `columns`, of the classes `classes`.
    fn row_of(&mut self, rng: &mut Rng, columns: &[ColumnRef], classes: [Class; 2]) -> String {
        let first = self.value_of(rng, columns, classes[0]);
        let second = self.value_of(rng, columns, classes[1]);
        format!("({first}, {second})")
    }

    /// A query filtering or projecting by a comparison of two row values.
    fn row_value_query(&mut self, rng: &mut Rng) -> String {
        let table = self.table(rng);
        let columns = refs(table, "a");
        let left_columns: Vec<&ColumnRef> = (0..2).map(|_| rng.pick(&columns)).collect();
        let classes = [
            Class::of(left_columns[0].kind),
            Class::of(left_columns[1].kind),
        ];
        let left = format!("({}, {})", left_columns[0].name, left_columns[1].name);
        let condition = match rng.below(6) {
            0 => {
                let op = *rng.pick(&["=", "<>", "<", "<=", ">", ">=", "IS", "IS NOT"]);
                let right = self.row_of(rng, &[], classes);
                format!("{left} {op} {right}")
            }
            1 => {
                let low = self.row_of(rng, &[], classes);
                let high = self.row_of(rng, &[], classes);
                let not = if rng.chance(30) { "NOT " } else { "" };
                format!("{left} {not}BETWEEN {low} AND {high}")
            }
            2 => {
                let other = self.table(rng);
                let inner = refs(other, "b");
                let picks: Vec<String> = (0..2).map(|_| rng.pick(&inner).name.clone()).collect();
                let filter = if rng.chance(40) {
                    format!(" WHERE {}", self.predicate(rng, &inner))
                } else {
                    String::new()
                };
                let not = if rng.chance(30) { "NOT " } else { "" };
                format!(
                    "{left} {not}IN (SELECT {}, {} FROM {} AS b{filter})",
                    picks[0], picks[1], other.name
                )
            }
            3 => {
                // Correlated: compares with a row of another table found by a key.
                let other = self.table(rng);
                let inner = refs(other, "b");
                let picks: Vec<String> = (0..2).map(|_| rng.pick(&inner).name.clone()).collect();
                let op = *rng.pick(&["=", "<", ">="]);
                format!(
                    "{left} {op} (SELECT {}, {} FROM {} AS b WHERE {} = {} \
                     ORDER BY 1, 2 LIMIT 1)",
                    picks[0],
                    picks[1],
                    other.name,
                    rng.pick(&inner).name,
                    rng.pick(&columns).name
                )
            }
            4 => {
                let right = self.row_of(rng, &columns, classes);
                let op = *rng.pick(&["=", "<", ">", "IS NOT"]);
                format!("{left} {op} {right}")
            }
            _ => {
                let rows: Vec<String> = (0..1 + rng.below(3))
                    .map(|_| self.row_of(rng, &[], classes))
                    .collect();
                format!("{left} IN (VALUES {})", rows.join(", "))
            }
        };
        if rng.chance(25) {
            format!("SELECT {condition}, a.* FROM {} AS a", table.name)
        } else {
            format!("SELECT * FROM {} AS a WHERE {condition}", table.name)
        }
    }

    /// A query of the catalog: `sqlite_schema` or a catalog PRAGMA's table-valued form.
    fn catalog_query(&mut self, rng: &mut Rng) -> String {
        let names: Vec<String> = self
            .schema
            .tables
            .iter()
            .map(|table| table.name.clone())
            .chain([KEYED_TABLE, LOG_TABLE, GENERATED_TABLE].map(str::to_string))
            .collect();
        let table = rng.pick(&names).clone();
        match rng.below(7) {
            0 => "SELECT type, name, tbl_name FROM sqlite_schema".to_string(),
            1 => {
                "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')".to_string()
            }
            2 => format!("SELECT * FROM pragma_table_info('{table}')"),
            3 => format!("SELECT * FROM pragma_table_xinfo('{table}')"),
            4 => format!(
                "SELECT name, \"unique\", origin, partial FROM pragma_index_list('{table}')"
            ),
            5 => format!(
                "SELECT l.name, i.seqno, i.cid, i.name FROM pragma_index_list('{table}') AS l, \
                 pragma_index_info(l.name) AS i"
            ),
            _ => "PRAGMA user_version".to_string(),
        }
    }

    /// A query reading `g`'s generated columns.
    fn generated_query(&mut self, rng: &mut Rng) -> String {
        let g = generated_table();
        let columns = refs(&g, "g");
        match rng.below(3) {
            0 => {
                let filter = self.predicate(rng, &columns);
                format!("SELECT k, gv, gs FROM {GENERATED_TABLE} AS g WHERE {filter}")
            }
            1 => format!("SELECT gv, count(*) FROM {GENERATED_TABLE} AS g GROUP BY gv"),
            _ => {
                let value = self.value_of(rng, &columns, Class::Number);
                format!(
                    "SELECT u.k, g.gs, {value} FROM {KEYED_TABLE} AS u \
                     JOIN {GENERATED_TABLE} AS g ON g.k = u.k % {G_KEYS}"
                )
            }
        }
    }

    /// A write to `u` (its triggers fire) or to `g`.
    fn write(&mut self, rng: &mut Rng) -> String {
        let u = keyed_table();
        let columns = refs(&u, KEYED_TABLE);
        match rng.below(8) {
            0 | 1 => {
                let or = *rng.pick(&["", "", " OR IGNORE", " OR REPLACE"]);
                let rows: Vec<String> = (0..1 + rng.below(3))
                    .map(|_| {
                        format!(
                            "({}, {}, {})",
                            rng.below(12),
                            literal_of(rng, Kind::Real),
                            literal_of(rng, Kind::Text)
                        )
                    })
                    .collect();
                if or.is_empty() && rng.chance(40) {
                    // An upsert: its DO UPDATE fires the UPDATE triggers.
                    let set = *rng.pick(&["v = excluded.v", "w = excluded.w", "v = v + 1"]);
                    return format!(
                        "INSERT INTO {KEYED_TABLE} VALUES {} ON CONFLICT(k) DO UPDATE SET {set}",
                        rows.join(", ")
                    );
                }
                format!("INSERT{or} INTO {KEYED_TABLE} VALUES {}", rows.join(", "))
            }
            2 => {
                let v = self.value_of(rng, &columns, Class::Number);
                let filter = self.predicate(rng, &columns);
                format!("UPDATE {KEYED_TABLE} SET v = {v} WHERE {filter}")
            }
            3 => {
                let row = self.row_of(rng, &columns, [Class::Number, Class::Text]);
                let filter = self.predicate(rng, &columns);
                format!("UPDATE {KEYED_TABLE} SET (v, w) = {row} WHERE {filter}")
            }
            4 => {
                let filter = self.predicate(rng, &columns);
                format!("DELETE FROM {KEYED_TABLE} WHERE {filter}")
            }
            5 => {
                let k = rng.below(G_KEYS);
                let v = literal_of(rng, Kind::Real);
                let w = literal_of(rng, Kind::Text);
                let or = *rng.pick(&["", " OR REPLACE"]);
                format!("INSERT{or} INTO {GENERATED_TABLE}(k, v, w) VALUES ({k}, {v}, {w})")
            }
            6 => {
                let g = generated_table();
                let g_columns = refs(&g, GENERATED_TABLE);
                let v = self.value_of(rng, &g_columns, Class::Number);
                let filter = self.predicate(rng, &g_columns);
                format!("UPDATE {GENERATED_TABLE} SET v = {v} WHERE {filter}")
            }
            _ => {
                let g = generated_table();
                let g_columns = refs(&g, GENERATED_TABLE);
                let filter = self.predicate(rng, &g_columns);
                format!("DELETE FROM {GENERATED_TABLE} WHERE {filter}")
            }
        }
    }

    /// DDL inside a transaction that is rolled back (whole, or to a savepoint), or that
    /// commits and undoes itself; checked by the catalog and the tables it touched.
    fn ddl_step(&mut self, rng: &mut Rng) -> Step {
        let table = self.table(rng);
        let name = table.name.clone();
        let column = rng.pick(&table.columns).name.clone();
        let rows = 1 + rng.index(2);
        let write = table
            .insert_sql(rng, rows)
            .unwrap_or_else(|| format!("DELETE FROM {name}"));
        let ddl = match rng.below(6) {
            0 => vec![
                "CREATE TABLE scratch(a INTEGER PRIMARY KEY, b TEXT)".to_string(),
                "INSERT INTO scratch VALUES (1, 'x')".to_string(),
            ],
            1 => vec![format!("DROP TABLE {name}")],
            2 => vec![
                format!("ALTER TABLE {name} ADD COLUMN extra INTEGER DEFAULT 7"),
                write.clone(),
            ],
            3 => vec![
                format!("CREATE INDEX scratch_i ON {name}({column})"),
                write.clone(),
            ],
            4 => vec![
                format!("ALTER TABLE {name} RENAME TO {name}_renamed"),
                format!("SELECT count(*) FROM {name}_renamed"),
            ],
            // The view and the table's triggers follow the column: read and fired by it.
            _ => vec![
                format!(
                    "CREATE VIEW scratch_v AS SELECT x.{column} AS c1, {column} FROM {name} AS x \
                     WHERE {column} IS NOT NULL"
                ),
                format!("ALTER TABLE {name} RENAME COLUMN {column} TO {column}_r"),
                "SELECT * FROM scratch_v ORDER BY 1".to_string(),
                format!("UPDATE {name} SET {column}_r = {column}_r"),
                format!("SELECT what, k, a, b FROM {LOG_TABLE} ORDER BY 1, 2, 3, 4"),
            ],
        };
        let mut statements = Vec::new();
        match rng.below(3) {
            0 => {
                statements.push("BEGIN".to_string());
                statements.push(write.clone());
                statements.extend(ddl);
                statements.push("ROLLBACK".to_string());
            }
            1 => {
                statements.push("BEGIN".to_string());
                statements.push("SAVEPOINT s1".to_string());
                statements.extend(ddl);
                statements.push("ROLLBACK TO s1".to_string());
                statements.push(write.clone());
                statements.push("RELEASE s1".to_string());
                statements.push("COMMIT".to_string());
            }
            _ => {
                statements.push("BEGIN".to_string());
                statements
                    .push("CREATE TABLE scratch_kept(a INTEGER PRIMARY KEY, b TEXT)".to_string());
                statements.push(format!("INSERT INTO scratch_kept SELECT 1, '{name}'"));
                statements.push("COMMIT".to_string());
                statements.push(format!("PRAGMA user_version = {}", rng.below(100)));
                statements.push("DROP TABLE scratch_kept".to_string());
            }
        }
        Step::Write {
            statements,
            checks: vec![
                "SELECT type, name, tbl_name, sql FROM sqlite_schema".to_string(),
                format!("SELECT * FROM {name}"),
                "PRAGMA user_version".to_string(),
            ],
        }
    }
}

/// `g` as the generator sees it (its base columns; the generated ones are read by name).
fn generated_table() -> Table {
    let mut table = keyed_table();
    table.name = GENERATED_TABLE.to_string();
    table
}
