//! The random parts of the differential tester that are not queries: a seeded PRNG, and
//! random schemas and rows (INTEGER, REAL and TEXT columns, NULLs, numeric-looking text) that
//! both EmberDB and SQLite store the same way.

/// SplitMix64: small, seedable, replayable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// A `usize` in `0..bound` (`bound` > 0).
    pub fn index(&mut self, bound: usize) -> usize {
        self.below(bound as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

/// A column's declared type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Real,
    Text,
}

impl Kind {
    pub fn declared(self) -> &'static str {
        match self {
            Kind::Integer => "INTEGER",
            Kind::Real => "REAL",
            Kind::Text => "TEXT",
        }
    }

    pub fn random(rng: &mut Rng) -> Kind {
        *rng.pick(&[Kind::Integer, Kind::Integer, Kind::Real, Kind::Text])
    }
}

/// A generated column.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A generated table.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn random(rng: &mut Rng, name: &str) -> Table {
        let count = 1 + rng.index(4);
        let columns = (0..count)
            .map(|i| Column {
                name: format!("c{i}"),
                kind: Kind::random(rng),
            })
            .collect();
        Table {
            name: name.to_string(),
            columns,
        }
    }

    pub fn create_sql(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.kind.declared()))
            .collect();
        format!("CREATE TABLE {}({})", self.name, columns.join(", "))
    }

    /// `CREATE INDEX` number `n` on one or two distinct random columns; a TEXT column sometimes
    /// under NOCASE, and a column sometimes DESC.
    pub fn index_sql(&self, rng: &mut Rng, n: usize) -> String {
        let first = rng.index(self.columns.len());
        let mut picked = vec![first];
        let second = rng.index(self.columns.len());
        if second != first && rng.chance(50) {
            picked.push(second);
        }
        let parts: Vec<String> = picked
            .into_iter()
            .map(|position| {
                let column = &self.columns[position];
                let collate = if column.kind == Kind::Text && rng.chance(40) {
                    " COLLATE NOCASE"
                } else {
                    ""
                };
                let order = if rng.chance(20) { " DESC" } else { "" };
                format!("{}{collate}{order}", column.name)
            })
            .collect();
        format!(
            "CREATE INDEX {}_i{n} ON {}({})",
            self.name,
            self.name,
            parts.join(", ")
        )
    }

    /// An INSERT of `rows` random rows, or `None` for no rows.
    pub fn insert_sql(&self, rng: &mut Rng, rows: usize) -> Option<String> {
        if rows == 0 {
            return None;
        }
        let rows: Vec<String> = (0..rows)
            .map(|_| {
                let values: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| literal_of(rng, c.kind))
                    .collect();
                format!("({})", values.join(", "))
            })
            .collect();
        Some(format!(
            "INSERT INTO {} VALUES {}",
            self.name,
            rows.join(", ")
        ))
    }
}

/// The tables of one test case: `t0`, `t1`, `t2`.
pub struct Schema {
    pub tables: Vec<Table>,
}

impl Schema {
    pub fn random(rng: &mut Rng) -> Schema {
        let count = 1 + rng.index(3);
        Schema {
            tables: (0..count)
                .map(|i| Table::random(rng, &format!("t{i}")))
                .collect(),
        }
    }

    /// CREATE TABLE and INSERT statements, 0 to 10 rows per table, and now and then an
    /// index or two (before or after the rows), so the planner's index paths (lookups,
    /// ranges, prefix ranges, ORDER BY read from an index) meet the same queries as scans.
    pub fn setup_sql(&self, rng: &mut Rng) -> Vec<String> {
        let mut statements = Vec::new();
        for table in &self.tables {
            statements.push(table.create_sql());
            let indexes = if rng.chance(50) { 1 + rng.index(2) } else { 0 };
            let early = rng.chance(50);
            if early {
                statements.extend((0..indexes).map(|n| table.index_sql(rng, n)));
            }
            let rows = rng.index(11);
            statements.extend(table.insert_sql(rng, rows));
            if !early {
                statements.extend((0..indexes).map(|n| table.index_sql(rng, n)));
            }
        }
        statements
    }
}

/// A literal of `kind`, or NULL now and then. Values are small and reals are quarters, so
/// sums and products are exact in both engines.
pub fn literal_of(rng: &mut Rng, kind: Kind) -> String {
    if rng.chance(15) {
        return "NULL".to_string();
    }
    match kind {
        Kind::Integer => (rng.below(21) as i64 - 10).to_string(),
        Kind::Real => format!("{:.2}", (rng.below(41) as f64 - 20.0) / 4.0),
        Kind::Text => format!(
            "'{}'",
            rng.pick(&["", "a", "b", "ab", "B", "abc", "10", "2", "-3", "1.5", "x y", "A%"])
        ),
    }
}
